/**
 * Audit retention: monthly partitions older than `audit.retentionDays` (at least 180) are archived,
 * verified and only then dropped, never silently.
 *
 * For each expiring partition, oldest first:
 *  1. its records are streamed, per writer in seq order, in keyset-paged batches, into
 *     `<archiveDir>/<partition>.jsonl.gz` (written to a temporary file, fsynced, then renamed);
 *  2. the file is re-read and verified (`verifyArchive`): every record's hash recomputed, seq and
 *     prev_hash continuous per writer, the closing chain-heads line matching the records;
 *  3. in one transaction, with the partition locked against inserts: the partition must still hold
 *     exactly what was archived, nothing in it may be newer than the cut-off, each writer's first
 *     archived record must link to where its chain started (the head retention dropped before, or
 *     its genesis), and the rest of its chain in the log must link to the archived head. Then one
 *     audit_retention row per writer records the head (upto_seq, upto_hash) and the archive (file,
 *     SHA-256), and the partition is dropped.
 * Anything that does not hold throws, and the partition stays.
 *
 * Archive format (gzip, UTF-8, one JSON value per LF-terminated line):
 *  - one line per record, ordered by writer (JS string order) then seq, with the AuditRecord field
 *    names and `at` as an ISO string (exactly the fields record.ts hashes, plus `hash`);
 *  - a last line with the chain heads: `{ "partition", "records", "heads": [{ writer, firstSeq,
 *    firstPrevHash, lastSeq, lastHash, records }] }`, the only line with a `heads` key.
 * The file's SHA-256 is kept in audit_retention.export_sha256, so an auditor can later check an
 * archive with `verifyArchive` and compare its sha256 and heads with audit_retention.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import type { Pool, PoolClient } from 'pg';
import { ConfigError } from '../errors';
import { partitionName } from './AuditWriter';
import { auditRecordJson } from './export';
import { genesisHash, recordHash, type AuditRecord } from './record';
import { fromRow } from './verify';

export const MIN_RETENTION_DAYS = 180;
const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** Days records are kept; at least 180. */
  readonly retentionDays: number;
  /** Where archives are written; created if missing. */
  readonly archiveDir: string;
  /** The present, default the clock. */
  readonly now?: Date;
  readonly log?: (m: string) => void;
  /** Records read per query while archiving, default 5,000. */
  readonly batchSize?: number;
}

export interface RetentionReport {
  readonly dropped: Array<{ partition: string; records: number; file: string; sha256: string }>;
  /** Partitions left in place: not expired yet, or not monthly partitions this module knows. */
  readonly kept: string[];
}

/** One writer's stretch of chain in an archive. */
export interface ArchiveHead {
  readonly writer: string;
  readonly firstSeq: number;
  readonly firstPrevHash: string;
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly records: number;
}

export interface ArchiveSummary {
  readonly partition: string;
  readonly records: number;
  readonly heads: readonly ArchiveHead[];
  /** SHA-256 of the compressed file, hex. */
  readonly sha256: string;
}

export class ArchiveVerificationError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    reason: string,
  ) {
    super(`audit archive ${file}${line === null ? '' : `, line ${line}`}: ${reason}`);
    this.name = 'ArchiveVerificationError';
  }
}

/** Retention refused a partition; `dropped` lists what this run had dropped before it. */
export class RetentionRefusedError extends Error {
  constructor(
    readonly partition: string,
    reason: string,
    readonly dropped: RetentionReport['dropped'],
  ) {
    super(`audit retention refused to drop ${partition}: ${reason}`);
    this.name = 'RetentionRefusedError';
  }
}

