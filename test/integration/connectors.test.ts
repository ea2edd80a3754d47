import { MongoClient } from 'mongodb';
import { Pool } from 'pg';
import { loadConfig } from '../../src/config/loadConfig';
import { refKey } from '../../src/connectors/Connector';
import { MongoConnector } from '../../src/connectors/mongo/MongoConnector';
import { PgConnector } from '../../src/connectors/pg/PgConnector';
import { DepartmentError } from '../../src/errors';
import { PG_DEPARTMENT_DDL } from '../../src/seed/departmentDdl';
import { createMongo, pgTargets, type MongoPlacement, type PgPlacement } from '../helpers/databases';

const { mappings } = loadConfig(undefined, {});

describe.each(pgTargets().map((t) => [t.label, t] as const))(
  'PgConnector on %s Postgres',
  (_label, target) => {
    let pg: PgPlacement;
    let connector: PgConnector;

    beforeAll(async () => {
      pg = await target.create();
      const pool = new Pool({ connectionString: pg.urls.police });
      const s = pg.schemas.police;
      await pool.query(PG_DEPARTMENT_DDL.police(s));
      await pool.query(
        `INSERT INTO "${s}".rk_czrk (gmsfhm, xm, xbdm, mzdm, csrq, ryzt, gxsj) VALUES
        ('440305198501011231', '张伟', '1', '01', '19850101', '0', '2026-01-01T00:00:00Z'),
        ('44030519900202002x', '李娜', '2', '01', '19900202', '0', '2026-01-02T00:00:00Z'),
        ('440305750303123', '王强', '1', '01', '19750303', '1', '2026-01-02T00:00:00Z')`,
      );
      await pool.query(
        `INSERT INTO "${s}".rk_ldrk (djbh, gmsfhm, xm, xbdm, csrq, jzdz, fwbm, jzsy, djrq, zxrq, gxsj) VALUES
        ('LD1', '440305199001010018', '陈静', '2', '19900101', '南山区桃园路1号', '4403050010020300012000502', '务工', '2024-01-01', NULL, '2026-01-03T00:00:00Z'),
        ('LD2', '440305199001010018', '陈静', '2', '19900101', '南山区桃园路9号', NULL, '务工', '2020-01-01', '2023-12-31', '2026-01-01T00:00:00Z'),
        ('LD3', '440305198806060014', '周敏', '1', '19880606', '南山区桃园路3号', NULL, '务工', '2025-01-01', NULL, '2026-01-03T00:00:00.000001Z')`,
      );
      await pool.end();
      connector = new PgConnector({
        department: 'police',
        mapping: mappings.police,
        url: pg.urls.police,
        schema: s,
        timeoutMs: 10_000,
        poolSize: 4,
      });
      await connector.open();
    }, 120_000);

    afterAll(async () => {
      await connector?.close();
      await pg?.drop();
    });

    it('loads records of several tables by source key in one round trip', async () => {
      const before = connector.roundTrips;
      const found = await connector.loadByIds([
        { recordType: 'registered_person', sourceId: '44030519900202002x' },
        { recordType: 'residence_registration', sourceId: 'LD1' },
        { recordType: 'residence_registration', sourceId: 'missing' },
      ]);
      expect(connector.roundTrips - before).toBe(1);
      expect(found.size).toBe(2);
      expect(
        found.get(refKey({ recordType: 'registered_person', sourceId: '44030519900202002x' }))?.values,
      ).toMatchObject({
        name: '李娜',
        sex: 'FEMALE',
        birthDate: '1990-02-02',
      });
      expect(
        found.get(refKey({ recordType: 'residence_registration', sourceId: 'LD1' }))?.values,
      ).toMatchObject({
        since: '2024-01-01',
        until: null,
        houseCode: '4403050010020300012000502',
      });
    });

    it('batch-loads by a mapped field with = ANY', async () => {
      const rows = await connector.loadBy('residence_registration', 'idNumber', ['440305199001010018']);
      expect(rows.map((r) => r.sourceId).sort()).toEqual(['LD1', 'LD2']);
    });

    it('scans changes after a watermark, oldest first, resuming exactly after it', async () => {
      const all: string[] = [];
      for await (const page of connector.scan('registered_person', null, 2))
        all.push(...page.records.map((r) => r.sourceId));
      expect(all).toEqual(['440305198501011231', '44030519900202002x', '440305750303123']);
      const rest: string[] = [];
      for await (const page of connector.scan(
        'registered_person',
        { updatedAt: '2026-01-02T00:00:00.000Z', sourceId: '44030519900202002x' },
        10,
      )) {
        rest.push(...page.records.map((r) => r.sourceId));
      }
      expect(rest).toEqual(['440305750303123']);
    });

    it('resumes a scan after microseconds a JavaScript Date would lose', async () => {
      // LD3 changed 1 µs after LD1: a cursor cut to milliseconds would put LD3 after itself, and a
      // scan in pages of one would read it forever.
      const pages: Array<{ ids: string[]; watermark: string }> = [];
      for await (const page of connector.scan('residence_registration', null, 1)) {
        pages.push({ ids: page.records.map((r) => r.sourceId), watermark: page.watermark.updatedAt });
        if (pages.length > 5) break;
      }
      expect(pages.map((p) => p.ids)).toEqual([['LD2'], ['LD1'], ['LD3']]);
      expect(pages[2]!.watermark).toMatch(/00:00:00\.000001/);
      const after = { updatedAt: pages[1]!.watermark, sourceId: 'LD1' };
      expect(await connector.count('residence_registration', after)).toBe(1);
      expect(await connector.count('residence_registration', null)).toBe(3);
    });

    it('lists every source key in key order, in batches', async () => {
      const batches: string[][] = [];
      for await (const batch of connector.keys('residence_registration', 2)) batches.push(batch);
      expect(batches).toEqual([['LD1', 'LD2'], ['LD3']]);
    });

    it('reads every record once by ranges of blocks, and can be stopped early', async () => {
      const all: string[] = [];
      const before = connector.roundTrips;
      for await (const batch of connector.readAll('registered_person', 2))
        all.push(...batch.map((r) => r.sourceId));
      expect(all.sort()).toEqual(['440305198501011231', '44030519900202002x', '440305750303123']);
      // The table's size, then one range: its three rows share the first block.
      expect(connector.roundTrips - before).toBe(2);
      for await (const batch of connector.readAll('registered_person', 1)) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
      expect((await connector.loadBy('registered_person', 'idNumber', ['440305198501011231'])).length).toBe(
        1,
      );
    });

    it('searches by name', async () => {
      const rows = await connector.search(
        'registered_person',
        [{ field: 'name', op: 'eq', value: '王强' }],
        'idNumber',
        10,
      );
      expect(rows.map((r) => r.values.status)).toEqual(['DECEASED']);
    });

    it('reports health', async () => {
      await expect(connector.health()).resolves.toMatchObject({ department: 'police', ok: true });
    });

    it('refuses to open when the mapping names a column the table lacks', async () => {
      const broken = structuredClone(mappings.police);
      broken.records.registered_person!.fields.name = { from: 'xingming', type: 'string', format: 'iso' };
      const c = new PgConnector({
        department: 'police',
        mapping: broken,
        url: pg.urls.police,
        schema: pg.schemas.police,
        timeoutMs: 5000,
        poolSize: 1,
      });
      await expect(c.open()).rejects.toThrow('column rk_czrk.xingming does not exist');
      await c.close();
    });
  },
);

