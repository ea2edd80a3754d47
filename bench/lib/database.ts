import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { MongoClient, type Db } from 'mongodb';

/** A fresh PostgreSQL database and a Mongo database of the same name, for one benchmark run. */
export interface BenchDatabases {
  readonly name: string;
  /** The PostgreSQL URL of the new database. */
  readonly url: string;
  readonly pool: Pool;
  readonly mongo: Db;
  /** Drops both databases and closes the clients. */
  drop(): Promise<void>;
}

export async function createBenchDatabases(
  pgUrl: string,
  mongoUrl: string,
  prefix: string,
): Promise<BenchDatabases> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(pgUrl);
  u.pathname = `/${name}`;
  const pool = new Pool({ connectionString: u.toString(), max: 12 });
  // pool.end() resolves before the sockets close; DROP DATABASE … WITH (FORCE) then terminates
  // those backends, which surfaces as an error on an idle client. Expected, so not fatal.
  pool.on('error', () => undefined);
  const client = new MongoClient(mongoUrl);
  await client.connect();
  return {
    name,
    url: u.toString(),
    pool,
    mongo: client.db(name),
    drop: async () => {
      await client
        .db(name)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
      await pool.end();
      const drop = new Client({ connectionString: pgUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await drop.end();
    },
  };
}