const RECORD_KEYS = [
  'writer',
  'seq',
  'at',
  'kind',
  'subject',
  'roles',
  'department',
  'purpose',
  'clientIp',
  'userAgent',
  'operation',
  'queryHash',
  'queryText',
  'variables',
  'outcome',
  'durationMs',
  'errorCodes',
  'entities',
  'fields',
  'detail',
  'prevHash',
  'hash',
] as const;
const RECORD_KEY_SET = new Set<string>(RECORD_KEYS);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A record line back to an AuditRecord, or the reason it is not one. */
function recordFromJson(o: Record<string, unknown>): AuditRecord | string {
  for (const k of RECORD_KEYS) if (!(k in o)) return `a record without ${k}`;
  for (const k of Object.keys(o)) if (!RECORD_KEY_SET.has(k)) return `a record with an unknown field ${k}`;
  if (typeof o.writer !== 'string') return 'writer is not a string';
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1)
    return 'seq is not a positive integer';
  if (typeof o.prevHash !== 'string' || typeof o.hash !== 'string') return 'prevHash or hash is not a string';
  if (typeof o.at !== 'string') return 'at is not a string';
  const at = new Date(o.at);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== o.at) return `at is not an ISO timestamp: ${o.at}`;
  return { ...(o as unknown as AuditRecord), at };
}

interface MutableHead {
  writer: string;
  firstSeq: number;
  firstPrevHash: string;
  lastSeq: number;
  lastHash: string;
  records: number;
}

/**
 * Re-reads an archive and checks it: every record's hash, seq and prev_hash continuity per writer,
 * and the closing heads line against the records. Throws ArchiveVerificationError on the first fault;
 * returns the heads and the file's SHA-256, to compare with audit_retention.
 */
export async function verifyArchive(file: string): Promise<ArchiveSummary> {
  const sha = createHash('sha256');
  const heads: MutableHead[] = [];
  let current: MutableHead | null = null;
  let trailer: Record<string, unknown> | null = null;
  let lineNo = 0;
  let records = 0;
  // The first fault found; pipeline may report it as an abort, so it is kept here too.
  let failure: ArchiveVerificationError | null = null;
  const fault = (reason: string, line: number | null = lineNo) =>
    (failure ??= new ArchiveVerificationError(file, line, reason));

  const onLine = (line: string): void => {
    lineNo++;
    if (trailer !== null) throw fault('a line follows the chain-heads line, which must be the last');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw fault('not JSON');
    }
    if (!isObject(value)) throw fault('not a JSON object');
    if ('heads' in value) {
      trailer = value;
      return;
    }
    const r = recordFromJson(value);
    if (typeof r === 'string') throw fault(r);
    const id = `writer ${r.writer} seq ${r.seq}`;
    if (recordHash(r) !== r.hash) throw fault(`${id}: its content does not match its hash`);
    if (current === null || current.writer !== r.writer) {
      if (current !== null && !(r.writer > current.writer))
        throw fault(`${id}: writers are not in order (${r.writer} after ${current.writer})`);
      current = {
        writer: r.writer,
        firstSeq: r.seq,
        firstPrevHash: r.prevHash,
        lastSeq: r.seq,
        lastHash: r.hash,
        records: 0,
      };
      heads.push(current);
    } else {
      if (r.seq !== current.lastSeq + 1)
        throw fault(
          r.seq > current.lastSeq + 1
            ? `${id}: records ${current.lastSeq + 1}–${r.seq - 1} are missing`
            : `${id}: seq does not follow ${current.lastSeq}`,
        );
      if (r.prevHash !== current.lastHash)
        throw fault(`${id}: its prev_hash is not the previous record’s hash`);
      current.lastSeq = r.seq;
      current.lastHash = r.hash;
    }
    current.records++;
    records++;
  };

  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(file), hashing, createGunzip(), async (source: AsyncIterable<Buffer>) => {
      const decoder = new StringDecoder('utf8');
      let rest = '';
      for await (const chunk of source) {
        rest += decoder.write(chunk);
        let start = 0;
        for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
          onLine(rest.slice(start, nl));
          start = nl + 1;
        }
        rest = rest.slice(start);
      }
      rest += decoder.end();
      if (rest.length > 0) onLine(rest);
    });
  } catch (err) {
    if (failure !== null) throw failure;
    throw fault(`cannot be read: ${(err as Error).message}`, null);
  }
  const t = trailer as Record<string, unknown> | null;
  if (t === null) throw fault('no chain-heads line at the end: the archive is truncated', null);
  if (typeof t.partition !== 'string') throw fault('the chain-heads line names no partition', lineNo);
  if (t.records !== records)
    throw fault(
      `the chain-heads line counts ${String(t.records)} records, the file holds ${records}`,
      lineNo,
    );
  const listed = t.heads;
  if (!Array.isArray(listed) || listed.length !== heads.length)
    throw fault('the chain-heads line does not list one head per writer in the file', lineNo);
  heads.forEach((h, i) => {
    const l: unknown = listed[i];
    const same =
      isObject(l) &&
      Object.keys(l).length === 6 &&
      (Object.keys(h) as Array<keyof MutableHead>).every((k) => l[k] === h[k]);
    if (!same) throw fault(`the chain-heads line does not match the records of writer ${h.writer}`, lineNo);
  });
  return { partition: t.partition, records, heads, sha256: sha.digest('hex') };
}

