import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { makeRepo, type Run, tempDir } from '../helpers.js';

/**
 * `wfs install` / `wfs uninstall` on files a user already has: their own hooks (same events, other
 * matchers), comments, odd indentation, foreign MCP servers and TOML tables, text around the
 * instructions block. HOME is a temporary folder, so nothing of the machine's is touched, and the
 * tests prove nothing is written outside the documented paths.
 */

const USER_CLAUDE_SETTINGS = `{
   // my own settings: three spaces, a comment, my hooks on the same events
   "model": "opus",
   "hooks": {
      "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "./check-bash.sh" } ] } ],
      "SessionStart": [
         {
            "hooks": [ { "type": "command", "command": "echo hello" } ]
         }
      ]
   }
}
`;

const USER_MCP = `{
\t"mcpServers": {
\t\t"github": { "command": "gh-mcp", "args": [] }
\t}
}
`;

const USER_MEMORY = '# My notes\n\nUse pnpm.\n';

const USER_CODEX_CONFIG = `# my codex settings
model = "gpt-5.5"

[mcp_servers.github]
command = "gh-mcp" # the GitHub server

[profiles.fast]
model = "gpt-5.5-mini"
`;

const USER_CODEX_HOOKS = `{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}}
`;

const USER_GEMINI = `{
  "mcpServers": { "search": { "command": "search-mcp" } },
  "hooks": {
    "BeforeTool": [
      { "matcher": "run_shell_command", "hooks": [ { "name": "mine", "type": "command", "command": "./guard.sh", "timeout": 5000 } ] }
    ]
  }
}
`;

interface Sandbox {
  root: string;
  home: string;
  bin: string;
  env: NodeJS.ProcessEnv;
}

/** A project with the user's own files, a temporary HOME, and `wfs` on PATH (a stand-in). */
function sandbox(files: Record<string, string> = {}): Sandbox {
  const root = makeRepo(files);
  const home = tempDir('wfs-home-');
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'wfs'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { root, home, bin, env: { HOME: home, PATH: `${bin}:${process.env.PATH}` } };
}

function wfsIn(sb: Sandbox, argv: string[]): Promise<Run> {
  return cli(sb.root, argv, { env: sb.env });
}

/** Every file below the project and HOME with its bytes (the repository's .git left out). */
function snapshot(sb: Sandbox): Map<string, string> {
  const files = new Map<string, string>();
  for (const base of [sb.root, sb.home]) {
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.name === '.git') continue;
        if (entry.isSymbolicLink()) files.set(file, `link to ${fs.readlinkSync(file)}`);
        else if (entry.isDirectory()) walk(file);
        else files.set(file, fs.readFileSync(file, 'latin1'));
      }
    };
    walk(base);
  }
  return files;
}

function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((f) => before.get(f) !== after.get(f)).sort();
}

function read(sb: Sandbox, file: string): string {
  return fs.readFileSync(path.join(sb.root, file), 'utf8');
}

// biome-ignore lint/suspicious/noExplicitAny: configuration files as parsed, read by the assertions
type Json = any;

/** A JSON file with line comments, read for the assertions. */
function readJsonc(text: string): Record<string, Json> {
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, ''));
}

const WFS = /^wfs hook (claude|codex|gemini)$/;

function wfsGroups(settings: Record<string, Json>, event: string): Json[] {
  return (settings.hooks?.[event] ?? []).filter((g: Json) => g.hooks.every((h: Json) => WFS.test(h.command)));
}

