import { BSON } from 'bson';
import type { Document } from 'bson';
import { updateOne } from 'mingo';
import { CommandError, userQuery } from './errors';
import { conjuncts, mingoOptions } from './query';
import { cloneDocument, hashValue, isPlainObject, setPath, withIdFirst } from './values';

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** An update as the `update`/`findAndModify` commands carry it: a replacement, an operator document or a pipeline. */
export type UpdateSpec = Document | Document[];

export interface UpdateOptions {
  arrayFilters?: Document[];
  collation?: Document;
}

export interface UpdateOutcome {
  /** The new document, normalised through BSON (fresh objects, `_id` first). */
  readonly doc: Document;
  /** Whether it differs from the old one; mongod only counts and writes real changes. */
  readonly changed: boolean;
}

export function parseUpdate(raw: unknown): UpdateSpec {
  if (Array.isArray(raw)) {
    if (!raw.every(isPlainObject))
      throw new CommandError('FailedToParse', 'each update pipeline stage must be a document');
    return raw;
  }
  if (!isPlainObject(raw)) throw new CommandError('FailedToParse', 'update must be a document or a pipeline');
  const keys = Object.keys(raw);
  const operators = keys.filter((k) => k.startsWith('$')).length;
  if (operators > 0 && operators < keys.length) {
    throw new CommandError('FailedToParse', 'an update cannot mix $-operators and replacement fields');
  }
  return raw;
}

/** The replacement document when `update` is a replacement (no `$` keys), else undefined. */
export function replacementOf(update: UpdateSpec): Document | undefined {
  if (Array.isArray(update)) return undefined;
  return Object.keys(update).every((k) => !k.startsWith('$')) ? update : undefined;
}

/** Applies `update` to a copy of the stored `doc` (which stays untouched). */
export function applyUpdate(
  doc: Document,
  update: UpdateSpec,
  filter: Document,
  options: UpdateOptions,
): UpdateOutcome {
  let next: Document;
  const replacement = replacementOf(update);
  if (replacement) {
    if (replacement._id !== undefined && hashValue(replacement._id) !== hashValue(doc._id)) {
      throw new CommandError('ImmutableField', "the (immutable) field '_id' was found to have been altered");
    }
    next = { ...replacement, _id: doc._id };
  } else {
    // $setOnInsert only applies when an upsert inserts; mingo does not know it.
    const modifier = Array.isArray(update) ? update : withoutKey(update, '$setOnInsert');
    next = runModifier(cloneDocument(doc), modifier, filter, options);
    if (hashValue(next._id) !== hashValue(doc._id)) {
      throw new CommandError(
        'ImmutableField',
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
  }
  const bytes = serializeChecked(withIdFirst(next));
  const changed = Buffer.compare(bytes, BSON.serialize(doc)) !== 0;
  return { doc: changed ? BSON.deserialize(bytes) : doc, changed };
}

/** The document an upsert inserts when nothing matched: the filter's equality fields, then the update. */
export function buildUpsert(filter: Document, update: UpdateSpec, options: UpdateOptions): Document {
  let doc: Document;
  const replacement = replacementOf(update);
  if (replacement) {
    const seededId = seedFromFilter(filter)._id;
    doc =
      replacement._id === undefined && seededId !== undefined
        ? { _id: seededId, ...replacement }
        : { ...replacement };
  } else {
    const modifier = Array.isArray(update) ? update : mergeSetOnInsert(update);
    doc = runModifier(seedFromFilter(filter), modifier, {}, options);
  }
  return BSON.deserialize(serializeChecked(withIdFirst(doc)));
}

function runModifier(
  target: Document,
  modifier: UpdateSpec,
  condition: Document,
  options: UpdateOptions,
): Document {
  if (!Array.isArray(modifier) && Object.keys(modifier).length === 0) return target;
  const docs = [target];
  userQuery(() =>
    updateOne(
      docs,
      condition,
      modifier as Parameters<typeof updateOne>[2],
      { ...(options.arrayFilters ? { arrayFilters: options.arrayFilters } : {}) },
      mingoOptions(options.collation),
    ),
  );
  return docs[0] as Document;
}

/** Equality conditions of a filter as a document, as mongod seeds an upserted document. */
function seedFromFilter(filter: Document): Document {
  const seed: Document = {};
  for (const [path, condition] of conjuncts(filter)) {
    if (condition instanceof RegExp) continue;
    if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
      if ('$eq' in condition) setPath(seed, path, condition.$eq);
      else if (Array.isArray(condition.$in) && condition.$in.length === 1)
        setPath(seed, path, condition.$in[0]);
      continue;
    }
    setPath(seed, path, condition);
  }
  return seed;
}

function mergeSetOnInsert(update: Document): Document {
  const onInsert: unknown = update.$setOnInsert;
  if (!isPlainObject(onInsert)) return update;
  const rest = withoutKey(update, '$setOnInsert');
  const set: unknown = rest.$set;
  return { ...rest, $set: { ...(isPlainObject(set) ? set : {}), ...onInsert } };
}

function withoutKey(doc: Document, key: string): Document {
  if (!(key in doc)) return doc;
  const copy = { ...doc };
  delete copy[key];
  return copy;
}

function serializeChecked(doc: Document): Uint8Array {
  const bytes = BSON.serialize(doc, { ignoreUndefined: true });
  if (bytes.length > MAX_BSON_OBJECT_SIZE) {
    throw new CommandError(
      'BSONObjectTooLarge',
      `document is ${bytes.length} bytes, over the 16MB BSON limit`,
    );
  }
  return bytes;
}
