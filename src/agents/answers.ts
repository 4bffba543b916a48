import type { BindResult } from '../session/binding.js';
import type { PathConflict } from '../session/claims.js';
import type { ParsedEvent } from './events.js';

/**
 * What `wfs hook` prints for an agent (SPEC 7): exactly what that agent accepts, and nothing for
 * an event that needs no answer (every agent takes an empty stdout). Claude Code and Codex read
 * `hookSpecificOutput`; Gemini CLI wants JSON only and takes its tool decisions as `decision`.
 */

/** The agents' own names, as their people know them. */
export const AGENT_TITLES = { claude: 'Claude Code', codex: 'Codex', gemini: 'Gemini CLI' } as const;

/** Facts the agent needs about how wfs follows it, per agent. */
function todoFact(agent: ParsedEvent['agent']): string {
  switch (agent) {
    case 'claude':
      return "Your todo tool (TodoWrite, or TaskCreate and TaskUpdate) is copied into the session's todos; `wfs todo` and the MCP tool wfs_todos read and change them.";
    case 'gemini':
      return "Your write_todos list is copied into the session's todos; `wfs todo` and the MCP tool wfs_todos read and change them.";
    case 'codex':
      return "The session's todos are kept by `wfs todo` and the MCP tool wfs_todos.";
  }
}

function guardFact(agent: ParsedEvent['agent']): string {
  return agent === 'codex'
    ? 'Before an apply_patch of a path another live session claims or has edited, wfs refuses it once with the reason; `wfs claim PATH` declares paths ahead.'
    : 'Before an edit of a path another live session claims or has edited, wfs asks first; `wfs claim PATH` declares paths ahead.';
}

function clipTo(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 2)}\n…`;
}

/** The context a session-start event injects: facts only, at most `maxChars`. */
export function startContext(
  parsed: ParsedEvent,
  input: { bind: BindResult | undefined; session: string | null; context: string; maxChars: number },
): string {
  const title = AGENT_TITLES[parsed.agent];
  const lines: string[] = [];
  const held = input.bind?.held_by;
  if (input.session !== null) {
    lines.push(
      `wfs: this ${title} conversation works on session ${input.session}; wfs commands and the wfs MCP tools act on it.`,
    );
    if (parsed.agent === 'codex')
      lines.push(
        `Codex names no conversation to the commands it runs: pass --session ${input.session} to wfs commands, and session: "${input.session}" to the wfs MCP tools (all but wfs_sessions take it).`,
      );
    lines.push(todoFact(parsed.agent), guardFact(parsed.agent));
  } else if (held !== undefined) {
    lines.push(
      `wfs: the active session ${held.session_id} is the session of another live ${AGENT_TITLES[held.agent]} conversation (${held.conversation_id}, last seen ${held.seen_at}). This conversation works on no session and does not write into ${held.session_id}.`,
      'To keep this work in wfs, start a session of its own: wfs session start --new "DESC" (MCP: wfs_session with action start, mode new).',
    );
  } else {
    lines.push(
      'wfs: no session is active in this project. To keep this work in wfs (phase, todos, checkpoints across restarts), start one: wfs session start --auto "TASK" (MCP: wfs_session with action start).',
    );
  }
  const head = `${lines.join('\n')}\n\n`;
  return clipTo(head + input.context, input.maxChars);
}

export function answerStart(
  parsed: ParsedEvent,
  input: { bind: BindResult | undefined; session: string | null; context: string; maxChars: number },
): string {
  return `${JSON.stringify({
    hookSpecificOutput: { hookEventName: parsed.name, additionalContext: startContext(parsed, input) },
  })}\n`;
}

function conflictReason(
  parsed: ParsedEvent,
  conflicts: readonly PathConflict[],
  session: string | null,
): string {
  const bySession = new Map<string, PathConflict[]>();
  for (const c of conflicts) bySession.set(c.label, [...(bySession.get(c.label) ?? []), c]);
  const parts = [...bySession].map(
    ([other, list]) =>
      `${[...new Set(list.map((c) => c.ours))].join(', ')} (claimed as ${[...new Set(list.map((c) => c.theirs))].join(', ')} by session ${other}, live, until ${list[0]!.until})`,
  );
  const who = session === null ? 'This conversation works on no wfs session' : `This is session ${session}`;
  const head = `wfs: another live session claims or has edited what this edit changes: ${parts.join('; ')}. ${who}; editing it here may collide with that work.`;
  return parsed.agent === 'codex'
    ? `${head} The patch was not applied. Ask the user whether to go ahead; if they agree, apply the same patch again (wfs lets this conversation's next edit of these paths through). \`wfs claim list\` shows every claim.`
    : `${head} Go ahead only if the user agrees. \`wfs claim list\` shows every claim.`;
}

/** The answer to an edit that meets another live session's claims. */
export function answerEditGuard(
  parsed: ParsedEvent,
  conflicts: readonly PathConflict[],
  session: string | null,
): string {
  const reason = conflictReason(parsed, conflicts, session);
  // Gemini CLI asks its person with the hook's systemMessage in the question (its `reason` is
  // shown only for a refusal): without it the person is asked to confirm an edit without the why.
  if (parsed.agent === 'gemini')
    return `${JSON.stringify({ decision: 'ask', reason, systemMessage: reason })}\n`;
  return `${JSON.stringify({
    hookSpecificOutput: {
      hookEventName: parsed.name,
      // Codex 0.171 refuses `ask` ("unsupported permissionDecision"): it can only deny.
      permissionDecision: parsed.agent === 'codex' ? 'deny' : 'ask',
      permissionDecisionReason: reason,
    },
  })}\n`;
}
