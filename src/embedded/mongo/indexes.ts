import { EJSON } from 'bson';
import type { Document } from 'bson';
import { Query } from 'mingo';
import { CommandError, userQuery } from './errors';
import { hashValue, isPlainObject, valuesAtPath } from './values';

export interface IndexSpec extends Document {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
}

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

const SPECIAL_INDEX_TYPES = new Set(['hashed', 'text', '2d', '2dsphere']);
/** Fields mongod rejects or ignores in an index spec; the rest are kept and shown by listIndexes. */
const DROPPED_SPEC_FIELDS = new Set(['ns', 'background', 'v']);

export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, type]) => `${field}_${String(type)}`)
    .join('_');
}

/** Checks a `createIndexes` entry the way mongod does and normalises it to what listIndexes returns. */
export function validateIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) throw new CommandError('TypeMismatch', 'index specification must be a document');
  const key: unknown = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError('BadValue', "index specification must have a non-empty 'key' document");
  }
  for (const [field, type] of Object.entries(key)) {
    const valid =
      (typeof type === 'number' && type !== 0 && Number.isFinite(type)) ||
      (typeof type === 'string' && SPECIAL_INDEX_TYPES.has(type));
    if (!valid)
      throw new CommandError('BadValue', `bad index key pattern for field '${field}': ${String(type)}`);
  }
  const name = raw.name ?? defaultIndexName(key);
  if (typeof name !== 'string' || name === '')
    throw new CommandError('TypeMismatch', 'index name must be a string');
  const spec: IndexSpec = { v: 2, key, name };
  for (const [field, value] of Object.entries(raw)) {
    if (field === 'key' || field === 'name' || DROPPED_SPEC_FIELDS.has(field)) continue;
    if (field === 'unique') {
      if (value === true) spec.unique = true;
      continue;
    }
    spec[field] = value;
  }
  if (spec.partialFilterExpression !== undefined && !isPlainObject(spec.partialFilterExpression)) {
    throw new CommandError('TypeMismatch', 'partialFilterExpression must be a document');
  }
  return spec;
}

/** Whether two specs describe the same index for mongod's "already exists" checks. */
export function sameIndexKey(a: IndexSpec, b: IndexSpec): boolean {
  return hashValue(a.key) === hashValue(b.key);
}

/**
 * A hash index: index key -> row ids. It serves equality and `$in` lookups and enforces `unique`.
 * Ordered access is not needed (sorting is done in memory), so a hash map suffices. Text and geo
 * indexes are accepted and listed but not maintained, since nothing here can use them.
 */
export class CollectionIndex {
  readonly fields: readonly string[];
  readonly maintained: boolean;
  private readonly entries = new Map<string, Set<number>>();
  private readonly partial: Query | undefined;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.maintained =
      Object.values(spec.key).every((type) => typeof type === 'number' || type === 'hashed') &&
      this.fields.every((field) => !field.includes('$**'));
    const partial = spec.partialFilterExpression;
    this.partial = partial ? userQuery(() => new Query(partial)) : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.name === '_id_' || this.spec.unique === true;
  }

  /** The index keys a document produces; none when the index skips it (sparse, partial, unmaintained). */
  keysOf(doc: Document): string[] {
    if (!this.maintained) return [];
    if (this.partial && !this.partial.test(doc)) return [];
    const perField = this.fields.map((field) => valuesAtPath(doc, field, true));
    if (this.spec.sparse === true && perField.every((values) => values.every((v) => v === undefined)))
      return [];
    const hashes = perField.map((values) => [...new Set(values.map(hashValue))]);
    if (hashes.length === 1) return hashes[0] as string[];
    if (hashes.filter((h) => h.length > 1).length > 1) {
      throw new CommandError('BadValue', `cannot index parallel arrays in index ${this.name}`);
    }
    let combos: string[][] = [[]];
    for (const fieldHashes of hashes) combos = combos.flatMap((c) => fieldHashes.map((h) => [...c, h]));
    return combos.map((c) => JSON.stringify(c));
  }

  add(rowId: number, keys: readonly string[]): void {
    for (const key of keys) {
      const rows = this.entries.get(key);
      if (rows) rows.add(rowId);
      else this.entries.set(key, new Set([rowId]));
    }
  }

  remove(rowId: number, keys: readonly string[]): void {
    for (const key of keys) {
      const rows = this.entries.get(key);
      if (!rows) continue;
      rows.delete(rowId);
      if (rows.size === 0) this.entries.delete(key);
    }
  }

  lookup(key: string): ReadonlySet<number> | undefined {
    return this.entries.get(key);
  }

  /** A row other than `self` that already holds one of `keys` (only meaningful for unique indexes). */
  findConflict(keys: readonly string[], self?: number): number | undefined {
    for (const key of keys) {
      for (const rowId of this.entries.get(key) ?? []) if (rowId !== self) return rowId;
    }
    return undefined;
  }

  duplicateKeyError(ns: string, doc: Document): CommandError {
    const keyValue: Document = {};
    for (const field of this.fields) keyValue[field] = valuesAtPath(doc, field, false)[0] ?? null;
    // mongod's shell-like rendering: { field: value, ... }
    const shown = `{ ${Object.entries(keyValue)
      .map(([field, value]) => `${field}: ${EJSON.stringify(value as Document, { relaxed: true })}`)
      .join(', ')} }`;
    return new CommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${ns} index: ${this.name} dup key: ${shown}`,
      { keyPattern: this.spec.key, keyValue },
    );
  }
}
