import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseCount, parseDuration } from '../core/duration.js';
import { WfsError } from '../core/errors.js';
import type { CliIo, Output } from './io.js';

/**
 * Command-line parsing on Node's own `util.parseArgs`, with a small command table that also writes
 * the help. Why not commander: loading it costs ~9 ms per start on Node 20 (no compile cache), a
 * third of the budget of the commands agents run before every action; parseArgs costs nothing and
 * is strict about unknown options, which is what we need.
 */

/** What a command's handler gets: strings, booleans, lists, and numbers for the numeric kinds. */
export type OptionValues = Record<string, string | boolean | string[] | number | undefined>;

export type Handler = (
  io: CliIo,
  out: Output,
  values: OptionValues,
  positionals: string[],
  passed: string[],
) => Promise<number>;

export interface OptionSpec {
  /**
   * `duration`: milliseconds, or with a unit (`30s`); `count`: a whole number. Both are parsed and
   * checked against `min`/`max` here, once for every command (core/duration.ts), and reach the
   * handler as numbers.
   */
  type: 'string' | 'boolean' | 'duration' | 'count';
  min?: number;
  max?: number;
  multiple?: boolean;
  short?: string;
  /** Shown in help: `--type <type>`. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  path: readonly string[];
  summary: string;
  /**
   * `variadic` (last only): the remaining words, joined by spaces (`wfs todo add write the docs`);
   * `list` (last only): the remaining words, each a positional of its own (`wfs claim a.ts b.ts`).
   */
  args?: readonly { name: string; required: boolean; variadic?: boolean; list?: boolean }[];
  /** Everything after `--` is passed on as it is (`wfs exec -- CMD ARGS`). */
  passThrough?: boolean;
  /** What `--help` says beyond the summary: rules a user needs before running it. */
  details?: string;
  /** Command lines that `--help` shows, each a real use of the command. */
  examples?: readonly string[];
  options?: Record<string, OptionSpec>;
  load: () => Promise<Handler>;
}

/** Every command takes these (SPEC 3). */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'print exactly one JSON document on stdout' },
  root: { type: 'string', value: 'dir', help: 'project root (default: discovered, see README)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export type Resolution =
  | { kind: 'command'; spec: CommandSpec; values: OptionValues; positionals: string[]; passed?: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'version' };

function usageError(message: string): WfsError {
  return new WfsError('E_USAGE', message);
}

/** The words of the command (`session`, `list`), skipping the common options that may precede them. */
function commandWords(argv: readonly string[]): { words: string[]; rest: string[] } {
  // Common options may come first (`wfs --json session list`); the command's words are the first
  // one or two plain tokens after them, side by side. Once an option follows a word, every later
  // token belongs to the command, so an option's value is never taken for a command word.
  const rest: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i] !== '--' && argv[i]!.startsWith('-')) {
    rest.push(argv[i]!);
    if (argv[i] === '--root' && i + 1 < argv.length) rest.push(argv[++i]!);
    i++;
  }
  const words: string[] = [];
  while (words.length < 2 && i < argv.length && !argv[i]!.startsWith('-')) words.push(argv[i++]!);
  return { words, rest: [...rest, ...argv.slice(i)] };
}

function optionLabel(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}`;
  return spec.type === 'boolean'
    ? flag
    : `${flag} <${spec.value ?? (spec.type === 'duration' ? 'ms' : 'value')}>`;
}

/** Numeric option kinds become numbers, checked against their bounds (bad: E_INVALID_INPUT, exit 2). */
function typedValues(values: OptionValues, options: Record<string, OptionSpec>): OptionValues {
  for (const [name, spec] of Object.entries(options)) {
    const text = values[name];
    if (typeof text !== 'string' || (spec.type !== 'duration' && spec.type !== 'count')) continue;
    const bounds = { what: `--${name}`, min: spec.min ?? 0, max: spec.max ?? Number.MAX_SAFE_INTEGER };
    values[name] = spec.type === 'duration' ? parseDuration(text, bounds) : parseCount(text, bounds);
  }
  return values;
}

export function commandHelp(spec: CommandSpec): string {
  const args = (spec.args ?? []).map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)).join(' ');
  const options = { ...(spec.options ?? {}), ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(
    ([name, o]) => [optionLabel(name, o), o.help + (o.multiple ? ' (repeatable)' : '')] as const,
  );
  const width = Math.max(...rows.map(([label]) => label.length));
  const details = spec.details ? `\n${wrap(spec.details, 100)}\n` : '';
  const examples = spec.examples?.length
    ? `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`
    : '';
  return `Usage: wfs ${spec.path.join(' ')}${args ? ` ${args}` : ''} [options]\n\n${spec.summary}\n${details}\nOptions:\n${rows
    .map(([label, help]) => `  ${label.padEnd(width)}  ${help}`)
    .join('\n')}\n${examples}`;
}

/** Words of a paragraph in lines of at most `width` characters. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

export function groupHelp(
  table: readonly CommandSpec[],
  prefix: readonly string[],
  description: string,
): string {
  const commands = table.filter((c) => prefix.every((word, i) => c.path[i] === word));
  const rows = commands.map((c) => {
    const args = (c.args ?? []).map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)).join(' ');
    return [`${c.path.join(' ')}${args ? ` ${args}` : ''}`, c.summary] as const;
  });
  const width = Math.max(...rows.map(([label]) => label.length));
  const usage =
    prefix.length === 0 ? 'wfs <command> [options]' : `wfs ${prefix.join(' ')} <command> [options]`;
  return `Usage: ${usage}\n\n${description}\n\nCommands:\n${rows.map(([label, summary]) => `  ${label.padEnd(width)}  ${summary}`).join('\n')}\n\nEvery command takes --json (one JSON document on stdout) and --root <dir>; wfs <command> --help tells more.\nwfs --version prints the version. Exit codes: 0 success, 1 failure, 2 bad usage or input, 3 a person must decide, 4 skipped (another session holds the work).\n`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function unknownCommand(word: string, candidates: readonly string[]): WfsError {
  const close = candidates.filter((c) => distance(word, c) <= 2);
  return usageError(
    `unknown command '${word}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(' or ')}?)` : ''}`,
  );
}

