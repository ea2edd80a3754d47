import { BSON } from 'bson';
import type { Document } from 'bson';
import { flag, isEnvelopeField, optDocument } from './commandArgs';
import type { CommandHandler } from './commandArgs';
import type { Collection } from './collection';
import { CommandError } from './errors';
import { compileFilter } from './query';
import { MAX_BSON_OBJECT_SIZE } from './updates';
import { MAX_MESSAGE_SIZE } from './wire';

/** MongoDB 7.0's wire version: recent enough for driver 6 (which needs >= 8) to use every feature we implement. */
const MAX_WIRE_VERSION = 21;
const SERVER_VERSION = '7.0.0';

/**
 * The handshake and monitoring reply. It deliberately has no `topologyVersion`, so the driver polls
 * with plain hellos instead of holding streaming (exhaust) hellos, which this server does not implement;
 * and no `setName`/`msg`, so a direct connection sees a standalone and sends no transaction numbers.
 */
const hello: CommandHandler = (_cmd, ctx) => ({
  helloOk: true,
  ...(ctx.name === 'hello' ? { isWritablePrimary: true } : { ismaster: true }),
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  maxMessageSizeBytes: MAX_MESSAGE_SIZE,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: ctx.connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
  ok: 1,
});

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'zhiwang-embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['embedded'],
  modules: [],
  ok: 1,
});

const PARAMETERS: Document = {
  featureCompatibilityVersion: { version: '7.0' },
  authenticationMechanisms: [],
};

const getParameter: CommandHandler = (cmd, ctx) => {
  if (cmd[ctx.name] === '*') return { ...PARAMETERS, ok: 1 };
  const reply: Document = {};
  for (const field of Object.keys(cmd)) {
    if (field === ctx.name || isEnvelopeField(field)) continue;
    if (!(field in PARAMETERS)) throw new CommandError('InvalidOptions', `no option found to get: ${field}`);
    reply[field] = PARAMETERS[field];
  }
  return { ...reply, ok: 1 };
};

/** BSON size of a collection's documents, standing in for mongod's storage statistics. */
function dataSize(coll: Collection): number {
  let size = 0;
  for (const doc of coll.documents()) size += BSON.calculateObjectSize(doc);
  return size;
}

const listDatabases: CommandHandler = (cmd, ctx) => {
  const nameOnly = flag(cmd, 'nameOnly');
  let databases: Document[] = ctx.store.databaseNames().map((name) => {
    if (nameOnly) return { name };
    const size = ctx.store.collections(name).reduce((sum, coll) => sum + dataSize(coll), 0);
    return { name, sizeOnDisk: size, empty: size === 0 };
  });
  const filter = optDocument(cmd, 'filter');
  if (filter) {
    const query = compileFilter(filter);
    databases = databases.filter((db) => query.test(db));
  }
  if (nameOnly) return { databases, ok: 1 };
  const totalSize = databases.reduce((sum, db) => sum + (db.sizeOnDisk as number), 0);
  return { databases, totalSize, totalSizeMb: Math.round(totalSize / 1024 / 1024), ok: 1 };
};

const dbStats: CommandHandler = (_cmd, ctx) => {
  const colls = ctx.store.collections(ctx.db);
  const objects = colls.reduce((sum, coll) => sum + coll.count, 0);
  const size = colls.reduce((sum, coll) => sum + dataSize(coll), 0);
  return {
    db: ctx.db,
    collections: colls.length,
    views: 0,
    objects,
    avgObjSize: objects > 0 ? size / objects : 0,
    dataSize: size,
    storageSize: size,
    indexes: colls.reduce((sum, coll) => sum + coll.indexes.length, 0),
    indexSize: 0,
    totalSize: size,
    scaleFactor: 1,
    ok: 1,
  };
};

const dropDatabase: CommandHandler = (_cmd, ctx) => {
  ctx.store.dropDatabase(ctx.db);
  return { dropped: ctx.db, ok: 1 };
};

export const adminCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  // Sessions are accepted (the driver attaches lsid everywhere) but carry no server state.
  endSessions: () => ({ ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  listDatabases,
  dbStats,
  dropDatabase,
};
