import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedPgOptions {
  /** Directory for the database files; `memory://` keeps everything in memory. */
  readonly dataDir: string;
  /** Port, 0 for a free one. */
  readonly port: number;
  readonly log?: (line: string) => void;
}

export interface EmbeddedPg {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/**
 * Starts PGlite behind a PostgreSQL wire-protocol socket (pgliteServerProcess.js) in a child process,
 * so that the `pg` driver talks to it exactly as to a real server, and its single-threaded WASM engine
 * never blocks the hub's event loop. PGlite serves one database; departments and the hub store each
 * get a schema in it.
 */
export async function startEmbeddedPg(options: EmbeddedPgOptions): Promise<EmbeddedPg> {
  const port = options.port === 0 ? await freePort() : options.port;
  if (await canConnect(port)) {
    throw new Error(`port ${port} is already in use; stop the other process or set embedded.pgPort`);
  }
  const db = options.dataDir === 'memory://' ? 'memory://' : resolve(options.dataDir);
  if (db !== 'memory://') mkdirSync(dirname(db), { recursive: true });
  const script = join(__dirname, 'pgliteServerProcess.js');
  const child: ChildProcess = spawn(process.execPath, [script, db, String(port), '127.0.0.1'], {
    // The IPC channel closes when this process dies, however it dies; the server exits with it, so it
    // never outlives the hub holding its port and data directory.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
    options.log?.(chunk.toString().trimEnd());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + 120_000;
  while (!(await canConnect(port))) {
    if (exited !== null) throw new Error(`embedded Postgres exited with code ${exited}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`embedded Postgres did not start within 120 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    pid: child.pid!,
    close: () =>
      new Promise<void>((res) => {
        if (exited !== null) return res();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          res();
        });
        child.kill('SIGTERM');
      }),
  };
}
