/**
 * The reconciliation scheduler: each job of config/jobs.yaml on its cron schedule (node-cron, in the
 * configured timezone), at most one run at a time in this process (noOverlap) and across processes
 * (the run's lock). A run another process holds is reported and skipped. Every run is recorded in the
 * audit log as a JOB action; the address base is kept between runs of the process.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { AuditWriter } from '../audit/AuditWriter';
import { actionEntry } from '../audit/record';
import type { Connectors } from '../connectors/createConnectors';
import type { AddressBase } from '../resolution/matcher/addressBase';
import type { HubStore } from '../store/HubStore';
import type { JobSpec, JobsConfig } from './jobsConfig';
import { reconcile, type RunEvent, type RunResult } from './run';

export interface WorkerLog {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export interface WorkerOptions {
  readonly hub: HubStore;
  readonly connectors: Connectors;
  readonly jobs: JobsConfig;
  readonly audit: AuditWriter | null;
  readonly log: WorkerLog;
  readonly today: () => string;
  readonly onEvent?: (e: RunEvent) => void;
}

export interface Worker {
  /** Runs a job now, as its schedule would. */
  run(job: JobSpec, trigger?: string): Promise<RunResult>;
  stop(): Promise<void>;
}

/** One line saying how a run went, for logs. */
export function describeRun(result: RunResult): string {
  if ('held' in result) {
    const h = result.held;
    return `another reconciliation run holds the lock: run ${h.runId} by ${h.holder} since ${h.startedAt} (heartbeat ${h.heartbeatAt}); nothing done`;
  }
  const r = result.ran;
  const read = Object.values(r.stages.sync ?? {}).reduce((n, d) => n + (d?.read ?? 0), 0);
  const rules = Object.values(r.stages.rules ?? {});
  const sum = (k: 'detected' | 'opened' | 'closed'): number => rules.reduce((n, o) => n + o[k], 0);
  const d = r.stages.detection;
  const scope =
    d === undefined
      ? ''
      : d.complete
        ? ` (complete detection: ${d.reason})`
        : ` (over what changed: ${d.records} records, ${d.entities} entities)`;
  return (
    `run ${r.runId} ${r.mode} ${r.status} in ${(r.ms / 1000).toFixed(1)} s: ${read} changed records read; ` +
    `${sum('detected')} discrepancies found${scope}, ${sum('opened')} new tasks, ${sum('closed')} closed` +
    (r.errors.length > 0
      ? `; ${r.errors.map((e) => `${e.department ?? e.stage}: ${e.message}`).join('; ')}`
      : '')
  );
}

export function startWorker(o: WorkerOptions): Worker {
  let addressBase: AddressBase | null = null;
  const run = async (job: JobSpec, trigger = `schedule:${job.name}`): Promise<RunResult> => {
    const t0 = Date.now();
    const result = await reconcile({
      hub: o.hub,
      connectors: o.connectors,
      jobs: o.jobs,
      mode: job.full ? 'FULL' : 'INCREMENTAL',
      departments: job.departments ?? undefined,
      trigger,
      today: o.today(),
      addressBase,
      onEvent: o.onEvent,
    });
    if ('ran' in result) addressBase = result.ran.addressBase;
    o.log.info(`reconcile (${job.name}): ${describeRun(result)}`);
    await o.audit
      ?.append(
        actionEntry('JOB', 'reconcile', runDetail(job.name, result), {
          outcome: 'ran' in result && result.ran.status === 'FAILED' ? 'ERROR' : 'SUCCESS',
          durationMs: Date.now() - t0,
        }),
      )
      .catch((err: unknown) => o.log.error('reconcile: the audit record could not be written', err));
    return result;
  };
  const guarded = (job: JobSpec) => async (): Promise<void> => {
    try {
      await run(job);
    } catch (err) {
      o.log.error(`reconcile (${job.name}) failed`, err);
    }
  };
  const tasks: ScheduledTask[] = o.jobs.jobs.map((job) =>
    cron.schedule(job.schedule, guarded(job), { timezone: o.jobs.timezone, noOverlap: true, name: job.name }),
  );
  const starting = o.jobs.jobs.filter((j) => j.runOnStart);
  let initial: Promise<void> = Promise.resolve();
  for (const job of starting) initial = initial.then(guarded(job));
  return {
    run,
    stop: async () => {
      for (const t of tasks) await t.destroy();
      await initial;
    },
  };
}

/** What the audit log keeps of a run: its identity, outcome and counts, no personal data. */
export function runDetail(job: string, result: RunResult): Record<string, unknown> {
  if ('held' in result) return { job, skipped: 'lock held', holder: result.held };
  const r = result.ran;
  return {
    job,
    runId: r.runId,
    mode: r.mode,
    status: r.status,
    departments: r.departments,
    read: Object.fromEntries(Object.entries(r.stages.sync ?? {}).map(([d, s]) => [d, s?.read ?? 0])),
    rules: Object.fromEntries(
      Object.entries(r.stages.rules ?? {}).map(([k, v]) => [
        k,
        { detected: v.detected, opened: v.opened, closed: v.closed },
      ]),
    ),
    errors: r.errors,
  };
}