const MONTHLY = /^audit_log_y(\d{4})m(\d{2})$/;

interface Partition {
  readonly name: string;
  readonly start: Date;
  readonly end: Date;
}

interface WriterCount {
  readonly writer: string;
  readonly records: number;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly maxAt: Date;
}

const q = (schema: string, table: string): string => `"${schema}"."${table}"`;

async function listPartitions(
  pool: Pool,
  schema: string,
): Promise<{ monthly: Partition[]; other: string[] }> {
  const r = await pool.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = 'audit_log'`,
    [schema],
  );
  const monthly: Partition[] = [];
  const other: string[] = [];
  for (const { name } of r.rows) {
    const m = MONTHLY.exec(name);
    const start = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
    if (!m || !start || partitionName(start) !== name) {
      other.push(name);
      continue;
    }
    monthly.push({ name, start, end: new Date(Date.UTC(Number(m[1]), Number(m[2]), 1)) });
  }
  monthly.sort((a, b) => a.start.getTime() - b.start.getTime());
  return { monthly, other: other.sort() };
}

async function countByWriter(
  db: Pool | PoolClient,
  schema: string,
  partition: string,
): Promise<WriterCount[]> {
  const r = await db.query<{ writer: string; n: string; min_seq: string; max_seq: string; max_at: Date }>(
    `SELECT writer, count(*) AS n, min(seq) AS min_seq, max(seq) AS max_seq, max(at) AS max_at
       FROM ${q(schema, partition)} GROUP BY writer`,
  );
  return r.rows
    .map((w) => ({
      writer: w.writer,
      records: Number(w.n),
      minSeq: Number(w.min_seq),
      maxSeq: Number(w.max_seq),
      maxAt: w.max_at,
    }))
    .sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0));
}

/** Streams a partition into a gzip file: its records per writer in seq order, then the heads line. */
async function writeArchive(
  pool: Pool,
  schema: string,
  partition: string,
  writers: readonly string[],
  file: string,
  batch: number,
): Promise<void> {
  async function* lines(): AsyncGenerator<Buffer> {
    const heads: MutableHead[] = [];
    let records = 0;
    for (const writer of writers) {
      let head: MutableHead | null = null;
      let after = 0;
      for (;;) {
        const rows = await pool.query(
          `SELECT * FROM ${q(schema, partition)} WHERE writer = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
          [writer, after, batch],
        );
        let chunk = '';
        for (const row of rows.rows) {
          const r = fromRow(row);
          chunk += auditRecordJson(r) + '\n';
          if (head === null) {
            head = {
              writer,
              firstSeq: r.seq,
              firstPrevHash: r.prevHash,
              lastSeq: r.seq,
              lastHash: r.hash,
              records: 0,
            };
            heads.push(head);
          }
          head.lastSeq = r.seq;
          head.lastHash = r.hash;
          head.records++;
          records++;
          after = r.seq;
        }
        if (chunk) yield Buffer.from(chunk);
        if (rows.rows.length < batch) break;
      }
    }
    yield Buffer.from(JSON.stringify({ partition, records, heads }) + '\n');
  }
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(file, { flags: 'wx' }));
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not every platform can fsync a directory; the file itself is synced.
  }
}

