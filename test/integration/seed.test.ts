/**
 * The demo-data generator against embedded Postgres, and the real server when ZHIWANG_TEST_PG_URL is
 * set, with the embedded MongoDB-compatible server. It seeds the test scale three times (seed A twice,
 * seed B once, each in its own database, or its own schemas on embedded Postgres)
 * and checks values: identifier validity, house codes against the grid registry, that every
 * planted problem is really in the data and that nothing unplanted is, determinism, and the
 * cross-department overlap the hub exists for.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { MongoClient } from 'mongodb';
import { Client, Pool } from 'pg';
import { PROBLEM_KINDS } from '../../src/config/types';
import { startEmbeddedMongo } from '../../src/embedded/mongo';
import type { EmbeddedMongo } from '../../src/embedded/mongo';
import { isValidRegistrationNumber, parseIdNumber, parseUscc } from '../../src/resolution/identifiers';
import { SEEDED_TABLE_KEYS, seedDepartments } from '../../src/seed';
import type { SeedReport, SeedTargets } from '../../src/seed';
import { migrateHubStore } from '../../src/store/migrate';
import { pgTargets, type PgTarget } from '../helpers/databases';

const PG_URL = process.env.ZHIWANG_TEST_PG_URL;
const EMBEDDED_URL = process.env.ZHIWANG_EMBEDDED_PG_URL;
const TODAY = '2026-11-01';

interface Seeded {
  /** The database (real server) or schema prefix (embedded) holding this seeding. */
  readonly database: string;
  readonly embedded: boolean;
  readonly pool: Pool;
  readonly market: Db;
  readonly targets: SeedTargets;
  readonly report: SeedReport;
}

interface MarketDoc {
  _id: string;
  UNISCID?: string;
  REGNO?: string;
  ENTTYPE: string;
  LEREP: { NAME: string; CERTYPE: string; CERNO: string };
  DOM: string;
  OPLOC?: string;
  ESTDATE: Date;
  REGCAP: number;
  REGCAPCUR: string;
  REGSTATE: string;
  REGORG: string;
  SHAREHOLDERS: { INV: string; INVTYPE: string; CERTYPE: string; CERNO: string; SUBCONAM: number }[];
  UPDATED_AT: Date;
}

function marketDocs(s: Seeded): Promise<MarketDoc[]> {
  return s.market.collection<MarketDoc>('entities').find({}).toArray();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Embedded Postgres serves one database, so each seeding there gets prefixed schemas instead. */
const schemaPrefix = new WeakMap<Pool, string>();

async function rows<T>(pool: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const prefix = schemaPrefix.get(pool);
  const text = prefix ? sql.replace(/\b(police|housing|civil|hub)\./g, `"${prefix}_$1".`) : sql;
  return (await pool.query(text, params)).rows as T[];
}

interface TruthRef {
  readonly source_id: string;
  readonly role: string;
  readonly entity_type: string;
  readonly entity_key: string;
}

/** The market department's ground truth, grouped by document id. */
async function marketTruth(pool: Pool): Promise<Map<string, TruthRef[]>> {
  const all = await rows<TruthRef>(
    pool,
    `SELECT source_id, role, entity_type, entity_key FROM hub.truth_reference WHERE department = 'market'`,
  );
  const byDoc = new Map<string, TruthRef[]>();
  for (const r of all) {
    const list = byDoc.get(r.source_id);
    if (list) list.push(r);
    else byDoc.set(r.source_id, [r]);
  }
  return byDoc;
}

/** `department/record_type/source_id` keys of one problem kind. */
async function plantedRecords(pool: Pool, kind: string): Promise<Set<string>> {
  const r = await rows<{ k: string }>(
    pool,
    `SELECT department || '/' || record_type || '/' || source_id AS k FROM hub.truth_problem WHERE kind = $1`,
    [kind],
  );
  return new Set(r.map((x) => x.k));
}

function sorted(set: Iterable<string>): string[] {
  return [...set].sort();
}

/** Truth joins: the true person / house behind a record's reference. */
const ref = (alias: string, dept: string, type: string, role: string, sourceId: string): string =>
  `JOIN hub.truth_reference ${alias} ON ${alias}.department = '${dept}' AND ${alias}.record_type = '${type}' AND ${alias}.source_id = ${sourceId} AND ${alias}.role = '${role}'`;

/** Active police residences (person, house): rk_czrk with ryzt 0, and uncancelled rk_ldrk. */
const RESIDENCES = `
  SELECT s.entity_key AS person, h.entity_key AS house FROM police.rk_czrk c
    ${ref('s', 'police', 'registered_person', 'SUBJECT', 'c.gmsfhm')}
    ${ref('h', 'police', 'registered_person', 'CURRENT_HOUSE', 'c.gmsfhm')}
  WHERE c.ryzt = '0'
  UNION ALL
  SELECT s.entity_key, h.entity_key FROM police.rk_ldrk l
    ${ref('s', 'police', 'residence_registration', 'SUBJECT', 'l.djbh')}
    ${ref('h', 'police', 'residence_registration', 'RESIDENCE', 'l.djbh')}
  WHERE l.zxrq IS NULL`;

/** Rental contracts with their true house and tenant. */
const LEASES = `
  SELECT z.htbh, z.zlyt, z.zlzzrq, h.entity_key AS house, t.entity_type AS tenant_type, t.entity_key AS tenant,
         (z.zlqsrq <= DATE '${TODAY}' AND z.zlzzrq >= DATE '${TODAY}') AS active
  FROM housing.zl_htba z
    ${ref('h', 'housing', 'rental_contract', 'RENTED_HOUSE', 'z.htbh')}
    ${ref('t', 'housing', 'rental_contract', 'TENANT', 'z.htbh')}`;

async function seedInto(
  target: PgTarget,
  mongoUrl: string,
  clients: MongoClient[],
  seed: number,
): Promise<Seeded> {
  const tag = `zw_seed_test_${randomBytes(4).toString('hex')}`;
  const embedded = target.label === 'embedded';
  let pool: Pool;
  if (embedded) {
    pool = new Pool({ connectionString: EMBEDDED_URL, max: 6 });
    schemaPrefix.set(pool, tag);
  } else {
    const admin = new Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${tag}"`);
    } finally {
      await admin.end();
    }
    pool = new Pool({ connectionString: withDatabase(PG_URL!, tag), max: 6 });
  }
  // The databases are dropped WITH (FORCE) after pool.end(), which may still be closing sockets.
  pool.on('error', () => undefined);
  const schema = (name: string): string => (embedded ? `${tag}_${name}` : name);
  await migrateHubStore(pool, schema('hub'));
  const client = new MongoClient(mongoUrl);
  await client.connect();
  clients.push(client);
  const market = client.db(tag);
  const targets: SeedTargets = {
    police: { pool, schema: schema('police') },
    housing: { pool, schema: schema('housing') },
    civil: { pool, schema: schema('civil') },
    hub: { pool, schema: schema('hub') },
    market,
  };
  const report = await seedDepartments(targets, { seed, scale: 'test' });
  return { database: tag, embedded, pool, market, targets, report };
}

