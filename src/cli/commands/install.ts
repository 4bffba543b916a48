import os from 'node:os';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { type InstallResult, installAgent, uninstallAgent } from '../../agents/install.js';
import type { Scope } from '../../agents/targets.js';
import { ExitCode, WfsError } from '../../core/errors.js';
import { AGENTS, type AgentName } from '../../session/binding.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project } from './shared.js';

function agentOf(name: string | undefined): AgentName {
  if (!(AGENTS as readonly string[]).includes(name ?? ''))
    throw new WfsError(
      'E_USAGE',
      `Unknown agent ${JSON.stringify(name)}. Valid agents: ${AGENTS.join(', ')}`,
    );
  return name as AgentName;
}

function scopeOf(values: OptionValues): Scope {
  if (values.user === true && values.shared === true)
    throw new WfsError('E_USAGE', '--user and --shared exclude each other');
  return values.user === true ? 'user' : values.shared === true ? 'shared' : 'personal';
}

/** A path as a person reads it: relative to the project, or to the home folder. */
function shown(file: string, root: string, env: NodeJS.ProcessEnv): string {
  const relative = path.relative(root, file);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) return relative;
  const home = env.HOME || os.homedir();
  const fromHome = path.relative(home, file);
  return !fromHome.startsWith('..') && !path.isAbsolute(fromHome) ? `~/${fromHome}` : file;
}

function print(out: Output, io: CliIo, result: InstallResult, root: string, verb: string): void {
  out.warnAll(result.warnings);
  if (out.json) {
    out.document({
      ...result,
      files: result.files.map(({ before, after, ...f }) => ({
        ...f,
        path: shown(f.path, root, io.env),
        ...(result.dry_run && f.action !== 'unchanged'
          ? { diff: createTwoFilesPatch(f.path, f.path, before ?? '', after ?? '') }
          : {}),
      })),
    });
    return;
  }
  for (const f of result.files) {
    const name = shown(f.path, root, io.env);
    out.line(`${f.action.toUpperCase()}: ${name}${f.what.length > 0 ? ` (${f.what.join(', ')})` : ''}`);
    if (result.dry_run && f.action !== 'unchanged')
      io.stdout(
        createTwoFilesPatch(`a/${name}`, `b/${name}`, f.before ?? '', f.after ?? '', '', '', { context: 2 }),
      );
  }
  for (const c of result.commands)
    out.line(`${c.ran ? 'RAN' : result.dry_run ? 'WOULD RUN' : 'SKIPPED'}: ${c.argv.join(' ')}`);
  for (const note of result.notes) out.line(`NOTE: ${note}`);
  out.line(
    result.dry_run
      ? `DRY RUN: wfs ${verb} ${result.agent} (${result.scope}): nothing was written`
      : `${verb === 'install' ? 'INSTALLED' : 'UNINSTALLED'}: ${result.agent} (${result.scope})`,
  );
}

/** `wfs install claude|codex|gemini [--user|--shared] [--dry-run] [--no-guard]` (SPEC 7). */
export async function install(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [name]: string[],
): Promise<number> {
  const ctx = project(io, values);
  const result = await installAgent(ctx, {
    agent: agentOf(name),
    scope: scopeOf(values),
    dryRun: values['dry-run'] === true,
    guard: values['no-guard'] !== true,
  });
  print(out, io, result, ctx.layout.root, 'install');
  return ExitCode.ok;
}

/** `wfs uninstall claude|codex|gemini [--user|--shared] [--dry-run]`: removes exactly what install added. */
export async function uninstall(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [name]: string[],
): Promise<number> {
  const ctx = project(io, values);
  const result = await uninstallAgent(ctx, {
    agent: agentOf(name),
    scope: scopeOf(values),
    dryRun: values['dry-run'] === true,
  });
  print(out, io, result, ctx.layout.root, 'uninstall');
  return ExitCode.ok;
}
