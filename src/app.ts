import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { MongoClient } from 'mongodb';
import { Client, Pool } from 'pg';
import type { LoadedConfig } from './config/loadConfig';
import { ConfigError } from './errors';
import { PG_DEPARTMENTS, type Department } from './config/types';
import {
  closeConnectors,
  createConnectors,
  openConnectors,
  type Connectors,
} from './connectors/createConnectors';
import { startEmbeddedMongo, type EmbeddedMongo } from './embedded/mongo';
import { startEmbeddedPg, type EmbeddedPg } from './embedded/pg';
import { GraphQLError } from 'graphql';
import { AuditWriter } from './audit/AuditWriter';
import { loadJobs } from './reconcile/jobsConfig';
import { startWorker } from './reconcile/worker';
import { startAuditJobs } from './audit/jobs';
import { auditPlugin, auditRefusal } from './audit/plugin';
import { actionEntry } from './audit/record';
import type { Principal } from './auth/principal';
import { loadAuth, policyDigest, type AuthSetup } from './auth/setup';
import { createContext, type RequestContext } from './graphql/context';
import { shanghaiToday, type Hub } from './graphql/Hub';
import { buildSchema } from './graphql/schema';
import { createApolloServer } from './graphql/server';
import { buildCrosswalk, type CrosswalkBuildReport } from './resolution/buildCrosswalk';
import { AddressBaseCache } from './services/addressBase';
import { seedDepartments, type SeedOptions, type SeedReport } from './seed';
import { HubStore } from './store/HubStore';
import { migrateHubStore } from './store/migrate';

export interface Logger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

/** The databases Zhiwang talks to: real servers from config, embedded ones for whatever is left empty. */
export interface Services {
  readonly storeUrl: string;
  readonly urls: Readonly<Record<Department, string>>;
  readonly embeddedPg: EmbeddedPg | null;
  readonly embeddedMongo: EmbeddedMongo | null;
  close(): Promise<void>;
}

/** Whether a PostgreSQL server answers at the URL (within a second). */
export async function pgAnswers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** Whether a MongoDB server answers at the URL (within a second). */
async function mongoAnswers(url: string): Promise<boolean> {
  const c = new MongoClient(url, { serverSelectionTimeoutMS: 1000, serverMonitoringMode: 'poll' });
  try {
    await c.connect();
    await c.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await c.close().catch(() => undefined);
  }
}

/**
 * The databases to use. With `attach`, embedded servers that already answer on their configured
 * ports (a running demo hub's) are used rather than started: a CLI command or a worker next to the
 * hub shares its data instead of fighting it for the ports and data directory.
 */
export async function startServices(
  loaded: LoadedConfig,
  log: Logger,
  options: { attach?: boolean } = {},
): Promise<Services> {
  const { config } = loaded;
  const e = config.embedded;
  const needPg = !config.store.url || PG_DEPARTMENTS.some((d) => !config.departments[d].url);
  const needMongo = !config.departments.market.url;
  if ((needPg || needMongo) && !e.enabled) {
    throw new Error(
      'a database URL is missing and embedded.enabled is false; set the URLs or enable embedded mode',
    );
  }
  let pg: EmbeddedPg | null = null;
  let mongo: EmbeddedMongo | null = null;
  const runningPg = `postgres://postgres@127.0.0.1:${e.pgPort}/postgres`;
  const runningMongo = `mongodb://127.0.0.1:${e.mongoPort}/`;
  const attachPg = needPg && options.attach === true && (await pgAnswers(runningPg));
  const attachMongo = needMongo && options.attach === true && (await mongoAnswers(runningMongo));
  if (attachPg) log.info(`using the embedded Postgres already running on 127.0.0.1:${e.pgPort}`);
  if (attachMongo)
    log.info(`using the embedded MongoDB-compatible server already running on 127.0.0.1:${e.mongoPort}`);
  try {
    if (needPg && !attachPg) {
      log.info(
        `starting embedded Postgres (PGlite) on 127.0.0.1:${e.pgPort}, data in ${resolve(e.dataDir, 'pg')}`,
      );
      pg = await startEmbeddedPg({ dataDir: join(e.dataDir, 'pg'), port: e.pgPort });
    }
    if (needMongo && !attachMongo) {
      log.info(
        `starting embedded MongoDB-compatible server on 127.0.0.1:${e.mongoPort}, data in ${resolve(e.dataDir, 'mongo')}`,
      );
      mongo = await startEmbeddedMongo({ port: e.mongoPort, dataDir: join(e.dataDir, 'mongo') });
    }
  } catch (err) {
    await pg?.close();
    throw err;
  }
  const pgUrl = (url: string | undefined): string => url ?? (attachPg ? runningPg : pg!.url);
  return {
    storeUrl: pgUrl(config.store.url),
    urls: {
      police: pgUrl(config.departments.police.url),
      housing: pgUrl(config.departments.housing.url),
      civil: pgUrl(config.departments.civil.url),
      market: config.departments.market.url ?? (attachMongo ? runningMongo : mongo!.url),
    },
    embeddedPg: pg,
    embeddedMongo: mongo,
    close: async () => {
      await mongo?.close();
      await pg?.close();
    },
  };
}

