import { BSON, Long } from 'bson';
import type { Document } from 'bson';
import { CommandError } from './errors';

/** mongod's default first batch: 101 documents, so a findOne-style query needs no getMore. */
const DEFAULT_FIRST_BATCH = 101;
/** Keeps each reply under the 16MB BSON limit with room for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** mongod's cursorTimeoutMillis default. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  readonly ns: string;
  readonly docs: Document[];
  position: number;
  lastUsed: number;
}

export interface BatchOptions {
  batchSize?: number;
  singleBatch?: boolean;
}

/**
 * Server-side cursors: the full result is computed up front and handed out in batches. Cursors are
 * not tied to a connection because the driver may send getMore on any pooled connection.
 */
export class CursorRegistry {
  private readonly cursors = new Map<number, OpenCursor>();
  private nextId = 1;
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(Date.now()), 60_000);
    this.sweeper.unref();
  }

  /** The reply to a cursor-returning command: first batch, plus a live cursor if more remain. */
  open(ns: string, docs: Document[], options: BatchOptions = {}): Document {
    // batchSize 0 asks for an empty first batch and an open cursor (used before the first getMore).
    const end = options.batchSize === 0 ? 0 : batchEnd(docs, 0, options.batchSize ?? DEFAULT_FIRST_BATCH);
    let id = 0;
    if (end < docs.length && options.singleBatch !== true) {
      id = this.nextId++;
      this.cursors.set(id, { ns, docs, position: end, lastUsed: Date.now() });
    }
    return { cursor: { firstBatch: docs.slice(0, end), id: Long.fromNumber(id), ns }, ok: 1 };
  }

  getMore(rawId: unknown, ns: string, batchSize: number | undefined): Document {
    const id = cursorIdOf(rawId);
    const cursor = this.cursors.get(id);
    if (!cursor || cursor.ns !== ns) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    const end = batchEnd(
      cursor.docs,
      cursor.position,
      batchSize !== undefined && batchSize > 0 ? batchSize : undefined,
    );
    const batch = cursor.docs.slice(cursor.position, end);
    cursor.position = end;
    cursor.lastUsed = Date.now();
    const exhausted = end >= cursor.docs.length;
    if (exhausted) this.cursors.delete(id);
    return { cursor: { nextBatch: batch, id: Long.fromNumber(exhausted ? 0 : id), ns }, ok: 1 };
  }

  kill(rawIds: unknown[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of rawIds) {
      const id = cursorIdOf(raw);
      (this.cursors.delete(id) ? killed : notFound).push(Long.fromNumber(id));
    }
    return { killed, notFound };
  }

  get openCount(): number {
    return this.cursors.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.cursors.clear();
  }

  private sweep(now: number): void {
    for (const [id, cursor] of this.cursors)
      if (now - cursor.lastUsed > IDLE_TIMEOUT_MS) this.cursors.delete(id);
  }
}

/** Index after the last document of a batch starting at `start`: `limit` documents (undefined: no limit) or 16MB. */
function batchEnd(docs: Document[], start: number, limit: number | undefined): number {
  const max = limit !== undefined ? Math.min(docs.length, start + limit) : docs.length;
  let bytes = 0;
  let end = start;
  while (end < max) {
    bytes += BSON.calculateObjectSize(docs[end] as Document, { ignoreUndefined: true });
    // Always make progress, even with one oversized document.
    if (bytes > MAX_BATCH_BYTES && end > start) break;
    end++;
  }
  return end;
}

function cursorIdOf(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (raw instanceof Long) return raw.toNumber();
  throw new CommandError('TypeMismatch', 'cursor id must be a 64-bit integer');
}
