/**
 * `zhiwang audit export`: the audit records matching a filter, as CSV (RFC 4180, for a spreadsheet)
 * or JSONL (one full record per line, whose hash an auditor's tool can recompute: see record.ts).
 * Records are read in keyset-paged batches ordered by (at, writer, seq), so an export of millions of
 * records holds one batch in memory, and the output stream's backpressure is respected.
 *
 * `auditFilterSql` is the one place a filter becomes SQL; the GraphQL auditor API uses it too.
 */
import { once } from 'node:events';
import type { Pool } from 'pg';
import { recordObject, type AuditRecord } from './record';
import { fromRow } from './verify';

export interface AuditFilter {
  readonly subject?: string;
  readonly department?: string;
  /** With entityKey or alone: records whose response returned an entity of this type. */
  readonly entityType?: string;
  /** With entityType or alone: records whose response returned an entity with this key. */
  readonly entityKey?: string;
  /** A `Type.field` the operation touched, in any mode. */
  readonly field?: string;
  readonly purpose?: string;
  readonly outcome?: string;
  readonly kind?: string;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/**
 * A WHERE fragment over audit_log (unqualified column names) and its parameters, numbered from
 * `firstParam`. With no condition it is `TRUE`. The parameter array is the caller's to extend.
 */
export function auditFilterSql(filter: AuditFilter, firstParam = 1): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown, cast = ''): string => {
    params.push(value);
    return `$${firstParam + params.length - 1}${cast}`;
  };
  const equals: Array<[keyof AuditFilter, string]> = [
    ['subject', 'subject'],
    ['department', 'department'],
    ['purpose', 'purpose'],
    ['outcome', 'outcome'],
    ['kind', 'kind'],
  ];
  for (const [key, column] of equals) {
    const value = filter[key];
    if (present(value)) conditions.push(`${column} = ${param(value, '::text')}`);
  }
  if (present(filter.entityType) || present(filter.entityKey)) {
    // Containment, so that the GIN (jsonb_path_ops) index on entities serves it.
    const wanted: Record<string, string> = {};
    if (present(filter.entityType)) wanted.type = filter.entityType;
    if (present(filter.entityKey)) wanted.key = filter.entityKey;
    conditions.push(`entities @> ${param(JSON.stringify([wanted]), '::jsonb')}`);
  }
  if (present(filter.field)) conditions.push(`fields ? ${param(filter.field, '::text')}`);
  for (const [key, op] of [
    ['from', '>='],
    ['to', '<'],
  ] as const) {
    const value = filter[key];
    if (!present(value)) continue;
    if (!(value instanceof Date) || Number.isNaN(value.getTime()))
      throw new Error(`audit filter: ${key} is not a valid date`);
    conditions.push(`at ${op} ${param(value, '::timestamptz')}`);
  }
  return { where: conditions.length > 0 ? conditions.join(' AND ') : 'TRUE', params };
}

/** One record as a JSON object with the AuditRecord field names, `at` as an ISO string. */
export function auditRecordJson(r: AuditRecord): string {
  return JSON.stringify(recordObject(r));
}

export const AUDIT_CSV_COLUMNS = [
  'at',
  'writer',
  'seq',
  'kind',
  'subject',
  'roles',
  'department',
  'purpose',
  'client_ip',
  'operation',
  'outcome',
  'duration_ms',
  'error_codes',
  'entities',
  'fields',
  'query_hash',
  'hash',
] as const;

/** RFC 4180: a field holding a comma, a double quote, CR or LF is quoted, its quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (CRLF-terminated, as RFC 4180 has it) for a record, in AUDIT_CSV_COLUMNS order. */
export function auditCsvRow(r: AuditRecord): string {
  const cells: Array<string | number | null> = [
    r.at.toISOString(),
    r.writer,
    r.seq,
    r.kind,
    r.subject,
    r.roles.join(';'),
    r.department,
    r.purpose,
    r.clientIp,
    r.operation,
    r.outcome,
    r.durationMs,
    r.errorCodes.join(';'),
    r.entities.map((e) => `${e.type}:${e.key}`).join(';'),
    Object.entries(r.fields)
      .map(([field, mode]) => `${field}=${mode}`)
      .join(';'),
    r.queryHash,
    r.hash,
  ];
  return cells.map(csvField).join(',') + '\r\n';
}

async function write(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Writes the records matching `filter` to `out`, ordered by (at, writer, seq); returns how many.
 * CSV starts with a header row. `out` is not ended: it may be stdout.
 */
export async function exportAudit(
  pool: Pool,
  schema: string,
  filter: AuditFilter,
  format: 'csv' | 'jsonl',
  out: NodeJS.WritableStream,
  options: { batchSize?: number } = {},
): Promise<number> {
  if (format !== 'csv' && format !== 'jsonl')
    throw new Error(`audit export: format must be csv or jsonl, got ${String(format)}`);
  const batch = options.batchSize ?? 5000;
  const line = format === 'csv' ? auditCsvRow : (r: AuditRecord) => auditRecordJson(r) + '\n';
  if (format === 'csv') await write(out, AUDIT_CSV_COLUMNS.join(',') + '\r\n');
  let written = 0;
  // The cursor keeps `at` as the server's text, exact to the microsecond, not as a JS Date (ms).
  let after: { at: string; writer: string; seq: string } | null = null;
  for (;;) {
    const { where, params } = auditFilterSql(filter, 1);
    const conditions = [where];
    if (after) {
      params.push(after.at, after.writer, after.seq);
      const n = params.length;
      conditions.push(`(at, writer, seq) > ($${n - 2}::timestamptz, $${n - 1}::text, $${n}::bigint)`);
    }
    params.push(batch);
    const rows = await pool.query(
      `SELECT *, at::text AS at_cursor FROM "${schema}".audit_log WHERE ${conditions.join(' AND ')}
        ORDER BY at, writer, seq LIMIT $${params.length}`,
      params,
    );
    if (rows.rows.length === 0) break;
    let chunk = '';
    for (const row of rows.rows) chunk += line(fromRow(row));
    await write(out, chunk);
    written += rows.rows.length;
    const last = rows.rows[rows.rows.length - 1] as { at_cursor: string; writer: string; seq: string };
    after = { at: last.at_cursor, writer: last.writer, seq: String(last.seq) };
    if (rows.rows.length < batch) break;
  }
  return written;
}
