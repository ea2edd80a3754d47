/**
 * Appends audit records with group commit: entries from concurrent requests wait a few
 * milliseconds, then go to the store in one statement, and each caller's promise settles only when
 * that statement has committed. One writer per process, one hash chain per writer: the chain is
 * extended in memory, in order, one batch at a time, so it needs no lock shared between processes.
 *
 * The statement is a COPY FROM STDIN on a PostgreSQL server: its text format costs the server about
 * half of what reading the rows out of a jsonb array does. PGlite's wire server cannot serve COPY, so
 * on the embedded store a batch is one INSERT … SELECT FROM jsonb_to_recordset, its JSON being the
 * canonical text each record was hashed from. Which of the two is decided once, at the first batch.
 *
 * When a batch fails (store down, partition missing), its callers get AuditUnavailableError, and the
 * writer forgets its chain head: the next batch first reads the head back from the store, so a
 * commit whose acknowledgement was lost cannot fork the chain. The pool reconnects by itself, so the
 * hub recovers when the store returns.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { GraphQLError } from 'graphql';
import { copyEncoded, CopyEncoder, supportsCopy, type CopyColumn } from '../store/copy';
import { chainWithText, genesisHash, type AuditEntry, type AuditRecord } from './record';

export class AuditUnavailableError extends GraphQLError {
  constructor(cause: string) {
    super(`the audit log cannot be written, so nothing is answered: ${cause}`, {
      extensions: { code: 'AUDIT_UNAVAILABLE', http: { status: 503 } },
    });
  }
}

export interface AuditWriterOptions {
  /** Chain id; default host, process id and a random suffix, new for every process. */
  readonly writer?: string;
  /** How long the first entry waits before its batch starts, default 0 (the next tick). */
  readonly flushMs?: number;
  /**
   * Largest batch, default 500 entries: small enough that a burst of a thousand requests forms
   * several batches, so one is chained while the one before it is in its statement.
   */
  readonly maxBatch?: number;
  /**
   * Whether batches go to the store with COPY; default: when the store is a PostgreSQL server and
   * not PGlite (`supportsCopy`, asked at the first batch). Only a real server can take `true`.
   */
  readonly copy?: boolean;
}

/** How the batches reach the store: see the top of this file. */
export type AuditWritePath = 'COPY' | 'INSERT';

/** The audit_log columns, in the order of the INSERT's column list and of a COPY row. */
const COPY_COLUMNS: readonly CopyColumn[] = [
  'writer',
  'seq',
  'at',
  'kind',
  'subject',
  { name: 'roles', kind: 'array' },
  'department',
  'purpose',
  'client_ip',
  'user_agent',
  'operation',
  'query_hash',
  'query_text',
  { name: 'variables', kind: 'json' },
  'outcome',
  'duration_ms',
  { name: 'error_codes', kind: 'array' },
  { name: 'entities', kind: 'json' },
  { name: 'fields', kind: 'json' },
  { name: 'detail', kind: 'json' },
  'prev_hash',
  'hash',
];

/** A record as a COPY row: the values the record was hashed from, as they are stored. */
const copyRow = (r: AuditRecord): readonly unknown[] => [
  r.writer,
  r.seq,
  r.at,
  r.kind,
  r.subject,
  r.roles,
  r.department,
  r.purpose,
  r.clientIp,
  r.userAgent,
  r.operation,
  r.queryHash,
  r.queryText,
  r.variables,
  r.outcome,
  r.durationMs,
  r.errorCodes,
  r.entities,
  r.fields,
  r.detail,
  r.prevHash,
  r.hash,
];

/** Records chained between two turns of the event loop. */
const YIELD_EVERY = 50;

interface Prepared {
  readonly records: AuditRecord[];
  /** The batch as the JSON array the INSERT reads; null on the COPY path, which needs none. */
  readonly json: string | null;
  /** The batch as COPY text, on the COPY path. */
  readonly copy: CopyEncoder | null;
}

interface Pending {
  readonly entry: AuditEntry;
  resolve(record: AuditRecord): void;
  reject(err: Error): void;
}

