import type { DepartmentMapping } from '../config/mappingSchema';
import type { Department } from '../config/types';
import type { SourceRecord } from './SourceRecord';

export interface RecordRef {
  readonly recordType: string;
  readonly sourceId: string;
}

export const refKey = (ref: RecordRef): string => `${ref.recordType}\u0000${ref.sourceId}`;

/** A position in a department's change stream: the watermark plus the source key as a tie-breaker. */
export interface Watermark {
  readonly updatedAt: string;
  readonly sourceId: string;
}

export interface ScanPage {
  readonly records: SourceRecord[];
  readonly watermark: Watermark;
}

export interface Criterion {
  /** A mapped (canonical) field name of the record type. */
  readonly field: string;
  readonly op: 'eq' | 'contains' | 'prefix' | 'gt';
  readonly value: string;
}

export interface HealthStatus {
  readonly department: Department;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

/**
 * The lifecycle every departmental connector implements: open, health check, batch-load by key,
 * search, scan changes since a watermark, close. Connectors only read: no method writes to a department.
 * Every failure to reach the department is raised as a DepartmentError.
 */
export interface Connector {
  readonly department: Department;
  readonly mapping: DepartmentMapping;
  /** Round trips made to the department so far; tests use it to guard against N+1. */
  readonly roundTrips: number;
  open(): Promise<void>;
  health(): Promise<HealthStatus>;
  /** Loads records by source key, across record types, in one round trip. Missing keys are absent. */
  loadByIds(refs: readonly RecordRef[]): Promise<Map<string, SourceRecord>>;
  /** Loads the records whose mapped field equals one of the values (`= ANY($1)` / `$in`). */
  loadBy(recordType: string, field: string, values: readonly string[]): Promise<SourceRecord[]>;
  /** Records matching every criterion, ordered by a mapped field, at most `limit`. */
  search(
    recordType: string,
    criteria: readonly Criterion[],
    orderBy: string,
    limit: number,
  ): Promise<SourceRecord[]>;
  /**
   * Records changed after the watermark, oldest first, in pages; each page carries the exact position
   * after its last record (the source's own precision, e.g. PostgreSQL's microseconds), to resume from.
   */
  scan(recordType: string, after: Watermark | null, batchSize: number): AsyncIterable<ScanPage>;
  /** How many records changed after the watermark (all of them for null). */
  count(recordType: string, after: Watermark | null): Promise<number>;
  /** Every source key of the type, in batches: what a sync compares to find deleted records. */
  keys(recordType: string, batchSize: number): AsyncIterable<string[]>;
  /**
   * Every record of the type, in no particular order, in batches of about `batchSize`: what a full
   * crosswalk build reads, streamed without the per-page sort a watermark scan needs.
   */
  readAll(recordType: string, batchSize: number): AsyncIterable<SourceRecord[]>;
  close(): Promise<void>;
}

/** The source column (or document path) behind a mapped scalar field. */
export function sourceColumn(mapping: DepartmentMapping, recordType: string, field: string): string {
  const rec = mapping.records[recordType];
  if (!rec) throw new Error(`${mapping.department} has no record type ${recordType}`);
  const f = rec.fields[field];
  if (!f || f.type === 'list')
    throw new Error(`${mapping.department}.${recordType} has no scalar field ${field}`);
  return f.from;
}

/**
 * Keyset pagination over (watermark, key): fetches the page after the cursor until a short page.
 * Both connectors scan this way, so a change stream resumes exactly after its last record.
 */
export async function* keysetPages(
  after: Watermark | null,
  batchSize: number,
  fetchAfter: (cursor: Watermark | null) => Promise<ScanPage | null>,
): AsyncIterable<ScanPage> {
  let cursor = after;
  for (;;) {
    const page = await fetchAfter(cursor);
    if (page === null || page.records.length === 0) return;
    yield page;
    cursor = page.watermark;
    if (page.records.length < batchSize) return;
  }
}
