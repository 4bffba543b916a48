import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { type ProjectContext, WfsError } from '../index.js';
import { dashboardApp } from './app.js';
import { DashboardHub } from './hub.js';

export interface DashboardOptions {
  /** Default: a free port chosen by the system. */
  port?: number;
  /** Default 127.0.0.1: only this machine. */
  host?: string;
}

export interface Dashboard {
  /** The address to open, with the token. */
  url: string;
  host: string;
  port: number;
  token: string;
  /** Whether the host is reachable from other machines (anything but loopback). */
  exposed: boolean;
  hub: DashboardHub;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      server.off('listening', listening);
      const shown = host.includes(':') ? `[${host}]` : host;
      const where = port === 0 ? shown : `${shown}:${port}`;
      if (error.code === 'EADDRINUSE')
        reject(
          new WfsError(
            'E_IO',
            `Port ${port} on ${host} is in use (another dashboard, or another program): choose another with --port, or leave --port out for a free one`,
          ),
        );
      else if (error.code === 'EACCES')
        reject(
          new WfsError(
            'E_IO',
            `Not allowed to listen on ${where} (ports below 1024 need privileges): choose another --port`,
          ),
        );
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
        reject(
          new WfsError(
            'E_INVALID_INPUT',
            `Cannot listen on ${where}: ${host} is not an address of this machine`,
          ),
        );
      else reject(new WfsError('E_IO', `Cannot listen on ${where}: ${error.message}`, { cause: error }));
    };
    const listening = () => {
      server.off('error', failed);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(port, host);
  });
}

/**
 * Starts the dashboard of a project: reads what it shows, starts watching, and serves it on
 * `host:port` (127.0.0.1 and a free port by default). The URL carries a new random token: without
 * it every request is refused. `close()` ends the open pages' streams and the server.
 */
export async function startDashboard(
  ctx: ProjectContext,
  options: DashboardOptions = {},
): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = randomBytes(24).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const hub = new DashboardHub(ctx);
  await hub.start();
  // The routes need the port (the cookie is named after it) and no request arrives before listening.
  let routes: Hono | undefined;
  const server = createAdaptorServer({
    fetch: (request, env) => routes!.fetch(request, env),
    // Node's own Request and Response: this may run inside someone else's program (the library).
    overrideGlobalObjects: false,
  }) as Server;
  let address: AddressInfo;
  try {
    address = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await hub.close();
    throw error;
  }
  const port = address.port;
  routes = dashboardApp(hub, { token, csrf, cookie: `wfs_dashboard_${port}` });
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    host,
    port,
    token,
    exposed: !LOOPBACK.test(host),
    hub,
    async close() {
      await hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams and idle keep-alive connections would hold close() forever.
        server.closeAllConnections();
      });
    },
  };
}
