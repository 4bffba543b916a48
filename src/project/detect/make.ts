import type { Finding } from './finding.js';
import type { Repo } from './repo.js';

export function makeTargets(repo: Repo): Set<string> {
  const targets = new Set<string>();
  const text = repo.read('Makefile');
  if (text === undefined) return targets;
  for (const match of text.matchAll(/^([A-Za-z0-9_.-]+)\s*:(?!=)/gm)) targets.add(match[1]!);
  return targets;
}

/**
 * A Makefile's own targets. The detector sits after the languages' in the table: where both give a
 * command, `npm test` is what CI runs, and `make test` often only wraps it.
 */
export function detectMake(repo: Repo): Finding {
  const cmake = repo.has('CMakeLists.txt') ? ['CMake'] : [];
  if (!repo.has('Makefile')) return { build_tools: cmake };
  const targets = makeTargets(repo);
  const target = (name: string) => (targets.has(name) ? `make ${name}` : null);
  return {
    build_tools: [...cmake, 'make'],
    commands: { build: target('build'), test: target('test'), lint: target('lint') },
  };
}