describe('PgConnector against an unreachable department', () => {
  it('fails within its timeout with a DepartmentError and reports unhealthy', async () => {
    const c = new PgConnector({
      department: 'civil',
      mapping: mappings.civil,
      url: 'postgres://postgres@127.0.0.1:1/x',
      schema: 'civil',
      timeoutMs: 1000,
      poolSize: 1,
    });
    await expect(c.open()).rejects.toBeInstanceOf(DepartmentError);
    const t0 = Date.now();
    await expect(c.loadByIds([{ recordType: 'cremation_record', sourceId: '1' }])).rejects.toMatchObject({
      department: 'civil',
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(c.health()).resolves.toMatchObject({ ok: false });
    await c.close();
  });
});

describe('MongoConnector', () => {
  let mongo: MongoPlacement;
  let connector: MongoConnector;
  let writer: MongoClient;
  const uscc = (i: number): string => `91440305MA5D${String(i).padStart(5, '0')}X`;

  beforeAll(async () => {
    mongo = await createMongo();
    writer = new MongoClient(mongo.url, { serverMonitoringMode: 'poll' });
    await writer.connect();
    const docs = Array.from({ length: 2000 }, (_, i) => ({
      _id: `MKT${String(i).padStart(7, '0')}` as unknown as never,
      UNISCID: uscc(i),
      ENTNAME: i % 2 === 0 ? `深圳市第${i}科技有限公司` : `南山区第${i}商行`,
      LEREP: {
        NAME: '王芳',
        CERTYPE: '10',
        CERNO: i < 3 ? '440305198501011231' : `4403051985010${String(i).padStart(4, '0')}0`,
      },
      ESTDATE: new Date('2015-03-02T00:00:00Z'),
      REGCAP: i,
      REGSTATE: '1',
      SHAREHOLDERS: [],
      UPDATED_AT: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 1000)),
    }));
    await writer.db(mongo.database).collection('entities').insertMany(docs);
    await writer.db(mongo.database).collection('entities').createIndex({ UNISCID: 1 });
    connector = new MongoConnector({
      mapping: mappings.market,
      url: mongo.url,
      database: mongo.database,
      timeoutMs: 10_000,
      poolSize: 20,
    });
    await connector.open();
  }, 120_000);

  afterAll(async () => {
    await connector?.close();
    await writer?.db(mongo.database).dropDatabase();
    await writer?.close();
    await mongo?.close();
  });

  it('loads by source key and by a nested field with $in, mapping the values', async () => {
    const byId = await connector.loadByIds([{ recordType: 'market_entity', sourceId: 'MKT0000002' }]);
    expect([...byId.values()].map((r) => r.values.uscc)).toEqual([uscc(2)]);
    const byLerep = await connector.loadBy('market_entity', 'legalRepresentativeId', ['440305198501011231']);
    expect(byLerep.map((r) => r.sourceId).sort()).toEqual(['MKT0000000', 'MKT0000001', 'MKT0000002']);
    expect(byLerep[0]!.values).toMatchObject({
      established: '2015-03-02',
      status: 'ACTIVE',
      legalRepresentativeName: '王芳',
    });
  });

  it('searches with contains, prefix and greater-than', async () => {
    const rows = await connector.search(
      'market_entity',
      [
        { field: 'name', op: 'contains', value: '科技' },
        { field: 'uscc', op: 'gt', value: uscc(1990) },
      ],
      'uscc',
      5,
    );
    expect(rows.map((r) => r.values.uscc)).toEqual([uscc(1992), uscc(1994), uscc(1996), uscc(1998)]);
  });

  it('scans every document once, in watermark order', async () => {
    const seen: string[] = [];
    let last = '';
    for await (const page of connector.scan('market_entity', null, 300)) {
      for (const r of page.records) {
        expect(`${r.updatedAt}|${r.sourceId}` > last).toBe(true);
        last = `${r.updatedAt}|${r.sourceId}`;
        seen.push(r.sourceId);
      }
    }
    expect(seen).toHaveLength(2000);
    expect(new Set(seen).size).toBe(2000);
  });

  it('counts the documents changed after a watermark and lists every key', async () => {
    const pages = [];
    for await (const page of connector.scan('market_entity', null, 1500)) pages.push(page);
    expect(await connector.count('market_entity', null)).toBe(2000);
    expect(await connector.count('market_entity', pages[0]!.watermark)).toBe(500);
    const keys: string[] = [];
    for await (const batch of connector.keys('market_entity', 700)) keys.push(...batch);
    expect(keys).toHaveLength(2000);
    expect(new Set(keys)).toEqual(new Set(pages.flatMap((p) => p.records.map((r) => r.sourceId))));
  });

  it('reads every document once through one cursor', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    for await (const batch of connector.readAll('market_entity', 300)) {
      sizes.push(batch.length);
      seen.push(...batch.map((r) => r.sourceId));
    }
    expect(seen).toHaveLength(2000);
    expect(new Set(seen).size).toBe(2000);
    expect(sizes.slice(0, -1).every((n) => n === 300)).toBe(true);
  });

  it('completes 1,000 concurrent batched reads with zero errors', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) =>
        connector.loadBy(
          'market_entity',
          'uscc',
          Array.from({ length: 10 }, (_, j) => uscc((i * 10 + j) % 2000)),
        ),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(0);
    const lengths = results.map((r) => (r.status === 'fulfilled' ? r.value.length : -1));
    expect(lengths.every((n) => n === 10)).toBe(true);
  }, 120_000);

  it('reports health, and a DepartmentError within its timeout when the server is down', async () => {
    await expect(connector.health()).resolves.toMatchObject({ department: 'market', ok: true });
    const dead = new MongoConnector({
      mapping: mappings.market,
      url: 'mongodb://127.0.0.1:1/?directConnection=true',
      database: 'x',
      timeoutMs: 1000,
      poolSize: 1,
    });
    const t0 = Date.now();
    await expect(dead.open()).rejects.toBeInstanceOf(DepartmentError);
    await expect(dead.loadBy('market_entity', 'uscc', ['x'])).rejects.toMatchObject({ department: 'market' });
    expect(Date.now() - t0).toBeLessThan(8000);
    await dead.close();
  });
});
