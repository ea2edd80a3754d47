import { CursorRegistry } from './cursors';
import { Persistence } from './persistence';
import { WireServer } from './server';
import { Store } from './store';

export interface EmbeddedMongoOptions {
  /** Port to listen on; 0 picks a free port. */
  port?: number;
  /** Host to bind to, default 127.0.0.1. */
  host?: string;
  /** Directory for persistence; when absent the data is in memory only. */
  dataDir?: string;
  /** Receives connection and persistence problems (the server itself never logs to the console). */
  log?: (msg: string) => void;
}

export interface EmbeddedMongo {
  /** A connection string the official driver works with unchanged. */
  readonly url: string;
  readonly port: number;
  /** Flushes to disk, then stops listening and destroys sockets. */
  close(): Promise<void>;
}

/**
 * Starts a MongoDB-wire-compatible server for development and tests: enough of the protocol and
 * command set for the official driver's CRUD, cursors, aggregation and index use. Not a database:
 * no transactions, replication, auth or change streams.
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const persistence = options.dataDir ? new Persistence(options.dataDir, log) : undefined;
  await persistence?.load();
  const store = persistence?.store ?? new Store();
  const cursors = new CursorRegistry();
  const server = new WireServer({ store, cursors }, log);
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, host);
  } catch (err) {
    cursors.close();
    await persistence?.close();
    throw err;
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    // A failure here is retried by the final flush below, which reports it.
    await persistence?.flush().catch(() => undefined);
    await server.close();
    cursors.close();
    // Writes that arrived while the first flush ran are saved now.
    await persistence?.close();
  };
  return {
    // directConnection: talk to this one server as a standalone; poll: plain periodic hellos, no streaming.
    url: `mongodb://${urlHost}:${port}/?directConnection=true&serverMonitoringMode=poll`,
    port,
    close: () => (closing ??= close()),
  };
}
