import { Pool } from 'pg';
import type { DepartmentMapping } from '../../config/mappingSchema';
import type { PgDepartment } from '../../config/types';
import { DepartmentError } from '../../errors';
import type { Connector, Criterion, HealthStatus, RecordRef, ScanPage, Watermark } from '../Connector';
import { keysetPages, refKey, sourceColumn } from '../Connector';
import { mapRecord } from '../mapRecord';
import type { SourceRecord } from '../SourceRecord';

export interface PgConnectorOptions {
  readonly department: PgDepartment;
  readonly mapping: DepartmentMapping;
  readonly url: string;
  readonly schema: string;
  /** Per-query and connect timeout in ms. */
  readonly timeoutMs: number;
  readonly poolSize: number;
}

/** Ranges a full read keeps requested ahead of the one being consumed. */
const READ_AHEAD = 2;

const quote = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;

/** Executes a PostgreSQL department's mapping through `pg`. Read-only: it issues SELECTs only. */
export class PgConnector implements Connector {
  readonly department: PgDepartment;
  readonly mapping: DepartmentMapping;
  private pool: Pool | null = null;
  /** udt_name of every column of every mapped table, learnt at open(), used to cast key arrays. */
  private readonly columnTypes = new Map<string, Map<string, string>>();
  private trips = 0;
  private columnsLoaded: Promise<void> | null = null;

  constructor(private readonly options: PgConnectorOptions) {
    this.department = options.department;
    this.mapping = options.mapping;
  }

  get roundTrips(): number {
    return this.trips;
  }

  async open(): Promise<void> {
    this.pool = new Pool({
      connectionString: this.options.url,
      max: this.options.poolSize,
      connectionTimeoutMillis: this.options.timeoutMs,
      query_timeout: this.options.timeoutMs,
      // The department is read-only to Zhiwang; the session says so too.
      options: '-c default_transaction_read_only=on',
    });
    // A pool error (a dropped idle connection) must not crash the hub; the next query reports it.
    this.pool.on('error', () => undefined);
    await this.ready();
  }

  /**
   * Learns the column types once. A department that is down at startup is retried on first use, so the
   * hub can start without it and serve it when it returns.
   */
  private ready(): Promise<void> {
    this.columnsLoaded ??= this.loadColumnTypes().catch((err: unknown) => {
      this.columnsLoaded = null;
      throw err;
    });
    return this.columnsLoaded;
  }

  /** Reads the mapped tables' column types, and fails if the mapping names a column the table lacks. */
  private async loadColumnTypes(): Promise<void> {
    const tables = Object.values(this.mapping.records).map((r) => r.source);
    const rows = await this.query<{ table_name: string; column_name: string; udt_name: string }>(
      `SELECT table_name, column_name, udt_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = ANY($2::text[])`,
      [this.options.schema, tables],
    );
    for (const r of rows) {
      let cols = this.columnTypes.get(r.table_name);
      if (!cols) this.columnTypes.set(r.table_name, (cols = new Map()));
      cols.set(r.column_name, r.udt_name);
    }
    for (const [recordType, rec] of Object.entries(this.mapping.records)) {
      const cols = this.columnTypes.get(rec.source);
      if (!cols) {
        throw new DepartmentError(
          this.department,
          `table ${this.options.schema}.${rec.source} (${recordType}) does not exist`,
        );
      }
      for (const col of [rec.key, rec.updatedAt, ...Object.values(rec.fields).map((f) => f.from)]) {
        if (!cols.has(col))
          throw new DepartmentError(this.department, `column ${rec.source}.${col} does not exist`);
      }
    }
  }

  private table(recordType: string): string {
    const rec = this.mapping.records[recordType];
    if (!rec) throw new Error(`${this.department} has no record type ${recordType}`);
    return `${quote(this.options.schema)}.${quote(rec.source)}`;
  }

  /** `$n::text[]` cast to the column's own array type, so that the column's index is used. */
  private arrayParam(recordType: string, column: string, n: number): string {
    const type = this.columnTypes.get(this.mapping.records[recordType]!.source)?.get(column) ?? 'text';
    return `$${n}::text[]::${type}[]`;
  }

