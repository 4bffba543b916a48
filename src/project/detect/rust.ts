import type { Finding } from './finding.js';
import { declares, pick, type Repo, tomlSections, tomlString } from './repo.js';

const RUST_FRAMEWORKS: Record<string, string> = {
  'actix-web': 'Actix Web',
  axum: 'Axum',
  rocket: 'Rocket',
  tokio: 'Tokio',
  warp: 'warp',
  clap: 'clap',
  serde: 'Serde',
};

/** Cargo: `[dependencies]` (and per-target or workspace ones) run; `[dev-dependencies]` do not. */
export function detectRust(repo: Repo): Finding {
  const text = repo.read('Cargo.toml');
  if (text === undefined) return {};
  const runtime: string[] = [];
  const dev: string[] = [];
  for (const [header, body] of tomlSections(text)) {
    // `[dependencies.tokio]` names the dependency in its header.
    const table =
      /^(?:target\..+\.|workspace\.)?(dependencies|dev-dependencies|build-dependencies)(?:\.(.+))?$/.exec(
        header,
      );
    if (!table) continue;
    const into = table[1] === 'dependencies' ? runtime : dev;
    into.push(table[2] === undefined ? body : `${table[2]} = {}`);
  }
  const runtimeText = runtime.join('\n');
  const devText = dev.join('\n');
  return {
    project_name: tomlString(tomlSections(text).get('package'), 'name'),
    description: tomlString(tomlSections(text).get('package'), 'description') || undefined,
    package_managers: [
      { name: 'cargo', manifest: 'Cargo.toml', lockfile: repo.has('Cargo.lock') ? 'Cargo.lock' : null },
    ],
    frameworks: pick(RUST_FRAMEWORKS, (d) => declares(runtimeText, d)),
    dev_frameworks: pick(RUST_FRAMEWORKS, (d) => declares(devText, d) && !declares(runtimeText, d)),
    test_frameworks: ['cargo test'],
    build_tools: ['cargo'],
    commands: { build: 'cargo build', test: 'cargo test', lint: 'cargo clippy' },
  };
}
