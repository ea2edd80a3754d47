/**
 * The demo-data generator: fills the four departmental stand-ins and writes the ground truth.
 *
 * It streams grid by grid: build one grid's picture (GridBuilder), render it into rows (GridRenderer),
 * hand the rows to the batched writers, wait for back-pressure, forget the grid. Only compact state
 * crosses grids (SeedContext), so a million persons fit in well under a gigabyte. Each grid draws
 * from its own random stream derived from the seed, so the same seed gives byte-identical data.
 */
import type { Db } from 'mongodb';
import type { Pool } from 'pg';
import type { ProblemKind } from '../config/types';
import { PG_DEPARTMENTS, PROBLEM_KINDS } from '../config/types';
import { SeedContext } from './context';
import { dayOf } from './dates';
import { PG_DEPARTMENT_DDL } from './departmentDdl';
import { GridBuilder } from './gridBuilder';
import type { SeedScale } from './layout';
import { planSeed } from './layout';
import { Rng } from './random';
import { GridRenderer } from './render';
import type { Sink } from './sink';
import type { TableName } from './tables';
import { MARKET_COLLECTION, MARKET_KEY, TABLES, tableKey } from './tables';
import { MongoBatchWriter, PgBatchWriter } from './writers';

export type { SeedScale } from './layout';

export interface PgTarget {
  pool: Pool;
  schema: string;
}

export interface SeedTargets {
  police: PgTarget;
  housing: PgTarget;
  civil: PgTarget;
  hub: PgTarget;
  market: Db;
}

export interface SeedOptions {
  /** Same seed => byte-identical data. */
  seed: number;
  scale: SeedScale;
  /** Bench scale: number of persons (default 1,000,000). */
  persons?: number;
  /** Bench scale: number of houses (default persons / 2). */
  houses?: number;
  /** Bench scale: number of market entities (default persons / 13). */
  entities?: number;
  /** Reference "today" for all generated dates and gxsj timestamps, default 2026-11-01T00:00:00+08:00. */
  today?: Date;
}

export interface SeedReport {
  counts: Record<string, number>;
  problems: Record<string, number>;
  durationMs: number;
  peakRssBytes: number;
}

/**
 * Progress: stage `grids` (done/total grids built and handed to the writers), then `flush` (0/1, 1/1)
 * while the last batches are written, then `indexes` (0/1, 1/1) for the market indexes.
 */
export type ProgressListener = (stage: string, done: number, total: number) => void;

export const DEFAULT_TODAY = new Date('2026-11-01T00:00:00+08:00');

const PG_BATCH = 2000;
const TRUTH_BATCH = 5000;
const MONGO_BATCH = 1000;
const MAX_PENDING_BATCHES = 2;

const DEPARTMENT_TABLES: Record<'police' | 'housing' | 'civil', readonly string[]> = {
  police: ['rk_czrk', 'rk_ldrk'],
  housing: ['fw_jbxx', 'zl_htba'],
  civil: ['jz_dbdx', 'yl_gljt', 'bz_hhjl', 'shzz_djxx'],
};

async function tableHasRows(pool: Pool, schema: string, table: string): Promise<boolean> {
  const r = await pool.query(`SELECT EXISTS (SELECT 1 FROM "${schema}".${table}) AS has`);
  return (r.rows[0] as { has: boolean }).has;
}

async function assertEmpty(targets: SeedTargets): Promise<void> {
  const full: string[] = [];
  for (const dept of PG_DEPARTMENTS) {
    const { pool, schema } = targets[dept];
    for (const table of DEPARTMENT_TABLES[dept]) {
      if (await tableHasRows(pool, schema, table)) full.push(`${schema}.${table}`);
    }
  }
  if ((await targets.market.collection(MARKET_COLLECTION).countDocuments({}, { limit: 1 })) > 0) {
    full.push(`${targets.market.databaseName}.${MARKET_COLLECTION}`);
  }
  if (full.length > 0) {
    throw new Error(
      `refusing to seed: the departments already hold data (${full.join(', ')}); seed into empty schemas and an empty market database`,
    );
  }
  const hub = targets.hub;
  const migrated = await hub.pool.query(`SELECT to_regclass($1) AS t`, [`"${hub.schema}".truth_reference`]);
  if ((migrated.rows[0] as { t: string | null }).t === null) {
    throw new Error(
      `the hub schema "${hub.schema}" is not migrated: run migrateHubStore(pool, schema) before seeding`,
    );
  }
  for (const table of ['grid', 'truth_reference', 'truth_problem']) {
    if (await tableHasRows(hub.pool, hub.schema, table)) {
      throw new Error(
        `refusing to seed: the hub schema "${hub.schema}" already holds ${table} rows from an earlier seeding`,
      );
    }
  }
}