/** md5 of every department table and the ground truth, rows in a canonical order. */
async function fingerprint(s: Seeded): Promise<Record<string, string>> {
  // Hashed row by row here; truth_problem (jsonb detail) and the market collection are hashed below.
  const tables = SEEDED_TABLE_KEYS.filter((t) => t !== 'hub.truth_problem' && !t.startsWith('market.'));
  const out: Record<string, string> = {};
  for (const t of tables) {
    const [r] = await rows<{ h: string }>(
      s.pool,
      `SELECT md5(string_agg(x::text, E'\\n' ORDER BY x::text)) AS h FROM ${t} x`,
    );
    out[t] = r!.h;
  }
  const [p] = await rows<{ h: string }>(
    s.pool,
    `SELECT md5(string_agg(v, E'\\n' ORDER BY v)) AS h FROM (
       SELECT row(kind, department, record_type, source_id, entity_type, entity_key, detail)::text AS v FROM hub.truth_problem) x`,
  );
  out['hub.truth_problem'] = p!.h;
  const docs = await s.market.collection('entities').find({}).sort({ _id: 1 }).toArray();
  out['market.entities'] = createHash('md5').update(JSON.stringify(docs)).digest('hex');
  return out;
}

describe.each(pgTargets().map((t) => [t.label, t] as const))(
  'seedDepartments (test scale) on %s Postgres with the embedded Mongo',
  (_label, target) => {
    let mongo: EmbeddedMongo;
    const clients: MongoClient[] = [];
    const seeded: Seeded[] = [];
    let a: Seeded;
    let a2: Seeded;
    let b: Seeded;

    beforeAll(async () => {
      mongo = await startEmbeddedMongo({ port: 0 });
      a = await seedInto(target, mongo.url, clients, 20261101);
      seeded.push(a);
      a2 = await seedInto(target, mongo.url, clients, 20261101);
      seeded.push(a2);
      b = await seedInto(target, mongo.url, clients, 7);
      seeded.push(b);
    }, 180_000);

    afterAll(async () => {
      for (const s of seeded) await s.pool.end();
      for (const c of clients) await c.close();
      await mongo?.close();
      if (target.label === 'embedded') {
        const c = new Client({ connectionString: EMBEDDED_URL });
        await c.connect();
        try {
          for (const s of seeded) {
            for (const d of ['police', 'housing', 'civil', 'hub'])
              await c.query(`DROP SCHEMA IF EXISTS "${s.database}_${d}" CASCADE`);
          }
        } finally {
          await c.end();
        }
        return;
      }
      const admin = new Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        for (const s of seeded) await admin.query(`DROP DATABASE IF EXISTS "${s.database}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    });

    it('fills every table at the test scale and reports what it wrote', async () => {
      const c = a.report.counts;
      expect(c['housing.fw_jbxx']).toBe(800);
      expect(c.houses).toBe(800);
      expect(c.persons).toBeGreaterThan(1400);
      expect(c.persons).toBeLessThan(1600);
      expect(c['market.entities']).toBeGreaterThanOrEqual(140);
      expect(c['civil.shzz_djxx']).toBe(20);
      expect([c.streets, c.communities, c.grids]).toEqual([1, 2, 4]);
      for (const [key, table] of Object.entries({
        'police.rk_czrk': 'police.rk_czrk',
        'police.rk_ldrk': 'police.rk_ldrk',
        'housing.zl_htba': 'housing.zl_htba',
        'civil.jz_dbdx': 'civil.jz_dbdx',
        'civil.yl_gljt': 'civil.yl_gljt',
        'civil.bz_hhjl': 'civil.bz_hhjl',
        'hub.truth_reference': 'hub.truth_reference',
        'hub.truth_problem': 'hub.truth_problem',
      })) {
        const [r] = await rows<{ n: number }>(a.pool, `SELECT count(*)::int AS n FROM ${table}`);
        expect(r!.n).toBe(c[key]);
        expect(r!.n).toBeGreaterThan(0);
      }
      expect(await a.market.collection('entities').countDocuments()).toBe(c['market.entities']);
      const [run] = await rows<{ seed: number; scale: string; counts: Record<string, number> }>(
        a.pool,
        'SELECT seed, scale, counts FROM hub.seed_run',
      );
      expect(run).toMatchObject({ seed: 20261101, scale: 'test' });
      expect(run!.counts['housing.fw_jbxx']).toBe(800);
    });

    it('carries every problem kind several times', async () => {
      const r = await rows<{ kind: string; n: number }>(
        a.pool,
        'SELECT kind, count(*)::int AS n FROM hub.truth_problem GROUP BY kind',
      );
      const byKind = new Map(r.map((x) => [x.kind, x.n]));
      for (const kind of PROBLEM_KINDS) expect([kind, (byKind.get(kind) ?? 0) >= 3]).toEqual([kind, true]);
      for (const k of r) expect(PROBLEM_KINDS).toContain(k.kind);
      expect(a.report.problems).toEqual(Object.fromEntries(PROBLEM_KINDS.map((k) => [k, byKind.get(k)])));
    });

    it('gives byte-identical data for the same seed and different data for another seed', async () => {
      const fa = await fingerprint(a);
      const fa2 = await fingerprint(a2);
      const fb = await fingerprint(b);
      expect(fa2).toEqual(fa);
      // The grid registry is the same for every seed of a scale; everything else differs.
      for (const key of Object.keys(fa).filter((k) => k !== 'hub.grid')) {
        expect([key, fb[key]]).not.toEqual([key, fa[key]]);
      }
    });

    it('keeps every ID number valid except the planted legacy, lowercase and bad-check ones', async () => {
      // Each raw ID with the true person behind it, from every department.
      const ids = await rows<{ raw: string; key: string; where: string }>(
        a.pool,
        `SELECT c.gmsfhm AS raw, s.entity_key AS key, 'police/registered_person/' || c.gmsfhm || '/gmsfhm' AS where
           FROM police.rk_czrk c ${ref('s', 'police', 'registered_person', 'SUBJECT', 'c.gmsfhm')}
         UNION ALL SELECT l.gmsfhm, s.entity_key, 'police/residence_registration/' || l.djbh || '/gmsfhm'
           FROM police.rk_ldrk l ${ref('s', 'police', 'residence_registration', 'SUBJECT', 'l.djbh')}
         UNION ALL SELECT f.cqrzjhm, o.entity_key, 'housing/house/' || f.fwbm || '/cqrzjhm'
           FROM housing.fw_jbxx f ${ref('o', 'housing', 'house', 'OWNER', 'f.fwbm')} WHERE o.entity_type = 'PERSON'
         UNION ALL SELECT z.czrzjhm, o.entity_key, 'housing/rental_contract/' || z.htbh || '/czrzjhm'
           FROM housing.zl_htba z ${ref('o', 'housing', 'rental_contract', 'LESSOR', 'z.htbh')}
         UNION ALL SELECT z.czfzjhm, o.entity_key, 'housing/rental_contract/' || z.htbh || '/czfzjhm'
           FROM housing.zl_htba z ${ref('o', 'housing', 'rental_contract', 'TENANT', 'z.htbh')} WHERE o.entity_type = 'PERSON'
         UNION ALL SELECT j.sfzh, s.entity_key, 'civil/subsistence_allowance/' || j.id || '/sfzh'
           FROM civil.jz_dbdx j ${ref('s', 'civil', 'subsistence_allowance', 'SUBJECT', 'j.id::text')}
         UNION ALL SELECT y.sfzh, s.entity_key, 'civil/elderly_allowance/' || y.id || '/sfzh'
           FROM civil.yl_gljt y ${ref('s', 'civil', 'elderly_allowance', 'SUBJECT', 'y.id::text')}
         UNION ALL SELECT b.sfzh, s.entity_key, 'civil/cremation_record/' || b.id || '/sfzh'
           FROM civil.bz_hhjl b ${ref('s', 'civil', 'cremation_record', 'SUBJECT', 'b.id::text')}
         UNION ALL SELECT o.fddbrsfzh, s.entity_key, 'civil/social_organization/' || o.tyshxydm || '/fddbrsfzh'
           FROM civil.shzz_djxx o ${ref('s', 'civil', 'social_organization', 'LEGAL_REP', 'o.tyshxydm')}`,
      );
      const docs = await marketDocs(a);
      const truthOf = await marketTruth(a.pool);
      for (const d of docs) {
        const refs = truthOf.get(d._id) ?? [];
        const rep = refs.find((r) => r.role === 'LEGAL_REP' || r.role === 'OPERATOR')!;
        ids.push({
          raw: d.LEREP.CERNO,
          key: rep.entity_key,
          where: `market/market_entity/${d._id}/LEREP.CERNO`,
        });
        d.SHAREHOLDERS.forEach((s, i) => {
          if (s.CERTYPE === '10') {
            ids.push({
              raw: s.CERNO,
              key: s.CERNO,
              where: `market/market_entity/${d._id}/SHAREHOLDERS.${i}.CERNO`,
            });
          }
        });
      }
      const planted = await rows<{ kind: string; where: string; value: string; key: string }>(
        a.pool,
        `SELECT kind, department || '/' || record_type || '/' || source_id || '/' || (detail->>'field') AS where,
                detail->>'value' AS value, entity_key AS key
         FROM hub.truth_problem WHERE kind IN ('ID_LEGACY_15', 'ID_LOWERCASE_X', 'ID_BAD_CHECK')`,
      );
      const plantedAt = new Map(planted.map((p) => [p.where, p]));
      expect(ids.length).toBeGreaterThan(3000);
      let checked = 0;
      for (const id of ids) {
        const p = plantedAt.get(id.where);
        if (!p) {
          const parsed = parseIdNumber(id.raw);
          expect([id.where, id.raw, parsed.ok && id.raw.length === 18 && !id.raw.includes('x')]).toEqual([
            id.where,
            id.raw,
            true,
          ]);
          if (!id.where.includes('SHAREHOLDERS')) expect(id.raw).toBe(id.key);
          checked++;
          continue;
        }
        expect(p.value).toBe(id.raw);
        const parsed = parseIdNumber(id.raw);
        if (p.kind === 'ID_LEGACY_15') {
          expect(id.raw).toMatch(/^\d{15}$/);
          expect(parsed.ok && parsed.value.normalized).toBe(p.key);
        } else if (p.kind === 'ID_LOWERCASE_X') {
          expect(id.raw).toMatch(/^\d{17}x$/);
          expect(id.raw.toUpperCase()).toBe(p.key);
        } else {
          expect(parsed).toMatchObject({ ok: false, problem: 'BAD_CHECK_CHARACTER' });
          expect(id.raw.slice(0, 17)).toBe(p.key.slice(0, 17));
        }
      }
      expect(checked).toBeGreaterThan(2500);
      // Every truth PERSON key is a valid normalised ID number.
      const keys = await rows<{ k: string }>(
        a.pool,
        `SELECT DISTINCT entity_key AS k FROM hub.truth_reference WHERE entity_type = 'PERSON'`,
      );
      for (const { k } of keys)
        expect([k, parseIdNumber(k).ok && parseIdNumber(k).ok && k === k.toUpperCase()]).toEqual([k, true]);
    });

    it('codes every house under 440305 in a registered grid, with standard addresses', async () => {
      const grids = await rows<{
        grid_code: string;
        name: string;
        community_code: string;
        community_name: string;
        street_code: string;
        street_name: string;
        district_code: string;
        district_name: string;
      }>(a.pool, 'SELECT * FROM hub.grid');
      expect(grids).toHaveLength(4);
      for (const g of grids) {
        expect(g.grid_code).toMatch(/^440305\d{8}$/);
        expect(g.community_code).toBe(g.grid_code.slice(0, 12));
        expect(g.street_code).toBe(g.grid_code.slice(0, 9));
        expect([g.district_code, g.district_name, g.street_name]).toEqual(['440305', '南山区', '粤海街道']);
        expect(g.name).toBe(`${g.community_name}第${Number(g.grid_code.slice(12))}网格`);
      }
      const gridCodes = new Set(grids.map((g) => g.grid_code));
      const houses = await rows<{
        fwbm: string;
        bzdz: string;
        qxmc: string;
        jdmc: string;
        sqmc: string;
        jlxmc: string;
        mph: string;
        xqmc: string;
        ldmc: string;
        dyh: string | null;
        fh: string;
        lc: string;
        fwyt: string;
        zt: string;
        jzmj: string;
      }>(a.pool, 'SELECT * FROM housing.fw_jbxx');
      const gridNames = new Map(grids.map((g) => [g.grid_code, g]));
      for (const h of houses) {
        expect(h.fwbm).toMatch(/^440305\d{19}$/);
        expect(gridCodes.has(h.fwbm.slice(0, 14))).toBe(true);
        const g = gridNames.get(h.fwbm.slice(0, 14))!;
        expect(h.bzdz).toBe(
          `广东省深圳市${h.qxmc}${h.jdmc}${h.sqmc}${h.jlxmc}${h.mph}${h.xqmc}${h.ldmc}${h.dyh ?? ''}${h.fh}`,
        );
        expect([h.qxmc, h.jdmc, h.sqmc]).toEqual(['南山区', g.street_name, g.community_name]);
        expect(['10', '20', '30', '40', '90']).toContain(h.fwyt);
        expect(['0', '1']).toContain(h.zt);
        expect(h.fh.startsWith(h.lc)).toBe(true);
        expect(Number(h.jzmj)).toBeGreaterThan(5);
      }
      expect(houses.filter((h) => h.fwyt === '10').length / houses.length).toBeGreaterThan(0.6);
      expect(houses.some((h) => h.zt === '0')).toBe(true);
      // Standard addresses identify houses: no two share one.
      expect(new Set(houses.map((h) => h.bzdz)).size).toBe(houses.length);
    });

    it('writes department values in the formats the mappings expect', async () => {
      const czrk = await rows<Record<string, string | null>>(a.pool, 'SELECT * FROM police.rk_czrk');
      const bad = await rows<{ field: string; value: string }>(
        a.pool,
        `SELECT detail->>'field' AS field, detail->>'value' AS value FROM hub.truth_problem WHERE kind IN ('BAD_VALUE', 'IDENTITY_MISMATCH')`,
      );
      const badValues = new Set(bad.map((x) => `${x.field}=${x.value}`));
      for (const r of czrk) {
        if (!badValues.has(`xbdm=${r.xbdm}`)) expect(['1', '2', '9']).toContain(r.xbdm);
        if (!badValues.has(`csrq=${r.csrq}`))
          expect(r.csrq).toBe(
            r.gmsfhm!.length === 18 ? r.gmsfhm!.slice(6, 14) : `19${r.gmsfhm!.slice(6, 12)}`,
          );
        expect(r.mzdm).toMatch(/^\d{2}$/);
        expect(r.hjdz_xzqhdm).toMatch(/^[1-6]\d{5}$/);
        expect(['0', '1', '2', '3']).toContain(r.ryzt);
        if (r.lxdh !== null) expect(r.lxdh).toMatch(/^1[3-9]\d{9}$/);
        if (r.xzz_fwbm !== null) expect(r.xzz_fwbm).toMatch(/^\d{25}$/);
      }
      expect(czrk.filter((r) => r.hjdz_xzqhdm === '440305').length).toBeGreaterThan(czrk.length / 3);
      expect(czrk.filter((r) => r.hjdz_xzqhdm !== '440305').length).toBeGreaterThan(czrk.length / 10);
      expect(czrk.filter((r) => r.mzdm !== '01').length).toBeGreaterThan(0);
      const ldrk = await rows<Record<string, string | null>>(
        a.pool,
        `SELECT djbh, jzsy, to_char(djrq, 'YYYY-MM-DD') AS djrq, to_char(zxrq, 'YYYY-MM-DD') AS zxrq, zxyy, csrq, gxsj < TIMESTAMPTZ '${TODAY}T00:00:00+08' AS before FROM police.rk_ldrk`,
      );
      for (const r of ldrk) {
        expect(r.djbh).toMatch(/^LD440305(19|20)\d{2}\d{6}$/);
        expect(r.djbh!.slice(8, 12)).toBe(r.djrq!.slice(0, 4));
        expect(['务工', '经商', '投靠亲友', '学习', '其他']).toContain(r.jzsy);
        expect(r.zxrq === null).toBe(r.zxyy === null);
        if (r.zxrq !== null) expect(r.zxrq! >= r.djrq!).toBe(true);
        if (!badValues.has(`csrq=${r.csrq}`))
          expect(r.djrq! >= `${r.csrq!.slice(0, 4)}-${r.csrq!.slice(4, 6)}-${r.csrq!.slice(6, 8)}`).toBe(
            true,
          );
        expect(r.before).toBe(true);
      }
      const leases = await rows<Record<string, string | null>>(
        a.pool,
        `SELECT htbh, czfzjlx, czfzjhm, zlyt, to_char(zlqsrq, 'YYYY-MM-DD') AS s, to_char(zlzzrq, 'YYYY-MM-DD') AS e, yzj FROM housing.zl_htba`,
      );
      for (const l of leases) {
        expect(l.htbh).toMatch(/^HT(19|20)\d{2}440305\d{6}$/);
        expect(l.htbh!.slice(2, 6)).toBe(l.s!.slice(0, 4));
        expect(['10', '20']).toContain(l.czfzjlx);
        if (l.czfzjlx === '20') expect(parseUscc(l.czfzjhm!).ok).toBe(true);
        expect(['居住', '经营']).toContain(l.zlyt);
        expect(l.e! > l.s!).toBe(true);
        expect(Number(l.yzj)).toBeGreaterThan(0);
      }
      expect(leases.some((l) => l.czfzjlx === '20')).toBe(true);
      const dbdx = await rows<{ qsny: string; zt: string }>(a.pool, 'SELECT qsny, zt FROM civil.jz_dbdx');
      for (const d of dbdx) {
        if (!badValues.has(`qsny=${d.qsny}`)) expect(d.qsny).toMatch(/^(19|20)\d{2}(0[1-9]|1[0-2])$/);
        expect(['在保', '停保']).toContain(d.zt);
      }
      const elderly = await rows<{ zt: string; age: number }>(
        a.pool,
        `SELECT y.zt, extract(year from age(DATE '${TODAY}', to_date(substr(s.entity_key, 7, 8), 'YYYYMMDD')))::int AS age
         FROM civil.yl_gljt y ${ref('s', 'civil', 'elderly_allowance', 'SUBJECT', 'y.id::text')}`,
      );
      for (const e of elderly) {
        expect(['在发', '停发']).toContain(e.zt);
        expect(e.age).toBeGreaterThanOrEqual(80);
      }
      const orgs = await rows<{ tyshxydm: string; zzlx: string; zt: string }>(
        a.pool,
        'SELECT * FROM civil.shzz_djxx',
      );
      for (const o of orgs) {
        expect(o.tyshxydm).toMatch(/^5[123]440305/);
        expect(parseUscc(o.tyshxydm)).toMatchObject({ ok: true, value: { warning: null } });
        expect({ '51': '社会团体', '52': '民办非企业单位', '53': '基金会' }[o.tyshxydm.slice(0, 2)]).toBe(
          o.zzlx,
        );
        expect(['正常', '注销']).toContain(o.zt);
      }
      const cremations = await rows<{ ok: boolean }>(
        a.pool,
        "SELECT hhrq >= swrq AND swrq < DATE '" + TODAY + "' AS ok FROM civil.bz_hhjl",
      );
      expect(cremations.every((c) => c.ok)).toBe(true);

      const docs = await marketDocs(a);
      const badCheck = await plantedRecords(a.pool, 'USCC_BAD_CHECK');
      const badState = await plantedRecords(a.pool, 'BAD_VALUE');
      for (const d of docs) {
        expect(d._id).toMatch(/^MKT\d{7}$/);
        if (d.UNISCID !== undefined) {
          expect(d.UNISCID).toMatch(/^9[12]440300/);
          const parsed = parseUscc(d.UNISCID);
          expect(parsed.ok).toBe(true);
          const flagged = badCheck.has(`market/market_entity/${d._id}`);
          expect([d._id, parsed.ok && parsed.value.warning !== null]).toEqual([d._id, flagged]);
          expect(d.ENTTYPE === '9600').toBe(d.UNISCID.startsWith('92'));
        } else {
          expect(isValidRegistrationNumber(d.REGNO ?? '')).toBe(true);
        }
        if (d.REGNO !== undefined) expect(isValidRegistrationNumber(d.REGNO)).toBe(true);
        expect(d.ESTDATE).toBeInstanceOf(Date);
        expect(d.UPDATED_AT).toBeInstanceOf(Date);
        expect(d.UPDATED_AT.getTime()).toBeLessThan(new Date(`${TODAY}T00:00:00+08:00`).getTime());
        expect(d.UPDATED_AT.getTime()).toBeGreaterThanOrEqual(d.ESTDATE.getTime());
        expect(d.REGCAPCUR).toBe('156');
        expect(d.REGORG).toBe('440305');
        expect(typeof d.REGCAP).toBe('number');
        if (!badState.has(`market/market_entity/${d._id}`))
          expect(['1', '2', '3', '4']).toContain(d.REGSTATE);
        expect(d.LEREP.CERTYPE).toBe('10');
        const shares = d.SHAREHOLDERS;
        for (const s of shares)
          expect([s.INVTYPE, s.CERTYPE]).toEqual(s.INVTYPE === '20' ? ['20', '10'] : ['10', '20']);
        if (shares.length > 0) expect(shares.reduce((x, s) => x + s.SUBCONAM, 0)).toBeCloseTo(d.REGCAP, 1);
      }
      expect(docs.some((d) => d.ENTTYPE === '9600')).toBe(true);
      expect(docs.some((d) => d.SHAREHOLDERS.some((s) => s.INVTYPE === '10'))).toBe(true);
      const gxsjAfter = await rows<{ n: number }>(
        a.pool,
        `SELECT (SELECT count(*) FROM police.rk_czrk WHERE gxsj >= TIMESTAMPTZ '${TODAY}T00:00:00+08')
              + (SELECT count(*) FROM housing.fw_jbxx WHERE gxsj >= TIMESTAMPTZ '${TODAY}T00:00:00+08')
              + (SELECT count(*) FROM housing.zl_htba WHERE gxsj >= TIMESTAMPTZ '${TODAY}T00:00:00+08')
              + (SELECT count(*) FROM civil.jz_dbdx WHERE gxsj >= TIMESTAMPTZ '${TODAY}T00:00:00+08')
              + (SELECT count(*) FROM civil.shzz_djxx WHERE gxsj >= TIMESTAMPTZ '${TODAY}T00:00:00+08') AS n`,
      );
      expect(Number(gxsjAfter[0]!.n)).toBe(0);
    });

    it('records a truth SUBJECT for every record, pointing at keys that exist', async () => {
      const subjects = await rows<{ record_type: string; n: number }>(
        a.pool,
        `SELECT record_type, count(*)::int AS n FROM hub.truth_reference WHERE role = 'SUBJECT' GROUP BY record_type`,
      );
      const bySubject = Object.fromEntries(subjects.map((s) => [s.record_type, s.n]));
      const c = a.report.counts;
      expect(bySubject).toEqual({
        registered_person: c['police.rk_czrk'],
        residence_registration: c['police.rk_ldrk'],
        house: c['housing.fw_jbxx'],
        subsistence_allowance: c['civil.jz_dbdx'],
        elderly_allowance: c['civil.yl_gljt'],
        cremation_record: c['civil.bz_hhjl'],
        social_organization: c['civil.shzz_djxx'],
        market_entity: c['market.entities'],
      });
      const [orphanHouses] = await rows<{ n: number }>(
        a.pool,
        `SELECT count(*)::int AS n FROM hub.truth_reference t WHERE entity_type = 'HOUSE'
           AND NOT EXISTS (SELECT 1 FROM housing.fw_jbxx f WHERE f.fwbm = t.entity_key)`,
      );
      expect(orphanHouses!.n).toBe(0);
      const [residences] = await rows<{ n: number }>(
        a.pool,
        `SELECT count(*)::int AS n FROM hub.truth_reference WHERE role = 'RESIDENCE'`,
      );
      expect(residences!.n).toBe(a.report.counts['police.rk_ldrk']);
      const docs = await a.market
        .collection('entities')
        .find({}, { projection: { UNISCID: 1, REGNO: 1 } })
        .toArray();
      const orgs = await rows<{ k: string }>(a.pool, 'SELECT tyshxydm AS k FROM civil.shzz_djxx');
      const entityKeys = new Set([...docs.flatMap((d) => [d.UNISCID, d.REGNO]), ...orgs.map((o) => o.k)]);
      const entityRefs = await rows<{ k: string; role: string }>(
        a.pool,
        `SELECT DISTINCT entity_key AS k, role FROM hub.truth_reference WHERE entity_type = 'LEGAL_ENTITY'`,
      );
      for (const r of entityRefs) expect([r.role, r.k, entityKeys.has(r.k)]).toEqual([r.role, r.k, true]);
      // Company tenants and owners are among them.
      expect(entityRefs.some((r) => r.role === 'TENANT')).toBe(true);
      expect(entityRefs.some((r) => r.role === 'OWNER')).toBe(true);
      expect(entityRefs.some((r) => r.role === 'SHAREHOLDER')).toBe(true);
      // Persons named anywhere are known to the police, except tenants who never registered.
      const [unknown] = await rows<{ n: number }>(
        a.pool,
        `SELECT count(DISTINCT t.entity_key)::int AS n FROM hub.truth_reference t
         WHERE t.entity_type = 'PERSON' AND t.department <> 'police'
           AND NOT EXISTS (SELECT 1 FROM hub.truth_reference p WHERE p.department = 'police' AND p.role = 'SUBJECT' AND p.entity_key = t.entity_key)
           AND NOT EXISTS (SELECT 1 FROM hub.truth_problem u WHERE u.kind = 'UNREGISTERED_TENANT' AND u.entity_key = t.entity_key)`,
      );
      expect(unknown!.n).toBe(0);
    });

    it('links many persons across all four departments', async () => {
      const [r] = await rows<{ n: number }>(
        a.pool,
        `SELECT count(*)::int AS n FROM (
           SELECT entity_key FROM hub.truth_reference WHERE entity_type = 'PERSON'
           GROUP BY entity_key HAVING count(DISTINCT department) = 4) x`,
      );
      expect(r!.n).toBeGreaterThanOrEqual(10);
      const [roles] = await rows<{ owners: number; tenants: number }>(
        a.pool,
        `SELECT count(*) FILTER (WHERE role = 'OWNER')::int AS owners, count(*) FILTER (WHERE role = 'TENANT')::int AS tenants
         FROM hub.truth_reference WHERE department = 'housing' AND entity_type = 'PERSON'`,
      );
      expect(roles!.owners).toBeGreaterThan(300);
      expect(roles!.tenants).toBeGreaterThan(300);
    });

    it('plants exactly the cross-department contradictions the data shows', async () => {
      const p = a.pool;
      const residences = `(${RESIDENCES})`;
      const leases = `(${LEASES})`;

      const unregistered = await rows<{ k: string }>(
        p,
        `SELECT 'housing/rental_contract/' || l.htbh AS k FROM ${leases} l
         WHERE l.active AND l.zlyt = '居住' AND l.tenant_type = 'PERSON'
           AND NOT EXISTS (SELECT 1 FROM ${residences} r WHERE r.person = l.tenant AND r.house = l.house)`,
      );
      expect(sorted(unregistered.map((x) => x.k))).toEqual(
        sorted(await plantedRecords(p, 'UNREGISTERED_TENANT')),
      );

      const stale = await rows<{ k: string }>(
        p,
        `SELECT DISTINCT 'police/residence_registration/' || g.djbh AS k FROM police.rk_ldrk g
           ${ref('s', 'police', 'residence_registration', 'SUBJECT', 'g.djbh')}
           ${ref('h', 'police', 'residence_registration', 'RESIDENCE', 'g.djbh')}
         WHERE g.zxrq IS NULL
           AND EXISTS (SELECT 1 FROM ${leases} l WHERE l.tenant = s.entity_key AND l.house = h.entity_key AND l.zlzzrq < DATE '${TODAY}' - 30)
           AND NOT EXISTS (SELECT 1 FROM ${leases} l WHERE l.house = h.entity_key AND l.active)
           AND NOT EXISTS (SELECT 1 FROM hub.truth_reference o WHERE o.department = 'housing' AND o.record_type = 'house'
                             AND o.role = 'OWNER' AND o.source_id = h.entity_key AND o.entity_key = s.entity_key)`,
      );
      expect(sorted(stale.map((x) => x.k))).toEqual(sorted(await plantedRecords(p, 'STALE_REGISTRATION')));

      const mismatch = await rows<{ k: string }>(
        p,
        `SELECT DISTINCT r.person AS k FROM ${residences} r
         WHERE EXISTS (SELECT 1 FROM ${leases} l WHERE l.tenant = r.person AND l.active AND l.zlyt = '居住')
           AND NOT EXISTS (SELECT 1 FROM ${leases} l WHERE l.tenant = r.person AND l.active AND l.zlyt = '居住' AND l.house = r.house)`,
      );
      const mismatchPlanted = await rows<{ k: string }>(
        p,
        `SELECT entity_key AS k FROM hub.truth_problem WHERE kind = 'RESIDENCE_MISMATCH'`,
      );
      expect(sorted(mismatch.map((x) => x.k))).toEqual(sorted(mismatchPlanted.map((x) => x.k)));

      const dead = `(SELECT s.entity_key FROM civil.bz_hhjl b ${ref('s', 'civil', 'cremation_record', 'SUBJECT', 'b.id::text')})`;
      const deceasedActive = await rows<{ k: string }>(
        p,
        `SELECT 'police/registered_person/' || c.gmsfhm AS k FROM police.rk_czrk c ${ref('s', 'police', 'registered_person', 'SUBJECT', 'c.gmsfhm')}
           WHERE c.ryzt = '0' AND s.entity_key IN ${dead}
         UNION SELECT 'police/residence_registration/' || g.djbh FROM police.rk_ldrk g ${ref('s', 'police', 'residence_registration', 'SUBJECT', 'g.djbh')}
           WHERE g.zxrq IS NULL AND s.entity_key IN ${dead}
         UNION SELECT 'civil/subsistence_allowance/' || j.id FROM civil.jz_dbdx j ${ref('s', 'civil', 'subsistence_allowance', 'SUBJECT', 'j.id::text')}
           WHERE j.zt = '在保' AND s.entity_key IN ${dead}
         UNION SELECT 'civil/elderly_allowance/' || y.id FROM civil.yl_gljt y ${ref('s', 'civil', 'elderly_allowance', 'SUBJECT', 'y.id::text')}
           WHERE y.zt = '在发' AND s.entity_key IN ${dead}
         UNION SELECT 'housing/rental_contract/' || l.htbh FROM ${leases} l WHERE l.active AND l.tenant IN ${dead}`,
      );
      expect(sorted(deceasedActive.map((x) => x.k))).toEqual(
        sorted(await plantedRecords(p, 'DECEASED_BUT_ACTIVE')),
      );

      const crowding = await rows<{ house: string; n: number; jzmj: string }>(
        p,
        `SELECT r.house, count(DISTINCT r.person)::int AS n, f.jzmj FROM ${residences} r
         JOIN housing.fw_jbxx f ON f.fwbm = r.house GROUP BY r.house, f.jzmj`,
      );
      const crowded = crowding
        .filter((c) => c.n >= 10 && Number(c.jzmj) / c.n < 5)
        .map((c) => `housing/house/${c.house}`);
      expect(sorted(crowded)).toEqual(sorted(await plantedRecords(p, 'OVERCROWDED_HOUSE')));
      const normal = crowding.filter((c) => !crowded.includes(`housing/house/${c.house}`));
      expect(Math.min(...normal.map((c) => Number(c.jzmj) / c.n))).toBeGreaterThan(7);

      // Market rules, with the documents from Mongo.
      const docs = await marketDocs(a);
      const truthOf = await marketTruth(p);
      const refsOf = (id: string) => truthOf.get(id) ?? [];
      const onWelfare = new Set(
        (
          await rows<{ k: string }>(
            p,
            `SELECT s.entity_key AS k FROM civil.jz_dbdx j ${ref('s', 'civil', 'subsistence_allowance', 'SUBJECT', 'j.id::text')} WHERE j.zt = '在保'`,
          )
        ).map((x) => x.k),
      );
      const welfare = new Set<string>();
      for (const d of docs) {
        if (d.REGSTATE !== '1' || d.REGCAP < 500) continue;
        for (const r of refsOf(d._id))
          if (r.entity_type === 'PERSON' && onWelfare.has(r.entity_key)) welfare.add(r.entity_key);
      }
      const welfarePlanted = await rows<{ k: string }>(
        p,
        `SELECT DISTINCT entity_key AS k FROM hub.truth_problem WHERE kind = 'WELFARE_WITH_BUSINESS'`,
      );
      expect(sorted(welfare)).toEqual(sorted(welfarePlanted.map((x) => x.k)));

      const use = new Map(
        (await rows<{ fwbm: string; fwyt: string }>(p, 'SELECT fwbm, fwyt FROM housing.fw_jbxx')).map((h) => [
          h.fwbm,
          h.fwyt,
        ]),
      );
      const businessLeased = new Set(
        (
          await rows<{ house: string }>(
            p,
            `SELECT l.house FROM ${leases} l WHERE l.active AND l.zlyt = '经营'`,
          )
        ).map((x) => x.house),
      );
      const atHome: string[] = [];
      const nowhere: string[] = [];
      for (const d of docs) {
        const dom = refsOf(d._id).find((r) => r.role === 'REGISTERED_HOUSE');
        if (!dom) nowhere.push(`market/market_entity/${d._id}`);
        else if (use.get(dom.entity_key) === '10' && !businessLeased.has(dom.entity_key))
          atHome.push(`market/market_entity/${d._id}`);
      }
      expect(sorted(atHome)).toEqual(sorted(await plantedRecords(p, 'ENTITY_AT_RESIDENTIAL')));
      expect(sorted(nowhere)).toEqual(sorted(await plantedRecords(p, 'ENTITY_ADDRESS_UNMATCHED')));
      const legacy = docs.filter((d) => d.UNISCID === undefined).map((d) => `market/market_entity/${d._id}`);
      expect(sorted(legacy)).toEqual(sorted(await plantedRecords(p, 'LEGACY_REGNO_ONLY')));
      // Some legacy documents have a current twin with the same registration number.
      const paired = docs.filter(
        (d) => d.UNISCID === undefined && docs.some((o) => o.UNISCID && o.REGNO === d.REGNO),
      );
      expect(paired.length).toBeGreaterThan(0);
    });

    it('records every house-code deviation and every rewritten address', async () => {
      const p = a.pool;
      const sources = [
        {
          type: 'registered_person',
          role: 'CURRENT_HOUSE',
          table: 'police.rk_czrk',
          id: 'gmsfhm',
          code: 'xzz_fwbm',
          text: 'xzz',
        },
        {
          type: 'residence_registration',
          role: 'RESIDENCE',
          table: 'police.rk_ldrk',
          id: 'djbh',
          code: 'fwbm',
          text: 'jzdz',
        },
        {
          type: 'rental_contract',
          role: 'RENTED_HOUSE',
          table: 'housing.zl_htba',
          id: 'htbh',
          code: 'fwbm',
          text: 'fwzl',
        },
        {
          type: 'subsistence_allowance',
          role: 'ADDRESS',
          table: 'civil.jz_dbdx',
          id: 'id',
          code: null,
          text: 'jtzz',
        },
        {
          type: 'elderly_allowance',
          role: 'ADDRESS',
          table: 'civil.yl_gljt',
          id: 'id',
          code: null,
          text: 'jzdz',
        },
        {
          type: 'social_organization',
          role: 'REGISTERED_HOUSE',
          table: 'civil.shzz_djxx',
          id: 'tyshxydm',
          code: null,
          text: 'zs',
        },
      ];
      for (const s of sources) {
        const dept = s.table.split('.')[0]!;
        const records = await rows<{
          sid: string;
          code: string | null;
          text: string;
          truth: string;
          bzdz: string;
          known: boolean;
          prev_in_use: string | null;
        }>(
          p,
          `SELECT x.${s.id}::text AS sid, ${s.code ? `x.${s.code}` : 'NULL'} AS code, x.${s.text} AS text, t.entity_key AS truth, f.bzdz,
                  ${s.code ? `EXISTS (SELECT 1 FROM housing.fw_jbxx k WHERE k.fwbm = x.${s.code})` : 'false'} AS known
           FROM ${s.table} x ${ref('t', dept, s.type, s.role, `x.${s.id}::text`)}
           JOIN housing.fw_jbxx f ON f.fwbm = t.entity_key`,
        );
        expect(records.length).toBeGreaterThan(0);
        const problems = await rows<{
          sid: string;
          kind: string;
          detail: Record<string, unknown>;
          key: string;
        }>(
          p,
          `SELECT source_id AS sid, kind, detail, entity_key AS key FROM hub.truth_problem
           WHERE department = $1 AND record_type = $2 AND (kind LIKE 'HOUSE_CODE_%' OR kind = 'ADDRESS_VARIANT')`,
          [dept, s.type],
        );
        const codeProblems = new Map(
          problems.filter((x) => x.kind.startsWith('HOUSE_CODE_')).map((x) => [x.sid, x]),
        );
        const addressProblems = new Map(
          problems.filter((x) => x.kind === 'ADDRESS_VARIANT').map((x) => [x.sid, x]),
        );
        for (const r of records) {
          if (s.code) {
            const found = codeProblems.get(r.sid);
            let expected: string | null = null;
            if (r.code === null) expected = 'HOUSE_CODE_MISSING';
            else if (!r.known) expected = 'HOUSE_CODE_UNKNOWN';
            else if (r.code !== r.truth)
              expected = found?.kind === 'HOUSE_CODE_STALE' ? 'HOUSE_CODE_STALE' : 'HOUSE_CODE_WRONG';
            expect([s.type, r.sid, found?.kind ?? null]).toEqual([s.type, r.sid, expected]);
            if (found) expect(found.detail).toMatchObject({ field: s.code, claimed: r.code, true: r.truth });
            if (found) expect(found.key).toBe(r.truth);
          }
          const variant = addressProblems.get(r.sid);
          expect([s.type, r.sid, r.text !== r.bzdz]).toEqual([s.type, r.sid, variant !== undefined]);
          if (variant) {
            expect(variant.detail).toMatchObject({ field: s.text, standard: r.bzdz, value: r.text });
            expect((variant.detail.forms as string[]).length).toBeGreaterThan(0);
          }
        }
      }
      // Market addresses: DOM and OPLOC against the houses the truth says they name.
      const docs = await marketDocs(a);
      const standard = new Map(
        (await rows<{ fwbm: string; bzdz: string }>(p, 'SELECT fwbm, bzdz FROM housing.fw_jbxx')).map((h) => [
          h.fwbm,
          h.bzdz,
        ]),
      );
      const truthOf = await marketTruth(p);
      const variants = await rows<{ sid: string; field: string; value: string }>(
        p,
        `SELECT source_id AS sid, detail->>'field' AS field, detail->>'value' AS value FROM hub.truth_problem
         WHERE department = 'market' AND kind = 'ADDRESS_VARIANT'`,
      );
      const variantAt = new Map(variants.map((v) => [`${v.sid}/${v.field}`, v.value]));
      for (const d of docs) {
        for (const [field, role] of [
          ['DOM', 'REGISTERED_HOUSE'],
          ['OPLOC', 'OPERATING_HOUSE'],
        ] as const) {
          const house = (truthOf.get(d._id) ?? []).find((r) => r.role === role && r.entity_type === 'HOUSE');
          if (!house) continue;
          const text = d[field]!;
          const recorded = variantAt.get(`${d._id}/${field}`);
          expect([d._id, field, text !== standard.get(house.entity_key)]).toEqual([
            d._id,
            field,
            recorded !== undefined,
          ]);
          if (recorded !== undefined) expect(recorded).toBe(text);
        }
      }
      // Older contracts were filed before house codes were recorded.
      const [old] = await rows<{ n: number; missing: number }>(
        p,
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE fwbm IS NULL)::int AS missing FROM housing.zl_htba WHERE zlqsrq < DATE '2016-01-01'`,
      );
      expect(old!.missing).toBe(old!.n);
    });

    it('records every name that differs from the police record', async () => {
      const p = a.pool;
      const names = await rows<{ where: string; name: string; police: string }>(
        p,
        `WITH police_names AS (
           SELECT s.entity_key AS k, c.xm FROM police.rk_czrk c ${ref('s', 'police', 'registered_person', 'SUBJECT', 'c.gmsfhm')}
           UNION SELECT s.entity_key, l.xm FROM police.rk_ldrk l ${ref('s', 'police', 'residence_registration', 'SUBJECT', 'l.djbh')})
         SELECT 'civil/subsistence_allowance/' || j.id AS where, j.xm AS name, n.xm AS police FROM civil.jz_dbdx j
           ${ref('s', 'civil', 'subsistence_allowance', 'SUBJECT', 'j.id::text')} JOIN police_names n ON n.k = s.entity_key
         UNION ALL SELECT 'civil/cremation_record/' || b.id, b.xm, n.xm FROM civil.bz_hhjl b
           ${ref('s', 'civil', 'cremation_record', 'SUBJECT', 'b.id::text')} JOIN police_names n ON n.k = s.entity_key
         UNION ALL SELECT 'housing/house/' || f.fwbm, f.cqrxm, n.xm FROM housing.fw_jbxx f
           ${ref('s', 'housing', 'house', 'OWNER', 'f.fwbm')} JOIN police_names n ON n.k = s.entity_key
         UNION ALL SELECT 'housing/rental_contract/' || z.htbh, z.czrxm, n.xm FROM housing.zl_htba z
           ${ref('s', 'housing', 'rental_contract', 'LESSOR', 'z.htbh')} JOIN police_names n ON n.k = s.entity_key`,
      );
      const mismatches = await plantedRecords(p, 'IDENTITY_MISMATCH');
      let differing = 0;
      for (const n of names) {
        if (n.name !== n.police) {
          differing++;
          expect([n.where, mismatches.has(n.where)]).toEqual([n.where, true]);
        }
      }
      expect(differing).toBeGreaterThan(0);
    });

    it('refuses to seed departments that already hold data', async () => {
      await expect(seedDepartments(a.targets, { seed: 1, scale: 'test' })).rejects.toThrow(
        /already hold data/,
      );
    });
  },
);
