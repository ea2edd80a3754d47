import { MongoClient, type Collection, type Document, type Filter } from 'mongodb';
import type { DepartmentMapping } from '../../config/mappingSchema';
import { DepartmentError } from '../../errors';
import type { Connector, Criterion, HealthStatus, RecordRef, ScanPage, Watermark } from '../Connector';
import { keysetPages, refKey, sourceColumn } from '../Connector';
import { mapRecord } from '../mapRecord';
import type { SourceRecord } from '../SourceRecord';

export interface MongoConnectorOptions {
  readonly mapping: DepartmentMapping;
  readonly url: string;
  readonly database: string;
  /** Server-selection, connect and per-operation timeout in ms. */
  readonly timeoutMs: number;
  readonly poolSize: number;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Executes the market-regulation mapping through the official MongoDB driver. Read-only. */
export class MongoConnector implements Connector {
  readonly department = 'market' as const;
  readonly mapping: DepartmentMapping;
  private client: MongoClient | null = null;
  private trips = 0;

  constructor(private readonly options: MongoConnectorOptions) {
    this.mapping = options.mapping;
  }

  get roundTrips(): number {
    return this.trips;
  }

  async open(): Promise<void> {
    this.client = new MongoClient(this.options.url, {
      maxPoolSize: this.options.poolSize,
      serverSelectionTimeoutMS: this.options.timeoutMs,
      connectTimeoutMS: this.options.timeoutMs,
      // Polling monitoring keeps the driver from holding a streaming `hello` open per server, which
      // the embedded server and some proxies handle poorly; real servers accept it too.
      serverMonitoringMode: 'poll',
      readPreference: 'secondaryPreferred',
    });
    await this.run(() => this.client!.connect());
  }

  private collection(recordType: string): Collection<Document> {
    if (!this.client) throw new DepartmentError('market', 'connector is not open');
    const rec = this.mapping.records[recordType];
    if (!rec) throw new Error(`market has no record type ${recordType}`);
    return this.client.db(this.options.database).collection(rec.source);
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    this.trips++;
    try {
      return await op();
    } catch (err) {
      if (err instanceof DepartmentError) throw err;
      throw new DepartmentError('market', (err as Error).message, { cause: err });
    }
  }

  private async find(
    recordType: string,
    filter: Filter<Document>,
    sort?: Document,
    limit?: number,
  ): Promise<SourceRecord[]> {
    const docs = await this.run(() => {
      let cursor = this.collection(recordType).find(filter, { maxTimeMS: this.options.timeoutMs });
      if (sort) cursor = cursor.sort(sort);
      if (limit !== undefined) cursor = cursor.limit(limit);
      return cursor.toArray();
    });
    return docs.map((d) => mapRecord(this.mapping, recordType, d));
  }

  async health(): Promise<HealthStatus> {
    const t0 = Date.now();
    try {
      if (!this.client) throw new Error('connector is not open');
      await this.run(() => this.client!.db(this.options.database).command({ ping: 1 }));
      return { department: 'market', ok: true, latencyMs: Date.now() - t0 };
    } catch (err) {
      return { department: 'market', ok: false, latencyMs: Date.now() - t0, error: (err as Error).message };
    }
  }

  async loadByIds(refs: readonly RecordRef[]): Promise<Map<string, SourceRecord>> {
    const out = new Map<string, SourceRecord>();
    const byType = new Map<string, string[]>();
    for (const r of refs) byType.set(r.recordType, [...(byType.get(r.recordType) ?? []), r.sourceId]);
    // The market department has one collection, so each batch is one round trip.
    for (const [recordType, ids] of byType) {
      const key = this.mapping.records[recordType]!.key;
      for (const rec of await this.find(recordType, { [key]: { $in: ids } })) out.set(refKey(rec), rec);
    }
    return out;
  }

  loadBy(recordType: string, field: string, values: readonly string[]): Promise<SourceRecord[]> {
    return this.find(recordType, { [sourceColumn(this.mapping, recordType, field)]: { $in: [...values] } });
  }

  search(
    recordType: string,
    criteria: readonly Criterion[],
    orderBy: string,
    limit: number,
  ): Promise<SourceRecord[]> {
    const filter: Document = {};
    for (const c of criteria) {
      const path = sourceColumn(this.mapping, recordType, c.field);
      const cond =
        c.op === 'eq'
          ? c.value
          : c.op === 'contains'
            ? { $regex: escapeRegex(c.value) }
            : c.op === 'prefix'
              ? { $regex: `^${escapeRegex(c.value)}` }
              : { $gt: c.value };
      filter.$and = [...((filter.$and as Document[] | undefined) ?? []), { [path]: cond }];
    }
    return this.find(recordType, filter, { [sourceColumn(this.mapping, recordType, orderBy)]: 1 }, limit);
  }

  scan(recordType: string, after: Watermark | null, batchSize: number): AsyncIterable<ScanPage> {
    const rec = this.mapping.records[recordType]!;
    return keysetPages(after, batchSize, async (cursor) => {
      const records = await this.find(
        recordType,
        this.afterCursor(recordType, cursor),
        {
          [rec.updatedAt]: 1,
          [rec.key]: 1,
        },
        batchSize,
      );
      const last = records[records.length - 1];
      if (last === undefined) return null;
      return {
        records,
        watermark: { updatedAt: last.updatedAt ?? new Date(0).toISOString(), sourceId: last.sourceId },
      };
    });
  }

  private afterCursor(recordType: string, cursor: Watermark | null): Filter<Document> {
    const rec = this.mapping.records[recordType]!;
    return cursor
      ? {
          $or: [
            { [rec.updatedAt]: { $gt: new Date(cursor.updatedAt) } },
            { [rec.updatedAt]: new Date(cursor.updatedAt), [rec.key]: { $gt: cursor.sourceId } },
          ],
        }
      : {};
  }

  async count(recordType: string, after: Watermark | null): Promise<number> {
    return this.run(() =>
      this.collection(recordType).countDocuments(this.afterCursor(recordType, after), {
        maxTimeMS: this.options.timeoutMs,
      }),
    );
  }

  keys(recordType: string, batchSize: number): AsyncIterable<string[]> {
    const key = this.mapping.records[recordType]!.key;
    return this.batches(recordType, { [key]: 1 }, batchSize, (doc) => String(doc[key]));
  }

  readAll(recordType: string, batchSize: number): AsyncIterable<SourceRecord[]> {
    return this.batches(recordType, undefined, batchSize, (doc) => mapRecord(this.mapping, recordType, doc));
  }

  /** Every document of the type through one cursor, mapped, in batches of `batchSize`. */
  private async *batches<T>(
    recordType: string,
    projection: Document | undefined,
    batchSize: number,
    map: (doc: Document) => T,
  ): AsyncIterable<T[]> {
    const cursor = this.collection(recordType).find({}, { projection, batchSize });
    try {
      let batch: T[] = [];
      for await (const doc of cursor) {
        batch.push(map(doc));
        if (batch.length >= batchSize) {
          this.trips++;
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } catch (err) {
      throw new DepartmentError(this.department, (err as Error).message, { cause: err });
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close();
  }
}
