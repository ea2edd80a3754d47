/**
 * The address parser on the demo generator's planted variants: every ADDRESS_VARIANT in the ground
 * truth is read back from the department record that carries it and parsed, with the housing base's
 * road and compound names as vocabulary, and compared with the parse of the standard address (bzdz).
 * The thresholds are the measured agreement minus a small margin, so a regression shows.
 */
import { MongoClient } from 'mongodb';
import type { Db } from 'mongodb';
import { Pool } from 'pg';
import { parseAddress } from '../../src/resolution/address';
import type { AddressComponents, AddressVocabulary } from '../../src/resolution/address';
import { seedDepartments } from '../../src/seed';
import { migrateHubStore } from '../../src/store/migrate';
import { createMongo, pgTargets, STORES } from '../helpers/databases';
import type { MongoPlacement, PgPlacement, StoreName } from '../helpers/databases';

interface Problem {
  department: string;
  record_type: string;
  source_id: string;
  detail: { field: string; standard: string; value: string; forms: string[] };
}

/** Where each department keeps the record a free-text address was planted in. */
const PG_RECORDS: Readonly<Record<string, { store: StoreName; table: string; key: string }>> = {
  'housing/rental_contract': { store: 'housing', table: 'zl_htba', key: 'htbh' },
  'police/registered_person': { store: 'police', table: 'rk_czrk', key: 'gmsfhm' },
  'police/residence_registration': { store: 'police', table: 'rk_ldrk', key: 'djbh' },
  'civil/subsistence_allowance': { store: 'civil', table: 'jz_dbdx', key: 'id' },
  'civil/elderly_allowance': { store: 'civil', table: 'yl_gljt', key: 'id' },
  'civil/social_organization': { store: 'civil', table: 'shzz_djxx', key: 'tyshxydm' },
};

const COMPARED = ['building', 'unit', 'room', 'compound', 'floor', 'doorNumber', 'road'] as const;
type Compared = (typeof COMPARED)[number];

/** Measured on seed 7 at the test scale, minus a margin. */
const THRESHOLDS: Readonly<Record<Compared | 'buildingAndRoom' | 'house', number>> = {
  buildingAndRoom: 0.99,
  house: 0.99,
  building: 0.99,
  unit: 0.99,
  room: 0.99,
  floor: 0.99,
  compound: 0.98,
  doorNumber: 0.99,
  road: 0.99,
};

