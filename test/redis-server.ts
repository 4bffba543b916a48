import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { tempDir } from './helpers.js';

/** A redis-server of the tests' own, on a free loopback port, which they can stop and restart. */
export interface TestRedis {
  url: string;
  port: number;
  /** With TLS: the certificate of the authority that signed the server's (for NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** With TLS: a client certificate and its key, signed by that authority. */
  clientCertFile?: string;
  clientKeyFile?: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the process (SIGSTOP) without closing its connections: it answers nothing until `thaw`. */
  freeze(): void;
  thaw(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Whether the server answers (with a password set it answers PING with NOAUTH: alive too). Over
 * TLS with the client certificate, which a server that requires one accepts.
 */
function ping(port: number, certificates?: Certificates): Promise<boolean> {
  return new Promise((resolve) => {
    const ca = certificates?.ca;
    const socket = certificates
      ? tls.connect({
          port,
          host: '127.0.0.1',
          ca: fs.readFileSync(certificates.ca),
          cert: fs.readFileSync(certificates.clientCert),
          key: fs.readFileSync(certificates.clientKey),
        })
      : net.connect(port, '127.0.0.1');
    socket.setTimeout(200);
    socket.on(ca ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
      socket.destroy();
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      resolve(false);
      socket.destroy();
    });
  });
}

interface Certificates {
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

/**
 * A private certificate authority, a server certificate for 127.0.0.1 and a client certificate,
 * made with openssl.
 */
function makeCertificates(): Certificates {
  if (spawnSync('openssl', ['version']).error)
    throw new Error(
      'openssl is not installed: the TLS tests make their own certificates (apt-get install openssl)',
    );
  // Removed with the test file's other folders (kept across a stop and restart of the server).
  const dir = tempDir('wfs-tls-');
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => {
    const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
  };
  fs.writeFileSync(file('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=wfs test CA',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
    '-subj',
    '/CN=wfs test client',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
  );
  return {
    ca: file('ca.pem'),
    cert: file('server.pem'),
    key: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

/**
 * Starts a redis-server; `tls` serves TLS only (rediss://), `password` requires AUTH,
 * `clientCertificates` (with `tls`) refuses the handshake of a client without a certificate, and
 * `args` are passed on (`['--maxmemory-policy', 'allkeys-lru']`).
 */
export async function startRedis(
  options: { tls?: boolean; password?: string; clientCertificates?: boolean; args?: string[] } = {},
): Promise<TestRedis> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not installed: these tests start their own (apt-get install redis-server)',
    );
  }
  const certificates = options.tls ? makeCertificates() : undefined;
  const port = await freePort();
  const serve = certificates
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        certificates.cert,
        '--tls-key-file',
        certificates.key,
        '--tls-ca-cert-file',
        certificates.ca,
        '--tls-auth-clients',
        options.clientCertificates ? 'yes' : 'no',
      ]
    : ['--port', String(port)];
  const auth = options.password ? ['--requirepass', options.password] : [];
  let child: ChildProcess | undefined;
  const start = async () => {
    // Keeps nothing on disk, like the service on our machines: a restart loses everything.
    child = spawn(
      'redis-server',
      [
        ...serve,
        ...auth,
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        '/tmp',
        ...(options.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      if (await ping(port, certificates)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const stop = async () => {
    if (child === undefined) return;
    const exited = new Promise((resolve) => child!.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;
  };
  const signal = (name: NodeJS.Signals) => {
    if (child === undefined) throw new Error('redis-server is not running');
    child.kill(name);
  };
  await start();
  const password = options.password ? `:${options.password}@` : '';
  return {
    url: `${certificates ? 'rediss' : 'redis'}://${password}127.0.0.1:${port}`,
    port,
    stop,
    start,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    ...(certificates
      ? {
          caFile: certificates.ca,
          clientCertFile: certificates.clientCert,
          clientKeyFile: certificates.clientKey,
        }
      : {}),
  };
}