/**
 * Fills the departmental stand-ins with generated demo data. Only the generator writes to a
 * department, through its own pools; the connectors stay read-only.
 */
export async function seedDemo(
  loaded: LoadedConfig,
  services: Services,
  store: HubStore,
  options: SeedOptions,
  onProgress?: (stage: string, done: number, total: number) => void,
): Promise<SeedReport> {
  const { config } = loaded;
  const pools: Pool[] = [];
  const target = (d: (typeof PG_DEPARTMENTS)[number]) => {
    const pool = new Pool({ connectionString: services.urls[d], max: 4 });
    pools.push(pool);
    return { pool, schema: config.departments[d].schema };
  };
  const mongo = new MongoClient(services.urls.market, { serverMonitoringMode: 'poll' });
  try {
    await mongo.connect();
    return await seedDepartments(
      {
        police: target('police'),
        housing: target('housing'),
        civil: target('civil'),
        hub: { pool: store.pool, schema: store.schema },
        market: mongo.db(config.departments.market.database),
      },
      options,
      onProgress,
    );
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await mongo.close();
  }
}

export async function hasSeedRun(store: HubStore): Promise<boolean> {
  const r = await store.pool.query(
    `SELECT 1 FROM "${store.schema}".seed_run WHERE finished_at IS NOT NULL LIMIT 1`,
  );
  return r.rowCount !== null && r.rowCount > 0;
}

export interface RunningHub {
  readonly hub: Hub;
  readonly auth: AuthSetup;
  readonly audit: AuditWriter;
  readonly apollo: ApolloServer<RequestContext>;
  readonly url: string | null;
  readonly crosswalk: CrosswalkBuildReport | null;
  readonly seed: SeedReport | null;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly listen: boolean;
  /** Fixed "today" for tests; default today in Asia/Shanghai. */
  readonly today?: () => string;
}

/** Fails with a ConfigError naming server.port when the address cannot be bound. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolveFree, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          'server.port',
          err.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use; set ZHIWANG_PORT to a free port`
            : `cannot listen on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolveFree()));
  });
}

/**
 * Starts the hub: databases (embedded where no URL is configured), the store's migrations, demo data
 * on the first embedded start, the crosswalk when it is empty, then the GraphQL endpoint.
 */