/**
 * Under the lock: what is about to be dropped is what was archived, and the chains link on both
 * sides of it. Returns the reason it must not be dropped, or null.
 */
async function dropRefusal(
  client: PoolClient,
  schema: string,
  partition: string,
  archive: ArchiveSummary,
  cutoff: Date,
): Promise<string | null> {
  const now = await countByWriter(client, schema, partition);
  const total = now.reduce((n, w) => n + w.records, 0);
  if (total !== archive.records)
    return `it holds ${total} records and the archive ${archive.records} (duplicate seqs, or records added meanwhile)`;
  if (now.length !== archive.heads.length) return 'its writers are not the archive’s';
  for (let i = 0; i < now.length; i++) {
    const w = now[i]!;
    const h = archive.heads[i]!;
    if (w.writer !== h.writer || w.records !== h.records || w.minSeq !== h.firstSeq || w.maxSeq !== h.lastSeq)
      return `writer ${w.writer}: the partition holds seq ${w.minSeq}–${w.maxSeq} (${w.records} records), the archive does not`;
    if (w.maxAt.getTime() >= cutoff.getTime())
      return `writer ${w.writer} has a record at ${w.maxAt.toISOString()}, after the cut-off ${cutoff.toISOString()}`;
  }
  const again = await client.query(
    `SELECT 1 FROM ${q(schema, 'audit_retention')} WHERE partition = $1 LIMIT 1`,
    [partition],
  );
  if (again.rows.length > 0) return 'audit_retention already records it as dropped';
  for (const h of archive.heads) {
    const before = await client.query<{ upto_seq: string; upto_hash: string; partition: string }>(
      `SELECT upto_seq, upto_hash, partition FROM ${q(schema, 'audit_retention')}
        WHERE writer = $1 ORDER BY upto_seq DESC LIMIT 1`,
      [h.writer],
    );
    const prior = before.rows[0];
    const expected = prior
      ? {
          seq: Number(prior.upto_seq),
          hash: prior.upto_hash,
          what: `the head dropped with ${prior.partition}`,
        }
      : { seq: 0, hash: genesisHash(h.writer), what: 'its genesis' };
    if (h.firstSeq !== expected.seq + 1 || h.firstPrevHash !== expected.hash)
      return (
        `writer ${h.writer}: its first record here (seq ${h.firstSeq}) does not link to ${expected.what} ` +
        `(seq ${expected.seq}); the chain would be cut`
      );
    const after = await client.query<{ seq: string; prev_hash: string }>(
      `SELECT seq, prev_hash FROM ${q(schema, 'audit_log')}
        WHERE writer = $1 AND tableoid <> $2::regclass ORDER BY seq LIMIT 1`,
      [h.writer, q(schema, partition)],
    );
    const next = after.rows[0];
    if (next && (Number(next.seq) !== h.lastSeq + 1 || next.prev_hash !== h.lastHash))
      return (
        `writer ${h.writer}: its chain continues elsewhere in the log at seq ${next.seq}, which does not ` +
        `follow this partition's head (seq ${h.lastSeq})`
      );
  }
  return null;
}

/**
 * Archives, verifies and drops every monthly partition whose month ended more than `retentionDays`
 * ago, oldest first. Throws (RetentionRefusedError, ArchiveVerificationError) rather than drop a
 * partition whose archive or chain does not check out; partitions dropped earlier in the run stay
 * dropped, each with its audit_retention rows.
 */
