import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { stringify as toYaml } from 'yaml';
import type { ApolloServer } from '@apollo/server';
import { parseTtl } from '../../src/auth/setup';
import { buildSchema } from '../../src/graphql/schema';
import { createApolloServer } from '../../src/graphql/server';
import { seedDemo, startHub, startServices, type Logger, type RunningHub } from '../../src/app';
import type { ZhiwangConfig } from '../../src/config/configSchema';
import { loadConfig, type LoadedConfig } from '../../src/config/loadConfig';
import { createContext, type RequestContext } from '../../src/graphql/context';
import type { SeedReport, SeedScale } from '../../src/seed';
import { HubStore } from '../../src/store/HubStore';
import { migrateHubStore } from '../../src/store/migrate';
import { createMongo, type MongoPlacement, type PgPlacement, type PgTarget } from './databases';

/** The reference "today" of generated data, so that "active" and "current" are stable in tests. */
export const TEST_TODAY = '2026-11-01';

/** The HS256 demo secret the test config enables (tests mint tokens as `zhiwang token` does). */
export const TEST_DEMO_SECRET = 'zhiwang-test-demo-signing-secret-0123456789';

export const quietLogger: Logger = {
  info: () => undefined,
  error: (m, err) => {
    if (process.env.ZHIWANG_TEST_VERBOSE) console.error(m, err);
  },
};

/** The shipped config with every URL and schema pointed at a suite's own databases. */
export function testConfig(
  pg: PgPlacement,
  mongo: MongoPlacement,
  patch?: (c: ZhiwangConfig) => void,
): LoadedConfig {
  const loaded = loadConfig(undefined, {});
  const c: ZhiwangConfig = structuredClone(loaded.config);
  c.embedded.enabled = false;
  c.store.url = pg.urls.hub;
  c.store.schema = pg.schemas.hub;
  for (const d of ['police', 'housing', 'civil'] as const) {
    c.departments[d].url = pg.urls[d];
    c.departments[d].schema = pg.schemas[d];
    c.departments[d].timeoutMs = 30_000;
  }
  c.departments.market.url = mongo.url;
  c.departments.market.database = mongo.database;
  c.auth.demoSigning = { enabled: true, secret: TEST_DEMO_SECRET };
  patch?.(c);
  return { ...loaded, config: c };
}

export interface TestHub {
  readonly running: RunningHub;
  readonly loaded: LoadedConfig;
  readonly pg: PgPlacement;
  readonly mongo: MongoPlacement;
  readonly seed: SeedReport;
  /**
   * The schema WITHOUT the permission layer, for tests of what the hub answers (merging, paging,
   * resolution). Permission tests use `guarded`, the server the hub really runs.
   */
  readonly apollo: ApolloServer<RequestContext>;
  /** The hub's own server: every field read through the policy. */
  readonly guarded: ApolloServer<RequestContext>;
  context(options?: { provenance?: boolean }): RequestContext;
  /** A demo token for a role of the shipped policy. */
  token(role: string, options?: { jurisdiction?: string[]; purposes?: string[]; ttl?: string }): string;
  /** The context the server makes from these request headers (throws as the server would refuse). */
  contextFor(headers: Record<string, string>): RequestContext;
  close(): Promise<void>;
}

/** Seeds the test scale (or the one asked for) into fresh databases, starts the hub in-process (no port) and builds the crosswalk. */
export async function createTestHub(
  target: PgTarget,
  options: { seed?: number; scale?: SeedScale } = {},
): Promise<TestHub> {
  const pg = await target.create();
  const mongo = await createMongo();
  try {
    const loaded = testConfig(pg, mongo);
    const services = await startServices(loaded, quietLogger);
    const store = new HubStore(services.storeUrl, loaded.config.store.schema);
    await migrateHubStore(store.pool, loaded.config.store.schema);
    const seed = await seedDemo(loaded, services, store, {
      seed: options.seed ?? 7,
      scale: options.scale ?? 'test',
    });
    await store.close();
    const running = await startHub(loaded, quietLogger, { listen: false, today: () => TEST_TODAY });
    const open = createApolloServer({
      logger: quietLogger,
      introspection: true,
      schema: buildSchema({ permissions: false }),
    });
    await open.start();
    const { auth } = running;
    return {
      running,
      loaded,
      pg,
      mongo,
      seed,
      apollo: open,
      guarded: running.apollo,
      context: (o) => createContext(running.hub, { provenance: o?.provenance ?? true }),
      token: (role, o = {}) => {
        const policy = auth.policy.roles.get(role);
        if (!policy) throw new Error(`no role ${role} in the policy`);
        return auth.demo!.sign({
          role: policy,
          jurisdiction: o.jurisdiction ?? [],
          purposes: o.purposes,
          ttlSec: parseTtl(o.ttl ?? '1h'),
        });
      },
      contextFor: (headers) => {
        const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        return createContext(running.hub, { provenance: true, access: auth.access.authenticate(h) });
      },
      close: async () => {
        await open.stop();
        await running.close();
        await dropMongo(mongo);
        await mongo.close();
        await pg.drop();
      },
    };
  } catch (err) {
    await mongo.close().catch(() => undefined);
    await pg.drop().catch(() => undefined);
    throw err;
  }
}

async function dropMongo(mongo: MongoPlacement): Promise<void> {
  const client = new MongoClient(mongo.url, { serverMonitoringMode: 'poll' });
  try {
    await client.connect();
    await client.db(mongo.database).dropDatabase();
  } finally {
    await client.close();
  }
}

const ROOT = join(__dirname, '..', '..');

/**
 * The suite's config as a file the CLI or a child process can read: its databases, the shipped
 * mappings and policy by absolute path; `patch` may change anything (plain objects, as in YAML).
 */
export function cliConfigFile(
  pg: PgPlacement,
  mongo: MongoPlacement,
  patch?: (c: Record<string, any>, dir: string) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
): string {
  const c = structuredClone(testConfig(pg, mongo).config) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const d of ['police', 'housing', 'civil', 'market'])
    c.departments[d].mapping = join(ROOT, 'config/mappings', `${d}.yaml`);
  c.auth.policy = join(ROOT, 'config/policy.yaml');
  c.jobs = join(ROOT, 'config/jobs.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'zw-cli-'));
  patch?.(c, dir);
  const file = join(dir, 'zhiwang.yaml');
  writeFileSync(file, toYaml(c));
  return file;
}
