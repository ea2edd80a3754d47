import { UUID } from 'bson';
import type { Document } from 'bson';
import { CommandError } from './errors';
import { CollectionIndex, ID_INDEX_SPEC, sameIndexKey } from './indexes';
import type { IndexSpec } from './indexes';

export interface Row {
  readonly rowId: number;
  readonly doc: Document;
}

/**
 * One collection's documents plus its indexes. Documents are kept in a Map keyed by an increasing row
 * id, so iteration order is insertion order (mongod's natural order for a fresh collection) and
 * replacing a document keeps its place. Documents are immutable once stored: updates swap in a new
 * object, so cursors holding earlier results never see half-applied changes.
 */
export class Collection {
  readonly uuid = new UUID();
  private readonly rows = new Map<number, Document>();
  private nextRowId = 1;
  private readonly indexList: CollectionIndex[] = [new CollectionIndex(ID_INDEX_SPEC)];

  constructor(
    readonly db: string,
    readonly name: string,
    readonly options: Document = {},
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get count(): number {
    return this.rows.size;
  }

  get indexes(): readonly CollectionIndex[] {
    return this.indexList;
  }

  documents(): Document[] {
    return Array.from(this.rows.values());
  }

  allRows(): Row[] {
    return Array.from(this.rows, ([rowId, doc]) => ({ rowId, doc }));
  }

  row(rowId: number): Row | undefined {
    const doc = this.rows.get(rowId);
    return doc ? { rowId, doc } : undefined;
  }

  /** Adds a document (which must already have `_id`); throws a duplicate-key error and changes nothing if a unique index objects. */
  insert(doc: Document): number {
    const rowId = this.nextRowId++;
    const keys = this.checkedKeys(doc);
    this.indexList.forEach((index, i) => index.add(rowId, keys[i] as string[]));
    this.rows.set(rowId, doc);
    return rowId;
  }

  replace(rowId: number, doc: Document): void {
    const old = this.rows.get(rowId);
    if (!old) throw new CommandError('InternalError', `row ${rowId} vanished from ${this.ns}`);
    const keys = this.checkedKeys(doc, rowId);
    this.indexList.forEach((index, i) => {
      index.remove(rowId, index.keysOf(old));
      index.add(rowId, keys[i] as string[]);
    });
    this.rows.set(rowId, doc);
  }

  remove(rowId: number): void {
    const old = this.rows.get(rowId);
    if (!old) return;
    for (const index of this.indexList) index.remove(rowId, index.keysOf(old));
    this.rows.delete(rowId);
  }

  /** Builds the index over the existing documents; a unique index that existing data violates is not added. */
  createIndex(spec: IndexSpec): void {
    const index = new CollectionIndex(spec);
    for (const [rowId, doc] of this.rows) {
      const keys = index.keysOf(doc);
      if (index.unique && index.findConflict(keys, rowId) !== undefined)
        throw index.duplicateKeyError(this.ns, doc);
      index.add(rowId, keys);
    }
    this.indexList.push(index);
  }

  findIndex(name: string): CollectionIndex | undefined {
    return this.indexList.find((index) => index.name === name);
  }

  findIndexByKey(spec: IndexSpec): CollectionIndex | undefined {
    return this.indexList.find((index) => sameIndexKey(index.spec, spec));
  }

  dropIndex(name: string): void {
    const at = this.indexList.findIndex((index) => index.name === name);
    if (at > 0) this.indexList.splice(at, 1);
  }

  /**
   * Rows whose indexed value at `path` may equal one of the hashed values, or undefined when no
   * maintained single-field index covers `path` (the caller then scans). A superset: the caller
   * still applies the full filter.
   */
  candidates(path: string, hashes: readonly string[]): Set<number> | undefined {
    const index = this.indexList.find((i) => i.maintained && i.fields.length === 1 && i.fields[0] === path);
    if (!index || index.spec.sparse === true || index.spec.partialFilterExpression) return undefined;
    const rowIds = new Set<number>();
    for (const hash of hashes) for (const rowId of index.lookup(hash) ?? []) rowIds.add(rowId);
    return rowIds;
  }

  /** Index keys for `doc` per index, after checking every unique index so a failure leaves no partial state. */
  private checkedKeys(doc: Document, self?: number): string[][] {
    return this.indexList.map((index) => {
      const keys = index.keysOf(doc);
      if (index.unique && index.findConflict(keys, self) !== undefined)
        throw index.duplicateKeyError(this.ns, doc);
      return keys;
    });
  }
}
