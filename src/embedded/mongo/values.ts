import { BSON, EJSON, ObjectId } from 'bson';
import type { Document } from 'bson';

/** True for `{...}` objects (as BSON deserializes them), false for arrays, dates and BSON wrapper types. */
export function isPlainObject(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function bsonType(value: object): string | undefined {
  const tag = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

/**
 * A string that is equal for two values exactly when MongoDB's equality match treats them as equal
 * (so 1, 1.0 and Long(1) collide, ObjectIds compare by bytes). Hash indexes are keyed by it.
 * Missing and null share a key because `{f: null}` matches both and unique indexes treat them alike.
 */
export function hashValue(value: unknown): string {
  if (value === undefined || value === null) return 'z';
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      return `n${Object.is(value, -0) ? 0 : value}`;
    case 'bigint':
      return `n${value}`;
    case 'boolean':
      return value ? 'b1' : 'b0';
    case 'object':
      break;
    default:
      return `j${String(value)}`;
  }
  if (value instanceof Date) return `d${value.getTime()}`;
  switch (bsonType(value)) {
    case 'ObjectId':
      return `o${(value as ObjectId).toHexString()}`;
    case 'Long':
      // Exact, and identical to String(number) wherever a double can hold the value.
      return `n${value.toString()}`;
    case 'Int32':
    case 'Double':
      return `n${Number(value.valueOf())}`;
    case 'Decimal128': {
      // Equal to a number only when it is that integer exactly (decimal 0.1 is not double 0.1).
      const n = Number(value.toString());
      return Number.isSafeInteger(n) ? `n${n}` : `x${value.toString()}`;
    }
  }
  // Embedded documents and arrays compare field by field in order, which canonical relaxed EJSON
  // reproduces (numbers print the same whatever their BSON width).
  return `j${EJSON.stringify(value as Document, { relaxed: true })}`;
}

/**
 * Values a hash index can look up directly. Nulls, regexes, arrays and documents have matching rules
 * (missing fields, patterns, whole-array equality) that the index does not model, so queries on them scan.
 */
export function isIndexableScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return true;
    case 'number':
      return !Number.isNaN(value);
    case 'object':
      if (value === null) return false;
      if (value instanceof Date) return true;
      return ['ObjectId', 'Long', 'Int32', 'Double'].includes(bsonType(value) ?? '');
    default:
      return false;
  }
}

/**
 * Every value a dotted path reaches, following MongoDB's array traversal: arrays met along the way
 * fan out to their elements, and a numeric segment also indexes into the array. A path that ends
 * nowhere yields `undefined`. With `keepArrays` a leaf array is reported itself as well as its elements,
 * because `{tags: ['a', 'b']}` matches the whole array and `{tags: 'a'}` matches an element.
 */
export function valuesAtPath(doc: unknown, path: string, keepArrays: boolean): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out, keepArrays);
  return out;
}

function collect(value: unknown, segments: string[], i: number, out: unknown[], keepArrays: boolean): void {
  if (i === segments.length) {
    if (Array.isArray(value)) {
      if (keepArrays) out.push(value);
      out.push(...value);
    } else {
      out.push(value);
    }
    return;
  }
  const segment = segments[i] as string;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(segment)) collect(value[Number(segment)], segments, i + 1, out, keepArrays);
    for (const element of value) {
      if (isPlainObject(element)) collect(element[segment], segments, i + 1, out, keepArrays);
    }
    return;
  }
  collect(isPlainObject(value) ? value[segment] : undefined, segments, i + 1, out, keepArrays);
}

/** Sets a dotted path, creating the intermediate documents (used to seed upserted documents). */
export function setPath(doc: Document, path: string, value: unknown): void {
  const segments = path.split('.');
  let target: Document = doc;
  for (const segment of segments.slice(0, -1)) {
    const next: unknown = target[segment];
    if (isPlainObject(next)) {
      target = next;
    } else {
      const created: Document = {};
      target[segment] = created;
      target = created;
    }
  }
  target[segments[segments.length - 1] as string] = value;
}

/** Returns the document with `_id` as its first field, as mongod stores it; generates one if missing. */
export function withIdFirst(doc: Document): Document {
  if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
  if (Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** An independent copy that preserves BSON types; stored documents are never mutated in place. */
export function cloneDocument(doc: Document): Document {
  return BSON.deserialize(BSON.serialize(doc, { ignoreUndefined: true }));
}
