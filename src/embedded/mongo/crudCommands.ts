import type { Document } from 'bson';
import { Collection } from './collection';
import {
  collectionArg,
  cursorBatchSize,
  flag,
  optArray,
  optDocument,
  optDocuments,
  optNonNegative,
  optNumber,
  requireDocuments,
  writeError,
} from './commandArgs';
import type { CommandContext, CommandHandler } from './commandArgs';
import { CommandError } from './errors';
import { candidateRows, matchRows, mingoOptions, projectDocs, runFind, runPipeline, sortRows } from './query';
import { validateCollectionName, validateDbName } from './store';
import { applyUpdate, buildUpsert, parseUpdate, replacementOf } from './updates';
import type { UpdateOptions } from './updates';
import { cloneDocument, hashValue, isPlainObject, valuesAtPath, withIdFirst } from './values';

function writeReply(fields: Document, writeErrors: Document[]): Document {
  return { ...fields, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
}

function updateOptions(stmt: Document): UpdateOptions {
  const arrayFilters = optDocuments(stmt, 'arrayFilters');
  const collation = optDocument(stmt, 'collation');
  return { ...(arrayFilters ? { arrayFilters } : {}), ...(collation ? { collation } : {}) };
}

const find: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  if (flag(cmd, 'tailable')) throw new CommandError('NotImplemented', 'tailable cursors are not supported');
  const docs = runFind(ctx.store.get(ctx.db, name), {
    filter: optDocument(cmd, 'filter'),
    sort: optDocument(cmd, 'sort'),
    projection: optDocument(cmd, 'projection'),
    skip: optNonNegative(cmd, 'skip'),
    limit: optNumber(cmd, 'limit'),
    collation: optDocument(cmd, 'collation'),
  });
  return ctx.cursors.open(`${ctx.db}.${name}`, docs, {
    batchSize: optNonNegative(cmd, 'batchSize'),
    singleBatch: flag(cmd, 'singleBatch'),
  });
};

const getMore: CommandHandler = (cmd, ctx) => {
  const collection: unknown = cmd.collection;
  if (typeof collection !== 'string') throw new CommandError('TypeMismatch', "'collection' must be a string");
  return ctx.cursors.getMore(cmd.getMore, `${ctx.db}.${collection}`, optNonNegative(cmd, 'batchSize'));
};

const killCursors: CommandHandler = (cmd, ctx) => {
  const { killed, notFound } = ctx.cursors.kill(optArray(cmd, 'cursors') ?? []);
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

function prepareInsert(doc: Document): Document {
  const prepared = withIdFirst(doc);
  if (Array.isArray(prepared._id) || prepared._id instanceof RegExp) {
    throw new CommandError(
      'InvalidIdField',
      `can't use a ${Array.isArray(prepared._id) ? 'array' : 'regex'} for _id`,
    );
  }
  return prepared;
}

const insert: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const docs = requireDocuments(cmd, 'documents');
  const ordered = cmd.ordered !== false;
  const coll = ctx.store.ensure(ctx.db, name);
  let n = 0;
  const writeErrors: Document[] = [];
  for (const [index, doc] of docs.entries()) {
    try {
      coll.insert(prepareInsert(doc));
      n++;
    } catch (err) {
      writeErrors.push(writeError(err, index));
      if (ordered) break;
    }
  }
  if (n > 0) ctx.store.changed(coll);
  return writeReply({ n }, writeErrors);
};

const update: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const statements = requireDocuments(cmd, 'updates');
  const ordered = cmd.ordered !== false;
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors: Document[] = [];
  for (const [index, stmt] of statements.entries()) {
    try {
      const filter = optDocument(stmt, 'q') ?? {};
      const change = parseUpdate(stmt.u);
      const multi = flag(stmt, 'multi');
      const options = updateOptions(stmt);
      if (multi && replacementOf(change)) {
        throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
      }
      const coll = ctx.store.get(ctx.db, name);
      const rows = coll ? matchRows(coll, filter, options.collation, multi ? undefined : 1) : [];
      if (rows.length === 0 && flag(stmt, 'upsert')) {
        const doc = buildUpsert(filter, change, options);
        const target = ctx.store.ensure(ctx.db, name);
        target.insert(doc);
        ctx.store.changed(target);
        n++;
        upserted.push({ index, _id: doc._id });
        continue;
      }
      for (const row of rows) {
        const outcome = applyUpdate(row.doc, change, filter, options);
        if (outcome.changed && coll) {
          coll.replace(row.rowId, outcome.doc);
          ctx.store.changed(coll);
          nModified++;
        }
        n++;
      }
    } catch (err) {
      writeErrors.push(writeError(err, index));
      if (ordered) break;
    }
  }
  return writeReply({ n, nModified, ...(upserted.length > 0 ? { upserted } : {}) }, writeErrors);
};