/** Node's parseArgs messages, said the way the rest of wfs says things. */
function translateParseError(error: unknown): WfsError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return usageError(`unknown option '${option ?? message}'`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(message)) return usageError(`option '${option}' needs a value`);
    if (/ambiguous/.test(message))
      return usageError(
        `option '${option}' needs a value; to pass one that starts with '-', write ${option}=VALUE`,
      );
    if (/does not take an argument/.test(message))
      return usageError(`option '${option}' does not take a value`);
  }
  return usageError(message.split('. ')[0] ?? message);
}

export function resolve(table: readonly CommandSpec[], argv: readonly string[], version: string): Resolution {
  const { words, rest } = commandWords(argv);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (words.length === 0) {
    if (rest.includes('--version') || rest.includes('-V')) return { kind: 'version' };
    // `wfs` and `wfs --json` alone: the help (as a document with --json).
    if (wantsHelp || rest.every((arg) => arg === '--json'))
      return {
        kind: 'help',
        text: groupHelp(
          table,
          [],
          `wfs ${version}: durable, shared memory of work in progress for AI coding sessions.`,
        ),
      };
    throw translateParseError(
      Object.assign(new Error(`'${rest[0]}'`), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }),
    );
  }
  if (words[0] === 'help') return { kind: 'help', text: groupHelp(table, words.slice(1), 'wfs commands') };

  const first = words[0]!;
  const topLevel = [...new Set(table.map((c) => c.path[0]!))];
  if (!topLevel.includes(first)) throw unknownCommand(first, topLevel);
  // A group may also be a command of its own (`wfs claim PATH...` beside `wfs claim list`): its
  // subcommands' words win, so `wfs claim list` lists (a file named `list` is claimed as ./list).
  const sub = table.find((c) => c.path.length === 2 && c.path[0] === first && c.path[1] === words[1]);
  let spec = sub ?? table.find((c) => c.path.length === 1 && c.path[0] === first);
  let positionals = sub === undefined ? words.slice(1) : [];
  if (spec === undefined) {
    const subcommands = table.filter((c) => c.path[0] === first).map((c) => c.path[1]!);
    const second = words[1];
    if (second === undefined) {
      if (wantsHelp) return { kind: 'help', text: groupHelp(table, [first], `wfs ${first} commands`) };
      throw usageError(`'wfs ${first}' needs a command: ${subcommands.join(', ')}`);
    }
    spec = table.find((c) => c.path[0] === first && c.path[1] === second);
    if (spec === undefined) throw unknownCommand(second, subcommands);
    positionals = [];
  }
  if (wantsHelp) return { kind: 'help', text: commandHelp(spec) };

  const options: NonNullable<ParseArgsConfig['options']> = {};
  const specs = { ...(spec.options ?? {}), ...COMMON_OPTIONS };
  for (const [name, o] of Object.entries(specs)) {
    options[name] = {
      type: o.type === 'boolean' ? 'boolean' : 'string',
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.short ? { short: o.short } : {}),
    };
  }
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    throw translateParseError(error);
  }
  typedValues(parsed.values, specs);
  let all = [...positionals, ...parsed.positionals];
  const declared = spec.args ?? [];
  if (spec.passThrough) {
    const dashes = rest.indexOf('--');
    const passed = dashes < 0 ? [] : rest.slice(dashes + 1);
    const before = all.slice(0, all.length - passed.length);
    return { kind: 'command', spec, values: parsed.values, positionals: before, passed };
  }
  const last = declared.at(-1);
  if (last?.list) {
    const missingList = declared.find((a, i) => a.required && all[i] === undefined);
    if (missingList)
      throw usageError(
        `missing required argument '${missingList.name}' (wfs ${spec.path.join(' ')} <${missingList.name}>...)`,
      );
    return { kind: 'command', spec, values: parsed.values, positionals: all };
  }
  if (last?.variadic && all.length > declared.length) {
    all = [...all.slice(0, declared.length - 1), all.slice(declared.length - 1).join(' ')];
  }
  const missing = declared.find((a, i) => a.required && all[i] === undefined);
  if (missing)
    throw usageError(
      `missing required argument '${missing.name}' (wfs ${spec.path.join(' ')} <${missing.name}>)`,
    );
  if (all.length > declared.length) {
    throw usageError(
      `too many arguments for 'wfs ${spec.path.join(' ')}': unexpected '${all[declared.length]}'`,
    );
  }
  return { kind: 'command', spec, values: parsed.values, positionals: all };
}
