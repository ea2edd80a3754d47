/**
 * One reconciliation run: take the lock, record the run, sync the departments (with identity
 * resolution), link what waited for a registration-number pair, detect discrepancies and bring the
 * tasks in line, record the outcome. Stages are saved to the run's row as they finish, so a killed
 * run still shows how far it got.
 *
 * One run at a time across every process and machine: a PostgreSQL session advisory lock, held by a
 * dedicated connection for the whole run (released by the server if the process dies), plus a lease
 * on the run's row, renewed by a heartbeat, for stores where every connection shares one session
 * (the embedded PGlite server). A second start reports who holds the lock and returns.
 */
import { hostname } from 'node:os';
import type { PoolClient } from 'pg';
import { DEPARTMENTS, type Department } from '../config/types';
import type { Connectors } from '../connectors/createConnectors';
import type { AddressBase } from '../resolution/matcher/addressBase';
import type { HubStore } from '../store/HubStore';
import { FactStore } from './factStore';
import type { JobsConfig } from './jobsConfig';
import type { RuleName } from './rules';
import { syncDepartments, type DepartmentSync, type SyncProgress } from './sync';
import { TaskStore, type DetectionScopeReport, type RuleOutcome } from './tasks';

export type RunMode = 'FULL' | 'INCREMENTAL';
export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';

export interface RunHolder {
  readonly runId: number;
  readonly holder: string;
  readonly startedAt: string;
  readonly heartbeatAt: string;
}

export type RunEvent =
  | {
      readonly type: 'started';
      readonly runId: number;
      readonly mode: RunMode;
      readonly departments: readonly Department[];
    }
  | ({ readonly type: 'sync' } & SyncProgress)
  | { readonly type: 'rule'; readonly rule: RuleName; readonly outcome: RuleOutcome }
  | { readonly type: 'stage'; readonly stage: string; readonly ms: number }
  | { readonly type: 'finished'; readonly runId: number; readonly status: RunStatus; readonly ms: number };

export interface RunOptions {
  readonly hub: HubStore;
  readonly connectors: Connectors;
  readonly jobs: JobsConfig;
  readonly mode: RunMode;
  /** Departments to sync; every one by default. Rules always read the whole mirror. */
  readonly departments?: readonly Department[];
  readonly trigger: string;
  /** The district tasks fall back to; default the district most grids belong to. */
  readonly districtCode?: string;
  /** The run's date (YYYY-MM-DD, Asia/Shanghai). */
  readonly today: string;
  readonly addressBase?: AddressBase | null;
  readonly onEvent?: (e: RunEvent) => void;
}

export interface RunStages {
  sync?: Partial<Record<Department, DepartmentSync>>;
  /** The tables analysed after the sync (none when it changed nothing, or too little to matter). */
  statistics?: { tables: readonly string[]; ms: number };
  pairs?: { linked: number; ms: number };
  rules?: Record<string, RuleOutcome>;
  /** Whether the rules ran over the whole mirror or only over what changed, and why. */
  detection?: DetectionScopeReport;
}

export interface RunReport {
  readonly runId: number;
  readonly status: RunStatus;
  readonly mode: RunMode;
  readonly departments: readonly Department[];
  readonly stages: RunStages;
  readonly errors: ReadonlyArray<{ stage: string; department?: string; message: string }>;
  readonly ms: number;
  /** For the next run of this process. */
  readonly addressBase: AddressBase | null;
}

export type RunResult = { readonly ran: RunReport } | { readonly held: RunHolder };

const LOCK = (schema: string): string => `zhiwang-reconcile:${schema}`;

const holderName = (): string => `${hostname()}:${process.pid}`;

const holderOnThisHost = (holder: string): boolean => holder.split(':')[0] === hostname();