/** `audit_log_y2026m11`, for November 2026 (UTC months). */
export const partitionName = (d: Date): string =>
  `audit_log_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

/** Creates the monthly partitions from the month of `from` through `months` months on. */
export async function ensureAuditPartitions(
  pool: Pool,
  schema: string,
  from: Date,
  months = 2,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Hubs and CLI commands starting together would race on the catalog ("tuple concurrently
    // updated"): one at a time, and a partition that exists is left as it is.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`zhiwang-audit-partitions:${schema}`]);
    for (let i = 0; i < months; i++) {
      const start = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + i, 1));
      const end = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + i + 1, 1));
      const name = partitionName(start);
      const exists = await client.query<{ r: string | null }>(`SELECT to_regclass($1) AS r`, [
        `"${schema}"."${name}"`,
      ]);
      if (exists.rows[0]!.r !== null) continue;
      await client.query(
        `CREATE TABLE "${schema}"."${name}" PARTITION OF "${schema}".audit_log
           FOR VALUES FROM ('${start.toISOString()}') TO ('${end.toISOString()}')`,
      );
      await client.query(
        `REVOKE UPDATE, DELETE, TRUNCATE ON "${schema}"."${name}" FROM PUBLIC, CURRENT_USER`,
      );
      // The row triggers are inherited; a TRUNCATE aimed at the partition itself is refused here.
      await client.query(
        `CREATE TRIGGER no_truncate BEFORE TRUNCATE ON "${schema}"."${name}"
           FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".audit_append_only()`,
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export class AuditWriter {
  readonly writer: string;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private scheduled = false;
  private pumping: Promise<void> | null = null;
  /** The last chained record's seq and hash; null when unknown (after a failure). */
  private head: { seq: number; hash: string } | null;
  /** Bumped by every failed batch: a batch chained before the failure must not be inserted after it. */
  private epoch = 0;
  private partitionsUpTo = '';
  private written = 0;
  /** Decided at the first batch (or by the `copy` option); undefined until then. */
  private writePath: AuditWritePath | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    options: AuditWriterOptions = {},
  ) {
    this.writer = options.writer ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.flushMs = options.flushMs ?? 0;
    this.maxBatch = options.maxBatch ?? 500;
    this.head = null;
    if (options.copy !== undefined) this.writePath = options.copy ? 'COPY' : 'INSERT';
  }

  /** Records committed by this writer since it started. */
  get count(): number {
    return this.written;
  }

  /** How batches go to the store; undefined until the first batch has asked the store. */
  get path(): AuditWritePath | undefined {
    return this.writePath;
  }

  /** Resolves with the chained record once it is committed; rejects with AuditUnavailableError. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Starts the pump unless it runs: after the current tick (flushMs 0), so that appends made together
   * go together. While a batch's statement is in flight, new appends gather into the next batch:
   * that is the group commit, with no fixed wait for a request that comes alone.
   */
  private schedule(): void {
    if (this.pumping || this.scheduled) return;
    this.scheduled = true;
    const start = (): void => {
      this.scheduled = false;
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
        if (this.queue.length > 0) this.schedule();
      });
    };
    if (this.flushMs > 0) setTimeout(start, this.flushMs);
    else setImmediate(start);
  }

  /**
   * Two batches in flight at most: while one batch's statement runs, the next batch is chained
   * (hashing is the writer's CPU cost). Commits stay in chain order: a batch is inserted only after
   * the one before it committed, and fails if that one failed.
   */
  private async pump(): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const epoch = this.epoch;
      let prepared: Prepared;
      try {
        prepared = await this.prepare(batch.map((p) => p.entry));
      } catch (err) {
        this.fail(batch, err);
        continue;
      }
      const prior = previous;
      previous = (async () => {
        await prior;
        if (epoch !== this.epoch) throw new Error('an earlier audit batch failed');
        await this.insert(prepared);
      })().then(
        () => {
          this.written += prepared.records.length;
          batch.forEach((p, i) => p.resolve(prepared.records[i]!));
        },
        (err: unknown) => {
          this.fail(batch, err);
          throw err;
        },
      );
      previous.catch(() => undefined);
      await prior.catch(() => undefined);
    }
    await previous.catch(() => undefined);
  }

  private fail(batch: readonly Pending[], err: unknown): void {
    this.epoch++;
    this.head = null;
    const failure =
      err instanceof AuditUnavailableError ? err : new AuditUnavailableError((err as Error).message);
    for (const p of batch) p.reject(failure);
  }

  /** Chains a batch after the current head (read back from the store when unknown). */
  private async prepare(entries: readonly AuditEntry[]): Promise<Prepared> {
    const month = partitionName(entries[entries.length - 1]!.at);
    if (month > this.partitionsUpTo) {
      await ensureAuditPartitions(this.pool, this.schema, entries[0]!.at);
      this.partitionsUpTo = partitionName(
        new Date(Date.UTC(entries[0]!.at.getUTCFullYear(), entries[0]!.at.getUTCMonth() + 1, 1)),
      );
    }
    this.writePath ??= (await supportsCopy(this.pool)) ? 'COPY' : 'INSERT';
    // Encoded here, while the previous batch is in the store, not once its turn has come. One chunk
    // for the batch: the COPY stream waits for the socket to drain between chunks, and each wait is
    // a turn of an event loop busy chaining the next batch.
    const copy = this.writePath === 'COPY' ? new CopyEncoder(COPY_COLUMNS, Number.POSITIVE_INFINITY) : null;
    let head = this.head ?? (await this.readHead());
    const records: AuditRecord[] = [];
    const rows: string[] = [];
    for (const e of entries) {
      // The canonical text is hashed and, with the hash added, is also the row the INSERT sends:
      // each record is serialised once. COPY sends the record's own values instead.
      const { record, text } = chainWithText(e, this.writer, head.seq + 1, head.hash);
      records.push(record);
      if (copy) copy.add(copyRow(record));
      else rows.push(`${text.slice(0, -1)},"hash":"${record.hash}"}`);
      head = record;
      // Let the previous batch's statement go out and its result come in while this one is chained.
      if (records.length % YIELD_EVERY === 0) await new Promise(setImmediate);
    }
    this.head = head;
    return { records, json: copy ? null : `[${rows.join(',')}]`, copy };
  }

  /** One statement, so the batch commits whole or not at all. */
  private async insert({ json, copy }: Prepared): Promise<void> {
    if (copy) {
      const client = await this.pool.connect();
      try {
        await copyEncoded(client, `"${this.schema}".audit_log`, copy);
      } catch (err) {
        // A connection that failed in the middle of a COPY is not given back to the pool.
        client.release(err as Error);
        throw err;
      }
      client.release();
      return;
    }
    await this.pool.query(
      `INSERT INTO "${this.schema}".audit_log
         (writer, seq, at, kind, subject, roles, department, purpose, client_ip, user_agent, operation, query_hash,
          query_text, variables, outcome, duration_ms, error_codes, entities, fields, detail, prev_hash, hash)
       SELECT writer, seq, at, kind, subject, roles, department, purpose, "clientIp", "userAgent", operation,
              "queryHash", "queryText", variables, outcome, "durationMs", "errorCodes", entities, fields, detail,
              "prevHash", hash
         FROM jsonb_to_recordset($1::jsonb) AS r(writer text, seq bigint, at timestamptz, kind text, subject text,
              roles text[], department text, purpose text, "clientIp" text, "userAgent" text, operation text,
              "queryHash" text, "queryText" text, variables jsonb, outcome text, "durationMs" integer,
              "errorCodes" text[], entities jsonb, fields jsonb, detail jsonb, "prevHash" text, hash text)`,
      [json],
    );
  }

  private async readHead(): Promise<{ seq: number; hash: string }> {
    const r = await this.pool.query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM "${this.schema}".audit_log WHERE writer = $1 ORDER BY seq DESC LIMIT 1`,
      [this.writer],
    );
    const row = r.rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: genesisHash(this.writer) };
  }

  /** Waits until every entry appended so far is committed or failed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.pumping || this.scheduled) {
      await (this.pumping ?? new Promise((r) => setTimeout(r, 1)));
    }
  }
}
