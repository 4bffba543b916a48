import { spawn } from 'node:child_process';

/** What opening the browser did, in words for the person who started the dashboard. */
export interface Opened {
  opened: boolean;
  how: string;
}

/** The program that opens a URL in the user's browser, or why there is none to use. */
function opener(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): { command: string; args: string[] } | string {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  // Without a display (a server, an SSH session) a browser would open nowhere, or in a terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no display ($DISPLAY and $WAYLAND_DISPLAY are not set)';
  return { command: 'xdg-open', args: [] };
}

/** Opens `url` in the browser, without waiting for it; says what it did or why it did not. */
export function openBrowser(
  url: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<Opened> {
  const found = opener(env, platform);
  if (typeof found === 'string') return Promise.resolve({ opened: false, how: `not opened: ${found}` });
  return new Promise((resolve) => {
    const child = spawn(found.command, [...found.args, url], { detached: true, stdio: 'ignore', env });
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true, how: `opened with ${found.command}` });
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        opened: false,
        how:
          error.code === 'ENOENT'
            ? `not opened: ${found.command} is not installed`
            : `not opened: ${found.command} failed (${error.message})`,
      }),
    );
  });
}