const deleteCommand: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const statements = requireDocuments(cmd, 'deletes');
  const ordered = cmd.ordered !== false;
  let n = 0;
  const writeErrors: Document[] = [];
  for (const [index, stmt] of statements.entries()) {
    try {
      const limit = optNumber(stmt, 'limit') ?? 0;
      if (limit !== 0 && limit !== 1) throw new CommandError('BadValue', 'delete limit must be 0 or 1');
      const coll = ctx.store.get(ctx.db, name);
      if (!coll) continue;
      const rows = matchRows(
        coll,
        optDocument(stmt, 'q') ?? {},
        optDocument(stmt, 'collation'),
        limit || undefined,
      );
      for (const row of rows) coll.remove(row.rowId);
      if (rows.length > 0) ctx.store.changed(coll);
      n += rows.length;
    } catch (err) {
      writeErrors.push(writeError(err, index));
      if (ordered) break;
    }
  }
  return writeReply({ n }, writeErrors);
};

const count: CommandHandler = (cmd, ctx) => {
  const coll = ctx.store.get(ctx.db, collectionArg(cmd, ctx));
  const query = optDocument(cmd, 'query');
  let n = 0;
  if (coll) {
    n =
      query && Object.keys(query).length > 0
        ? matchRows(coll, query, optDocument(cmd, 'collation')).length
        : coll.count;
  }
  n = Math.max(0, n - (optNonNegative(cmd, 'skip') ?? 0));
  const limit = Math.abs(optNumber(cmd, 'limit') ?? 0);
  return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
};

const distinct: CommandHandler = (cmd, ctx) => {
  const key: unknown = cmd.key;
  if (typeof key !== 'string' || key === '')
    throw new CommandError('TypeMismatch', "'key' must be a non-empty string");
  const coll = ctx.store.get(ctx.db, collectionArg(cmd, ctx));
  const collation = optDocument(cmd, 'collation');
  const seen = new Map<string, unknown>();
  for (const row of coll ? matchRows(coll, optDocument(cmd, 'query'), collation) : []) {
    for (const value of valuesAtPath(row.doc, key, false)) {
      if (value !== undefined && !seen.has(hashValue(value))) seen.set(hashValue(value), value);
    }
  }
  // mongod returns the values in index order; sorting keeps the output deterministic.
  const wrapped = [...seen.values()].map((value, i) => ({ rowId: i, doc: { v: value } }));
  return { values: sortRows(wrapped, { v: 1 }, collation).map((row) => row.doc.v as unknown), ok: 1 };
};

/** `$out` target: `'name'` or `{db, coll}`. */
function outTarget(spec: unknown, db: string): { db: string; coll: string } {
  if (typeof spec === 'string') return { db, coll: validateCollectionName(spec) };
  if (isPlainObject(spec)) return { db: validateDbName(spec.db), coll: validateCollectionName(spec.coll) };
  throw new CommandError('TypeMismatch', '$out must be a collection name or {db, coll}');
}

/** Replaces the `$out` target atomically: built aside (keeping its indexes), installed only if every insert succeeded. */
function writeOut(ctx: CommandContext, target: { db: string; coll: string }, docs: Document[]): void {
  const existing = ctx.store.get(target.db, target.coll);
  const fresh = new Collection(target.db, target.coll, existing?.options ?? {});
  for (const index of existing?.indexes.slice(1) ?? []) fresh.createIndex(index.spec);
  for (const doc of docs) fresh.insert(withIdFirst(cloneDocument(doc)));
  ctx.store.put(fresh);
}

