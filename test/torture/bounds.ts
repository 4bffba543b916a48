import fs from 'node:fs';
import path from 'node:path';
import { findSession, gitRepo, type TodoEntry } from './fixtures.js';
import {
  describeOutcome,
  errorLine,
  internalFailure,
  progress,
  removeDir,
  run,
  type ScenarioResult,
  Tally,
  type TortureSettings,
  ulimitPrefix,
} from './harness.js';

/**
 * Scenario 4, input bounds (SPEC 4: "Inputs are bounded (todos, stdin, nesting of JSON arguments)
 * and exceeding a bound is a bad-input error (exit 2) before memory grows with the input"). Each
 * hostile input must be refused with exit 2 and an `ERROR:`, with peak memory (maxRSS, measured by
 * /usr/bin/time) under 200 MB, and change nothing.
 */

const SESSION = 'WFS-bounds-target';
const MAX_RSS_KB = 200 * 1024;
const DEPTH = 20_000;
// Virtual memory cap for these runs: ten times the bound, so a runaway parse (100 MB of '[' took
// 5.3 GB on main) fails here instead of taking the memory of a machine shared with others.
const ADDRESS_SPACE_CAP_KB = 2_000_000;

interface Input {
  name: string;
  args: string[];
  stdin?: () => Buffer;
}

function millionTodos(): Buffer {
  const items: string[] = [];
  for (let i = 0; i < 1_000_000; i++)
    items.push(`{"content":"todo number ${i}","status":"pending","activeForm":"doing ${i}"}`);
  return Buffer.from(`[${items.join(',')}]`);
}

/** `{"a":[[[...]]]}`, `depth` deep. */
function nestedArrays(depth: number): string {
  return `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

/** `{"a":{"a":...}}`, `depth` deep (120 KB: under the 128 KiB a single argument may have). */
function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const INPUTS: readonly Input[] = [
  { name: 'todo sync of 1,000,000 todos', args: ['todo', 'sync'], stdin: millionTodos },
  {
    name: 'todo sync of 100 MB of [',
    args: ['todo', 'sync'],
    stdin: () => Buffer.alloc(100 * 1024 * 1024, '['),
  },
  {
    name: 'results put of 100 MB of [',
    args: ['results', 'put', 'huge'],
    stdin: () => Buffer.alloc(100 * 1024 * 1024, '['),
  },
  {
    name: `checkpoint --data nested ${DEPTH} deep (arrays)`,
    args: ['checkpoint', '--data', nestedArrays(DEPTH)],
  },
  {
    name: `checkpoint --data nested ${DEPTH} deep (objects)`,
    args: ['checkpoint', '--data', nestedObjects(DEPTH)],
  },
  {
    name: `phase --handoff nested ${DEPTH} deep (arrays)`,
    args: ['phase', 'IMPLEMENT', '--handoff', nestedArrays(DEPTH)],
  },
  {
    name: `phase --handoff nested ${DEPTH} deep (objects)`,
    args: ['phase', 'IMPLEMENT', '--handoff', nestedObjects(DEPTH)],
  },
];

export async function inputBounds(_settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('input bounds');
  const root = gitRepo();
  try {
    for (const step of [
      ['session', 'start', '--new', 'bounds target'],
      ['todo', 'add', 'the only todo'],
    ]) {
      const o = await run(step, { cwd: root });
      if (o.code !== 0) {
        tally.fail('prepare', `wfs ${step.join(' ')}: ${describeOutcome(o)}`);
        return tally.result();
      }
    }
    const stateBefore = fs.readFileSync(
      path.join(root, '.workflow', 'active', SESSION, 'workflow-session.json'),
    );
    for (const input of INPUTS) {
      const outcome = await run(input.args, {
        cwd: root,
        measureMemory: true,
        // TORTURE_MEMORY_CAP=off measures a runaway to its end (it may take gigabytes).
        ...(process.env.TORTURE_MEMORY_CAP === 'off'
          ? {}
          : { prefix: ulimitPrefix(`-v ${ADDRESS_SPACE_CAP_KB}`) }),
        timeoutMs: 180_000,
        ...(input.stdin ? { input: input.stdin() } : {}),
      });
      const problems: string[] = [];
      const internal = internalFailure(outcome);
      if (internal) problems.push(`internal failure: ${internal}`);
      if (outcome.code !== 2) problems.push(`exit ${outcome.code ?? outcome.signal}, not 2`);
      if (errorLine(outcome) === undefined) problems.push('no ERROR: line');
      const kb = outcome.maxRssKb;
      if (kb === undefined) problems.push('peak memory not measured (/usr/bin/time: Debian package time)');
      else if (kb >= MAX_RSS_KB)
        problems.push(
          `peak memory ${Math.round(kb / 1024)} MB (bound: 200 MB${outcome.signal || outcome.code === 134 ? `; stopped by the ${ADDRESS_SPACE_CAP_KB / 1000} MB address-space cap of this test` : ''})`,
        );
      const state = findSession(root, SESSION)?.state;
      const todos = (state?.todos as TodoEntry[] | undefined) ?? [];
      if (todos.length !== 1 || state?.current_phase !== 'PLAN')
        problems.push(`the state changed: ${todos.length} todos, phase ${String(state?.current_phase)}`);
      if (input.args[0] === 'results') {
        const got = await run(['results', 'get', 'huge'], { cwd: root });
        if (got.code === 0) problems.push(`the value was stored (${got.stdout.length} bytes)`);
      }
      tally.set(
        `${input.name}`,
        `exit ${outcome.code ?? outcome.signal}, ${kb === undefined ? '?' : Math.round(kb / 1024)} MB peak, ${(outcome.ms / 1000).toFixed(1)} s`,
      );
      tally.verdict(
        input.name,
        problems.length
          ? [`${input.name}: ${describeOutcome(outcome)}`, ...problems.map((p) => `  - ${p}`)]
          : [],
      );
      progress(`input bounds: ${input.name}: ${problems.length === 0 ? 'passed' : problems.join('; ')}`);
      // A refused input leaves the state as it was; restore it so one failure does not cascade.
      fs.writeFileSync(path.join(root, '.workflow', 'active', SESSION, 'workflow-session.json'), stateBefore);
    }
  } finally {
    removeDir(root);
  }
  return tally.result();
}
