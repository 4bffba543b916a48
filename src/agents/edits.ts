import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { WfsError } from '../core/errors.js';

/**
 * Minimal text edits of the agents' configuration files (SPEC 7): what wfs adds is inserted as text
 * next to what is there, and what it removes is cut out exactly, so a user's own entries, comments,
 * indentation and key order stay byte for byte. jsonc-parser reads JSON (with comments) into a tree
 * with offsets; its own `modify` re-formats the array or object it inserts into, which would
 * rewrite a user's one-line entries, so the insertion is done here. TOML is read with
 * @decimalturn/toml-patch (to refuse a file that does not parse, and to see what it defines); wfs
 * only appends its own table and cuts it out again.
 */

/** Line and column (1-based) of an offset, for a refusal a person can act on. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function refuse(file: string, what: string, line: number, column: number): WfsError {
  return new WfsError(
    'E_INVALID_INPUT',
    `${file} does not parse (${what} at line ${line}, column ${column}); it was left as it is: correct it, then run wfs install again`,
    { details: { path: file, line, column } },
  );
}

// ---------------------------------------------------------------- JSON

export interface JsonDoc {
  /** The file the text is of, for what a refusal says. */
  file: string;
  text: string;
  root: Node | undefined;
  eol: string;
  /** One level of indentation as the file has it. */
  unit: string;
}

/** A UTF-8 byte order mark, as the text of a file read as UTF-8 begins with it (editors on Windows write one). */
const BOM = '\uFEFF';

