import type { Finding } from './finding.js';
import { pick, type Repo, record } from './repo.js';

const PHP_FRAMEWORKS: Record<string, string> = {
  'laravel/framework': 'Laravel',
  'symfony/framework-bundle': 'Symfony',
};
const PHP_TEST: Record<string, string> = { 'phpunit/phpunit': 'PHPUnit', 'pestphp/pest': 'Pest' };

export function detectPhp(repo: Repo): Finding {
  const composer = repo.json('composer.json');
  if (composer === undefined) return {};
  const runtime = record(composer.require);
  const dev = record(composer['require-dev']);
  const testFrameworks = pick(PHP_TEST, (d) => d in runtime || d in dev);
  return {
    project_name: typeof composer.name === 'string' ? composer.name : undefined,
    description: typeof composer.description === 'string' ? composer.description : undefined,
    package_managers: [
      {
        name: 'composer',
        manifest: 'composer.json',
        lockfile: repo.has('composer.lock') ? 'composer.lock' : null,
      },
    ],
    frameworks: pick(PHP_FRAMEWORKS, (d) => d in runtime),
    dev_frameworks: pick(PHP_FRAMEWORKS, (d) => d in dev && !(d in runtime)),
    test_frameworks: testFrameworks,
    build_tools: ['composer'],
    commands: { test: testFrameworks.includes('PHPUnit') ? 'vendor/bin/phpunit' : null },
  };
}
