import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startEmbeddedMongo } from '../../src/embedded/mongo';

export const STORES = ['police', 'housing', 'civil', 'hub'] as const;
export type StoreName = (typeof STORES)[number];

/** Where a suite's Postgres data lives: a URL and schema per department and for the hub store. */
export interface PgPlacement {
  readonly label: string;
  readonly urls: Record<StoreName, string>;
  readonly schemas: Record<StoreName, string>;
  drop(): Promise<void>;
}

export interface PgTarget {
  readonly label: 'embedded' | 'real';
  create(): Promise<PgPlacement>;
}

const suffix = (): string => randomBytes(4).toString('hex');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Real server: four fresh databases per suite, dropped afterwards. */
function realTarget(adminUrl: string): PgTarget {
  return {
    label: 'real',
    async create() {
      const tag = `zw_test_${suffix()}`;
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      const names = Object.fromEntries(STORES.map((s) => [s, `${tag}_${s}`])) as Record<StoreName, string>;
      try {
        for (const s of STORES) await admin.query(`CREATE DATABASE "${names[s]}"`);
      } finally {
        await admin.end();
      }
      return {
        label: 'real',
        urls: Object.fromEntries(STORES.map((s) => [s, withDatabase(adminUrl, names[s])])) as Record<
          StoreName,
          string
        >,
        schemas: Object.fromEntries(STORES.map((s) => [s, s])) as Record<StoreName, string>,
        async drop() {
          const c = new Client({ connectionString: adminUrl });
          await c.connect();
          try {
            for (const s of STORES) await c.query(`DROP DATABASE IF EXISTS "${names[s]}" WITH (FORCE)`);
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}

/** Embedded: PGlite serves one database, so each suite gets its own schemas in it. */
function embeddedTarget(url: string): PgTarget {
  return {
    label: 'embedded',
    async create() {
      const tag = `t_${suffix()}`;
      const schemas = Object.fromEntries(STORES.map((s) => [s, `${tag}_${s}`])) as Record<StoreName, string>;
      return {
        label: 'embedded',
        urls: Object.fromEntries(STORES.map((s) => [s, url])) as Record<StoreName, string>,
        schemas,
        async drop() {
          const c = new Client({ connectionString: url });
          await c.connect();
          try {
            for (const s of STORES) await c.query(`DROP SCHEMA IF EXISTS "${schemas[s]}" CASCADE`);
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}

/**
 * Embedded always; the real server too when ZHIWANG_TEST_PG_URL is set. ZHIWANG_TEST_TARGETS=real
 * (or embedded) keeps one of them, for a quicker look while working on a suite.
 */
export function pgTargets(): PgTarget[] {
  const targets: PgTarget[] = [];
  const only = process.env.ZHIWANG_TEST_TARGETS;
  const embedded = only === 'real' ? undefined : process.env.ZHIWANG_EMBEDDED_PG_URL;
  if (embedded) targets.push(embeddedTarget(embedded));
  const real = only === 'embedded' ? undefined : process.env.ZHIWANG_TEST_PG_URL;
  if (real) targets.push(realTarget(real));
  if (targets.length === 0)
    throw new Error('no Postgres for tests: the global setup should have started one');
  return targets;
}

export interface MongoPlacement {
  readonly url: string;
  readonly database: string;
  close(): Promise<void>;
}

/** The embedded MongoDB-compatible server, or a real one when ZHIWANG_TEST_MONGO_URL is set. */
export async function createMongo(): Promise<MongoPlacement> {
  const database = `zw_test_${suffix()}`;
  const real = process.env.ZHIWANG_TEST_MONGO_URL;
  if (real) return { url: real, database, close: async () => undefined };
  const server = await startEmbeddedMongo({ port: 0 });
  return { url: server.url, database, close: () => server.close() };
}
