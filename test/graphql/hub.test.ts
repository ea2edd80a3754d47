import { MongoClient } from 'mongodb';
import { startHub } from '../../src/app';
import { MongoConnector } from '../../src/connectors/mongo/MongoConnector';
import { createContext } from '../../src/graphql/context';
import { buildCrosswalk } from '../../src/resolution/buildCrosswalk';
import { parseIdNumber, toLegacyIdNumber } from '../../src/resolution/identifiers';
import type { GqlResult as Result } from '../helpers/graphql';
import { pgTargets } from '../helpers/databases';
import { SuiteSql } from '../helpers/sql';
import { createTestHub, quietLogger, TEST_TODAY, type TestHub } from '../helpers/testHub';

const norm = (id: string): string => {
  const r = parseIdNumber(id);
  return r.ok ? r.value.normalized : id;
};

describe.each(pgTargets().map((t) => [t.label, t] as const))('the hub on %s Postgres', (_label, target) => {
  let th: TestHub;
  let sql: SuiteSql;

  const run = async (
    query: string,
    variables?: Record<string, unknown>,
    options?: { provenance?: boolean },
  ): Promise<Result> => {
    const res = await th.apollo.executeOperation({ query, variables }, { contextValue: th.context(options) });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult as Result;
  };

  beforeAll(async () => {
    th = await createTestHub(target);
    sql = new SuiteSql(th.pg);
  }, 900_000);

  afterAll(async () => {
    await sql?.close();
    await th?.close();
  });

  /** A person every department knows (civil affairs through an allowance), by the ground truth, with clean identifiers. */
  async function personInAllFour(): Promise<string> {
    const row = await sql.one<{ entity_key: string }>(
      'hub',
      `SELECT t.entity_key FROM $s.truth_reference t
        WHERE t.entity_type = 'PERSON'
          AND NOT EXISTS (SELECT 1 FROM $s.truth_problem p WHERE p.entity_key = t.entity_key
                          AND p.kind IN ('ID_LEGACY_15', 'ID_LOWERCASE_X', 'ID_BAD_CHECK', 'IDENTITY_MISMATCH', 'BAD_VALUE'))
        GROUP BY t.entity_key
       HAVING count(DISTINCT t.department) = 4
          AND bool_or(t.record_type IN ('subsistence_allowance', 'elderly_allowance'))
        ORDER BY t.entity_key LIMIT 1`,
    );
    return row.entity_key;
  }

  describe('a person known to all four departments', () => {
    let id: string;
    let result: Result;

    beforeAll(async () => {
      id = await personInAllFour();
      result = await run(
        `query ($id: String!) {
          person(idNumber: $id) {
            idNumber name sex birthDate registrationType status
            residences { since active house { houseCode } }
            welfare { kind amount status }
            rentals { contractNumber }
            ownedHouses { houseCode }
            legalRoles { role entity { uscc name } }
            sources { department recordId role }
          }
        }`,
        { id },
      );
    });

    it('returns each department’s part', async () => {
      expect(result.errors).toBeUndefined();
      const p = result.data!.person;
      expect(p.idNumber).toBe(id);
      const police = await sql.rows<{ xm: string; csrq: string }>(
        'police',
        `SELECT xm, csrq FROM $s.rk_czrk WHERE upper(gmsfhm) = $1 UNION ALL SELECT xm, csrq FROM $s.rk_ldrk WHERE upper(gmsfhm) = $1`,
        [id],
      );
      expect(police.map((r) => r.xm)).toContain(p.name);
      expect(p.birthDate).toBe(`${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`);

      const civil = await sql.rows<{ amount: string }>(
        'civil',
        `SELECT yblje::text AS amount FROM $s.jz_dbdx WHERE upper(sfzh) = $1 UNION ALL SELECT ffje::text FROM $s.yl_gljt WHERE upper(sfzh) = $1`,
        [id],
      );
      expect(p.welfare.map((w: { amount: number }) => w.amount).sort()).toEqual(
        civil.map((c) => Number(c.amount)).sort(),
      );

      const rentals = await sql.rows<{ htbh: string }>(
        'housing',
        `SELECT htbh FROM $s.zl_htba WHERE upper(czfzjhm) = $1 OR upper(czrzjhm) = $1`,
        [id],
      );
      const owned = await sql.rows<{ fwbm: string }>(
        'housing',
        `SELECT fwbm FROM $s.fw_jbxx WHERE upper(cqrzjhm) = $1`,
        [id],
      );
      expect(p.rentals.map((r: { contractNumber: string }) => r.contractNumber).sort()).toEqual(
        rentals.map((r) => r.htbh).sort(),
      );
      expect(p.ownedHouses.map((h: { houseCode: string }) => h.houseCode).sort()).toEqual(
        owned.map((r) => r.fwbm).sort(),
      );

      const client = new MongoClient(th.mongo.url, { serverMonitoringMode: 'poll' });
      await client.connect();
      const docs = await client
        .db(th.mongo.database)
        .collection('entities')
        .find({ $or: [{ 'LEREP.CERNO': id }, { 'SHAREHOLDERS.CERNO': id }] })
        .toArray();
      await client.close();
      const expectedUscc = [
        ...new Set(docs.map((d) => d.UNISCID as string | undefined).filter(Boolean)),
      ].sort();
      const gotUscc = [
        ...new Set(
          p.legalRoles.map((r: { entity: { uscc: string } | null }) => r.entity?.uscc).filter(Boolean),
        ),
      ].sort();
      expect(gotUscc).toEqual(expect.arrayContaining(expectedUscc));

      const departments = new Set(p.sources.map((s: { department: string }) => s.department));
      expect([...departments].sort()).toEqual(['CIVIL', 'HOUSING', 'MARKET', 'POLICE']);
    });

    it('attributes each field to its department in extensions.provenance', () => {
      const prov = result.extensions!.provenance as Record<string, string[]>;
      expect(prov.police).toEqual(expect.arrayContaining(['person.name', 'person.birthDate', 'person.sex']));
      expect(prov.civil).toEqual(expect.arrayContaining(['person.welfare[].amount']));
      expect(prov.market ?? []).toEqual(expect.arrayContaining(['person.legalRoles[].role']));
      expect(
        (prov.housing ?? []).some(
          (p) => p.startsWith('person.rentals') || p.startsWith('person.ownedHouses'),
        ),
      ).toBe(true);
    });

    it('leaves provenance out when the request turns it off', async () => {
      const off = await run(
        `query ($id: String!) { person(idNumber: $id) { name } }`,
        { id },
        { provenance: false },
      );
      expect(off.data!.person.name).toBe(result.data!.person.name);
      expect(off.extensions?.provenance).toBeUndefined();
    });

    it('survives a department being down: only its fields are null, with SOURCE_UNAVAILABLE', async () => {
      const dead = new MongoConnector({
        mapping: th.loaded.mappings.market,
        url: 'mongodb://127.0.0.1:1/?directConnection=true',
        database: 'x',
        timeoutMs: 500,
        poolSize: 1,
      });
      await dead.open().catch(() => undefined);
      const hub = th.running.hub;
      const ctx = createContext(
        { ...hub, connectors: { ...hub.connectors, market: dead } },
        { provenance: true },
      );
      const res = await th.apollo.executeOperation(
        {
          query: `query ($id: String!) { person(idNumber: $id) { name welfare { amount } legalRoles { role } } }`,
          variables: { id },
        },
        { contextValue: ctx },
      );
      await dead.close();
      if (res.body.kind !== 'single') throw new Error('expected a single result');
      const r = res.body.singleResult as Result;
      expect(r.data!.person.name).toBe(result.data!.person.name);
      expect(r.data!.person.welfare.length).toBe(result.data!.person.welfare.length);
      expect(r.data!.person.legalRoles).toBeNull();
      expect(r.errors).toEqual([
        expect.objectContaining({
          path: ['person', 'legalRoles'],
          extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', department: 'market' }),
        }),
      ]);
      expect(r.extensions!.unavailableSources).toEqual(['MARKET']);
    });
  });

  it('finds a person by a legacy 15-digit or lowercase-x ID number, and lists the raw record', async () => {
    for (const kind of ['ID_LEGACY_15', 'ID_LOWERCASE_X']) {
      const t = await sql.one<{ entity_key: string; source_id: string; department: string }>(
        'hub',
        `SELECT entity_key, source_id, department FROM $s.truth_problem WHERE kind = $1 ORDER BY id LIMIT 1`,
        [kind],
      );
      const asked = kind === 'ID_LEGACY_15' ? toLegacyIdNumber(t.entity_key) : t.entity_key.toLowerCase();
      const r = await run(
        `query ($id: String!) { person(idNumber: $id) { idNumber sources { department recordId } } }`,
        { id: asked },
      );
      expect(r.data!.person.idNumber).toBe(t.entity_key);
      expect(r.data!.person.sources).toEqual(
        expect.arrayContaining([{ department: t.department.toUpperCase(), recordId: t.source_id }]),
      );
    }
  });

  it('lists the disagreement when departments hold different names or birth dates for one ID', async () => {
    const t = await sql.one<{ entity_key: string }>(
      'hub',
      `SELECT p.entity_key FROM $s.truth_problem p WHERE p.kind = 'IDENTITY_MISMATCH' AND p.entity_type = 'PERSON' ORDER BY p.id LIMIT 1`,
    );
    const r = await run(
      `query ($id: String!) { person(idNumber: $id) { name conflicts { field values { department value } } } }`,
      {
        id: t.entity_key,
      },
    );
    const conflicts = r.data!.person.conflicts as Array<{ field: string; values: Array<{ value: string }> }>;
    expect(conflicts.length).toBeGreaterThan(0);
    for (const c of conflicts) expect(new Set(c.values.map((v) => v.value)).size).toBeGreaterThan(1);
  });

  it('keeps a department row whose value failed mapping and reports the bad value', async () => {
    const t = await sql.one<{
      entity_type: string;
      entity_key: string;
      source_id: string;
      detail: { field: string; value: string };
    }>(
      'hub',
      `SELECT entity_type, entity_key, source_id, detail FROM $s.truth_problem
        WHERE kind = 'BAD_VALUE' AND department = 'police' AND entity_type = 'PERSON' ORDER BY id LIMIT 1`,
    );
    const r = await run(
      `query ($id: String!) { person(idNumber: $id) { idNumber sources { recordId issues { column rawValue problem } } } }`,
      {
        id: t.entity_key,
      },
    );
    const source = r.data!.person.sources.find((s: { recordId: string }) => s.recordId === t.source_id);
    expect(source.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ column: t.detail.field, rawValue: t.detail.value })]),
    );
  });

  it('shows a house as housing registers it, with its residents, owner and grid', async () => {
    const h = await sql.one<{
      fwbm: string;
      bzdz: string;
      fwyt: string;
      jzmj: string;
      cqrzjhm: string | null;
    }>(
      'housing',
      `SELECT h.fwbm, h.bzdz, h.fwyt, h.jzmj::text, h.cqrzjhm FROM $s.fw_jbxx h
        WHERE h.zt = '1' AND h.cqrzjhm IS NOT NULL ORDER BY h.fwbm LIMIT 1 OFFSET 3`,
    );
    const residents = await sql.rows<{ gmsfhm: string }>(
      'police',
      `SELECT gmsfhm FROM $s.rk_ldrk WHERE fwbm = $1 AND (zxrq IS NULL OR zxrq >= $2::date)`,
      [h.fwbm, TEST_TODAY],
    );
    const r = await run(
      `query ($code: String!) {
        house(houseCode: $code) {
          houseCode buildingCode address use area
          components { district street community compound building room }
          owner { __typename ... on Person { idNumber } ... on LegalEntity { uscc } }
          residents { idNumber }
          grid { code name community street }
        }
      }`,
      { code: h.fwbm },
    );
    expect(r.errors).toBeUndefined();
    const house = r.data!.house;
    expect(house).toMatchObject({
      houseCode: h.fwbm,
      buildingCode: h.fwbm.slice(0, 19),
      address: h.bzdz,
      area: Number(h.jzmj),
    });
    expect(house.components.district).toBe('南山区');
    expect(house.grid.code).toBe(h.fwbm.slice(0, 14));
    const ownerKey = house.owner?.idNumber ?? house.owner?.uscc;
    if (parseIdNumber(h.cqrzjhm!).ok) expect(ownerKey).toBe(norm(h.cqrzjhm!));
    const valid = residents
      .map((x) => x.gmsfhm)
      .filter((x) => parseIdNumber(x).ok)
      .map(norm);
    expect(house.residents.map((p: { idNumber: string }) => p.idNumber)).toEqual(
      expect.arrayContaining(valid),
    );
  });

  it('shows a legal entity with its decoded kind, status and legal representative', async () => {
    const client = new MongoClient(th.mongo.url, { serverMonitoringMode: 'poll' });
    await client.connect();
    const doc = await client
      .db(th.mongo.database)
      .collection('entities')
      .findOne(
        { UNISCID: { $regex: '^91' }, REGSTATE: '1', 'LEREP.CERNO': { $regex: '^\\d{17}[\\dX]$' } },
        { sort: { _id: 1 } },
      );
    await client.close();
    expect(doc).not.toBeNull();
    const r = await run(
      `query ($uscc: String!) { legalEntity(uscc: $uscc) { uscc name kind status registeredCapital legalRepresentative { idNumber } } }`,
      { uscc: doc!.UNISCID },
    );
    expect(r.data!.legalEntity).toEqual({
      uscc: doc!.UNISCID,
      name: doc!.ENTNAME,
      kind: 'ENTERPRISE',
      status: 'ACTIVE',
      registeredCapital: doc!.REGCAP,
      legalRepresentative: parseIdNumber(doc!.LEREP.CERNO).ok ? { idNumber: norm(doc!.LEREP.CERNO) } : null,
    });
  });

  it('pages through a grid’s houses with cursors and counts them', async () => {
    const g = await sql.one<{ grid_code: string; n: string }>(
      'hub',
      `SELECT grid_code, count(*) AS n FROM $s.canonical_entity WHERE entity_type = 'HOUSE' GROUP BY grid_code ORDER BY grid_code LIMIT 1`,
    );
    const q = `query ($code: String!, $after: String) {
      grid(code: $code) { code stats { houses } houses(first: 10, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { houseCode } } } }
    }`;
    const p1 = await run(q, { code: g.grid_code });
    const p2 = await run(q, { code: g.grid_code, after: p1.data!.grid.houses.pageInfo.endCursor });
    const codes1 = p1.data!.grid.houses.edges.map((e: { node: { houseCode: string } }) => e.node.houseCode);
    const codes2 = p2.data!.grid.houses.edges.map((e: { node: { houseCode: string } }) => e.node.houseCode);
    expect(codes1).toHaveLength(10);
    expect(codes2[0] > codes1[9]).toBe(true);
    expect([...codes1, ...codes2]).toEqual([...codes1, ...codes2].sort());
    expect(p1.data!.grid.houses.totalCount).toBe(Number(g.n));
    expect(p1.data!.grid.stats.houses).toBe(Number(g.n));
    expect(p1.data!.grid.houses.pageInfo.hasNextPage).toBe(true);
    const all = await run(`{ grids(first: 200) { edges { node { code } } } }`);
    const registry = await sql.rows('hub', `SELECT grid_code FROM $s.grid`);
    expect(all.data!.grids.edges).toHaveLength(registry.length);
  });

  it('searches persons by name, and legal entities by kind', async () => {
    const row = await sql.one<{ xm: string; gmsfhm: string }>(
      'police',
      `SELECT xm, gmsfhm FROM $s.rk_czrk WHERE gmsfhm ~ '^[0-9]{17}[0-9X]$' ORDER BY gmsfhm LIMIT 1`,
    );
    const r = await run(
      `query ($n: String!) { searchPersons(name: $n, first: 50) { edges { node { idNumber name } } } }`,
      { n: row.xm },
    );
    expect(r.data!.searchPersons.edges.map((e: { node: { idNumber: string } }) => e.node.idNumber)).toContain(
      row.gmsfhm,
    );
    const e = await run(
      `{ legalEntities(filter: { kind: INDIVIDUAL_BUSINESS }, first: 5) { edges { node { uscc kind } } pageInfo { hasNextPage } } }`,
    );
    const nodes = e.data!.legalEntities.edges.map((x: { node: { uscc: string; kind: string } }) => x.node);
    expect(nodes).toHaveLength(5);
    for (const n of nodes)
      expect(n).toMatchObject({ kind: 'INDIVIDUAL_BUSINESS', uscc: expect.stringMatching(/^92/) });
  });

  it('rejects malformed identifiers with BAD_USER_INPUT naming the expected format', async () => {
    const r = await run(
      `{ person(idNumber: "4403051985") { name } house(houseCode: "12") { address } legalEntity(uscc: "91OOO") { name } }`,
    );
    expect(r.data).toEqual({ person: null, house: null, legalEntity: null });
    const codes = r.errors!.map((e) => [e.path?.[0], e.extensions?.code]);
    expect(codes).toEqual(
      expect.arrayContaining([
        ['person', 'BAD_USER_INPUT'],
        ['house', 'BAD_USER_INPUT'],
        ['legalEntity', 'BAD_USER_INPUT'],
      ]),
    );
    for (const e of r.errors!) expect(e.message).toContain('Expected format');
  });

  it('rebuilds the crosswalk in many small batches to the same links, reads and writes interleaved', async () => {
    // Reading pages while earlier batches are written: on the embedded server, which serves one
    // transaction at a time, a reader holding a transaction across pages would stall the writers.
    const snapshot = () =>
      sql.one<{ n: string; digest: string }>(
        'hub',
        `SELECT count(*) AS n, md5(string_agg(department || record_type || source_id || role || entity_key || method,
                ',' ORDER BY department, record_type, source_id, role, entity_key)) AS digest FROM $s.crosswalk`,
      );
    const before = await snapshot();
    const report = await buildCrosswalk(th.running.hub.connectors, th.running.hub.store, undefined, {
      batchSize: 50,
    });
    expect(Object.values(report.byDepartment).map((d) => d.error)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(report.addressBase).toMatchObject({ houses: expect.any(Number) });
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('makes at most one round trip per department per nesting level, however many results', async () => {
    // The grid whose first houses already reach a resident with a legal role, so that both page sizes
    // exercise every nesting level.
    const g = await sql.one<{ g: string; rn: string }>(
      'hub',
      `WITH h AS (
         SELECT entity_key, grid_code, row_number() OVER (PARTITION BY grid_code ORDER BY entity_key) AS rn
           FROM $s.canonical_entity WHERE entity_type = 'HOUSE'),
       lr AS (
         SELECT DISTINCT r.entity_key AS house FROM $s.crosswalk r
           JOIN $s.crosswalk s USING (department, record_type, source_id)
           JOIN $s.crosswalk l ON l.entity_type = 'PERSON' AND l.entity_key = s.entity_key
                             AND l.role IN ('LEGAL_REP', 'OPERATOR', 'SHAREHOLDER')
          WHERE r.role = 'RESIDENCE' AND s.role = 'SUBJECT' AND (r.valid_to IS NULL OR r.valid_to >= $1::date))
       SELECT h.grid_code AS g, min(h.rn) AS rn FROM h JOIN lr ON lr.house = h.entity_key
        GROUP BY h.grid_code ORDER BY min(h.rn) LIMIT 1`,
      [TEST_TODAY],
    );
    const q = `query ($code: String!, $n: Int!) {
      grid(code: $code) { houses(first: $n) { edges { node { houseCode residents { idNumber legalRoles { role entity { name } } } } } } }
    }`;
    const trips = async (n: number) => {
      const connectors = th.running.hub.connectors;
      const before = Object.fromEntries(Object.values(connectors).map((c) => [c.department, c.roundTrips]));
      const r = await run(q, { code: g.g, n });
      expect(r.errors).toBeUndefined();
      const after = Object.fromEntries(
        Object.values(connectors).map((c) => [c.department, c.roundTrips - before[c.department]!]),
      );
      const roles = r.data!.grid.houses.edges.flatMap(
        (e: { node: { residents: Array<{ legalRoles: unknown[] }> } }) =>
          e.node.residents.flatMap((p) => p.legalRoles),
      );
      return { after, houses: r.data!.grid.houses.edges.length as number, roles: roles.length as number };
    };
    const small = await trips(Math.max(5, Number(g.rn)));
    const mid = await trips(100);
    const large = await trips(200);
    expect(small.roles).toBeGreaterThan(0);
    expect(large.houses).toBeGreaterThan(small.houses * 3);
    expect(large.roles).toBeGreaterThan(small.roles);
    // Four nesting levels reach the departments: houses, residents, legalRoles, entity. Whether a level
    // touches a department depends on the data (an entity with no housing record needs no housing
    // read), so a small page may touch fewer; no page may exceed one round trip per level, and
    // doubling a page that already touches every level must not add any.
    for (const [dept, n] of Object.entries(large.after)) {
      expect({ dept, n: n <= 4 }).toEqual({ dept, n: true });
      expect({ dept, n: small.after[dept]! <= n }).toEqual({ dept, n: true });
      // Fewer is possible: a larger page may already have loaded what a deeper level asks for.
      expect({ dept, n: n <= mid.after[dept]! }).toEqual({ dept, n: true });
    }
  });

  it('serves the guarded schema over HTTP at /graphql, and a header turns provenance off', async () => {
    const loaded = {
      ...th.loaded,
      config: { ...th.loaded.config, server: { ...th.loaded.config.server, port: 0 } },
    };
    const http = await startHub(loaded, quietLogger, { listen: true, today: () => TEST_TODAY });
    try {
      expect(http.url).toMatch(/^http:\/\/.*\/graphql$/);
      const post = (headers: Record<string, string>) =>
        fetch(http.url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: '{ grids(first: 1) { edges { node { code street } } } }' }),
        }).then((res) => res.json() as Promise<Result>);
      const auth = { authorization: `Bearer ${th.token('ops')}`, 'x-zhiwang-purpose': 'OPERATIONS' };
      const refused = await fetch(http.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ grids(first: 1) { edges { node { code } } } }' }),
      });
      expect(refused.status).toBe(401);
      const on = await post(auth);
      expect(on.data!.grids.edges[0].node.code).toMatch(/^440305\d{8}$/);
      expect(on.extensions!.provenance.hub).toEqual(['grids.edges[].node.code', 'grids.edges[].node.street']);
      const off = await post({ ...auth, 'x-zhiwang-provenance': 'off' });
      expect(off.extensions?.provenance).toBeUndefined();
    } finally {
      await http.close();
    }
  });
});