/** Whether a holder on this machine is still a live process (a holder elsewhere counts as alive). */
function holderAlive(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunStore {
  constructor(private readonly hub: HubStore) {}

  private t = (table: string): string => `"${this.hub.schema}".${table}`;

  async running(): Promise<RunHolder | null> {
    const r = await this.hub.pool.query<{ id: string; holder: string; started_at: Date; heartbeat_at: Date }>(
      `SELECT id, holder, started_at, heartbeat_at FROM ${this.t('reconciliation_run')}
        WHERE status = 'RUNNING' ORDER BY id DESC LIMIT 1`,
    );
    const row = r.rows[0];
    return row
      ? {
          runId: Number(row.id),
          holder: row.holder,
          startedAt: row.started_at.toISOString(),
          heartbeatAt: row.heartbeat_at.toISOString(),
        }
      : null;
  }

  /**
   * Marks RUNNING runs whose holder is gone INTERRUPTED, then records a new RUNNING run unless a live
   * one remains: both in one statement each, so two processes sharing one session cannot both win.
   */
  async claim(
    mode: RunMode,
    departments: readonly Department[],
    trigger: string,
    leaseSeconds: number,
    /** The advisory lock is this session's alone: any RUNNING run left is a dead one. */
    exclusive: boolean,
  ): Promise<number | null> {
    const running = await this.hub.pool.query<{ id: string; holder: string; stale: boolean }>(
      `SELECT id, holder, heartbeat_at < now() - make_interval(secs => $1) AS stale
         FROM ${this.t('reconciliation_run')} WHERE status = 'RUNNING'`,
      [leaseSeconds],
    );
    // A holder on this machine is dead exactly when its process is gone, however late its heartbeat
    // (a busy embedded server may delay it); one elsewhere, when its heartbeat stopped.
    const dead = running.rows
      .filter((r) => exclusive || (holderOnThisHost(r.holder) ? !holderAlive(r.holder) : r.stale))
      .map((r) => r.id);
    await this.hub.pool.query(
      `UPDATE ${this.t('reconciliation_run')}
          SET status = 'INTERRUPTED', finished_at = heartbeat_at,
              errors = errors || jsonb_build_array(jsonb_build_object('stage', 'run', 'message',
                'interrupted: its process stopped before it finished'))
        WHERE status = 'RUNNING' AND id = ANY($1::bigint[])`,
      [dead],
    );
    const r = await this.hub.pool.query<{ id: string }>(
      `INSERT INTO ${this.t('reconciliation_run')} (mode, departments, trigger, holder, status)
       SELECT $1, $2, $3, $4, 'RUNNING'
        WHERE NOT EXISTS (SELECT 1 FROM ${this.t('reconciliation_run')} WHERE status = 'RUNNING')
       RETURNING id`,
      [mode, departments, trigger, holderName()],
    );
    return r.rows[0] ? Number(r.rows[0].id) : null;
  }

  /** The district most grids belong to: where a task with no house and no known place goes. */
  async mainDistrict(): Promise<string> {
    const r = await this.hub.pool.query<{ d: string }>(
      `SELECT district_code AS d FROM ${this.t('grid')} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
    );
    return r.rows[0]?.d ?? '';
  }

  async heartbeat(runId: number): Promise<void> {
    await this.hub.pool.query(
      `UPDATE ${this.t('reconciliation_run')} SET heartbeat_at = now() WHERE id = $1`,
      [runId],
    );
  }

  async saveStages(runId: number, stages: RunStages): Promise<void> {
    await this.hub.pool.query(
      `UPDATE ${this.t('reconciliation_run')} SET stages = $2::jsonb, heartbeat_at = now() WHERE id = $1`,
      [runId, JSON.stringify(stages)],
    );
  }

  async finish(
    runId: number,
    status: RunStatus,
    stages: RunStages,
    errors: RunReport['errors'],
  ): Promise<void> {
    await this.hub.pool.query(
      `UPDATE ${this.t('reconciliation_run')}
          SET status = $2, stages = $3::jsonb, errors = $4::jsonb, finished_at = now(), heartbeat_at = now()
        WHERE id = $1`,
      [runId, status, JSON.stringify(stages), JSON.stringify(errors)],
    );
  }

  async list(afterId: number | null, first: number): Promise<Array<Record<string, unknown>>> {
    const r = await this.hub.pool.query(
      `SELECT id, mode, departments, trigger, holder, started_at, finished_at, heartbeat_at, status, stages, errors
         FROM ${this.t('reconciliation_run')} WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [afterId, first],
    );
    return r.rows as Array<Record<string, unknown>>;
  }
}

/**
 * The advisory lock on a connection of its own, and whether it excludes other connections: on an
 * embedded PGlite server every connection is the same backend, and the lock then excludes no one.
 */
async function tryLock(hub: HubStore): Promise<{ client: PoolClient; exclusive: boolean } | null> {
  const client = await hub.pool.connect();
  try {
    const r = await client.query<{ ok: boolean; pid: number }>(
      `SELECT pg_try_advisory_lock(hashtext($1)) AS ok, pg_backend_pid() AS pid`,
      [LOCK(hub.schema)],
    );
    if (r.rows[0]!.ok) {
      const other = await hub.pool.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
      return { client, exclusive: other.rows[0]!.pid !== r.rows[0]!.pid };
    }
  } catch (err) {
    client.release();
    throw err;
  }
  client.release();
  return null;
}

async function unlock(hub: HubStore, client: PoolClient): Promise<void> {
  try {
    await client.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LOCK(hub.schema)]);
  } finally {
    client.release();
  }
}