describe('wfs install claude (personal, the default)', () => {
  it("adds its entries once next to the user's own, byte for byte; a re-install changes nothing; uninstall restores the bytes", async () => {
    const sb = sandbox({
      '.claude/settings.local.json': USER_CLAUDE_SETTINGS,
      '.mcp.json': USER_MCP,
      'CLAUDE.local.md': USER_MEMORY,
    });
    const before = snapshot(sb);
    const installed = await wfsIn(sb, ['install', 'claude']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stderr).toBe('');
    const afterInstall = snapshot(sb);
    const touched = changedFiles(before, afterInstall).map((f) => path.relative(sb.root, f));
    expect(touched.filter((f) => !f.startsWith('.workflow/.install/'))).toEqual([
      '.claude/settings.local.json',
      '.mcp.json',
      'CLAUDE.local.md',
    ]);

    const settingsText = read(sb, '.claude/settings.local.json');
    // The user's own lines, as they were (comment, indentation, their one-line hook group).
    for (const line of USER_CLAUDE_SETTINGS.split('\n').filter(
      (l) => l.includes('//') || l.includes('check-bash'),
    ))
      expect(settingsText).toContain(line.trim() === '' ? line : line.split(' }')[0]!);
    const settings = readJsonc(settingsText);
    for (const event of [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUse',
      'PreCompact',
      'Stop',
      'SessionEnd',
    ])
      expect(wfsGroups(settings, event), event).toHaveLength(1);
    expect(settings.hooks.PreToolUse[0].matcher).toBe('Bash');
    expect(settings.hooks.SessionStart[0].hooks[0].command).toBe('echo hello');
    const matchers = Object.values(settings.hooks).flatMap((groups: Json) =>
      groups.map((g: Json) => g.matcher),
    );
    expect(matchers).not.toContain('*');
    expect(wfsGroups(settings, 'PreToolUse')[0].matcher).toBe('Edit|Write|MultiEdit|NotebookEdit');
    expect(settings.enabledMcpjsonServers).toEqual(['wfs']);
    expect(settings.permissions.allow).toEqual(['mcp__wfs']);
    const mcp = JSON.parse(read(sb, '.mcp.json'));
    expect(mcp.mcpServers).toEqual({
      github: { command: 'gh-mcp', args: [] },
      wfs: { type: 'stdio', command: 'wfs', args: ['mcp'] },
    });
    expect(read(sb, '.mcp.json').startsWith(USER_MCP.split('\n').slice(0, 3).join('\n'))).toBe(true);
    const memory = read(sb, 'CLAUDE.local.md');
    expect(memory.startsWith(USER_MEMORY)).toBe(true);
    expect(memory).toContain('<!-- wfs:begin');
    expect(fs.existsSync(path.join(sb.root, '.workflow', '.install', 'manifest.json'))).toBe(true);

    const again = await wfsIn(sb, ['install', 'claude', '--json']);
    expect(JSON.parse(again.stdout).files.map((f: Json) => f.action)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(changedFiles(afterInstall, snapshot(sb))).toEqual([]);

    const removed = await wfsIn(sb, ['uninstall', 'claude']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it('restores the bytes of a file with empty lists and objects of its own, CRLF and no final newline', async () => {
    const own =
      '{\r\n\t"hooks": {\r\n\t\t"Stop": []\r\n\t},\r\n\t"permissions": {"allow": []},\r\n\t"env": {}\r\n}';
    const sb = sandbox({ '.claude/settings.local.json': own, 'CLAUDE.local.md': '# notes\r\nline' });
    const before = snapshot(sb);
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    const installed = read(sb, '.claude/settings.local.json');
    expect(JSON.parse(installed).permissions.allow).toEqual(['mcp__wfs']);
    expect(installed.replaceAll('\r\n', '')).not.toContain('\n');
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it("a file changed since loses only wfs's entries; files wfs created go", async () => {
    const sb = sandbox({
      '.claude/settings.local.json': USER_CLAUDE_SETTINGS,
      'CLAUDE.local.md': USER_MEMORY,
    });
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    const file = path.join(sb.root, '.claude', 'settings.local.json');
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('"model": "opus",', '"model": "opus",\n   "theme": "dark",'),
    );
    fs.appendFileSync(path.join(sb.root, 'CLAUDE.local.md'), '\nMore of my notes.\n');
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      USER_CLAUDE_SETTINGS.replace('"model": "opus",', '"model": "opus",\n   "theme": "dark",'),
    );
    expect(read(sb, 'CLAUDE.local.md')).toBe(`${USER_MEMORY}\nMore of my notes.\n`);
    expect(fs.existsSync(path.join(sb.root, '.mcp.json'))).toBe(false);
  });

  it('refuses a file that does not parse, with its line and column, and writes nothing', async () => {
    const broken = '{\n  "hooks": {\n    "Stop": [ }\n}\n';
    const sb = sandbox({ '.claude/settings.local.json': broken });
    const before = snapshot(sb);
    const run = await wfsIn(sb, ['install', 'claude']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^ERROR: .*settings\.local\.json does not parse \(.* at line 3, column 15\); it was left as it is/,
    );
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it('refuses a file that parses but holds something else where wfs adds its entries, saying where, and writes nothing', async () => {
    const cases: [string, RegExp][] = [
      [
        '{\n  "hooks": {\n    "Stop": "notify"\n  }\n}\n',
        /hooks\.Stop is not an array \(line 3, column 13\)/,
      ],
      ['{\n  "hooks": []\n}\n', /hooks is not an object \(line 2, column 12\)/],
    ];
    for (const [text, where] of cases) {
      const sb = sandbox({ '.claude/settings.local.json': text });
      const before = snapshot(sb);
      const run = await wfsIn(sb, ['install', 'claude']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^ERROR: .*\/\.claude\/settings\.local\.json: /);
      expect(run.stderr).toMatch(where);
      expect(run.stderr).toContain('it was left as it is');
      expect(changedFiles(before, snapshot(sb))).toEqual([]);
    }
  });

  it('--dry-run shows the diff and writes nothing', async () => {
    const sb = sandbox({ '.claude/settings.local.json': USER_CLAUDE_SETTINGS });
    const before = snapshot(sb);
    const run = await wfsIn(sb, ['install', 'claude', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('--- a/.claude/settings.local.json');
    expect(run.stdout).toContain('+++ b/.mcp.json');
    expect(run.stdout).toMatch(/^\+.*"command": "wfs hook claude"/m);
    expect(run.stdout).toMatch(/^DRY RUN: wfs install claude \(personal\): nothing was written$/m);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it('--no-guard installs no edit guard: no PreToolUse, and PostToolUse for the todo tools only', async () => {
    const sb = sandbox();
    expect((await wfsIn(sb, ['install', 'claude', '--no-guard'])).code).toBe(0);
    const settings = JSON.parse(read(sb, '.claude/settings.local.json'));
    expect(settings.hooks.PreToolUse).toBeUndefined();
    expect(settings.hooks.PostToolUse[0].matcher).toBe('TodoWrite|TaskCreate|TaskUpdate');
    // Turning the guard on again replaces wfs's groups, never adds a second.
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    const again = JSON.parse(read(sb, '.claude/settings.local.json'));
    expect(wfsGroups(again, 'PostToolUse')).toHaveLength(1);
    expect(wfsGroups(again, 'PreToolUse')).toHaveLength(1);
  });

  it('--shared writes the files a team commits', async () => {
    const sb = sandbox();
    expect((await wfsIn(sb, ['install', 'claude', '--shared'])).code).toBe(0);
    expect(fs.existsSync(path.join(sb.root, '.claude', 'settings.json'))).toBe(true);
    expect(read(sb, 'CLAUDE.md')).toContain('<!-- wfs:begin');
    expect(fs.existsSync(path.join(sb.root, '.claude', 'settings.local.json'))).toBe(false);
  });

  it('--user writes ~/.claude and adds the MCP server through `claude mcp add --scope user`, never ~/.claude.json', async () => {
    const sb = sandbox();
    const log = path.join(sb.home, 'claude-calls');
    fs.writeFileSync(path.join(sb.bin, 'claude'), `#!/bin/sh\necho "$@" >> ${log}\n`, { mode: 0o755 });
    const before = snapshot(sb);
    const run = await wfsIn(sb, ['install', 'claude', '--user']);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('mcp add --scope user wfs -- wfs mcp\n');
    const touched = changedFiles(before, snapshot(sb)).map((f) =>
      f.startsWith(sb.home) ? `~/${path.relative(sb.home, f)}` : path.relative(sb.root, f),
    );
    // The record of a user's install is in their home, not in the project it was run from.
    expect(touched.filter((f) => !f.startsWith('~/.wfs/install/'))).toEqual([
      '~/.claude/CLAUDE.md',
      '~/.claude/settings.json',
      '~/claude-calls',
    ]);
    expect(fs.existsSync(path.join(sb.home, '.claude.json'))).toBe(false);
    expect((await wfsIn(sb, ['uninstall', 'claude', '--user'])).code).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe(
      'mcp add --scope user wfs -- wfs mcp\nmcp remove --scope user wfs\n',
    );
    expect(fs.existsSync(path.join(sb.home, '.claude'))).toBe(false);
  });

  it('--user is recorded in the home folder: uninstalled byte for byte from any folder, no .workflow/ made where it ran', async () => {
    const sb = sandbox();
    fs.mkdirSync(path.join(sb.home, '.claude'));
    fs.writeFileSync(path.join(sb.home, '.claude', 'settings.json'), '{\n  "model": "opus"\n}\n');
    const log = path.join(sb.home, 'claude-calls');
    fs.writeFileSync(path.join(sb.bin, 'claude'), `#!/bin/sh\necho "$@" >> ${log}\n`, { mode: 0o755 });
    const before = snapshot(sb);
    const somewhere = tempDir('wfs-somewhere-');
    const elsewhere = makeRepo();
    const installed = await cli(somewhere, ['install', 'claude', '--user'], { env: sb.env });
    expect(installed.code, installed.stderr).toBe(0);
    expect(fs.readdirSync(somewhere)).toEqual([]);
    // Seen by wfs doctor in any project.
    const report = JSON.parse((await cli(elsewhere, ['doctor', '--json'], { env: sb.env })).stdout);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        check: 'agents',
        message: expect.stringMatching(/^claude \(user\) installed /),
      }),
    );
    const removed = await cli(elsewhere, ['uninstall', 'claude', '--user'], { env: sb.env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('RESTORED: ~/.claude/settings.json');
    expect(removed.stdout).toContain('REMOVED: ~/.claude/CLAUDE.md');
    expect(fs.readFileSync(log, 'utf8')).toBe(
      'mcp add --scope user wfs -- wfs mcp\nmcp remove --scope user wfs\n',
    );
    expect(changedFiles(before, snapshot(sb)).map((f) => path.relative(sb.home, f))).toEqual([
      'claude-calls',
    ]);
    expect(fs.existsSync(path.join(sb.home, '.wfs'))).toBe(false);
    expect(fs.existsSync(path.join(elsewhere, '.workflow'))).toBe(false);
  });

  it('--user without claude on PATH says so and how, and adds the rest', async () => {
    const sb = sandbox();
    const run = await cli(sb.root, ['install', 'claude', '--user'], { env: { HOME: sb.home, PATH: sb.bin } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'WARNING: claude is not on PATH, so the user MCP server wfs (claude mcp add --scope user) was not added: run `claude mcp add --scope user wfs -- wfs mcp`',
    );
    expect(fs.existsSync(path.join(sb.home, '.claude', 'settings.json'))).toBe(true);
  });
});

/** What `git status` shows (untracked files one by one). */
function gitStatus(sb: Sandbox): string[] {
  const run = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], {
    cwd: sb.root,
    encoding: 'utf8',
  });
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3))
    .sort();
}

const EXCLUDE = (sb: Sandbox) => path.join(sb.root, '.git', 'info', 'exclude');

describe('what an install writes for one person is kept out of git', () => {
  it("lists the personal files and the install's record in a block of .git/info/exclude; a re-install changes nothing; uninstall restores the bytes", async () => {
    const sb = sandbox({ 'README.md': '# p\n' });
    const own = fs.readFileSync(EXCLUDE(sb), 'utf8');
    expect(gitStatus(sb)).toEqual(['README.md']);
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    // .mcp.json is the project's file (Claude Code reads project MCP servers only there).
    expect(gitStatus(sb)).toEqual(['.mcp.json', 'README.md']);
    const installed = fs.readFileSync(EXCLUDE(sb), 'utf8');
    expect(installed).toBe(
      `${own}\n# wfs:begin (written by wfs install; wfs uninstall removes it)\n/.workflow/.install/\n/.claude/settings.local.json\n/CLAUDE.local.md\n# wfs:end\n`,
    );
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(installed);
    // Another agent's personal install adds no personal file (Codex has none): the block stays one.
    expect((await wfsIn(sb, ['install', 'codex'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(installed);
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(
      `${own}\n# wfs:begin (written by wfs install; wfs uninstall removes it)\n/.workflow/.install/\n# wfs:end\n`,
    );
    expect((await wfsIn(sb, ['uninstall', 'codex'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(own);
    expect(gitStatus(sb)).toEqual(['README.md']);
  });

  it('takes the block out byte for byte from an exclude file without a final newline, and a file and folder it made go', async () => {
    const sb = sandbox();
    fs.writeFileSync(EXCLUDE(sb), '*.log');
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toMatch(/^\*\.log\n\n# wfs:begin/);
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe('*.log');

    fs.rmSync(path.join(sb.root, '.git', 'info'), { recursive: true });
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    expect(gitStatus(sb)).toEqual(['.mcp.json']);
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.existsSync(path.join(sb.root, '.git', 'info'))).toBe(false);
  });

  it('keeps one block for every worktree of the repository: it stays while any has a personal install, and the last uninstall restores the bytes', async () => {
    const sb = sandbox({ 'README.md': '# p\n' });
    const git = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
        cwd: sb.root,
        encoding: 'utf8',
      });
    expect(git('add', '.').status).toBe(0);
    expect(git('commit', '-q', '-m', 'init').status).toBe(0);
    const other = `${tempDir('wfs-wt-')}/b`;
    expect(git('worktree', 'add', '-q', other).status).toBe(0);
    const inOther: Sandbox = { ...sb, root: fs.realpathSync(other) };
    // Without a final newline: only the record of the worktree that appended the block knows what
    // went before it, and that worktree is not the last to go.
    fs.writeFileSync(EXCLUDE(sb), '*.log');
    const block = (...lines: string[]) =>
      `*.log\n\n# wfs:begin (written by wfs install; wfs uninstall removes it)\n${lines.join('\n')}\n# wfs:end\n`;
    const claude = ['/.workflow/.install/', '/.claude/settings.local.json', '/CLAUDE.local.md'];

    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(block(...claude));
    // The other worktree's own install adds nothing to the block: the lines are the same there.
    const run = await wfsIn(inOther, ['install', 'claude', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).files).toContainEqual(
      // The shared file is outside this worktree, so it is named by its full path.
      expect.objectContaining({ path: EXCLUDE(sb), action: 'unchanged' }),
    );
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(block(...claude));
    expect(gitStatus(inOther)).toEqual(['.mcp.json']);
    const manifest = fs.readFileSync(
      path.join(inOther.root, '.workflow', '.install', 'manifest.json'),
      'utf8',
    );
    expect((await wfsIn(inOther, ['install', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(path.join(inOther.root, '.workflow', '.install', 'manifest.json'), 'utf8')).toBe(
      manifest,
    );

    // The worktree that wrote the block goes first: the other one's personal files stay out of git.
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(block(...claude));
    expect(gitStatus(inOther)).toEqual(['.mcp.json']);
    expect(gitStatus(sb)).toEqual([]);

    // A Codex install here needs only its record's line; the block keeps what the other worktree needs.
    expect((await wfsIn(sb, ['install', 'codex'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(block(...claude));
    expect((await wfsIn(inOther, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(block('/.workflow/.install/'));
    expect(gitStatus(inOther)).toEqual([]);
    expect((await wfsIn(sb, ['uninstall', 'codex'])).code).toBe(0);
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe('*.log');
    expect(gitStatus(sb)).toEqual([]);
  });

  it('--dry-run shows the block and writes nothing; --user writes none', async () => {
    const sb = sandbox();
    const own = fs.readFileSync(EXCLUDE(sb), 'utf8');
    const dry = JSON.parse((await wfsIn(sb, ['install', 'claude', '--dry-run', '--json'])).stdout);
    expect(dry.files).toContainEqual(
      expect.objectContaining({ path: '.git/info/exclude', action: 'changed', what: ['git exclude block'] }),
    );
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(own);
    const user = JSON.parse((await wfsIn(sb, ['install', 'claude', '--user', '--json'])).stdout);
    expect(user.files.map((f: Json) => f.path)).not.toContain('.git/info/exclude');
    expect(fs.readFileSync(EXCLUDE(sb), 'utf8')).toBe(own);
  });

  it("uninstall removes the .workflow/ the install made when it is left empty, never a person's own", async () => {
    // A file of the person's own: its original is kept beside the record, in a folder made first.
    const sb = sandbox({ 'CLAUDE.local.md': '# mine\n' });
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readdirSync(sb.root).sort()).toEqual(['.git', 'CLAUDE.local.md']);

    fs.mkdirSync(path.join(sb.root, '.workflow'));
    expect((await wfsIn(sb, ['install', 'gemini'])).code).toBe(0);
    expect((await wfsIn(sb, ['uninstall', 'gemini'])).code).toBe(0);
    expect(fs.readdirSync(path.join(sb.root, '.workflow'))).toEqual([]);
  });
});

describe("the user's own files as they come", () => {
  it('edits a settings file that starts with a UTF-8 byte order mark, keeps the mark, and restores its bytes', async () => {
    const own = '\uFEFF{\n  "model": "opus"\n}\n';
    const sb = sandbox({ '.claude/settings.local.json': own });
    const before = snapshot(sb);
    const run = await wfsIn(sb, ['install', 'claude']);
    expect(run.code, run.stderr).toBe(0);
    const text = read(sb, '.claude/settings.local.json');
    expect(text.startsWith('\uFEFF{\n  "model": "opus",')).toBe(true);
    expect(wfsGroups(JSON.parse(text.slice(1)), 'Stop')).toHaveLength(1);
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it("edits the target of the user's linked configuration (a dotfiles repository), file or folder, and keeps the links", async () => {
    const sb = sandbox();
    const dotfiles = path.join(sb.home, 'dotfiles');
    fs.mkdirSync(path.join(dotfiles, 'gemini'), { recursive: true });
    fs.writeFileSync(path.join(dotfiles, 'claude-settings.json'), '{\n  "model": "opus"\n}\n');
    fs.writeFileSync(path.join(dotfiles, 'gemini', 'settings.json'), '{}\n');
    fs.mkdirSync(path.join(sb.home, '.claude'));
    fs.symlinkSync(
      path.join(dotfiles, 'claude-settings.json'),
      path.join(sb.home, '.claude', 'settings.json'),
    );
    fs.symlinkSync(path.join(dotfiles, 'gemini'), path.join(sb.home, '.gemini'));
    const before = snapshot(sb);
    for (const agent of ['claude', 'gemini']) {
      const run = await wfsIn(sb, ['install', agent, '--user']);
      expect(run.code, run.stderr).toBe(0);
    }
    expect(fs.lstatSync(path.join(sb.home, '.claude', 'settings.json')).isSymbolicLink()).toBe(true);
    expect(fs.lstatSync(path.join(sb.home, '.gemini')).isSymbolicLink()).toBe(true);
    const claude = JSON.parse(fs.readFileSync(path.join(dotfiles, 'claude-settings.json'), 'utf8'));
    expect(wfsGroups(claude, 'SessionStart')).toHaveLength(1);
    const gemini = JSON.parse(fs.readFileSync(path.join(dotfiles, 'gemini', 'settings.json'), 'utf8'));
    expect(gemini.mcpServers.wfs).toEqual({ command: 'wfs', args: ['mcp'] });
    expect(fs.existsSync(path.join(dotfiles, 'gemini', 'GEMINI.md'))).toBe(true);
    for (const agent of ['claude', 'gemini'])
      expect((await wfsIn(sb, ['uninstall', agent, '--user'])).code).toBe(0);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
    expect(fs.lstatSync(path.join(sb.home, '.claude', 'settings.json')).isSymbolicLink()).toBe(true);
    expect(fs.lstatSync(path.join(sb.home, '.gemini')).isSymbolicLink()).toBe(true);
  });

  it('gives Claude Code and Codex a block each in one instructions file (CLAUDE.md -> AGENTS.md); either uninstall first, the bytes come back', async () => {
    const orders = [
      [
        ['claude', 'codex'],
        ['claude', 'codex'],
      ],
      [
        ['claude', 'codex'],
        ['codex', 'claude'],
      ],
      [
        ['codex', 'claude'],
        ['claude', 'codex'],
      ],
      [
        ['codex', 'claude'],
        ['codex', 'claude'],
      ],
    ] as const;
    for (const [installs, uninstalls] of orders) {
      // No final newline: only the bytes kept at the first install give the file back exactly.
      const sb = sandbox({ 'AGENTS.md': '# My notes\n\nUse pnpm.' });
      fs.symlinkSync('AGENTS.md', path.join(sb.root, 'CLAUDE.md'));
      const before = snapshot(sb);
      const order = `installs ${installs.join(', ')}; uninstalls ${uninstalls.join(', ')}`;
      const scope = (agent: string) => (agent === 'claude' ? ['--shared'] : []);
      for (const agent of installs) {
        const run = await wfsIn(sb, ['install', agent, ...scope(agent)]);
        expect(run.code, `${order}: ${run.stderr}`).toBe(0);
      }
      // A re-install finds its own block: nothing is written.
      for (const agent of installs) {
        const again = JSON.parse((await wfsIn(sb, ['install', agent, ...scope(agent), '--json'])).stdout);
        expect(
          again.files.filter((f: Json) => f.action !== 'unchanged'),
          order,
        ).toEqual([]);
      }
      const text = read(sb, 'AGENTS.md');
      expect(text.startsWith('# My notes\n\nUse pnpm.\n'), order).toBe(true);
      for (const agent of ['claude', 'codex']) {
        expect(text.split(`<!-- wfs:begin ${agent} `).length - 1, order).toBe(1);
        expect(text.split(`<!-- wfs:end ${agent} -->`).length - 1, order).toBe(1);
      }
      expect(text, order).toContain('## wfs (Claude Code):');
      expect(text, order).toContain('## wfs (Codex):');
      const [first, last] = uninstalls;
      expect((await wfsIn(sb, ['uninstall', first, ...scope(first)])).code, order).toBe(0);
      const left = read(sb, 'AGENTS.md');
      expect(left, order).not.toContain(`<!-- wfs:begin ${first} `);
      expect(left.split(`<!-- wfs:begin ${last} `).length - 1, order).toBe(1);
      expect((await wfsIn(sb, ['uninstall', last, ...scope(last)])).code, order).toBe(0);
      expect(changedFiles(before, snapshot(sb)), order).toEqual([]);
      expect(fs.lstatSync(path.join(sb.root, 'CLAUDE.md')).isSymbolicLink()).toBe(true);
    }
  });

  it('takes over the block of an older wfs, which named no agent, and takes it out again', async () => {
    const old =
      '<!-- wfs:begin (written by wfs install; wfs uninstall removes it) -->\n## wfs\n<!-- wfs:end -->\n';
    const sb = sandbox({ 'CLAUDE.local.md': `# mine\n\n${old}` });
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    const text = read(sb, 'CLAUDE.local.md');
    expect(text).not.toContain('<!-- wfs:begin (');
    expect(text.split('<!-- wfs:begin claude ').length - 1).toBe(1);
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(read(sb, 'CLAUDE.local.md')).toBe('# mine\n');
  });

  it('follows a link of the project that stays in it (CLAUDE.local.md to notes/), refuses one that leaves it and writes nothing', async () => {
    const sb = sandbox({ 'notes/mine.md': '# mine\n' });
    fs.symlinkSync('notes/mine.md', path.join(sb.root, 'CLAUDE.local.md'));
    let run = await wfsIn(sb, ['install', 'claude']);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.lstatSync(path.join(sb.root, 'CLAUDE.local.md')).isSymbolicLink()).toBe(true);
    expect(read(sb, 'notes/mine.md')).toContain('<!-- wfs:begin');
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(read(sb, 'notes/mine.md')).toBe('# mine\n');

    const outside = path.join(sb.home, 'settings.json');
    fs.writeFileSync(outside, '{}\n');
    fs.mkdirSync(path.join(sb.root, '.claude'));
    fs.symlinkSync(outside, path.join(sb.root, '.claude', 'settings.local.json'));
    const before = snapshot(sb);
    run = await wfsIn(sb, ['install', 'claude']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^ERROR: .*settings\.local\.json is a symbolic link to .* outside the project/,
    );
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it("keeps the user's own mcpServers.wfs, identical to wfs's, through an uninstall (the file unchanged since, or changed)", async () => {
    const own = '{\n  "mcpServers": { "wfs": { "command": "wfs", "args": ["mcp"] } }\n}\n';
    for (const changed of [false, true]) {
      const sb = sandbox({ '.gemini/settings.json': own });
      expect((await wfsIn(sb, ['install', 'gemini'])).code).toBe(0);
      const file = path.join(sb.root, '.gemini', 'settings.json');
      if (changed)
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('{\n', '{\n  "theme": "dark",\n'));
      expect((await wfsIn(sb, ['uninstall', 'gemini'])).code).toBe(0);
      expect(fs.readFileSync(file, 'utf8')).toBe(
        changed ? own.replace('{\n', '{\n  "theme": "dark",\n') : own,
      );
    }
  });

  it("keeps the user's own empty event list when the file was changed since the install", async () => {
    const own = '{\n  "model": "opus",\n  "hooks": {\n    "SessionStart": []\n  }\n}\n';
    const sb = sandbox({ '.claude/settings.local.json': own });
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    const file = path.join(sb.root, '.claude', 'settings.local.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"opus"', '"sonnet"'));
    expect((await wfsIn(sb, ['uninstall', 'claude'])).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(own.replace('"opus"', '"sonnet"'));
  });
});

describe('installs of two scopes that share files', () => {
  it('an uninstall of one leaves what the other needs, and the last one restores the bytes', async () => {
    const cases: [string, Record<string, string>][] = [
      // Claude Code's default and --shared installs both put the MCP server in .mcp.json.
      ['claude', { '.mcp.json': USER_MCP }],
      // Codex and Gemini CLI have no personal project files: both scopes write the same files.
      ['codex', { '.codex/config.toml': USER_CODEX_CONFIG, 'AGENTS.md': USER_MEMORY }],
      ['gemini', { '.gemini/settings.json': USER_GEMINI }],
    ];
    for (const [agent, files] of cases) {
      for (const first of ['personal', 'shared'] as const) {
        const sb = sandbox(files);
        const flag = (scope: string) => (scope === 'shared' ? ['--shared'] : []);
        const second = first === 'personal' ? 'shared' : 'personal';
        const before = snapshot(sb);
        expect((await wfsIn(sb, ['install', agent, ...flag(first)])).code).toBe(0);
        expect((await wfsIn(sb, ['install', agent, ...flag(second)])).code).toBe(0);
        const removed = await wfsIn(sb, ['uninstall', agent, ...flag(first)]);
        expect(removed.code, removed.stderr).toBe(0);
        const report = JSON.parse((await wfsIn(sb, ['doctor', '--json'])).stdout);
        expect(
          report.findings.filter((f: Json) => f.check === 'agents' && f.severity === 'problem'),
          `${agent}: ${first} uninstalled, ${second} left`,
        ).toEqual([]);
        expect((await wfsIn(sb, ['uninstall', agent, ...flag(second)])).code).toBe(0);
        expect(changedFiles(before, snapshot(sb)), `${agent} ${first} then ${second}`).toEqual([]);
      }
    }
  });
});

describe('wfs install codex', () => {
  it("appends its own [mcp_servers.wfs] table and hooks next to the user's, says the hooks need trusting, and uninstalls byte for byte", async () => {
    const sb = sandbox({
      '.codex/config.toml': USER_CODEX_CONFIG,
      '.codex/hooks.json': USER_CODEX_HOOKS,
      'AGENTS.md': USER_MEMORY,
    });
    const before = snapshot(sb);
    const run = await wfsIn(sb, ['install', 'codex']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'NOTE: Codex runs hooks only once they are trusted: open /hooks in Codex and trust the wfs hooks.',
    );
    const toml = read(sb, '.codex/config.toml');
    expect(toml).toBe(`${USER_CODEX_CONFIG}\n[mcp_servers.wfs]\ncommand = "wfs"\nargs = ["mcp"]\n`);
    const hooks = JSON.parse(read(sb, '.codex/hooks.json'));
    expect(hooks.hooks.Stop[0].hooks[0].command).toBe('notify-send done');
    expect(wfsGroups(hooks, 'Stop')).toHaveLength(1);
    expect(wfsGroups(hooks, 'PreToolUse')[0].matcher).toBe('apply_patch');
    expect(read(sb, 'AGENTS.md').startsWith(USER_MEMORY)).toBe(true);
    const afterInstall = snapshot(sb);
    expect((await wfsIn(sb, ['install', 'codex'])).code).toBe(0);
    expect(changedFiles(afterInstall, snapshot(sb))).toEqual([]);
    expect((await wfsIn(sb, ['uninstall', 'codex'])).code).toBe(0);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it('refuses a TOML file that does not parse, with its line and column', async () => {
    const sb = sandbox({ '.codex/config.toml': 'model = "x"\n[mcp_servers\ncommand = 1\n' });
    const before = snapshot(sb);
    const run = await wfsIn(sb, ['install', 'codex']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/config\.toml does not parse \(.* at line \d+, column \d+\)/);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });

  it('refuses a config.toml where a [mcp_servers.wfs] table cannot go (an inline mcp_servers, an array of tables), and writes nothing', async () => {
    // Appending [mcp_servers.wfs] after an inline table would make a file Codex cannot read.
    for (const config of [
      'mcp_servers = { github = { command = "gh-mcp" } }\n',
      '[[mcp_servers]]\ncommand = "gh-mcp"\n',
    ]) {
      const sb = sandbox({ '.codex/config.toml': config });
      const before = snapshot(sb);
      const run = await wfsIn(sb, ['install', 'codex']);
      expect(run.code, config).toBe(2);
      expect(run.stderr).toMatch(
        /^ERROR: .*config\.toml: a \[mcp_servers\.wfs\] table cannot be added to it \((Cannot extend inline table|mcp_servers is not a table).*\); it was left as it is: add the wfs server there by hand \(command "wfs", args \["mcp"\]\)/,
      );
      expect(changedFiles(before, snapshot(sb))).toEqual([]);
    }
  });

  it("leaves a user's own [mcp_servers.wfs] as it is, and says so", async () => {
    const own = '[mcp_servers.wfs]\ncommand = "/opt/wfs/bin/wfs"\nargs = ["mcp"]\n';
    const sb = sandbox({ '.codex/config.toml': own });
    const run = await wfsIn(sb, ['install', 'codex']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('already has a [mcp_servers.wfs] of its own: left as it is');
    expect(read(sb, '.codex/config.toml')).toBe(own);
  });
});

describe('wfs install gemini', () => {
  it("adds named hooks with timeouts in milliseconds and mcpServers.wfs next to the user's own", async () => {
    const sb = sandbox({ '.gemini/settings.json': USER_GEMINI, 'GEMINI.md': USER_MEMORY });
    const before = snapshot(sb);
    expect((await wfsIn(sb, ['install', 'gemini'])).code).toBe(0);
    const settings = JSON.parse(read(sb, '.gemini/settings.json'));
    expect(Object.keys(settings.mcpServers)).toEqual(['search', 'wfs']);
    expect(settings.hooks.BeforeTool[0].hooks[0].name).toBe('mine');
    for (const event of [
      'SessionStart',
      'BeforeAgent',
      'BeforeTool',
      'AfterTool',
      'AfterAgent',
      'PreCompress',
      'SessionEnd',
    ]) {
      const [group] = wfsGroups(settings, event);
      expect(group, event).toBeDefined();
      expect(group.hooks[0]).toMatchObject({ name: `wfs-${event}`, type: 'command', timeout: 10_000 });
    }
    expect(wfsGroups(settings, 'AfterTool')[0].matcher).toBe('write_todos|replace|write_file');
    expect((await wfsIn(sb, ['uninstall', 'gemini'])).code).toBe(0);
    expect(changedFiles(before, snapshot(sb))).toEqual([]);
  });
});

describe('wfs doctor and the installation', () => {
  it('finds nothing wrong after an install, reports duplicated hooks and repairs them with --fix, and a missing wfs on PATH', async () => {
    const sb = sandbox();
    expect((await cli(sb.root, ['session', 'start', '--new', 'doctor'], { env: sb.env })).code).toBe(0);
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    let report = JSON.parse((await wfsIn(sb, ['doctor', '--json'])).stdout);
    expect(report.findings.filter((f: Json) => f.check === 'agents' && f.severity === 'problem')).toEqual([]);

    const file = path.join(sb.root, '.claude', 'settings.local.json');
    const settings = JSON.parse(fs.readFileSync(file, 'utf8'));
    settings.hooks.Stop.push(settings.hooks.Stop[0]);
    fs.writeFileSync(file, JSON.stringify(settings, null, 2));
    report = JSON.parse((await wfsIn(sb, ['doctor', '--json'])).stdout);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        check: 'agents',
        severity: 'problem',
        message: expect.stringContaining('2 wfs hooks for Stop'),
      }),
    );
    const fixed = JSON.parse((await wfsIn(sb, ['doctor', '--fix', '--json'])).stdout);
    expect(fixed.findings).toContainEqual(
      expect.objectContaining({ check: 'agents', fixed: 'kept the first, removed the others' }),
    );
    expect(wfsGroups(JSON.parse(fs.readFileSync(file, 'utf8')), 'Stop')).toHaveLength(1);

    const noWfs = await cli(sb.root, ['doctor', '--json'], { env: { HOME: sb.home, PATH: '/usr/bin:/bin' } });
    expect(JSON.parse(noWfs.stdout).findings).toContainEqual(
      expect.objectContaining({ check: 'agents', message: expect.stringContaining('which is not on PATH') }),
    );
  });

  it('reports wfs hooks installed both for the user and for the project (each event would run wfs twice), with how to keep one', async () => {
    for (const agent of ['codex', 'gemini', 'claude'] as const) {
      const sb = sandbox();
      fs.writeFileSync(path.join(sb.bin, 'claude'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      expect((await wfsIn(sb, ['install', agent])).code).toBe(0);
      let report = JSON.parse((await wfsIn(sb, ['doctor', '--json'])).stdout);
      expect(report.findings.filter((f: Json) => f.check === 'agents' && f.severity === 'problem')).toEqual(
        [],
      );
      expect((await wfsIn(sb, ['install', agent, '--user'])).code).toBe(0);
      const run = await wfsIn(sb, ['doctor', '--json']);
      expect(run.code).toBe(1);
      report = JSON.parse(run.stdout);
      expect(
        // (the stand-in claude adds no user MCP server: that is a problem of its own, left out here)
        report.findings.filter(
          (f: Json) => f.check === 'agents' && f.severity === 'problem' && !f.message.includes('MCP server'),
        ),
        agent,
      ).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            new RegExp(
              `^${agent}: wfs hooks are installed in .* \\(user\\) and in .* \\(project\\): the events both have run wfs twice`,
            ),
          ),
          manual: `keep one: wfs uninstall ${agent} --user, or wfs uninstall ${agent}`,
        }),
      ]);
    }
  });

  it('says when mcpServers is in Claude Code settings, where it is ignored', async () => {
    const sb = sandbox({
      '.claude/settings.json': '{"mcpServers": {"wfs": {"command": "wfs", "args": ["mcp"]}}}\n',
    });
    expect((await wfsIn(sb, ['install', 'claude'])).code).toBe(0);
    const report = JSON.parse((await wfsIn(sb, ['doctor', '--json'])).stdout);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        check: 'agents',
        message: expect.stringContaining('which Claude Code ignores there'),
      }),
    );
  });
});
