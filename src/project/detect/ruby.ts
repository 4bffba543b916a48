import type { Finding } from './finding.js';
import { declares, pick, type Repo } from './repo.js';

const RUBY_FRAMEWORKS: Record<string, string> = { rails: 'Rails', sinatra: 'Sinatra' };
const RUBY_TEST: Record<string, string> = { rspec: 'RSpec', minitest: 'Minitest' };

/** Gemfile lines, apart by whether they are inside a `group :development` / `:test` block. */
function gemLines(text: string): { runtime: string; dev: string } {
  const runtime: string[] = [];
  const dev: string[] = [];
  const groups: boolean[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (/^group\b.*\bdo\b/.test(trimmed)) groups.push(/:(development|test)\b/.test(trimmed));
    else if (/^(if|unless|platforms|install_if|source)\b.*\bdo\b/.test(trimmed)) groups.push(false);
    else if (trimmed === 'end') groups.pop();
    else if (groups.some(Boolean) || /\bgroups?:\s*\[?\s*:(development|test)\b/.test(trimmed)) dev.push(line);
    else runtime.push(line);
  }
  return { runtime: runtime.join('\n'), dev: dev.join('\n') };
}

export function detectRuby(repo: Repo): Finding {
  const gemfile = repo.read('Gemfile');
  if (gemfile === undefined) return {};
  const gems = gemLines(gemfile);
  const testFrameworks = pick(RUBY_TEST, (d) => declares(gemfile, d));
  return {
    package_managers: [
      { name: 'bundler', manifest: 'Gemfile', lockfile: repo.has('Gemfile.lock') ? 'Gemfile.lock' : null },
    ],
    frameworks: pick(RUBY_FRAMEWORKS, (d) => declares(gems.runtime, d)),
    dev_frameworks: pick(RUBY_FRAMEWORKS, (d) => declares(gems.dev, d) && !declares(gems.runtime, d)),
    test_frameworks: testFrameworks,
    build_tools: ['bundler'],
    commands: { test: testFrameworks.includes('RSpec') ? 'bundle exec rspec' : null },
  };
}