export async function startHub(
  loaded: LoadedConfig,
  log: Logger,
  options: StartOptions,
): Promise<RunningHub> {
  const { config } = loaded;
  // Before anything slow: a port in use would otherwise surface only after seeding, as a crash.
  if (options.listen) await assertPortFree(config.server.host, config.server.port);
  // So is a bad policy or missing keys: the policy is checked against the schema it will guard.
  const schema = buildSchema();
  const auth = loadAuth(loaded, schema);
  const jobs = loadJobs(loaded);
  const services = await startServices(loaded, log);
  const store = new HubStore(services.storeUrl, config.store.schema, config.store.poolSize);
  let connectors: Connectors | null = null;
  try {
    await migrateHubStore(store.pool, config.store.schema);
    let seed: SeedReport | null = null;
    const embeddedDepartments = services.embeddedPg !== null && services.embeddedMongo !== null;
    if (embeddedDepartments && config.embedded.seedDemo && !(await hasSeedRun(store))) {
      log.info(
        `first start: seeding demo data (seed ${config.embedded.seed}); this takes a few minutes once`,
      );
      let lastStage = '';
      seed = await seedDemo(
        loaded,
        services,
        store,
        { seed: config.embedded.seed, scale: 'demo' },
        (stage) => {
          if (stage !== lastStage) log.info(`  seeding ${(lastStage = stage)}`);
        },
      );
      log.info(`seeded in ${(seed.durationMs / 1000).toFixed(1)} s`);
    }
    connectors = createConnectors(loaded, services.urls);
    const down = await openConnectors(connectors);
    for (const [d, err] of down)
      log.error(`department ${d} is unavailable at startup; serving the others`, err);
    const addressBase = new AddressBaseCache(connectors.housing);
    let crosswalk: CrosswalkBuildReport | null = null;
    if ((await store.countCrosswalk()) === 0) {
      log.info('building the crosswalk: exact keys, then addresses matched to houses');
      crosswalk = await buildCrosswalk(connectors, store, undefined, {
        // The build reads housing's house records anyway: the base it makes serves matchAddress too.
        onAddressBase: (base) => addressBase.set(base),
      });
      log.info(
        `crosswalk: ${crosswalk.links} links from ${crosswalk.records} records in ${(crosswalk.durationMs / 1000).toFixed(1)} s`,
      );
    }
    const hub: Hub = { loaded, connectors, store, addressBase, today: options.today ?? shanghaiToday };
    let url: string | null = null;
    const audit = new AuditWriter(store.pool, config.store.schema);
    await audit.append(
      actionEntry('HUB', 'start', {
        config: loaded.path,
        policy: policyDigest(auth.policy),
        writer: audit.writer,
      }),
    );
    const stopAuditJobs = options.listen
      ? startAuditJobs(store.pool, config.store.schema, config.audit, audit, log)
      : async () => undefined;
    // The reconciliation schedules of config/jobs.yaml run in the hub too (a separate `zhiwang
    // worker` may run them as well: the run lock keeps it to one run at a time).
    const worker = options.listen
      ? startWorker({ hub: store, connectors, jobs, audit, log, today: hub.today })
      : null;
    const stopJobs = async (): Promise<void> => {
      await worker?.stop();
      await stopAuditJobs();
    };
    const apollo = createApolloServer({
      logger: log,
      introspection: config.server.introspection,
      schema,
      plugins: [auditPlugin(audit)],
    });
    if (options.listen) {
      const started = await startStandaloneServer(apollo, {
        listen: { port: config.server.port, host: config.server.host },
        context: async ({ req }) => {
          const header = (name: string): string | undefined => {
            const v = req.headers[name];
            return Array.isArray(v) ? v[0] : v;
          };
          const client = { ip: req.socket.remoteAddress ?? null, userAgent: header('user-agent') ?? null };
          const headers = { get: header };
          let principal: Principal | null = null;
          try {
            // Throws UNAUTHENTICATED (401), BAD_USER_INPUT or FORBIDDEN: then nothing executes,
            // and the refusal is recorded before it is answered.
            principal = auth.access.principal(headers);
            const access = auth.access.grant(principal, auth.access.purposeOf(headers));
            return createContext(hub, {
              access,
              client,
              provenance:
                config.provenance.enabled && header(config.provenance.header.toLowerCase()) !== 'off',
            });
          } catch (err) {
            if (!(err instanceof GraphQLError)) throw err;
            await auditRefusal(
              audit,
              { code: String(err.extensions.code), message: err.message },
              {
                client,
                principal,
                purpose: auth.access.purposeOf(headers) ?? null,
                body: undefined,
              },
            );
            throw err;
          }
        },
      });
      url = started.url.replace(/\/$/, '').replace('//127.0.0.1:', '//localhost:') + '/graphql';
    } else {
      await apollo.start();
    }
    const opened = connectors;
    return {
      hub,
      auth,
      audit,
      apollo,
      url,
      crosswalk,
      seed,
      close: async () => {
        await stopJobs();
        await apollo.stop();
        await audit.drain();
        await closeConnectors(opened);
        await store.close();
        await services.close();
      },
    };
  } catch (err) {
    if (connectors) await closeConnectors(connectors).catch(() => undefined);
    await store.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    throw err;
  }
}