function validate(options: SeedOptions): void {
  if (!Number.isInteger(options.seed) || options.seed < -2_147_483_648 || options.seed > 2_147_483_647) {
    throw new Error('seed must be a 32-bit integer');
  }
  if (!['test', 'demo', 'bench'].includes(options.scale))
    throw new Error(`unknown scale ${String(options.scale)}`);
  for (const key of ['persons', 'houses', 'entities'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new Error(`${key} must be a positive integer`);
  }
  if (options.today !== undefined && Number.isNaN(options.today.getTime()))
    throw new Error('today is not a valid date');
}

export async function seedDepartments(
  targets: SeedTargets,
  options: SeedOptions,
  onProgress?: ProgressListener,
): Promise<SeedReport> {
  validate(options);
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  sampler.unref();
  try {
    const today = options.today ?? DEFAULT_TODAY;
    const plan = planSeed(options);

    for (const dept of PG_DEPARTMENTS) {
      await targets[dept].pool.query(PG_DEPARTMENT_DDL[dept](targets[dept].schema));
    }
    await assertEmpty(targets);

    const writers = {} as Record<TableName, PgBatchWriter>;
    for (const name of Object.keys(TABLES) as TableName[]) {
      const spec = TABLES[name];
      const target = targets[spec.target];
      const batch = name === 'truth_reference' || name === 'truth_problem' ? TRUTH_BATCH : PG_BATCH;
      writers[name] = new PgBatchWriter(target.pool, target.schema, spec, batch);
    }
    const market = new MongoBatchWriter(targets.market, MARKET_COLLECTION, MONGO_BATCH);
    const problems: Record<string, number> = Object.fromEntries(PROBLEM_KINDS.map((k) => [k, 0]));
    const sink: Sink = {
      row: (table, values) => writers[table].add(values),
      marketDoc: (doc) => market.add(doc),
      ref: (department, recordType, sourceId, role, entityType, entityKey) =>
        writers.truth_reference.add([department, recordType, sourceId, role, entityType, entityKey]),
      problem: (kind: ProblemKind, department, recordType, sourceId, entityType, entityKey, detail) => {
        problems[kind] = (problems[kind] ?? 0) + 1;
        writers.truth_problem.add([
          kind,
          department,
          recordType,
          sourceId,
          entityType,
          entityKey,
          JSON.stringify(detail),
        ]);
      },
    };

    const ctx = new SeedContext(options.seed, dayOf(today), plan.targetPersons);
    const perHouse = plan.targetPersons / plan.targetHouses;
    const total = plan.grids.length;
    for (const grid of plan.grids) {
      // The persons this grid should add so that the running count lands on the target.
      const wanted = perHouse * (ctx.housesSoFar + grid.houses) - ctx.personsSoFar;
      const world = new GridBuilder(
        ctx,
        grid,
        Rng.derive(options.seed, 'grid', grid.ordinal),
        wanted,
      ).build();
      new GridRenderer(world, ctx, Rng.derive(options.seed, 'render', grid.ordinal), sink).render();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      await Promise.all([
        ...Object.values(writers).map((w) => w.throttle(MAX_PENDING_BATCHES)),
        market.throttle(MAX_PENDING_BATCHES),
      ]);
      onProgress?.('grids', grid.ordinal + 1, total);
    }
    onProgress?.('flush', 0, 1);
    await Promise.all([...Object.values(writers).map((w) => w.drain()), market.drain()]);
    onProgress?.('flush', 1, 1);

    // Fresh statistics after a bulk load, so that the first queries over the stand-ins plan well.
    for (const name of Object.keys(TABLES) as TableName[]) {
      const target = targets[TABLES[name].target];
      await target.pool.query(`ANALYZE "${target.schema}".${TABLES[name].table}`);
    }

    onProgress?.('indexes', 0, 1);
    const entities = targets.market.collection(MARKET_COLLECTION);
    for (const key of ['UNISCID', 'REGNO', 'LEREP.CERNO', 'SHAREHOLDERS.CERNO', 'UPDATED_AT']) {
      await entities.createIndex({ [key]: 1 });
    }
    onProgress?.('indexes', 1, 1);

    const counts: Record<string, number> = {};
    for (const name of Object.keys(TABLES) as TableName[]) counts[tableKey(name)] = writers[name].written;
    counts[MARKET_KEY] = market.written;
    counts.persons = ctx.personsSoFar;
    counts.houses = ctx.housesSoFar;
    counts.grids = plan.grids.length;
    counts.communities = new Set(plan.grids.map((g) => g.community.code)).size;
    counts.streets = new Set(plan.grids.map((g) => g.street.code)).size;

    const hub = targets.hub;
    await hub.pool.query(
      `INSERT INTO "${hub.schema}".seed_run (seed, scale, params, started_at, finished_at, counts) VALUES ($1, $2, $3, $4, now(), $5)`,
      [
        options.seed,
        options.scale,
        JSON.stringify({
          persons: options.persons ?? null,
          houses: options.houses ?? null,
          entities: options.entities ?? null,
          today: today.toISOString(),
          targets: {
            persons: plan.targetPersons,
            houses: plan.targetHouses,
            entities: plan.targetEntities,
            socialOrgs: plan.targetSocialOrgs,
          },
        }),
        startedAt,
        JSON.stringify({ ...counts, problems }),
      ],
    );
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return {
      counts,
      problems,
      durationMs: Number(process.hrtime.bigint() - t0) / 1e6,
      peakRssBytes: peakRss,
    };
  } finally {
    clearInterval(sampler);
  }
}
