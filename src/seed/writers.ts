/**
 * Batched writers. Rows are buffered per table and written `batchSize` at a time with one
 * `INSERT … SELECT … FROM unnest($1::text[], …)` statement (COPY FROM STDIN does not pass through
 * the embedded server's socket). Each table's batches run one after another so that insertion order
 * is deterministic; different tables write concurrently. No transaction is held open, because the
 * embedded server serialises transactions and a held one would deadlock the other writers.
 *
 * `throttle()` is the back-pressure: the generator awaits it between grids, so that at most a few
 * batches per table are ever in memory.
 */
import type { Db } from 'mongodb';
import type { Pool } from 'pg';
import type { TableSpec } from './tables';

interface BatchQueue {
  readonly pending: Promise<void>[];
  error: unknown;
}

function enqueue(queue: BatchQueue, work: () => Promise<void>): void {
  const previous = queue.pending[queue.pending.length - 1] ?? Promise.resolve();
  const next = previous.then(async () => {
    if (queue.error !== undefined) return;
    try {
      await work();
    } catch (err) {
      queue.error = err;
    }
  });
  queue.pending.push(next);
  void next.then(() => {
    const i = queue.pending.indexOf(next);
    if (i >= 0) queue.pending.splice(i, 1);
  });
}

async function waitBelow(queue: BatchQueue, max: number): Promise<void> {
  while (queue.pending.length > max) await queue.pending[0];
  if (queue.error !== undefined) throw queue.error;
}

export class PgBatchWriter {
  private buffers: unknown[][];
  private buffered = 0;
  private readonly queue: BatchQueue = { pending: [], error: undefined };
  private readonly sql: string;
  /** Rows handed to the database so far. */
  written = 0;

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly spec: TableSpec,
    private readonly batchSize: number,
  ) {
    this.buffers = spec.columns.map(() => []);
    const names = spec.columns.map(([name]) => name).join(', ');
    const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
    this.sql = `INSERT INTO "${schema}".${spec.table} (${names}) SELECT * FROM unnest(${arrays})`;
  }

  add(values: readonly unknown[]): void {
    if (this.queue.error !== undefined) throw this.queue.error;
    if (values.length !== this.buffers.length) {
      throw new Error(`${this.spec.table}: ${values.length} values for ${this.buffers.length} columns`);
    }
    for (let i = 0; i < values.length; i++) this.buffers[i]!.push(values[i]);
    if (++this.buffered >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.buffered === 0) return;
    const columns = this.buffers;
    const rows = this.buffered;
    this.buffers = this.spec.columns.map(() => []);
    this.buffered = 0;
    enqueue(this.queue, async () => {
      try {
        await this.pool.query(this.sql, columns);
      } catch (err) {
        throw new Error(`writing ${rows} rows to ${this.spec.table} failed: ${(err as Error).message}`);
      }
      this.written += rows;
    });
  }

  throttle(maxPending: number): Promise<void> {
    return waitBelow(this.queue, maxPending);
  }

  async drain(): Promise<void> {
    this.flush();
    await waitBelow(this.queue, 0);
  }
}

export class MongoBatchWriter {
  private buffer: Record<string, unknown>[] = [];
  private readonly queue: BatchQueue = { pending: [], error: undefined };
  written = 0;

  constructor(
    private readonly db: Db,
    private readonly collection: string,
    private readonly batchSize: number,
  ) {}

  add(doc: Record<string, unknown>): void {
    if (this.queue.error !== undefined) throw this.queue.error;
    this.buffer.push(doc);
    if (this.buffer.length >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const docs = this.buffer;
    this.buffer = [];
    enqueue(this.queue, async () => {
      try {
        await this.db.collection(this.collection).insertMany(docs, { ordered: true });
      } catch (err) {
        throw new Error(
          `writing ${docs.length} documents to ${this.collection} failed: ${(err as Error).message}`,
        );
      }
      this.written += docs.length;
    });
  }

  throttle(maxPending: number): Promise<void> {
    return waitBelow(this.queue, maxPending);
  }

  async drain(): Promise<void> {
    this.flush();
    await waitBelow(this.queue, 0);
  }
}