const aggregate: CommandHandler = (cmd, ctx) => {
  const pipeline = requireDocuments(cmd, 'pipeline');
  if (cmd.explain !== undefined) throw new CommandError('NotImplemented', 'explain is not supported');
  if (!isPlainObject(cmd.cursor)) {
    throw new CommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  for (const [i, stage] of pipeline.entries()) {
    const [op, ...more] = Object.keys(stage);
    if (op === undefined || more.length > 0) {
      throw new CommandError(
        'FailedToParse',
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    if (op === '$merge') throw new CommandError('NotImplemented', '$merge is not supported');
    if (op === '$out' && i !== pipeline.length - 1) {
      throw new CommandError('FailedToParse', '$out can only be the final stage in the pipeline');
    }
  }
  const last = pipeline[pipeline.length - 1];
  const out = last && '$out' in last ? outTarget(last.$out, ctx.db) : undefined;
  const stages = out ? pipeline.slice(0, -1) : pipeline;

  let source: Document[] = [];
  let ns = `${ctx.db}.$cmd.aggregate`;
  if (typeof cmd.aggregate === 'string') {
    const name = validateCollectionName(cmd.aggregate);
    ns = `${ctx.db}.${name}`;
    const coll = ctx.store.get(ctx.db, name);
    // A leading $match can narrow the input through an index; mingo still applies it in full.
    const firstMatch: unknown = stages[0]?.$match;
    const filter = isPlainObject(firstMatch) ? firstMatch : undefined;
    if (coll) source = candidateRows(coll, filter, optDocument(cmd, 'collation')).map((r) => r.doc);
  } else if (cmd.aggregate !== 1) {
    throw new CommandError('TypeMismatch', "'aggregate' must be a collection name or 1");
  }
  const variables = optDocument(cmd, 'let');
  const options = mingoOptions(optDocument(cmd, 'collation'), {
    // Copies, so stages such as $lookup cannot hand out (and later stages modify) stored documents.
    collectionResolver: (name: string) => (ctx.store.get(ctx.db, name)?.documents() ?? []).map(cloneDocument),
    ...(variables ? { variables } : {}),
  });
  const results = runPipeline(source, stages, options);
  if (out) {
    writeOut(ctx, out, results);
    return ctx.cursors.open(ns, []);
  }
  return ctx.cursors.open(ns, results, { batchSize: cursorBatchSize(cmd) });
};

const findAndModify: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const filter = optDocument(cmd, 'query') ?? {};
  const sort = optDocument(cmd, 'sort');
  const fields = optDocument(cmd, 'fields');
  const remove = flag(cmd, 'remove');
  const returnNew = flag(cmd, 'new');
  const upsert = flag(cmd, 'upsert');
  const options = updateOptions(cmd);
  if (remove === (cmd.update !== undefined)) {
    throw new CommandError(
      'FailedToParse',
      'Either an update or remove=true must be specified, but not both',
    );
  }
  if (remove && (upsert || returnNew)) {
    throw new CommandError('FailedToParse', 'Cannot specify upsert or new=true together with remove=true');
  }
  const project = (doc: Document): Document | null => projectDocs([doc], fields)[0] ?? null;
  const coll = ctx.store.get(ctx.db, name);
  const row = coll
    ? sortRows(matchRows(coll, filter, options.collation, sort ? undefined : 1), sort, options.collation)[0]
    : undefined;

  if (remove) {
    if (!coll || !row) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
    coll.remove(row.rowId);
    ctx.store.changed(coll);
    return { lastErrorObject: { n: 1 }, value: project(row.doc), ok: 1 };
  }
  const change = parseUpdate(cmd.update);
  if (!coll || !row) {
    if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const doc = buildUpsert(filter, change, options);
    const target = ctx.store.ensure(ctx.db, name);
    target.insert(doc);
    ctx.store.changed(target);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
      value: returnNew ? project(doc) : null,
      ok: 1,
    };
  }
  const outcome = applyUpdate(row.doc, change, filter, options);
  if (outcome.changed) {
    coll.replace(row.rowId, outcome.doc);
    ctx.store.changed(coll);
  }
  return {
    lastErrorObject: { n: 1, updatedExisting: true },
    value: project(returnNew ? outcome.doc : row.doc),
    ok: 1,
  };
};

export const crudCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  insert,
  update,
  delete: deleteCommand,
  count,
  distinct,
  aggregate,
  findAndModify,
  findandmodify: findAndModify,
};