export async function applyRetention(
  pool: Pool,
  schema: string,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const { retentionDays } = options;
  if (
    typeof retentionDays !== 'number' ||
    !Number.isFinite(retentionDays) ||
    retentionDays < MIN_RETENTION_DAYS
  )
    throw new ConfigError(
      'audit.retentionDays',
      `audit records are kept at least ${MIN_RETENTION_DAYS} days, got ${String(retentionDays)}`,
    );
  const log = options.log ?? (() => undefined);
  const batch = options.batchSize ?? 5000;
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const thisMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const archiveDir = resolve(options.archiveDir);

  const { monthly, other } = await listPartitions(pool, schema);
  const expiring = monthly.filter(
    (p) => p.end.getTime() <= cutoff.getTime() && p.start.getTime() < thisMonth.getTime(),
  );
  const kept = [...monthly.filter((p) => !expiring.includes(p)).map((p) => p.name), ...other];
  for (const name of other) log(`audit retention: ${name} is not a monthly partition; left alone`);
  if (expiring.length === 0) {
    log(
      `audit retention: nothing ended before ${cutoff.toISOString()} (${retentionDays} days); nothing dropped`,
    );
    return { dropped: [], kept };
  }
  await mkdir(archiveDir, { recursive: true });

  const dropped: Array<{ partition: string; records: number; file: string; sha256: string }> = [];
  for (const p of expiring) {
    const refuse = (reason: string) => new RetentionRefusedError(p.name, reason, [...dropped]);
    const seen = await pool.query(
      `SELECT 1 FROM ${q(schema, 'audit_retention')} WHERE partition = $1 LIMIT 1`,
      [p.name],
    );
    if (seen.rows.length > 0)
      throw refuse(
        'audit_retention records it as dropped already, so it was created again; its records need a look',
      );
    const counts = await countByWriter(pool, schema, p.name);
    const records = counts.reduce((n, w) => n + w.records, 0);
    const file = join(archiveDir, `${p.name}.jsonl.gz`);
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    log(`audit retention: archiving ${p.name} (${records} records, ${counts.length} writers) to ${file}`);

    let archive: ArchiveSummary;
    try {
      await writeArchive(
        pool,
        schema,
        p.name,
        counts.map((w) => w.writer),
        tmp,
        batch,
      );
      archive = await verifyArchive(tmp);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ArchiveVerificationError)
        throw refuse(`its archive does not verify: ${err.message}`);
      throw err;
    }
    if (archive.partition !== p.name || archive.records !== records) {
      await rm(tmp, { force: true });
      throw refuse(
        `the archive holds ${archive.records} records of ${archive.partition}, expected ${records}`,
      );
    }
    await rename(tmp, file);
    await syncDir(archiveDir);
    log(`audit retention: ${file} verified, sha256 ${archive.sha256}`);

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '30s'`);
      // No insert can reach the partition now; reads go on until the DROP.
      await client.query(`LOCK TABLE ${q(schema, p.name)} IN SHARE MODE`);
      const reason = await dropRefusal(client, schema, p.name, archive, cutoff);
      if (reason !== null) throw refuse(reason);
      for (const h of archive.heads)
        await client.query(
          `INSERT INTO ${q(schema, 'audit_retention')}
             (partition, writer, upto_seq, upto_hash, records, export_file, export_sha256)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [p.name, h.writer, h.lastSeq, h.lastHash, h.records, file, archive.sha256],
        );
      await client.query(`DROP TABLE ${q(schema, p.name)}`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      log(`audit retention: ${p.name} NOT dropped: ${(err as Error).message} (archive left at ${file})`);
      throw err;
    } finally {
      client.release();
    }
    const heads = archive.heads.map((h) => `${h.writer} up to seq ${h.lastSeq}`).join(', ');
    log(
      `audit retention: dropped ${p.name} (${archive.records} records; chains continue after ${heads || 'none'})`,
    );
    dropped.push({ partition: p.name, records: archive.records, file, sha256: archive.sha256 });
  }
  return { dropped, kept };
}