export function readJson(file: string, text: string): JsonDoc {
  const errors: ParseError[] = [];
  // jsonc-parser refuses a byte order mark: it is read as a blank of the same length, so every offset
  // stays the file's own and the mark stays where it is, byte for byte.
  const parsed = text.startsWith(BOM) ? ` ${text.slice(1)}` : text;
  const root = parsed.trim() === '' ? undefined : parseTree(parsed, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const { line, column } = position(text, errors[0]!.offset);
    throw refuse(file, printParseErrorCode(errors[0]!.error), line, column);
  }
  if (root !== undefined && root.type !== 'object') throw refuse(file, 'not a JSON object', 1, 1);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /\n([ \t]+)["}\]]/.exec(text)?.[1];
  const unit = indented === undefined ? '  ' : indented.startsWith('\t') ? '\t' : ' '.repeat(indented.length);
  return { file, text, root, eol, unit };
}

/** The node at a path of object keys and array indexes. */
export function nodeAt(doc: JsonDoc, path: readonly (string | number)[]): Node | undefined {
  let node = doc.root;
  for (const step of path) {
    if (node === undefined) return undefined;
    if (typeof step === 'number') node = node.type === 'array' ? node.children?.[step] : undefined;
    else {
      if (node.type !== 'object') return undefined;
      node = node.children?.find((p) => p.children?.[0]?.value === step)?.children?.[1];
    }
  }
  return node;
}

/** The plain value of a node (comments dropped). */
export function plainValue(node: Node | undefined): unknown {
  if (node === undefined) return undefined;
  switch (node.type) {
    case 'object':
      return Object.fromEntries(
        (node.children ?? []).map((p) => [p.children![0]!.value, plainValue(p.children![1])]),
      );
    case 'array':
      return (node.children ?? []).map(plainValue);
    default:
      return node.value;
  }
}

/** The indentation of the line a node starts on (when only blanks precede it there). */
function indentOf(text: string, offset: number): string | undefined {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const lead = text.slice(start, offset);
  return /^[ \t]*$/.test(lead) ? lead : undefined;
}

function serialise(doc: JsonDoc, value: unknown, indent: string, inline = false): string {
  if (inline) return JSON.stringify(value);
  return JSON.stringify(value, null, doc.unit)
    .split('\n')
    .join(doc.eol + indent);
}

/** A container's own indentation: of its line, or its parent's plus one level. */
function containerIndent(doc: JsonDoc, node: Node): string {
  return indentOf(doc.text, node.parent?.type === 'property' ? node.parent.offset : node.offset) ?? '';
}

/** Text with `insertion` placed into the (object or array) `container` after its last child. */
function insertInto(
  doc: JsonDoc,
  container: Node,
  item: (indent: string, inline: boolean) => string,
): string {
  const text = doc.text;
  const children = container.children ?? [];
  const last = children.at(-1);
  if (last === undefined) {
    // An empty container: open it up.
    const indent = containerIndent(doc, container);
    const inner = indent + doc.unit;
    return `${text.slice(0, container.offset + 1)}${doc.eol}${inner}${item(inner, false)}${doc.eol}${indent}${text.slice(container.offset + container.length - 1)}`;
  }
  const lastEnd = last.offset + last.length;
  const indent = indentOf(text, last.offset);
  if (indent === undefined) {
    // Children on one line (`[1, 2]`): the new one joins them the same way, on that line.
    return `${text.slice(0, lastEnd)}, ${item('', true)}${text.slice(lastEnd)}`;
  }
  return `${text.slice(0, lastEnd)},${doc.eol}${indent}${item(indent, false)}${text.slice(lastEnd)}`;
}

/** A file that parses but holds something else where wfs adds its entry: refused, with where. */
function wrongShape(doc: JsonDoc, node: Node, what: string): WfsError {
  const { line, column } = position(doc.text, node.offset);
  return new WfsError(
    'E_INVALID_INPUT',
    `${doc.file}: ${what} (line ${line}, column ${column}), where wfs adds its entry; it was left as it is: correct it, then run wfs install again`,
    { details: { path: doc.file, line, column } },
  );
}

/** Sets `path` (objects made as needed) to `value`, where nothing is yet. Returns the new text. */
export function addJson(doc: JsonDoc, path: readonly string[], value: unknown): string {
  if (doc.root === undefined) {
    let whole: unknown = value;
    for (const key of [...path].reverse()) whole = { [key]: whole };
    const bom = doc.text.startsWith(BOM) ? BOM : '';
    return `${bom}${JSON.stringify(whole, null, doc.unit).split('\n').join(doc.eol)}${doc.eol}`;
  }
  let container = doc.root;
  let depth = 0;
  for (; depth < path.length - 1; depth++) {
    const next = nodeAt(doc, path.slice(0, depth + 1));
    if (next === undefined) break;
    if (next.type !== 'object')
      throw wrongShape(doc, next, `${path.slice(0, depth + 1).join('.')} is not an object`);
    container = next;
  }
  let rest: unknown = value;
  for (const key of [...path.slice(depth + 1)].reverse()) rest = { [key]: rest };
  const key = path[depth]!;
  return insertInto(
    doc,
    container,
    (indent, inline) => `${JSON.stringify(key)}: ${serialise(doc, rest, indent, inline)}`,
  );
}

/** Appends `value` to the array at `path` (made when missing). */
export function appendJson(doc: JsonDoc, path: readonly string[], value: unknown): string {
  const array = nodeAt(doc, path);
  if (array === undefined) return addJson(doc, path, [value]);
  if (array.type !== 'array') throw wrongShape(doc, array, `${path.join('.')} is not an array`);
  return insertInto(doc, array, (indent, inline) => serialise(doc, value, indent, inline));
}

/**
 * Cuts a child (a property, or an array element) out of its container with its separating comma,
 * as `insertInto` put it in.
 */
export function removeJson(doc: JsonDoc, child: Node): string {
  const text = doc.text;
  const node = child.parent?.type === 'property' ? child.parent : child;
  const container = node.parent!;
  const siblings = container.children!;
  const index = siblings.indexOf(node);
  const end = node.offset + node.length;
  if (siblings.length === 1) {
    // The only child: the container is left empty, as `{}` / `[]`.
    return `${text.slice(0, container.offset + 1)}${text.slice(container.offset + container.length - 1)}`;
  }
  if (index > 0) {
    const previousEnd = siblings[index - 1]!.offset + siblings[index - 1]!.length;
    const comma = text.indexOf(',', previousEnd);
    return `${text.slice(0, comma)}${text.slice(end)}`;
  }
  return `${text.slice(0, node.offset)}${text.slice(siblings[1]!.offset)}`;
}

// ---------------------------------------------------------------- TOML

/** Refuses a TOML file that does not parse (with its line and column); its values otherwise. */
export async function readToml(file: string, text: string): Promise<Record<string, unknown>> {
  const { parse } = await import('@decimalturn/toml-patch');
  try {
    // A byte order mark is no TOML; the file keeps it (wfs only appends to it).
    return parse(text.startsWith(BOM) ? text.slice(1) : text) as Record<string, unknown>;
  } catch (error) {
    const e = error as { line?: number; column?: number; message?: string };
    const reason =
      String(e.message ?? error)
        .split('\n')
        .at(-1) ?? 'a syntax error';
    throw refuse(file, reason, e.line ?? 1, (e.column ?? 0) + 1);
  }
}

/** The text of a TOML table wfs writes, exactly (its removal finds it by this text). */
export function tomlTable(name: string, values: Record<string, string | string[]>, eol: string): string {
  const lines = [`[${name}]`];
  for (const [key, value] of Object.entries(values))
    lines.push(
      `${key} = ${Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(', ')}]` : JSON.stringify(value)}`,
    );
  return lines.join(eol) + eol;
}

/** The file with a table appended (a blank line before it unless at the start). */
export function appendBlockText(text: string, block: string, eol: string): string {
  if (text === '') return block;
  const ending = text.endsWith(eol) ? text : text + eol;
  return `${ending}${eol}${block}`;
}

/** The file without a block appended by `appendBlockText` (with the blank line before it); unchanged if absent. */
export function removeBlockText(text: string, block: string, eol: string): string {
  const at = text.indexOf(block);
  if (at < 0) return text;
  let start = at;
  if (text.slice(0, start).endsWith(eol + eol)) start -= eol.length;
  else if (start === 0) return text.slice(block.length);
  return text.slice(0, start) + text.slice(at + block.length);
}

// ---------------------------------------------------------------- instruction blocks

/**
 * The markers of an agent's instructions block. Each agent's block names its agent: two agents may
 * read one file (`CLAUDE.md -> AGENTS.md` gives Claude Code and Codex the same instructions file),
 * and each install and uninstall must find its own block there, never the other's.
 */
export function blockMarkers(agent: string): { begin: string; end: string } {
  return {
    begin: `<!-- wfs:begin ${agent} (written by wfs install ${agent}; wfs uninstall ${agent} removes it) -->`,
    end: `<!-- wfs:end ${agent} -->`,
  };
}

/** The markers of a block written before blocks named their agent (any agent's). */
const UNNAMED_BEGIN = '<!-- wfs:begin (';
const UNNAMED_END = '<!-- wfs:end -->';

function blockBetween(text: string, begin: string, end: string): { start: number; end: number } | undefined {
  const start = text.indexOf(begin);
  if (start < 0) return undefined;
  const close = text.indexOf(end, start);
  if (close < 0) return undefined;
  let stop = close + end.length;
  if (text.startsWith('\r\n', stop)) stop += 2;
  else if (text.startsWith('\n', stop)) stop += 1;
  return { start, end: stop };
}

/**
 * The agent's instructions block between its markers, as found in a file, or undefined; else a block
 * of an older wfs that named no agent, which is taken for the agent's own (it is replaced by the
 * agent's named block at an install, and taken out at an uninstall).
 */
export function findMarkedBlock(text: string, agent: string): { start: number; end: number } | undefined {
  const { begin, end } = blockMarkers(agent);
  return blockBetween(text, begin, end) ?? blockBetween(text, UNNAMED_BEGIN, UNNAMED_END);
}
