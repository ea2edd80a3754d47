import type { Document } from 'bson';
import {
  collectionArg,
  cursorBatchSize,
  flag,
  isEnvelopeField,
  optDocument,
  requireDocuments,
} from './commandArgs';
import type { CommandHandler } from './commandArgs';
import { Collection } from './collection';
import { CommandError } from './errors';
import { ID_INDEX_SPEC, sameIndexKey, validateIndexSpec } from './indexes';
import { compileFilter } from './query';
import { validateCollectionName, validateDbName } from './store';
import { hashValue } from './values';

/** Collection options that change behaviour this server does not implement; refusing beats ignoring them. */
const UNSUPPORTED_CREATE_OPTIONS = [
  'capped',
  'viewOn',
  'pipeline',
  'timeseries',
  'validator',
  'clusteredIndex',
  'collation',
  'encryptedFields',
];

const create: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const options: Document = {};
  for (const [field, value] of Object.entries(cmd)) {
    if (field === ctx.name || isEnvelopeField(field)) continue;
    if (UNSUPPORTED_CREATE_OPTIONS.includes(field) && value !== false) {
      throw new CommandError(
        'NotImplemented',
        `collection option '${field}' is not supported by the embedded server`,
      );
    }
    options[field] = value;
  }
  const existing = ctx.store.get(ctx.db, name);
  // Like mongod since SERVER-60064: re-creating with identical options succeeds, so create can be retried.
  if (existing && hashValue(existing.options) === hashValue(options)) return { ok: 1 };
  ctx.store.create(ctx.db, name, options);
  return { ok: 1 };
};

const drop: CommandHandler = (cmd, ctx) => {
  const coll = ctx.store.drop(ctx.db, collectionArg(cmd, ctx));
  // Like MongoDB 7.0+, dropping a missing collection succeeds.
  return coll ? { nIndexesWas: coll.indexes.length, ns: coll.ns, ok: 1 } : { ok: 1 };
};

const listCollections: CommandHandler = (cmd, ctx) => {
  const filter = optDocument(cmd, 'filter');
  const nameOnly = flag(cmd, 'nameOnly');
  let entries: Document[] = ctx.store.collections(ctx.db).map((coll) =>
    nameOnly
      ? { name: coll.name, type: 'collection' }
      : {
          name: coll.name,
          type: 'collection',
          options: coll.options,
          info: { readOnly: false, uuid: coll.uuid },
          idIndex: ID_INDEX_SPEC,
        },
  );
  if (filter) {
    const query = compileFilter(filter);
    entries = entries.filter((entry) => query.test(entry));
  }
  return ctx.cursors.open(`${ctx.db}.$cmd.listCollections`, entries, {
    batchSize: cursorBatchSize(cmd),
  });
};

const createIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const specs = requireDocuments(cmd, 'indexes').map(validateIndexSpec);
  if (specs.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
  const existed = ctx.store.get(ctx.db, name) !== undefined;
  const coll = ctx.store.ensure(ctx.db, name);
  const before = coll.indexes.length;
  for (const spec of specs) {
    const sameName = coll.findIndex(spec.name);
    if (sameName) {
      if (hashValue(sameName.spec) === hashValue(spec)) continue;
      throw new CommandError(
        'IndexKeySpecsConflict',
        `An existing index has the same name as the requested index but a different key or options: ${spec.name}`,
      );
    }
    const sameKey = coll.findIndexByKey(spec);
    if (sameKey && sameIndexKey(sameKey.spec, spec)) {
      throw new CommandError(
        'IndexOptionsConflict',
        `Index already exists with a different name: ${sameKey.name}`,
      );
    }
    coll.createIndex(spec);
  }
  ctx.store.changed(coll);
  const after = coll.indexes.length;
  return {
    numIndexesBefore: before,
    numIndexesAfter: after,
    createdCollectionAutomatically: !existed,
    ...(after === before ? { note: 'all indexes already exist' } : {}),
    ok: 1,
  };
};

const listIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const coll = ctx.store.get(ctx.db, name);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  const specs = coll.indexes.map((index) => index.spec);
  return ctx.cursors.open(`${ctx.db}.$cmd.listIndexes.${name}`, specs, {
    batchSize: cursorBatchSize(cmd),
  });
};

const dropIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, ctx);
  const coll = ctx.store.get(ctx.db, name);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
  const target: unknown = cmd.index;
  let names: string[];
  if (target === '*') {
    names = coll.indexes.slice(1).map((index) => index.name);
  } else if (typeof target === 'string') {
    names = [target];
  } else if (Array.isArray(target) && target.every((n) => typeof n === 'string')) {
    names = target as string[];
  } else if (target !== null && typeof target === 'object') {
    const byKey = coll.indexes.find((index) => hashValue(index.spec.key) === hashValue(target));
    if (!byKey)
      throw new CommandError('IndexNotFound', `can't find index with key: ${JSON.stringify(target)}`);
    names = [byKey.name];
  } else {
    throw new CommandError('TypeMismatch', "'index' must be a name, a list of names, a key pattern or '*'");
  }
  for (const indexName of names) {
    if (indexName === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!coll.findIndex(indexName))
      throw new CommandError('IndexNotFound', `index not found with name [${indexName}]`);
  }
  const was = coll.indexes.length;
  for (const indexName of names) coll.dropIndex(indexName);
  ctx.store.changed(coll);
  return { nIndexesWas: was, ok: 1 };
};

function parseNamespace(ns: unknown): { db: string; coll: string } {
  const dot = typeof ns === 'string' ? ns.indexOf('.') : -1;
  if (typeof ns !== 'string' || dot < 0)
    throw new CommandError('InvalidNamespace', `Invalid namespace: ${String(ns)}`);
  return { db: validateDbName(ns.slice(0, dot)), coll: validateCollectionName(ns.slice(dot + 1)) };
}

/** `{renameCollection: 'db.from', to: 'db.to', dropTarget}`, sent to admin by `collection.rename()`. */
const renameCollection: CommandHandler = (cmd, ctx) => {
  const from = parseNamespace(cmd.renameCollection);
  const to = parseNamespace(cmd.to);
  const source = ctx.store.get(from.db, from.coll);
  if (!source) throw new CommandError('NamespaceNotFound', 'source namespace does not exist');
  if (from.db === to.db && from.coll === to.coll) {
    throw new CommandError('IllegalOperation', "Can't rename a collection to itself");
  }
  if (ctx.store.get(to.db, to.coll) && !flag(cmd, 'dropTarget')) {
    throw new CommandError('NamespaceExists', 'target namespace exists');
  }
  const renamed = new Collection(to.db, to.coll, source.options);
  for (const index of source.indexes.slice(1)) renamed.createIndex(index.spec);
  for (const doc of source.documents()) renamed.insert(doc);
  ctx.store.drop(from.db, from.coll);
  ctx.store.put(renamed);
  return { ok: 1 };
};

export const ddlCommands: Record<string, CommandHandler> = {
  renameCollection,
  create,
  drop,
  listCollections,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
