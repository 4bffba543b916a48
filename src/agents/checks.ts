import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeFault } from '../core/errors.js';
import { AGENTS, type AgentName } from '../session/binding.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { CheckReporter } from '../store/checks.js';
import type { ProjectContext } from '../store/project.js';
import { appendJson, nodeAt, plainValue, readJson, removeJson } from './edits.js';
import { readManifest } from './install.js';
import { isWfsGroup, planFor, type Scope } from './targets.js';

/**
 * `wfs doctor`'s checks of the agents' installation (SPEC 7): for every install recorded in
 * .workflow/.install/manifest.json, and every project file of an agent that holds wfs hooks, that
 * the files parse, that each event has wfs's hook once (duplicates are repaired with --fix: the
 * first is kept), that what the hooks run (`wfs`) is on PATH, and that the MCP entry is where the
 * agent reads it (an `mcpServers` in Claude Code's settings.json is ignored there).
 */

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The hooks of one file: each event's wfs groups counted, duplicates repaired with --fix. */
function checkHookFile(report: CheckReporter, file: string, text: string, expected: readonly string[]): void {
  let doc: ReturnType<typeof readJson>;
  try {
    doc = readJson(file, text);
  } catch (error) {
    report.problem('agents', describeFault(error), undefined, `correct ${file} by hand`);
    return;
  }
  const hooks = nodeAt(doc, ['hooks']);
  const events =
    hooks?.type === 'object' ? (hooks.children ?? []).map((p) => String(p.children![0]!.value)) : [];
  for (const event of events) {
    const groups = nodeAt(doc, ['hooks', event])?.children ?? [];
    const ours = groups.filter((g) => isWfsGroup(plainValue(g)));
    if (ours.length <= 1) continue;
    report.problem(
      'agents',
      `${file}: ${ours.length} wfs hooks for ${event} (one is enough; each would run)`,
      () => {
        let current = fs.readFileSync(file, 'utf8');
        const kept = plainValue(ours[0]);
        for (;;) {
          const now = readJson(file, current);
          const found = (nodeAt(now, ['hooks', event])?.children ?? []).find((g) =>
            isWfsGroup(plainValue(g)),
          );
          if (found === undefined) break;
          current = removeJson(now, found);
        }
        writeFileAtomic(file, appendJson(readJson(file, current), ['hooks', event], kept));
        return 'kept the first, removed the others';
      },
    );
  }
  for (const event of expected)
    if (
      !events.includes(event) ||
      !(nodeAt(doc, ['hooks', event])?.children ?? []).some((g) => isWfsGroup(plainValue(g)))
    )
      report.problem('agents', `${file}: no wfs hook for ${event}`, undefined, 'run wfs install again');
}

function hasJsonValue(file: string, at: string[]): boolean {
  const text = readIfThere(file);
  if (text === undefined) return false;
  try {
    return nodeAt(readJson(file, text), at) !== undefined;
  } catch {
    return false;
  }
}

function checkMcpEntry(report: CheckReporter, agent: AgentName, scope: Scope, ctx: ProjectContext): void {
  const root = ctx.layout.root;
  const home = ctx.env.HOME || os.homedir();
  if (agent === 'claude') {
    for (const settings of ['settings.json', 'settings.local.json'].map((f) => path.join(root, '.claude', f)))
      if (hasJsonValue(settings, ['mcpServers', 'wfs']))
        report.problem(
          'agents',
          `${settings} has mcpServers.wfs, which Claude Code ignores there (it reads .mcp.json, or its user servers)`,
          undefined,
          'wfs install claude puts it in .mcp.json; remove it from the settings by hand',
        );
    if (scope === 'user') {
      // Read only: ~/.claude.json is Claude Code's own file, never edited by hand.
      if (!hasJsonValue(path.join(home, '.claude.json'), ['mcpServers', 'wfs']))
        report.problem(
          'agents',
          'Claude Code has no user MCP server wfs',
          undefined,
          'claude mcp add --scope user wfs -- wfs mcp',
        );
    } else if (!hasJsonValue(path.join(root, '.mcp.json'), ['mcpServers', 'wfs']))
      report.problem(
        'agents',
        '.mcp.json has no mcpServers.wfs: Claude Code starts no wfs MCP server',
        undefined,
        'run wfs install claude again',
      );
  } else if (agent === 'codex') {
    const codexHome =
      scope === 'user' ? ctx.env.CODEX_HOME || path.join(home, '.codex') : path.join(root, '.codex');
    const config = path.join(codexHome, 'config.toml');
    if (!/^\[mcp_servers\.wfs\]\s*$/m.test(readIfThere(config) ?? ''))
      report.problem(
        'agents',
        `${config} has no [mcp_servers.wfs]`,
        undefined,
        'run wfs install codex again',
      );
    if (scope !== 'user') {
      const user =
        readIfThere(path.join(ctx.env.CODEX_HOME || path.join(home, '.codex'), 'config.toml')) ?? '';
      if (!user.includes(JSON.stringify(root)))
        report.info(
          'agents',
          `Codex reads ${config} only in a trusted project, and ${root} is not among the projects of ~/.codex/config.toml`,
        );
    }
  } else {
    const settings =
      scope === 'user'
        ? path.join(home, '.gemini', 'settings.json')
        : path.join(root, '.gemini', 'settings.json');
    if (!hasJsonValue(settings, ['mcpServers', 'wfs']))
      report.problem(
        'agents',
        `${settings} has no mcpServers.wfs`,
        undefined,
        'run wfs install gemini again',
      );
  }
}