describe('address parser on the demo variants', () => {
  const target = pgTargets().find((t) => t.label === 'real') ?? pgTargets()[0]!;
  let pg: PgPlacement;
  let mongo: MongoPlacement;
  let mongoClient: MongoClient;
  let market: Db;
  const pools = new Map<StoreName, Pool>();
  const pool = (s: StoreName): Pool => pools.get(s)!;

  beforeAll(async () => {
    pg = await target.create();
    mongo = await createMongo();
    for (const s of STORES) pools.set(s, new Pool({ connectionString: pg.urls[s], max: 4 }));
    await migrateHubStore(pool('hub'), pg.schemas.hub);
    mongoClient = new MongoClient(mongo.url, { serverMonitoringMode: 'poll' });
    await mongoClient.connect();
    market = mongoClient.db(mongo.database);
    const t = (s: StoreName) => ({ pool: pool(s), schema: pg.schemas[s] });
    await seedDepartments(
      { police: t('police'), housing: t('housing'), civil: t('civil'), hub: t('hub'), market },
      { seed: 7, scale: 'test' },
    );
  });

  afterAll(async () => {
    await market?.dropDatabase();
    await mongoClient?.close();
    await mongo?.close();
    for (const p of pools.values()) await p.end();
    await pg?.drop();
  });

  async function recordedAddress(p: Problem): Promise<string | null> {
    if (p.department === 'market') {
      const doc = await market.collection<{ _id: string }>('entities').findOne({ _id: p.source_id });
      const v = (doc as Record<string, unknown> | null)?.[p.detail.field];
      return typeof v === 'string' ? v : null;
    }
    const where = PG_RECORDS[`${p.department}/${p.record_type}`];
    if (where === undefined) throw new Error(`no record mapping for ${p.department}/${p.record_type}`);
    const r = await pool(where.store).query(
      `SELECT "${p.detail.field}" AS v FROM "${pg.schemas[where.store]}".${where.table} WHERE ${where.key}::text = $1`,
      [p.source_id],
    );
    return (r.rows[0] as { v: string | null } | undefined)?.v ?? null;
  }

  it('parses the planted variants back to the house of the standard address', async () => {
    const vocabRows = await pool('housing').query(
      `SELECT array_agg(DISTINCT jlxmc) AS roads, array_agg(DISTINCT xqmc) AS compounds FROM "${pg.schemas.housing}".fw_jbxx`,
    );
    const vocabulary = vocabRows.rows[0] as AddressVocabulary;
    expect(vocabulary.roads.length).toBeGreaterThan(0);
    expect(vocabulary.compounds.length).toBeGreaterThan(0);

    const problems = (
      await pool('hub').query(
        `SELECT department, record_type, source_id, detail FROM "${pg.schemas.hub}".truth_problem WHERE kind = 'ADDRESS_VARIANT'`,
      )
    ).rows as Problem[];
    expect(problems.length).toBeGreaterThan(100);

    const agree: Record<string, number> = {};
    const failures: string[] = [];
    const failuresByForm: Record<string, number> = {};
    let read = 0;
    for (const p of problems) {
      const variant = await recordedAddress(p);
      // The record must carry the planted text: otherwise the truth and the data disagree.
      expect(variant).toBe(p.detail.value);
      if (variant === null) continue;
      read++;
      const got = parseAddress(variant, vocabulary).components;
      const want = parseAddress(p.detail.standard).components;
      // Components the variant left out (a unit in `3-502`, the road) are not counted as wrong.
      const written = (k: Compared, c: AddressComponents): boolean =>
        !(k === 'unit' && (p.detail.forms.includes('NO_UNIT') || p.detail.forms.includes('DASH'))) &&
        !((k === 'road' || k === 'doorNumber') && p.detail.forms.includes('NO_ROAD')) &&
        c[k] !== undefined;
      let allHouse = true;
      for (const k of COMPARED) {
        const ok = !written(k, got) || got[k] === want[k];
        if (ok) agree[k] = (agree[k] ?? 0) + 1;
        if (!ok && ['building', 'unit', 'room', 'compound'].includes(k)) allHouse = false;
      }
      if (got.building === want.building && got.room === want.room)
        agree.buildingAndRoom = (agree.buildingAndRoom ?? 0) + 1;
      if (allHouse) agree.house = (agree.house ?? 0) + 1;
      else {
        failures.push(`${variant} → ${JSON.stringify(got)}; standard ${p.detail.standard}`);
        for (const f of p.detail.forms) failuresByForm[f] = (failuresByForm[f] ?? 0) + 1;
      }
    }

    const rates = Object.fromEntries(
      Object.keys(THRESHOLDS).map((k) => [k, (agree[k] ?? 0) / read]),
    ) as Record<keyof typeof THRESHOLDS, number>;
    process.stdout.write(
      `address parser on ${read} demo variants (${target.label} Postgres):\n` +
        Object.entries(rates)
          .map(([k, v]) => `  ${k.padEnd(16)} ${(v * 100).toFixed(2)}%`)
          .join('\n') +
        `\n  failures by form: ${JSON.stringify(failuresByForm)}\n` +
        failures
          .slice(0, 15)
          .map((f) => `  ${f}\n`)
          .join(''),
    );
    for (const [k, min] of Object.entries(THRESHOLDS)) {
      // The component name in the failure message says which rate fell.
      expect({ [k]: rates[k as keyof typeof THRESHOLDS] >= min }).toEqual({ [k]: true });
    }
  });
});
