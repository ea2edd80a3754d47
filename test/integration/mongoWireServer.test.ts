import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'bson';
import type { Document } from 'bson';
import { MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import type { Collection, Db } from 'mongodb';
import { startEmbeddedMongo } from '../../src/embedded/mongo';
import type { EmbeddedMongo } from '../../src/embedded/mongo';
import { Collection as StoredCollection } from '../../src/embedded/mongo/collection';
import { candidateRows, matchRows } from '../../src/embedded/mongo/query';

/**
 * These tests run against the embedded server, or unchanged against a real MongoDB when
 * ZHIWANG_TEST_MONGO_URL is set, so they only assert behaviour real MongoDB has too.
 */
const REAL_URL = process.env.ZHIWANG_TEST_MONGO_URL;
const embeddedOnly = REAL_URL ? it.skip : it;

const DB_NAME = `zhiwang_wire_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const COMPANIES = 20_000;

let server: EmbeddedMongo | undefined;
let url: string;
let client: MongoClient;
let db: Db;

interface Company {
  UNISCID: string;
  ENTNAME: string;
  REGCAP: number;
  LEREP: { NAME: string; CERNO: string };
  ESTDATE: Date;
}

const uniscid = (i: number): string => `91330100MA${String(i).padStart(8, '0')}`;
const cerno = (i: number): string => `33010219800101${String(i % 10_000).padStart(4, '0')}`;
const company = (i: number): Company => ({
  UNISCID: uniscid(i),
  ENTNAME: `杭州织网测试企业${i}有限公司`,
  REGCAP: (i * 7919) % 100_000,
  LEREP: { NAME: `法人${i}`, CERNO: cerno(i) },
  ESTDATE: new Date(Date.UTC(2000, 0, 1) + i * 86_400_000),
});

beforeAll(async () => {
  if (REAL_URL) {
    url = REAL_URL;
  } else {
    server = await startEmbeddedMongo({ port: 0 });
    url = server.url;
  }
  client = new MongoClient(url);
  await client.connect();
  db = client.db(DB_NAME);
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await server?.close();
});

describe('CRUD through the official driver', () => {
  let people: Collection;

  beforeAll(async () => {
    people = db.collection('people');
    await people.insertMany([
      { _id: 1 as never, name: 'Ann', city: 'Hangzhou', age: 34, tags: ['a', 'b'] },
      { _id: 2 as never, name: 'Bo', city: 'Ningbo', age: 27, tags: ['b'] },
      { _id: 3 as never, name: 'Cai', city: 'Hangzhou', age: 41, tags: [] },
      { _id: 4 as never, name: 'Di', city: 'Wenzhou', age: 19, tags: ['c'] },
    ]);
  });

  it('finds with $in, projection and sort', async () => {
    const docs = await people
      .find({ city: { $in: ['Hangzhou', 'Wenzhou'] } }, { projection: { _id: 0, name: 1, age: 1 } })
      .sort({ age: -1 })
      .toArray();
    expect(docs).toEqual([
      { name: 'Cai', age: 41 },
      { name: 'Ann', age: 34 },
      { name: 'Di', age: 19 },
    ]);
  });

  it('matches array elements, skips and limits', async () => {
    const names = (await people.find({ tags: 'b' }).sort({ name: 1 }).toArray()).map((d) => d.name as string);
    expect(names).toEqual(['Ann', 'Bo']);
    const page = await people.find({}).sort({ _id: 1 }).skip(1).limit(2).toArray();
    expect(page.map((d) => d._id)).toEqual([2, 3]);
  });

  it('counts', async () => {
    expect(await people.countDocuments({ city: 'Hangzhou' })).toBe(2);
    expect(await people.countDocuments({ age: { $gte: 20 } }, { limit: 2 })).toBe(2);
    expect(await people.estimatedDocumentCount()).toBe(4);
    expect(await db.collection('missing').countDocuments()).toBe(0);
  });

  it('aggregates with $match, $group and $sort', async () => {
    const rows = await people
      .aggregate([
        { $match: { age: { $gte: 20 } } },
        { $group: { _id: '$city', n: { $sum: 1 }, totalAge: { $sum: '$age' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(rows).toEqual([
      { _id: 'Hangzhou', n: 2, totalAge: 75 },
      { _id: 'Ningbo', n: 1, totalAge: 27 },
    ]);
    expect(await people.aggregate([{ $match: { city: 'Hangzhou' } }, { $count: 'n' }]).toArray()).toEqual([
      { n: 2 },
    ]);
  });

  it('returns distinct values, flattening arrays', async () => {
    expect((await people.distinct('tags')).sort()).toEqual(['a', 'b', 'c']);
    expect((await people.distinct('city', { age: { $lt: 30 } })).sort()).toEqual(['Ningbo', 'Wenzhou']);
  });

  it('updates, upserts, replaces and deletes', async () => {
    const coll = db.collection('updates');
    await coll.insertMany([
      { _id: 'a' as never, n: 1, group: 'x' },
      { _id: 'b' as never, n: 2, group: 'x' },
      { _id: 'c' as never, n: 3, group: 'y' },
    ]);

    const one = await coll.updateOne({ group: 'x' }, { $inc: { n: 10 }, $set: { touched: true } });
    expect([one.matchedCount, one.modifiedCount]).toEqual([1, 1]);
    expect(await coll.findOne({ _id: 'a' as never })).toEqual({ _id: 'a', n: 11, group: 'x', touched: true });

    const unchanged = await coll.updateOne({ _id: 'c' as never }, { $set: { n: 3 } });
    expect([unchanged.matchedCount, unchanged.modifiedCount]).toEqual([1, 0]);

    const many = await coll.updateMany({ group: 'x' }, { $set: { group: 'z' } });
    expect([many.matchedCount, many.modifiedCount]).toEqual([2, 2]);

    const upsert = await coll.updateOne(
      { _id: 'd' as never, group: 'w' },
      { $set: { n: 4 }, $setOnInsert: { created: true } },
      { upsert: true },
    );
    expect([upsert.upsertedCount, upsert.upsertedId]).toEqual([1, 'd']);
    expect(await coll.findOne({ _id: 'd' as never })).toEqual({ _id: 'd', group: 'w', n: 4, created: true });

    const replaced = await coll.replaceOne({ _id: 'c' as never }, { n: 30, replaced: true });
    expect(replaced.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 'c' as never })).toEqual({ _id: 'c', n: 30, replaced: true });

    const after = await coll.findOneAndUpdate(
      { _id: 'b' as never },
      { $inc: { n: 1 } },
      { returnDocument: 'after' },
    );
    expect(after).toEqual({ _id: 'b', n: 3, group: 'z' });

    const deleted = await coll.deleteOne({ group: 'z' });
    expect(deleted.deletedCount).toBe(1);
    expect(await coll.countDocuments({ group: 'z' })).toBe(1);
    expect((await coll.deleteMany({})).deletedCount).toBe(3);
    expect(await coll.countDocuments()).toBe(0);
  });

  it('rejects an update that changes _id', async () => {
    const coll = db.collection('immutable');
    await coll.insertOne({ _id: 1 as never, v: 1 });
    await expect(coll.updateOne({ _id: 1 as never }, { $set: { _id: 2 } })).rejects.toMatchObject({
      code: 66,
    });
    expect(await coll.findOne({})).toEqual({ _id: 1, v: 1 });
  });
});

describe('duplicate keys', () => {
  it('rejects a duplicate _id with code 11000', async () => {
    const coll = db.collection('dupId');
    await coll.insertOne({ _id: 'x' as never, v: 1 });
    const err = await coll.insertOne({ _id: 'x' as never, v: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
    expect(await coll.findOne({ _id: 'x' as never })).toEqual({ _id: 'x', v: 1 });
  });

  it('stops an ordered insertMany at the duplicate and continues an unordered one', async () => {
    const coll = db.collection('dupMany');
    const docs = [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }] as never[];
    const ordered = await coll.insertMany(docs).catch((e: unknown) => e);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    expect((ordered as MongoBulkWriteError).code).toBe(11000);
    expect((ordered as MongoBulkWriteError).insertedCount).toBe(2);
    expect(await coll.countDocuments()).toBe(2);

    await coll.deleteMany({});
    const unordered = await coll.insertMany(docs, { ordered: false }).catch((e: unknown) => e);
    expect((unordered as MongoBulkWriteError).code).toBe(11000);
    expect((unordered as MongoBulkWriteError).insertedCount).toBe(3);
    expect((await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 2, 3]);
  });

  it('enforces unique indexes, including compound and dotted ones', async () => {
    const coll = db.collection('uniq');
    await coll.createIndex({ code: 1 }, { unique: true });
    await coll.createIndex({ 'owner.id': 1, year: 1 }, { unique: true, name: 'owner_year' });
    await coll.insertOne({ code: 'A', owner: { id: 1 }, year: 2020 });
    await coll.insertOne({ code: 'B', owner: { id: 1 }, year: 2021 });

    await expect(coll.insertOne({ code: 'A', owner: { id: 2 }, year: 2020 })).rejects.toMatchObject({
      code: 11000,
    });
    await expect(coll.insertOne({ code: 'C', owner: { id: 1 }, year: 2020 })).rejects.toMatchObject({
      code: 11000,
    });
    await expect(coll.updateOne({ code: 'B' }, { $set: { code: 'A' } })).rejects.toMatchObject({
      code: 11000,
    });
    expect(await coll.countDocuments({ code: 'B' })).toBe(1);

    const names = (await coll.indexes()).map((i) => [i.name, i.unique === true]);
    expect(names).toEqual([
      ['_id_', false],
      ['code_1', true],
      ['owner_year', true],
    ]);
    // Existing duplicates prevent building a unique index.
    await coll.insertOne({ code: 'D', owner: { id: 9 }, year: 1 });
    await coll.insertOne({ code: 'E', owner: { id: 9 }, year: 2 });
    await expect(coll.createIndex({ 'owner.id': 1 }, { unique: true })).rejects.toMatchObject({
      code: 11000,
    });
    await coll.dropIndex('code_1');
    await coll.insertOne({ code: 'A', owner: { id: 3 }, year: 2020 });
    expect(await coll.countDocuments({ code: 'A' })).toBe(2);
  });
});

describe('commands and connections', () => {
  it('answers an unknown command with CommandNotFound and keeps the connection usable', async () => {
    const single = new MongoClient(url, { maxPoolSize: 1 });
    try {
      const err = await single
        .db(DB_NAME)
        .command({ definitelyNotACommand: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).code).toBe(59);
      expect((err as MongoServerError).codeName).toBe('CommandNotFound');
      expect(await single.db(DB_NAME).command({ ping: 1 })).toMatchObject({ ok: 1 });
      expect(await single.db(DB_NAME).collection('people').countDocuments()).toBe(4);
    } finally {
      await single.close();
    }
  });

  it('lists, creates and drops collections and indexes', async () => {
    await db.createCollection('made');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('made');
    expect(await db.listCollections({ name: 'made' }).toArray()).toHaveLength(1);

    const made = db.collection('made');
    expect(await made.createIndex({ k: 1 })).toBe('k_1');
    expect((await made.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'k_1']);
    await made.dropIndexes();
    expect((await made.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);

    expect(await made.drop()).toBe(true);
    expect(await db.listCollections({ name: 'made' }).toArray()).toHaveLength(0);
    const dbs = await client.db('admin').admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(DB_NAME);
  });
});

describe('cursors', () => {
  const PAGED = 1_550;

  beforeAll(async () => {
    await db
      .collection('paged')
      .insertMany(Array.from({ length: PAGED }, (_, i) => ({ _id: i as never, payload: `row-${i}` })));
  });

  it('pages through more documents than one batch with getMore', async () => {
    const monitored = new MongoClient(url, { monitorCommands: true });
    let getMores = 0;
    monitored.on('commandStarted', (e) => {
      if (e.commandName === 'getMore') getMores++;
    });
    try {
      const docs = await monitored
        .db(DB_NAME)
        .collection('paged')
        .find({}, { batchSize: 100 })
        .sort({ _id: 1 })
        .toArray();
      expect(docs).toHaveLength(PAGED);
      expect(docs.every((d, i) => (d._id as unknown) === i && d.payload === `row-${i}`)).toBe(true);
      expect(getMores).toBeGreaterThanOrEqual(15);
    } finally {
      await monitored.close();
    }
  });

  it('pages aggregate results and honours limit across batches', async () => {
    const paged = db.collection('paged');
    const agg = await paged
      .aggregate([{ $match: { _id: { $gte: 1_000 } } }, { $project: { payload: 1 } }], { batchSize: 50 })
      .toArray();
    expect(agg).toHaveLength(550);
    expect(agg[549]).toEqual({ _id: 1_549, payload: 'row-1549' });
    const limited = await paged.find({}, { batchSize: 40 }).sort({ _id: -1 }).limit(130).toArray();
    expect(limited.map((d) => d._id)).toEqual(Array.from({ length: 130 }, (_, i) => PAGED - 1 - i));
  });

  it('kills a cursor closed early, so the server forgets it', async () => {
    const cursor = db.collection('paged').find({}, { batchSize: 10 }).sort({ _id: 1 });
    expect((await cursor.next())?._id).toBe(0);
    const id = cursor.id;
    expect(id !== undefined && !id.isZero()).toBe(true);
    await cursor.close();
    await expect(db.command({ getMore: id, collection: 'paged' })).rejects.toMatchObject({ code: 43 });
  });
});

describe('20,000 companies', () => {
  let companies: Collection<Company>;

  beforeAll(async () => {
    companies = db.collection<Company>('companies');
    await companies.createIndex({ UNISCID: 1 }, { unique: true });
    await companies.createIndex({ 'LEREP.CERNO': 1 });
    await companies.insertMany(Array.from({ length: COMPANIES }, (_, i) => company(i)));
  });

  it('serves 1,000 concurrent batched reads with zero errors and correct results', async () => {
    const keysFor = (q: number): number[] =>
      Array.from({ length: 10 }, (_, k) => (q * 37 + k * 2_003) % COMPANIES);
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, q) =>
        companies
          .find(
            { UNISCID: { $in: keysFor(q).map(uniscid) } },
            { projection: { _id: 0, UNISCID: 1, ENTNAME: 1 } },
          )
          .toArray(),
      ),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    results.forEach((result, q) => {
      const docs = (result as PromiseFulfilledResult<Array<Partial<Company>>>).value;
      const expected = keysFor(q)
        .sort((a, b) => a - b)
        .map((i) => ({ UNISCID: uniscid(i), ENTNAME: company(i).ENTNAME }));
      expect([...docs].sort((a, b) => String(a.UNISCID).localeCompare(String(b.UNISCID)))).toEqual(expected);
    });
  });

  embeddedOnly('answers equality and $in on indexed fields from the index instead of a scan', () => {
    const stored = new StoredCollection('white', 'box');
    stored.createIndex({ v: 2, key: { UNISCID: 1 }, name: 'UNISCID_1', unique: true });
    stored.createIndex({ v: 2, key: { 'LEREP.CERNO': 1 }, name: 'LEREP.CERNO_1' });
    for (let i = 0; i < COMPANIES; i++) stored.insert({ _id: i, ...company(i) });
    const keys = Array.from({ length: 100 }, (_, k) => uniscid(k * 199));

    expect(candidateRows(stored, { UNISCID: { $in: keys } })).toHaveLength(100);
    expect(matchRows(stored, { UNISCID: { $in: keys } }).map((r) => r.doc.UNISCID)).toEqual(keys);
    expect(candidateRows(stored, { 'LEREP.CERNO': cerno(7) })).toHaveLength(2);
    expect(candidateRows(stored, { $and: [{ REGCAP: { $gt: 5 } }, { UNISCID: uniscid(3) }] })).toHaveLength(
      1,
    );
    // Without a usable index (unindexed field, regex, collation) every row is a candidate.
    expect(candidateRows(stored, { ENTNAME: company(3).ENTNAME })).toHaveLength(COMPANIES);
    expect(candidateRows(stored, { UNISCID: /^91/ })).toHaveLength(COMPANIES);
    expect(candidateRows(stored, { UNISCID: uniscid(3) }, { locale: 'en', strength: 2 })).toHaveLength(
      COMPANIES,
    );
  });

  it('finds by an indexed dotted path', async () => {
    const owners = await companies
      .find({ 'LEREP.CERNO': cerno(4_321) }, { projection: { _id: 0, UNISCID: 1 } })
      .sort({ UNISCID: 1 })
      .toArray();
    expect(owners).toEqual([{ UNISCID: uniscid(4_321) }, { UNISCID: uniscid(14_321) }]);
    const one = await companies.findOne({ UNISCID: uniscid(19_999) }, { projection: { _id: 0 } });
    expect(one).toEqual(company(19_999));
  });

  it('combines indexed and unindexed conditions', async () => {
    const docs = await companies
      .find({
        $and: [{ UNISCID: { $in: [uniscid(1), uniscid(2), uniscid(3)] } }, { REGCAP: { $gt: 10_000 } }],
      })
      .project({ _id: 0, REGCAP: 1 })
      .sort({ REGCAP: 1 })
      .toArray();
    const expected = [1, 2, 3]
      .map((i) => company(i).REGCAP)
      .filter((cap) => cap > 10_000)
      .sort((a, b) => a - b);
    expect(docs.map((d) => d.REGCAP)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });
});

/** Minimal raw wire client, to exercise framing the driver never produces. */
function opMsg(requestId: number, command: Document): Buffer {
  const body = Buffer.from(BSON.serialize(command));
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(2013, 12);
  return Buffer.concat([header, body]);
}

function readReplies(socket: Socket, count: number): Promise<Document[]> {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    const replies: Document[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        replies.push({ responseTo: message.readInt32LE(8), ...BSON.deserialize(message.subarray(21)) });
        if (replies.length === count) resolve(replies);
      }
    });
  });
}

function rawSocket(): Promise<Socket> {
  const { hostname, port } = new URL(url.replace(/^mongodb:/, 'http:'));
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('wire framing', () => {
  it('handles messages split into single bytes and several messages in one chunk', async () => {
    const socket = await rawSocket();
    try {
      const replies = readReplies(socket, 3);
      const first = opMsg(11, { ping: 1, $db: 'admin' });
      for (const byte of first) socket.write(Buffer.from([byte]));
      socket.write(
        Buffer.concat([opMsg(12, { ping: 1, $db: 'admin' }), opMsg(13, { nope: 1, $db: 'admin' })]),
      );
      const [a, b, c] = await replies;
      expect([a?.responseTo, a?.ok]).toEqual([11, 1]);
      expect([b?.responseTo, b?.ok]).toEqual([12, 1]);
      expect([c?.responseTo, c?.ok, c?.code]).toEqual([13, 0, 59]);
    } finally {
      socket.destroy();
    }
  });

  it('drops a connection that sends garbage without affecting others', async () => {
    const socket = await rawSocket();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    await closed;
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('answers a legacy OP_QUERY isMaster handshake with OP_REPLY', async () => {
    const socket = await rawSocket();
    try {
      const reply = new Promise<Buffer>((resolve) => {
        let pending = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          if (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) resolve(pending);
        });
      });
      const collection = Buffer.from('admin.$cmd\0');
      const query = Buffer.from(BSON.serialize({ isMaster: 1, helloOk: true }));
      const header = Buffer.alloc(20);
      const tail = Buffer.alloc(8);
      tail.writeInt32LE(-1, 4); // numberToReturn
      header.writeInt32LE(header.length + collection.length + tail.length + query.length, 0);
      header.writeInt32LE(31, 4);
      header.writeInt32LE(2004, 12);
      socket.write(Buffer.concat([header, collection, tail, query]));
      const message = await reply;
      expect([message.readInt32LE(8), message.readInt32LE(12), message.readInt32LE(32)]).toEqual([31, 1, 1]);
      const doc = BSON.deserialize(message.subarray(36));
      expect(doc).toMatchObject({ ismaster: true, ok: 1 });
      expect(doc.maxWireVersion).toBeGreaterThanOrEqual(8);
    } finally {
      socket.destroy();
    }
  });

  embeddedOnly('rejects OP_COMPRESSED with an error reply', async () => {
    const socket = await rawSocket();
    try {
      const replies = readReplies(socket, 1);
      const inner = opMsg(0, { ping: 1, $db: 'admin' }).subarray(16);
      const header = Buffer.alloc(25);
      header.writeInt32LE(25 + inner.length, 0);
      header.writeInt32LE(21, 4);
      header.writeInt32LE(2012, 12);
      header.writeInt32LE(2013, 16);
      header.writeInt32LE(inner.length, 20);
      header.writeUInt8(0, 24);
      socket.write(Buffer.concat([header, inner]));
      const [reply] = await replies;
      expect(reply).toMatchObject({ responseTo: 21, ok: 0 });
    } finally {
      socket.destroy();
    }
  });
});

describe('persistence', () => {
  embeddedOnly('keeps data and indexes across a restart on the same dataDir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zhiwang-mongo-'));
    try {
      const first = await startEmbeddedMongo({ port: 0, dataDir });
      const c1 = new MongoClient(first.url);
      try {
        const coll = c1.db('persisted').collection('items');
        await coll.createIndex({ sku: 1 }, { unique: true });
        await coll.insertMany([
          { sku: 'A-1', qty: 1, at: new Date(Date.UTC(2024, 0, 2)) },
          { sku: 'B-2', qty: 2, nested: { list: [1, 2, 3] } },
        ]);
        await coll.updateOne({ sku: 'A-1' }, { $inc: { qty: 41 } });
        await c1.db('persisted').collection('dropped').insertOne({ gone: true });
        await c1.db('persisted').collection('dropped').drop();
      } finally {
        await c1.close();
        await first.close();
      }

      const second = await startEmbeddedMongo({ port: 0, dataDir });
      const c2 = new MongoClient(second.url);
      try {
        const coll = c2.db('persisted').collection('items');
        const docs = await coll
          .find({}, { projection: { _id: 0 } })
          .sort({ sku: 1 })
          .toArray();
        expect(docs).toEqual([
          { sku: 'A-1', qty: 42, at: new Date(Date.UTC(2024, 0, 2)) },
          { sku: 'B-2', qty: 2, nested: { list: [1, 2, 3] } },
        ]);
        await expect(coll.insertOne({ sku: 'B-2' })).rejects.toMatchObject({ code: 11000 });
        const names = (await c2.db('persisted').listCollections().toArray()).map((c) => c.name);
        expect(names).toEqual(['items']);
      } finally {
        await c2.close();
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
