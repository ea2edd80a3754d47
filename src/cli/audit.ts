/**
 * `zhiwang audit verify|checkpoint|checkpoints|export|retention`: the auditor's commands. They need
 * only the hub store. In embedded mode a running hub already serves it, so they connect to that
 * server rather than start a second one on the same data; otherwise they start it themselves.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { pgAnswers } from '../app';
import { AuditWriter } from '../audit/AuditWriter';
import { exportAudit, type AuditFilter } from '../audit/export';
import { actionEntry, type AuditEntry } from '../audit/record';
import { applyRetention } from '../audit/retention';
import { readCheckpoints, verifyAudit, writeCheckpoint, type Checkpoint } from '../audit/verify';
import type { LoadedConfig } from '../config/loadConfig';
import { startEmbeddedPg, type EmbeddedPg } from '../embedded/pg';
import { ConfigError } from '../errors';
import { migrateHubStore } from '../store/migrate';

export interface AuditStore {
  readonly pool: Pool;
  readonly schema: string;
  /** Appends a CLI action to the audit log (its own chain) and waits for the commit. */
  record(entry: AuditEntry): Promise<void>;
  close(): Promise<void>;
}

export async function openAuditStore(loaded: LoadedConfig, log: (m: string) => void): Promise<AuditStore> {
  const { config } = loaded;
  let url = config.store.url;
  let embedded: EmbeddedPg | null = null;
  if (!url) {
    const running = `postgres://postgres@127.0.0.1:${config.embedded.pgPort}/postgres`;
    if (await pgAnswers(running)) url = running;
    else {
      if (!config.embedded.enabled)
        throw new ConfigError('store.url', 'no store URL and embedded mode is off');
      embedded = await startEmbeddedPg({
        dataDir: join(config.embedded.dataDir, 'pg'),
        port: config.embedded.pgPort,
      });
      url = embedded.url;
    }
  }
  const pool = new Pool({ connectionString: url, max: 4 });
  await migrateHubStore(pool, config.store.schema);
  const writer = new AuditWriter(pool, config.store.schema, {
    writer: `cli:${process.pid}:${Date.now().toString(36)}`,
  });
  log(`audit store: ${embedded ? 'embedded (started for this command)' : url.replace(/\/\/[^@]*@/, '//')}`);
  return {
    pool,
    schema: config.store.schema,
    record: async (entry) => {
      await writer.append(entry);
    },
    close: async () => {
      await writer.drain();
      await pool.end();
      await embedded?.close();
    },
  };
}

const dateOption = (value: string | undefined, name: string): Date | undefined => {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new ConfigError(`--${name}`, `expected an ISO date or timestamp, got ${value}`);
  return d;
};

export interface AuditOptions {
  readonly from?: string;
  readonly to?: string;
  readonly format?: string;
  readonly out?: string;
  readonly subject?: string;
  readonly purpose?: string;
  readonly entity?: string;
  readonly field?: string;
  readonly outcome?: string;
  /** A JSONL file of checkpoints kept outside the database, to verify against. */
  readonly checkpoints?: string;
}

/** Runs `zhiwang audit <action>`; returns the exit code. */
export async function auditCommand(
  loaded: LoadedConfig,
  action: string | undefined,
  o: AuditOptions,
  log: (m: string) => void,
): Promise<number> {
  const actions = ['verify', 'checkpoint', 'checkpoints', 'export', 'retention'];
  if (!action || !actions.includes(action))
    throw new ConfigError('audit', `expected one of ${actions.join(', ')}, got ${action ?? 'nothing'}`);
  const from = dateOption(o.from, 'from');
  const to = dateOption(o.to, 'to');
  const store = await openAuditStore(loaded, log);
  const user = process.env.USER ?? null;
  try {
    switch (action) {
      case 'verify': {
        const checkpoints = o.checkpoints
          ? readFileSync(o.checkpoints, 'utf8')
              .split('\n')
              .filter((l) => l.trim() !== '')
              .map((l) => JSON.parse(l) as Checkpoint)
          : undefined;
        const report = await verifyAudit(store.pool, store.schema, { from, to, checkpoints });
        await store.record(
          actionEntry(
            'CLI',
            'audit verify',
            {
              from: o.from ?? null,
              to: o.to ?? null,
              ok: report.ok,
              records: report.records,
              breaks: report.breaks.slice(0, 5),
            },
            { subject: user },
          ),
        );
        console.log(JSON.stringify(report, null, 2));
        if (!report.ok) {
          const b = report.breaks[0]!;
          log(`BROKEN: writer ${b.writer}, seq ${b.seq}: ${b.reason}`);
        } else
          log(
            `ok: ${report.chains} chains, ${report.records} records, ${report.checkpoints} checkpoints, ${report.durationMs} ms`,
          );
        return report.ok ? 0 : 3;
      }
      case 'checkpoint': {
        const cp = await writeCheckpoint(store.pool, store.schema);
        await store.record(
          actionEntry('CLI', 'audit checkpoint', { id: cp.id, hash: cp.hash }, { subject: user }),
        );
        console.log(JSON.stringify(cp));
        return 0;
      }
      case 'checkpoints': {
        // JSONL, to keep outside the database: each line chains to the one before.
        const cps = await readCheckpoints(store.pool, store.schema);
        await store.record(
          actionEntry('CLI', 'audit checkpoints', { exported: cps.length }, { subject: user }),
        );
        for (const cp of cps) console.log(JSON.stringify(cp));
        return 0;
      }
      case 'export': {
        const format = (o.format ?? 'jsonl') as 'csv' | 'jsonl';
        if (format !== 'csv' && format !== 'jsonl')
          throw new ConfigError('--format', 'expected csv or jsonl');
        const [entityType, entityKey] = o.entity ? o.entity.split(/:(.*)/) : [undefined, undefined];
        const filter: AuditFilter = {
          subject: o.subject,
          purpose: o.purpose,
          field: o.field,
          outcome: o.outcome,
          entityType,
          entityKey,
          from,
          to,
        };
        const out = o.out ? createWriteStream(o.out) : process.stdout;
        const n = await exportAudit(store.pool, store.schema, filter, format, out);
        if (o.out) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(r));
        await store.record(
          actionEntry(
            'CLI',
            'audit export',
            { filter: { ...filter, from: o.from, to: o.to }, format, records: n, out: o.out ?? 'stdout' },
            { subject: user },
          ),
        );
        log(`exported ${n} records`);
        return 0;
      }
      default: {
        const report = await applyRetention(store.pool, store.schema, {
          retentionDays: loaded.config.audit.retentionDays,
          archiveDir: loaded.config.audit.archiveDir,
          log,
        });
        await store.record(actionEntry('CLI', 'audit retention', report, { subject: user }));
        console.log(JSON.stringify(report, null, 2));
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}