/** The events of a hook file that hold a wfs hook (none when it is not there or does not parse). */
function wfsEvents(file: string): string[] {
  const text = readIfThere(file);
  if (text === undefined || !text.includes('wfs hook')) return [];
  try {
    const doc = readJson(file, text);
    const hooks = nodeAt(doc, ['hooks']);
    return (hooks?.type === 'object' ? (hooks.children ?? []) : [])
      .map((p) => String(p.children![0]!.value))
      .filter((event) =>
        (nodeAt(doc, ['hooks', event])?.children ?? []).some((g) => isWfsGroup(plainValue(g))),
      );
  } catch {
    return [];
  }
}

/**
 * wfs hooks of one agent in two of its hook files that the agent reads together (the user's own
 * and the project's; Claude Code's personal and shared settings of the project): every event they
 * both have runs `wfs hook` twice (two bindings, two checkpoints, two answers). Each file alone is
 * fine, so the check looks across them; the fix is to uninstall one of the scopes.
 */
function checkOneScope(
  report: CheckReporter,
  ctx: ProjectContext,
  agent: AgentName,
  installs: ReturnType<typeof readManifest>['installs'],
): void {
  const files: { file: string; scope: Scope; label: string }[] = [];
  for (const scope of ['user', 'personal', 'shared'] as const) {
    const plan = planFor(agent, scope, { root: ctx.layout.root, env: ctx.env, guard: true });
    for (const piece of plan.pieces) {
      if (piece.kind !== 'hooks') continue;
      const known = files.find((f) => f.file === piece.file);
      // One file for both project scopes (Codex, Gemini CLI): the scope it was installed with.
      if (known !== undefined) {
        if (installs.some((i) => i.agent === agent && i.scope === scope)) known.scope = scope;
        continue;
      }
      const label =
        scope === 'user' ? 'user' : scope === 'shared' && agent === 'claude' ? 'project, shared' : 'project';
      files.push({ file: piece.file, scope, label });
    }
  }
  const holding = files.map((f) => ({ ...f, events: wfsEvents(f.file) })).filter((f) => f.events.length > 0);
  const flag = (scope: Scope) => (scope === 'user' ? ' --user' : scope === 'shared' ? ' --shared' : '');
  for (let i = 0; i < holding.length; i++)
    for (let j = i + 1; j < holding.length; j++) {
      const [a, b] = [holding[i]!, holding[j]!];
      const both = a.events.filter((e) => b.events.includes(e));
      if (both.length === 0) continue;
      report.problem(
        'agents',
        `${agent}: wfs hooks are installed in ${a.file} (${a.label}) and in ${b.file} (${b.label}): the events both have run wfs twice (${both.join(', ')})`,
        undefined,
        `keep one: wfs uninstall ${agent}${flag(a.scope)}, or wfs uninstall ${agent}${flag(b.scope)}`,
      );
    }
}

export function checkAgentInstalls(report: CheckReporter, ctx: ProjectContext): void {
  // The project's installs, and the user's own (recorded in their home, whichever project asks).
  const installs: ReturnType<typeof readManifest>['installs'] = [];
  for (const scope of ['personal', 'user'] as const)
    try {
      installs.push(...readManifest(ctx, scope).installs);
    } catch (error) {
      report.problem('agents', describeFault(error), undefined, 'run wfs install again for each agent');
    }
  const seen = new Set<string>();
  for (const install of installs) {
    const plan = planFor(install.agent, install.scope, {
      root: ctx.layout.root,
      env: ctx.env,
      guard: install.guard,
    });
    for (const piece of plan.pieces) {
      if (piece.kind !== 'hooks') continue;
      seen.add(piece.file);
      const text = readIfThere(piece.file);
      if (text === undefined)
        report.problem(
          'agents',
          `${piece.file} is gone: ${install.agent} runs no wfs hook`,
          undefined,
          `run wfs install ${install.agent} again`,
        );
      else checkHookFile(report, piece.file, text, Object.keys(piece.groups));
    }
    checkMcpEntry(report, install.agent, install.scope, ctx);
    report.info('agents', `${install.agent} (${install.scope}) installed ${install.installed_at}`);
  }
  // Hooks of wfs that no install here recorded (copied from another checkout, written by hand).
  for (const agent of AGENTS)
    for (const scope of ['personal', 'shared'] as const)
      for (const piece of planFor(agent, scope, { root: ctx.layout.root, env: ctx.env, guard: true })
        .pieces) {
        if (piece.kind !== 'hooks' || seen.has(piece.file)) continue;
        seen.add(piece.file);
        const text = readIfThere(piece.file);
        if (text?.includes('wfs hook')) checkHookFile(report, piece.file, text!, []);
      }
  for (const agent of AGENTS) checkOneScope(report, ctx, agent, installs);
  if (seen.size > 0 && installs.length > 0 && !onPath('wfs', ctx.env))
    report.problem(
      'agents',
      "the agents' hooks and MCP entries run `wfs`, which is not on PATH",
      undefined,
      'install wfs where the agents find it (npm install -g, or npm link in a checkout)',
    );
}
