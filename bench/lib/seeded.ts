/**
 * A bench database seeded by the demo generator, with the hub's connectors and store opened on it.
 * The generator runs in a child process: the memory it takes for millions of generated rows is then
 * not counted in the RSS the benchmark samples for the hub's own work.
 */
import { fork } from 'node:child_process';
import { MongoClient, type Db } from 'mongodb';
import { Pool } from 'pg';
import type { ZhiwangConfig } from '../../src/config/configSchema';
import { loadConfig, type LoadedConfig } from '../../src/config/loadConfig';
import { closeConnectors, createConnectors, openConnectors } from '../../src/connectors/createConnectors';
import type { Connectors } from '../../src/connectors/createConnectors';
import { seedDepartments, type SeedOptions } from '../../src/seed';
import { HubStore } from '../../src/store/HubStore';
import { migrateHubStore } from '../../src/store/migrate';
import { createBenchDatabases } from './database';

const log = (m: string): boolean => process.stderr.write(`${m}\n`);

/** A seeded database with the hub's connectors and store opened on it. */
export interface Seeded {
  readonly loaded: LoadedConfig;
  readonly connectors: Connectors;
  readonly store: HubStore;
  /** The PostgreSQL database every department and the hub store live in. */
  readonly url: string;
  readonly mongo: Db;
}

export async function withSeeded<T>(
  pgUrl: string,
  mongoUrl: string,
  prefix: string,
  options: SeedOptions,
  work: (s: Seeded) => Promise<T>,
): Promise<T> {
  const db = await createBenchDatabases(pgUrl, mongoUrl, prefix);
  const { url, pool } = db;
  const loaded = loadConfig(undefined, {});
  const c: ZhiwangConfig = structuredClone(loaded.config);
  c.embedded.enabled = false;
  c.departments.market.database = db.name;
  const config: LoadedConfig = { ...loaded, config: c };
  const connectors = createConnectors(config, {
    police: url,
    housing: url,
    civil: url,
    market: mongoUrl,
  });
  const store = new HubStore(url, c.store.schema);
  try {
    await migrateHubStore(pool, c.store.schema);
    const t0 = Date.now();
    await seedInChild({ url, mongoUrl, database: db.name, config: c, options });
    log(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s (in a child process)`);
    // A long-lived department database has its statistics and visibility map; a freshly bulk-loaded
    // one would have autovacuum catching up in the middle of the timed passes.
    await pool.query('VACUUM ANALYZE');
    const down = await openConnectors(connectors);
    if (down.size > 0) throw new Error(`departments down: ${[...down.keys()].join(', ')}`);
    return await work({ loaded: config, connectors, store, url, mongo: db.mongo });
  } finally {
    await closeConnectors(connectors).catch(() => undefined);
    await store.close().catch(() => undefined);
    await db.drop();
  }
}

/** Peak RSS sampled every 100 ms while `work` runs. */
export async function sampled<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakRss: number; ms: number }> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const t0 = process.hrtime.bigint();
  try {
    const result = await work();
    return { result, peakRss, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

interface SeedJob {
  readonly url: string;
  readonly mongoUrl: string;
  readonly database: string;
  readonly config: ZhiwangConfig;
  readonly options: SeedOptions;
}

function seedInChild(job: SeedJob): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--seed-child'], { execArgv: process.execArgv });
    child.once('error', reject);
    child.once('message', (m) => {
      const error = (m as { error?: string }).error;
      if (error) reject(new Error(`seeding failed: ${error}`));
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seeding exited with ${code}`))));
    child.send(job);
  });
}

async function seedChild(job: SeedJob): Promise<void> {
  const pool = new Pool({ connectionString: job.url, max: 12 });
  const mongo = new MongoClient(job.mongoUrl);
  try {
    await mongo.connect();
    const c = job.config;
    await seedDepartments(
      {
        police: { pool, schema: c.departments.police.schema },
        housing: { pool, schema: c.departments.housing.schema },
        civil: { pool, schema: c.departments.civil.schema },
        hub: { pool, schema: c.store.schema },
        market: mongo.db(job.database),
      },
      job.options,
    );
  } finally {
    await mongo.close();
    await pool.end();
  }
}

if (process.argv.includes('--seed-child')) {
  process.once('message', (job) => {
    seedChild(job as SeedJob).then(
      () => process.exit(0),
      (err: unknown) => {
        process.send?.({ error: (err as Error).message }, () => process.exit(1));
      },
    );
  });
}
