import { HOOK_STDIN_MAX_BYTES, runHook } from '../../agents/hook.js';
import { ExitCode } from '../../core/errors.js';
import { AGENTS, type AgentName } from '../../session/binding.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';

/**
 * `wfs hook claude|codex|gemini` (SPEC 7): the agents' hook entry point. It always exits 0 and
 * prints only what the agent accepts: an agent reads a non-zero exit as a blocking error or a hook
 * failure, and wfs must never break the agent it serves (failures go to .workflow/logs/hooks.log).
 * An agent name wfs does not know (a hand-edited hook) is said on stderr, and is still exit 0.
 */
export async function hook(
  io: CliIo,
  out: Output,
  _values: OptionValues,
  [agent]: string[],
): Promise<number> {
  if (!(AGENTS as readonly string[]).includes(agent!)) {
    out.warn(`wfs hook ${agent}: not an agent wfs knows (${AGENTS.join(', ')}); the event is ignored`);
    return ExitCode.ok;
  }
  let stdin: Buffer;
  try {
    stdin = io.readStdin(HOOK_STDIN_MAX_BYTES, 'The hook event on stdin');
  } catch {
    // Too large or unreadable: no event to act on, and nothing to tell the agent.
    stdin = Buffer.alloc(0);
  }
  const answer = await runHook({ agent: agent as AgentName, stdin, env: io.env, cwd: io.cwd });
  if (answer !== '') io.stdout(answer);
  return ExitCode.ok;
}
