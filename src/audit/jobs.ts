/**
 * The audit log's scheduled jobs while the hub runs (node-cron, Asia/Shanghai): checkpoints of every
 * chain's head, and retention. Each run is itself recorded in the audit log as a JOB action.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Pool } from 'pg';
import type { ZhiwangConfig } from '../config/configSchema';
import { ConfigError } from '../errors';
import type { AuditWriter } from './AuditWriter';
import { actionEntry } from './record';
import { applyRetention } from './retention';
import { writeCheckpoint } from './verify';

export interface JobLog {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export function startAuditJobs(
  pool: Pool,
  schema: string,
  config: ZhiwangConfig['audit'],
  writer: AuditWriter,
  log: JobLog,
): () => Promise<void> {
  for (const key of ['checkpointCron', 'retentionCron'] as const)
    if (!cron.validate(config[key]))
      throw new ConfigError(`audit.${key}`, `not a cron expression: ${config[key]}`);
  const job = (name: string, work: () => Promise<unknown>) => async () => {
    const t0 = Date.now();
    try {
      const detail = await work();
      await writer.append(actionEntry('JOB', name, detail, { durationMs: Date.now() - t0 }));
    } catch (err) {
      log.error(`audit job ${name} failed`, err);
      await writer
        .append(
          actionEntry(
            'JOB',
            name,
            { error: (err as Error).message },
            { outcome: 'ERROR', durationMs: Date.now() - t0 },
          ),
        )
        .catch(() => undefined);
    }
  };
  const options = { timezone: 'Asia/Shanghai', noOverlap: true };
  const tasks: ScheduledTask[] = [
    cron.schedule(
      config.checkpointCron,
      job('audit checkpoint', async () => {
        const cp = await writeCheckpoint(pool, schema);
        return { id: cp.id, records: cp.records, hash: cp.hash };
      }),
      { ...options, name: 'audit-checkpoint' },
    ),
    cron.schedule(
      config.retentionCron,
      job('audit retention', () =>
        applyRetention(pool, schema, {
          retentionDays: config.retentionDays,
          archiveDir: config.archiveDir,
          log: (m: string) => log.info(m),
        }),
      ),
      { ...options, name: 'audit-retention' },
    ),
  ];
  return async () => {
    for (const t of tasks) await t.destroy();
  };
}
