import type { Document } from 'bson';
import { Aggregator, ProcessingMode, Query } from 'mingo';
import type { Collection, Row } from './collection';
import { CommandError, userQuery } from './errors';
import { hashValue, isIndexableScalar, isPlainObject } from './values';

/** mingo's option bag (its `Options` type is not reachable under node10 module resolution). */
export type MingoOptions = NonNullable<ConstructorParameters<typeof Query>[1]>;

export interface FindSpec {
  filter?: Document;
  sort?: Document;
  projection?: Document;
  skip?: number;
  limit?: number;
  collation?: Document;
}

export function mingoOptions(collation: Document | undefined, extra: MingoOptions = {}): MingoOptions {
  return { ...(collation ? { collation: collation as MingoOptions['collation'] } : {}), ...extra };
}

export function compileFilter(filter: Document | undefined, collation?: Document): Query {
  if (filter !== undefined && !isPlainObject(filter))
    throw new CommandError('TypeMismatch', 'filter must be a document');
  return userQuery(() => new Query(filter ?? {}, mingoOptions(collation)));
}

/** The hashed values an equality-like condition can look up in an index, or undefined if it needs a scan. */
function lookupHashes(condition: unknown): string[] | undefined {
  if (isIndexableScalar(condition)) return [hashValue(condition)];
  if (!isPlainObject(condition)) return undefined;
  const keys = Object.keys(condition);
  if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) return undefined;
  if ('$eq' in condition && isIndexableScalar(condition.$eq)) return [hashValue(condition.$eq)];
  const list: unknown = condition.$in;
  if (Array.isArray(list) && list.every(isIndexableScalar)) return list.map(hashValue);
  return undefined;
}

/** Top-level `field: condition` pairs, including those inside top-level `$and`s (all must hold). */
export function conjuncts(filter: Document, out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainObject(clause)) conjuncts(clause, out);
    } else if (!key.startsWith('$')) {
      out.push([key, condition]);
    }
  }
  return out;
}

/**
 * Rows that may match `filter`: the smallest index lookup among its equality/`$in` conditions, in
 * natural order, or every row when no index applies.
 */
export function candidateRows(coll: Collection, filter: Document | undefined, collation?: Document): Row[] {
  // Hash keys compare strings byte for byte; a collation may equate different strings.
  if (collation) return coll.allRows();
  let best: Set<number> | undefined;
  for (const [path, condition] of conjuncts(filter ?? {})) {
    const hashes = lookupHashes(condition);
    if (!hashes) continue;
    const rowIds = coll.candidates(path, hashes);
    if (rowIds && (!best || rowIds.size < best.size)) best = rowIds;
  }
  if (!best) return coll.allRows();
  const rows: Row[] = [];
  for (const rowId of Array.from(best).sort((a, b) => a - b)) {
    const row = coll.row(rowId);
    if (row) rows.push(row);
  }
  return rows;
}

/** Rows matching `filter` in natural order, stopping after `limit` when given (updateOne, deleteOne). */
export function matchRows(
  coll: Collection,
  filter: Document | undefined,
  collation?: Document,
  limit?: number,
): Row[] {
  const query = compileFilter(filter, collation);
  const matched: Row[] = [];
  for (const row of candidateRows(coll, filter, collation)) {
    if (!userQuery(() => query.test(row.doc))) continue;
    matched.push(row);
    if (limit !== undefined && matched.length >= limit) break;
  }
  return matched;
}

/** Orders rows with MongoDB sort semantics; `$natural` means storage order. */
export function sortRows(rows: Row[], sort: Document | undefined, collation?: Document): Row[] {
  const spec = normaliseSort(sort);
  if (spec.natural === -1) rows = [...rows].reverse();
  if (!spec.keys) return rows;
  const byDoc = new Map(rows.map((row) => [row.doc, row]));
  const sorted = userQuery(() =>
    new Query({}, mingoOptions(collation))
      .find(
        rows.map((r) => r.doc),
        {},
      )
      .sort(spec.keys as Record<string, 1 | -1>)
      .all(),
  );
  return sorted.map((doc) => byDoc.get(doc as Document) as Row);
}

function normaliseSort(sort: Document | undefined): { keys?: Document; natural?: number } {
  if (sort === undefined || sort === null) return {};
  if (!isPlainObject(sort)) throw new CommandError('TypeMismatch', 'sort must be a document');
  const keys: Document = {};
  let natural: number | undefined;
  for (const [field, direction] of Object.entries(sort)) {
    const dir = Number(direction);
    if (dir !== 1 && dir !== -1) {
      throw new CommandError(
        'BadValue',
        `$sort key ordering must be 1 (for ascending) or -1 (for descending)`,
      );
    }
    if (field === '$natural') natural = dir;
    else keys[field] = dir;
  }
  return { ...(Object.keys(keys).length ? { keys } : {}), ...(natural !== undefined ? { natural } : {}) };
}

export function projectDocs(docs: Document[], projection: Document | undefined): Document[] {
  if (projection === undefined || projection === null || Object.keys(projection).length === 0) return docs;
  if (!isPlainObject(projection)) throw new CommandError('TypeMismatch', 'projection must be a document');
  const projected = userQuery(() => new Query({}).find(docs, projection).all() as Document[]);
  return projected.map(idFirst);
}

/** mingo appends `_id` after included fields; mongod returns it first. */
export function idFirst(doc: Document): Document {
  if (!('_id' in doc) || Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** Runs a `find`: index-assisted filter, then sort, skip, limit and projection. */
export function runFind(coll: Collection | undefined, spec: FindSpec): Document[] {
  if (!coll) return [];
  let rows = sortRows(matchRows(coll, spec.filter, spec.collation), spec.sort, spec.collation);
  const skip = spec.skip ?? 0;
  const limit = Math.abs(spec.limit ?? 0);
  if (skip > 0 || limit > 0) rows = rows.slice(skip, limit > 0 ? skip + limit : undefined);
  return projectDocs(
    rows.map((r) => r.doc),
    spec.projection,
  );
}

/** Pipeline stages known not to modify their input documents, which therefore need no defensive copy. */
const READ_ONLY_STAGES = new Set([
  '$match',
  '$sort',
  '$skip',
  '$limit',
  '$count',
  '$group',
  '$sortByCount',
  '$sample',
]);

/** Runs an aggregation pipeline over stored documents without letting mingo mutate them. */
export function runPipeline(docs: Document[], pipeline: Document[], options: MingoOptions): Document[] {
  const readOnly = pipeline.every((stage) => READ_ONLY_STAGES.has(Object.keys(stage)[0] ?? ''));
  const processingMode = readOnly ? ProcessingMode.CLONE_OFF : ProcessingMode.CLONE_INPUT;
  const results = userQuery(
    () => new Aggregator(pipeline, { ...options, processingMode }).run(docs) as Document[],
  );
  return results.map(idFirst);
}
