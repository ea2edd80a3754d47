/**
 * The embedded MongoDB-compatible server in a child process, so that a benchmark's peak RSS is its
 * own (the in-memory document store would otherwise count against it). Run as a child with
 * `--mongo-server`; the parent talks to it over IPC.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startEmbeddedMongo } from '../../src/embedded/mongo';

/** VmHWM (the kernel's peak RSS) of this process, in bytes; 0 where /proc is unavailable. */
export function readPeakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface MongoServer {
  url: string;
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

export function startMongoChild(): Promise<MongoServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(__filename, ['--mongo-server'], { execArgv: process.execArgv });
    child.once('error', reject);
    child.once('message', (msg) => {
      const url = (msg as { url: string }).url;
      resolve({
        url,
        peakRss: () =>
          new Promise((res) => {
            child.once('message', (m) => res((m as { peakRssBytes: number }).peakRssBytes));
            child.send('peak');
          }),
        stop: () =>
          new Promise((res) => {
            child.once('exit', () => res());
            child.send('stop');
          }),
      });
    });
  });
}

async function serveMongo(): Promise<void> {
  const server = await startEmbeddedMongo({ port: 0 });
  process.send?.({ url: server.url });
  process.on('message', (msg: unknown) => {
    if (msg === 'peak') process.send?.({ peakRssBytes: readPeakRss() });
    if (msg === 'stop') void server.close().then(() => process.exit(0));
  });
  // The parent gone (killed, crashed): nothing left to serve.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--mongo-server')) void serveMongo();