  private async query<R>(sql: string, params: unknown[]): Promise<R[]> {
    if (!this.pool) throw new DepartmentError(this.department, 'connector is not open');
    this.trips++;
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (err) {
      throw new DepartmentError(this.department, (err as Error).message, { cause: err });
    }
  }

  async health(): Promise<HealthStatus> {
    const t0 = Date.now();
    try {
      await this.query('SELECT 1', []);
      return { department: this.department, ok: true, latencyMs: Date.now() - t0 };
    } catch (err) {
      return {
        department: this.department,
        ok: false,
        latencyMs: Date.now() - t0,
        error: (err as Error).message,
      };
    }
  }

  async loadByIds(refs: readonly RecordRef[]): Promise<Map<string, SourceRecord>> {
    const byType = new Map<string, string[]>();
    for (const r of refs) {
      const ids = byType.get(r.recordType) ?? [];
      ids.push(r.sourceId);
      byType.set(r.recordType, ids);
    }
    const out = new Map<string, SourceRecord>();
    if (byType.size === 0) return out;
    await this.ready();
    // One statement for every record type, so a batch costs one round trip to the department.
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [recordType, ids] of byType) {
      params.push(ids);
      const key = this.mapping.records[recordType]!.key;
      parts.push(
        `SELECT $${params.length + 1}::text AS rt, to_jsonb(t) AS row FROM ${this.table(recordType)} t ` +
          `WHERE t.${quote(key)} = ANY(${this.arrayParam(recordType, key, params.length)})`,
      );
      params.push(recordType);
    }
    const rows = await this.query<{ rt: string; row: Record<string, unknown> }>(
      parts.join(' UNION ALL '),
      params,
    );
    for (const { rt, row } of rows) {
      const rec = mapRecord(this.mapping, rt, row);
      out.set(refKey(rec), rec);
    }
    return out;
  }

  async loadBy(recordType: string, field: string, values: readonly string[]): Promise<SourceRecord[]> {
    const col = sourceColumn(this.mapping, recordType, field);
    await this.ready();
    const rows = await this.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) AS row FROM ${this.table(recordType)} t WHERE t.${quote(col)} = ANY(${this.arrayParam(recordType, col, 1)})`,
      [values],
    );
    return rows.map((r) => mapRecord(this.mapping, recordType, r.row));
  }

  async search(
    recordType: string,
    criteria: readonly Criterion[],
    orderBy: string,
    limit: number,
  ): Promise<SourceRecord[]> {
    const params: unknown[] = [];
    const where = criteria.map((c) => {
      const col = `t.${quote(sourceColumn(this.mapping, recordType, c.field))}::text`;
      const escaped = c.value.replace(/[\\%_]/g, (m) => `\\${m}`);
      switch (c.op) {
        case 'eq':
          params.push(c.value);
          return `${col} = $${params.length}`;
        case 'contains':
          params.push(`%${escaped}%`);
          return `${col} LIKE $${params.length}`;
        case 'prefix':
          params.push(`${escaped}%`);
          return `${col} LIKE $${params.length}`;
        case 'gt':
          params.push(c.value);
          return `${col} > $${params.length}`;
        default: {
          const never: never = c.op;
          throw new Error(`unhandled operator ${String(never)}`);
        }
      }
    });
    params.push(limit);
    const order = quote(sourceColumn(this.mapping, recordType, orderBy));
    const rows = await this.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) AS row FROM ${this.table(recordType)} t ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
        `ORDER BY t.${order} LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => mapRecord(this.mapping, recordType, r.row));
  }

  scan(recordType: string, after: Watermark | null, batchSize: number): AsyncIterable<ScanPage> {
    const rec = this.mapping.records[recordType]!;
    const [u, k] = [quote(rec.updatedAt), quote(rec.key)];
    return keysetPages(after, batchSize, async (cursor) => {
      await this.ready();
      const rows = await this.query<{ row: Record<string, unknown>; wm: string; id: string }>(
        // The watermark travels as text: a JavaScript Date would cut microseconds off, and the next
        // page would then start before rows it has already read.
        `SELECT to_jsonb(t) AS row, t.${u}::text AS wm, t.${k}::text AS id FROM ${this.table(recordType)} t ` +
          (cursor ? `WHERE ${this.afterCursor(recordType)} ` : '') +
          `ORDER BY t.${u}, t.${k} LIMIT $1`,
        cursor ? [batchSize, cursor.updatedAt, cursor.sourceId] : [batchSize],
      );
      const last = rows[rows.length - 1];
      if (last === undefined) return null;
      return {
        records: rows.map((r) => mapRecord(this.mapping, recordType, r.row)),
        watermark: { updatedAt: last.wm, sourceId: last.id },
      };
    });
  }

  /** `(watermark, key) > ($n, $n+1)` for the record type, the key compared in its own column type. */
  private afterCursor(recordType: string, n = 2): string {
    const rec = this.mapping.records[recordType]!;
    const keyType = this.columnTypes.get(rec.source)?.get(rec.key) ?? 'text';
    return `(t.${quote(rec.updatedAt)}, t.${quote(rec.key)}) > ($${n}::timestamptz, $${n + 1}::text::${keyType})`;
  }

  async count(recordType: string, after: Watermark | null): Promise<number> {
    await this.ready();
    const [row] = await this.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.table(recordType)} t` +
        (after ? ` WHERE ${this.afterCursor(recordType, 1)}` : ''),
      after ? [after.updatedAt, after.sourceId] : [],
    );
    return Number(row!.n);
  }

  async *keys(recordType: string, batchSize: number): AsyncIterable<string[]> {
    await this.ready();
    const k = quote(this.mapping.records[recordType]!.key);
    let last: string | null = null;
    for (;;) {
      const rows: Array<{ id: string }> = await this.query(
        `SELECT t.${k}::text AS id FROM ${this.table(recordType)} t` +
          (last === null ? '' : ` WHERE t.${k} > $2`) +
          ` ORDER BY t.${k} LIMIT $1`,
        last === null ? [batchSize] : [batchSize, last],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => r.id);
      if (rows.length < batchSize) return;
      last = rows[rows.length - 1]!.id;
    }
  }

  /**
   * Reads the table in physical order by ranges of blocks (`ctid` range scans, PostgreSQL 14+): no
   * sort, no index, and each range its own statement, so no transaction stays open between batches
   * and a reader never holds up the writers of a crosswalk build (the embedded server serves one
   * transaction at a time). Ranges are sized from the table's statistics to hold about `batchSize`
   * rows; the next range is fetched while this one is mapped. Rows added to blocks past the table's
   * size when the read began are left to the next read.
   */
  async *readAll(recordType: string, batchSize: number): AsyncIterable<SourceRecord[]> {
    await this.ready();
    const table = this.table(recordType);
    const [size] = await this.query<{ blocks: string; tuples: number; pages: number }>(
      `SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS blocks,
              c.reltuples::float8 AS tuples, c.relpages AS pages
         FROM pg_class c WHERE c.oid = $1::regclass`,
      [table],
    );
    const blocks = Number(size?.blocks ?? 0);
    const rowsPerBlock = size && size.tuples > 0 && size.pages > 0 ? size.tuples / size.pages : 50;
    const step = Math.max(1, Math.floor(batchSize / rowsPerBlock));
    const range = (from: number): Promise<Array<{ row: Record<string, unknown> }>> => {
      const next = this.query<{ row: Record<string, unknown> }>(
        `SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.ctid >= $1::tid AND t.ctid < $2::tid`,
        [`(${from},0)`, `(${from + step},0)`],
      );
      next.catch(() => undefined); // awaited below; handled here so an early stop cannot leak it
      return next;
    };
    // Two ranges in flight: the server prepares the next while this one travels and is mapped.
    const queue: Array<Promise<Array<{ row: Record<string, unknown> }>>> = [];
    let next = 0;
    const fill = (): void => {
      while (queue.length < READ_AHEAD && next < blocks) {
        queue.push(range(next));
        next += step;
      }
    };
    fill();
    while (queue.length > 0) {
      const rows = await queue.shift()!;
      fill();
      if (rows.length > 0) yield rows.map((r) => mapRecord(this.mapping, recordType, r.row));
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.end();
  }
}