export async function reconcile(o: RunOptions): Promise<RunResult> {
  const runs = new RunStore(o.hub);
  const departments = o.departments && o.departments.length > 0 ? [...o.departments] : [...DEPARTMENTS];
  const lock = await tryLock(o.hub);
  if (lock === null) {
    const holder = await runs.running();
    return { held: holder ?? { runId: 0, holder: 'another session', startedAt: '', heartbeatAt: '' } };
  }
  let runId: number | null = null;
  try {
    runId = await runs.claim(o.mode, departments, o.trigger, o.jobs.leaseSeconds, lock.exclusive);
    if (runId === null) {
      const holder = await runs.running();
      return { held: holder ?? { runId: 0, holder: 'another process', startedAt: '', heartbeatAt: '' } };
    }
    return { ran: await execute(o, runs, runId, departments) };
  } finally {
    await unlock(o.hub, lock.client).catch(() => undefined);
  }
}

async function execute(
  o: RunOptions,
  runs: RunStore,
  runId: number,
  departments: Department[],
): Promise<RunReport> {
  const t0 = Date.now();
  const stages: RunStages = {};
  const errors: Array<{ stage: string; department?: string; message: string }> = [];
  const emit = o.onEvent ?? (() => undefined);
  emit({ type: 'started', runId, mode: o.mode, departments });
  const beat = setInterval(
    () => void runs.heartbeat(runId).catch(() => undefined),
    Math.max(200, (o.jobs.leaseSeconds * 1000) / 3),
  );
  beat.unref();
  const facts = new FactStore(o.hub);
  let addressBase = o.addressBase ?? null;
  let status: RunStatus = 'FAILED';
  try {
    if (o.mode === 'FULL') {
      await facts.resetWatermarks(departments);
      await o.hub.needCompleteDetection('a full run');
    }
    await facts.prepareScope();
    let t = Date.now();
    const synced = await syncDepartments({
      connectors: o.connectors,
      facts,
      departments,
      runId,
      batchSize: o.jobs.batchSize,
      addressBase: o.mode === 'FULL' ? null : addressBase,
      onProgress: (p) => emit({ type: 'sync', ...p }),
    });
    addressBase = synced.addressBase;
    stages.sync = synced.departments;
    for (const [department, s] of Object.entries(synced.departments)) {
      if (s.error) errors.push({ stage: 'sync', department, message: s.error });
    }
    emit({ type: 'stage', stage: 'sync', ms: Date.now() - t });
    await runs.saveStages(runId, stages);

    t = Date.now();
    const changed = Object.values(synced.departments).some((s) => s.read + s.deleted > 0);
    stages.statistics = { tables: changed ? await facts.analyze() : [], ms: 0 };
    stages.statistics.ms = Date.now() - t;
    emit({ type: 'stage', stage: 'statistics', ms: stages.statistics.ms });

    t = Date.now();
    stages.pairs = { linked: await facts.linkAwaitingPairs(), ms: 0 };
    stages.pairs.ms = Date.now() - t;
    emit({ type: 'stage', stage: 'pairs', ms: stages.pairs.ms });

    t = Date.now();
    const districtCode = o.districtCode ?? (await runs.mainDistrict());
    const detection = await new TaskStore(o.hub).detect(
      runId,
      o.today,
      {
        rules: o.jobs.rules,
        params: o.jobs.params,
        deadlineHours: o.jobs.deadlineHours,
        districtCode,
      },
      (rule, outcome) => emit({ type: 'rule', rule, outcome }),
    );
    stages.rules = detection.rules;
    stages.detection = detection.scope;
    emit({ type: 'stage', stage: 'rules', ms: Date.now() - t });
    status = errors.length > 0 ? 'PARTIAL' : 'SUCCEEDED';
  } catch (err) {
    errors.push({ stage: 'run', message: (err as Error).message });
    status = 'FAILED';
  } finally {
    clearInterval(beat);
  }
  await runs.finish(runId, status, stages, errors);
  const ms = Date.now() - t0;
  emit({ type: 'finished', runId, status, ms });
  return { runId, status, mode: o.mode, departments, stages, errors, ms, addressBase };
}
