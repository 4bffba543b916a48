import fs from 'node:fs';
import path from 'node:path';

/** The recorded hook payloads (test/fixtures/agents/README.md), per agent. */
export const FIXTURE_DIRS = {
  claude: path.resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'claude-code-2.1.332'),
  codex: path.resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'codex-0.171.0'),
  gemini: path.resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'gemini-0.61.0'),
} as const;

export type FixtureAgent = keyof typeof FIXTURE_DIRS;

export function fixtureNames(agent: FixtureAgent): string[] {
  return fs
    .readdirSync(FIXTURE_DIRS[agent])
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/**
 * A recorded payload as the agent would send it in `project` (with `home` as HOME): the machine
 * paths replaced the way the README says, everything else byte for byte; `session` replaces the
 * conversation ID (a second conversation of the same agent).
 */
export function payload(
  agent: FixtureAgent,
  name: string,
  project: string,
  options: { home?: string; session?: string } = {},
): string {
  let text = fs.readFileSync(path.join(FIXTURE_DIRS[agent], `${name}.json`), 'utf8');
  text = text.replaceAll('/home/dev/proj', project).replaceAll('/home/dev', options.home ?? '/home/dev');
  if (options.session !== undefined) {
    const original = (JSON.parse(text) as { session_id: string }).session_id;
    text = text.replaceAll(original, options.session);
  }
  return text;
}

/** The environment each agent gives its hook commands (README, "Seen in these runs"). */
export function agentEnv(agent: FixtureAgent, project: string, payloadText: string): NodeJS.ProcessEnv {
  const session = (JSON.parse(payloadText) as { session_id: string }).session_id;
  switch (agent) {
    case 'claude':
      return { CLAUDE_PROJECT_DIR: project, CLAUDE_CODE_SESSION_ID: session, CLAUDECODE: '1' };
    case 'gemini':
      return { GEMINI_PROJECT_DIR: project, GEMINI_SESSION_ID: session, CLAUDE_PROJECT_DIR: project };
    case 'codex':
      return { CODEX_MANAGED_BY_NPM: '1' };
  }
}
