/**
 * Identity resolution on the demo seed (seed 42, demo scale): house references resolved against the
 * standard address base, scored against the generator's ground truth, and the GraphQL surface of it
 * (matchAddress, House.sources, the review queue, manual decisions kept across rebuilds).
 */
import { refKey } from '../../src/connectors/Connector';
import { PgConnector } from '../../src/connectors/pg/PgConnector';
import { createContext } from '../../src/graphql/context';
import { buildCrosswalk } from '../../src/resolution/buildCrosswalk';
import { scoreHouseResolution, type QualityReport, type QualityRow } from '../../src/resolution/quality';
import { AddressBaseCache } from '../../src/services/addressBase';
import { pgTargets } from '../helpers/databases';
import { SuiteSql } from '../helpers/sql';
import { createTestHub, type TestHub } from '../helpers/testHub';

type Result = {
  data?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
};

const rowsByKind = (report: QualityReport): Map<string, QualityRow> =>
  new Map(report.rows.map((r) => [r.kind, r]));

describe('identity resolution on the demo seed', () => {
  const target = pgTargets().find((t) => t.label === 'real') ?? pgTargets()[0]!;
  let th: TestHub;
  let sql: SuiteSql;

  const run = async (
    query: string,
    variables?: Record<string, unknown>,
    hub = th.running.hub,
  ): Promise<Result> => {
    const res = await th.apollo.executeOperation(
      { query, variables },
      { contextValue: createContext(hub, { provenance: false }) },
    );
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult as Result;
  };

  beforeAll(async () => {
    th = await createTestHub(target, { seed: 42, scale: 'demo' });
    sql = new SuiteSql(th.pg);
  }, 1_800_000);

  afterAll(async () => {
    await sql?.close();
    await th?.close();
  });

  describe('quality against the ground truth', () => {
    let rows: Map<string, QualityRow>;
    beforeAll(async () => {
      rows = rowsByKind(await scoreHouseResolution(th.running.hub.store, Object.values(th.loaded.mappings)));
    });

    it('reaches precision ≥ 99% and recall ≥ 95% overall, over tens of thousands of references', () => {
      const all = rows.get('all')!;
      expect(all.matchable).toBeGreaterThan(50_000);
      expect(all.precision).toBeGreaterThanOrEqual(0.99);
      expect(all.recall).toBeGreaterThanOrEqual(0.95);
    });

    it('matches address variants and repairs bad claimed codes, kind by kind', () => {
      for (const kind of [
        'ADDRESS_VARIANT',
        'HOUSE_CODE_MISSING',
        'HOUSE_CODE_STALE',
        'HOUSE_CODE_WRONG',
        'HOUSE_CODE_UNKNOWN',
        'method:ADDRESS_MATCH',
      ]) {
        const r = rows.get(kind)!;
        expect({ kind, matchable: r.matchable > 100 }).toEqual({ kind, matchable: true });
        expect({ kind, precision: r.precision! >= 0.99 }).toEqual({ kind, precision: true });
        expect({ kind, recall: r.recall! >= 0.95 }).toEqual({ kind, recall: true });
      }
      const forms = [...rows.keys()].filter((k) => k.startsWith('form:'));
      expect(forms.length).toBeGreaterThanOrEqual(18);
      for (const f of forms) expect({ f, recall: rows.get(f)!.recall! >= 0.95 }).toEqual({ f, recall: true });
    });

    it('flags every stale, wrong or unknown claimed code instead of trusting it', () => {
      for (const kind of ['HOUSE_CODE_STALE', 'HOUSE_CODE_WRONG', 'HOUSE_CODE_UNKNOWN']) {
        const r = rows.get(kind)!;
        expect({ kind, flagged: r.review.CONTRADICTED }).toEqual({ kind, flagged: r.references });
      }
    });

    it('links no house to a company address that matches none', () => {
      const r = rows.get('ENTITY_ADDRESS_UNMATCHED')!;
      expect(r.references).toBeGreaterThan(10);
      expect(r.linked).toBe(0);
      expect(r.review.UNMATCHED).toBe(r.references);
    });
  });

  it('scores against the truth, not against itself: wrong links lower precision and recall', async () => {
    // Point 25 address-matched links at another house of the same building, score, and put them back.
    const moved = await sql.rows<{ department: string; source_id: string; role: string; was: string }>(
      'hub',
      `UPDATE $s.crosswalk c SET entity_key = left(c.entity_key, 19) || CASE WHEN right(c.entity_key, 6) = '010101'
                                  THEN '010102' ELSE '010101' END
         FROM (SELECT department, record_type, source_id, role, entity_key FROM $s.crosswalk
                WHERE method = 'ADDRESS_MATCH' ORDER BY source_id LIMIT 25) t
        WHERE c.department = t.department AND c.record_type = t.record_type AND c.source_id = t.source_id
          AND c.role = t.role AND c.entity_key = t.entity_key
        RETURNING c.department, c.source_id, c.role, t.entity_key AS was`,
    );
    try {
      expect(moved).toHaveLength(25);
      const before = rowsByKind(
        await scoreHouseResolution(th.running.hub.store, Object.values(th.loaded.mappings)),
      );
      const all = before.get('all')!;
      expect(all.linked - all.correct).toBe(25);
      expect(all.precision).toBeLessThan(1);
    } finally {
      for (const m of moved) {
        await sql.rows(
          'hub',
          `UPDATE $s.crosswalk SET entity_key = $4 WHERE department = $1 AND source_id = $2 AND role = $3 AND method = 'ADDRESS_MATCH'`,
          [m.department, m.source_id, m.role, m.was],
        );
      }
    }
  });

  describe('deduplicated records', () => {
    it('has one house per house code of the base, whatever refers to it', async () => {
      const [counts] = await Promise.all([
        sql.one<{ canonical: string; linked: string }>(
          'hub',
          `SELECT (SELECT count(*) FROM $s.canonical_entity WHERE entity_type = 'HOUSE') AS canonical,
                  (SELECT count(DISTINCT entity_key) FROM $s.crosswalk WHERE entity_type = 'HOUSE') AS linked`,
        ),
      ]);
      const base = await sql.one<{ n: string }>('housing', `SELECT count(*) AS n FROM $s.fw_jbxx`);
      expect(Number(counts.canonical)).toBe(Number(base.n));
      expect(Number(counts.linked)).toBe(Number(base.n));
      const stray = await sql.rows(
        'hub',
        `SELECT entity_key FROM $s.crosswalk WHERE entity_type = 'HOUSE' AND entity_key NOT IN (
           SELECT entity_key FROM $s.canonical_entity WHERE entity_type = 'HOUSE') LIMIT 1`,
      );
      expect(stray).toEqual([]);
    });

    it('refers to houses from all four departments, by exact key and by address', async () => {
      const rows = await sql.rows<{ department: string; method: string }>(
        'hub',
        `SELECT DISTINCT department, method FROM $s.crosswalk WHERE entity_type = 'HOUSE' AND role <> 'SUBJECT'`,
      );
      const departments = new Set(rows.map((r) => r.department));
      expect([...departments].sort()).toEqual(['civil', 'housing', 'market', 'police']);
      expect(new Set(rows.map((r) => r.method))).toEqual(new Set(['EXACT_KEY', 'ADDRESS_MATCH']));
      const versions = await sql.rows<{ method: string; matcher_version: string }>(
        'hub',
        `SELECT DISTINCT method, matcher_version FROM $s.crosswalk ORDER BY 1`,
      );
      expect(versions).toEqual([
        { method: 'ADDRESS_MATCH', matcher_version: 'address/1' },
        { method: 'EXACT_KEY', matcher_version: 'exact-key/1' },
      ]);
    });

    it('links a market record known only by its legacy registration number to the USCC another record pairs it with', async () => {
      const copies = await sql.rows<{ source_id: string; uscc: string; regno: string; paired: string }>(
        'hub',
        `SELECT source_id, detail->>'uscc' AS uscc, detail->>'regno' AS regno, detail->>'pairedWith' AS paired
           FROM $s.truth_problem WHERE kind = 'LEGACY_REGNO_ONLY' AND detail->>'pairedWith' IS NOT NULL`,
      );
      expect(copies.length).toBeGreaterThan(5);
      const market = th.running.hub.connectors.market;
      const pairs = await market.loadByIds(
        copies.map((c) => ({ recordType: 'market_entity', sourceId: c.paired })),
      );
      let linked = 0;
      for (const c of copies) {
        const pair = pairs.get(refKey({ recordType: 'market_entity', sourceId: c.paired }))!;
        const links = await sql.rows<{ entity_key: string }>(
          'hub',
          `SELECT entity_key FROM $s.crosswalk WHERE department = 'market' AND source_id = $1 AND role = 'SUBJECT'`,
          [c.source_id],
        );
        if (pair.values.registrationNumber === c.regno) {
          expect(links).toEqual([{ entity_key: c.uscc }]);
          linked++;
        } else {
          // No record states the pair: the copy waits in the review queue rather than being guessed.
          expect(links).toEqual([]);
          const queued = await sql.rows<{ raw_value: string }>(
            'hub',
            `SELECT raw_value FROM $s.unresolved_reference WHERE department = 'market' AND source_id = $1 AND role = 'SUBJECT'`,
            [c.source_id],
          );
          expect(queued).toEqual([{ raw_value: c.regno }]);
        }
      }
      expect(linked).toBeGreaterThan(copies.length / 2);
    });

    it('merges no person on the strength of an invalid ID number, and keeps the record for review', async () => {
      const bad = await sql.rows<{
        department: string;
        record_type: string;
        source_id: string;
        value: string;
      }>(
        'hub',
        `SELECT department, record_type, source_id, detail->>'value' AS value
           FROM $s.truth_problem WHERE kind = 'ID_BAD_CHECK'`,
      );
      expect(bad.length).toBeGreaterThan(5);
      for (const b of bad) {
        const where = `department = $1 AND record_type = $2 AND source_id = $3 AND entity_type = 'PERSON'`;
        const ref = [b.department, b.record_type, b.source_id];
        const links = await sql.rows<{ entity_key: string }>(
          'hub',
          `SELECT entity_key FROM $s.crosswalk WHERE ${where}`,
          ref,
        );
        // Linking the valid ID it was meant to be would need a guess; the record may name that
        // person in another role, so only the invalid number itself is checked.
        expect(links.map((l) => l.entity_key)).not.toContain(b.value);
        const queued = await sql.rows<{ decision: string; reason: string }>(
          'hub',
          `SELECT decision, reason FROM $s.unresolved_reference WHERE ${where} AND raw_value = $4`,
          [...ref, b.value],
        );
        expect(queued).toEqual([{ decision: 'INVALID_KEY', reason: expect.stringMatching(/check/) }]);
      }
    });
  });

  describe('GraphQL', () => {
    const MATCH = `query ($text: String!, $limit: Int) {
      matchAddress(text: $text, limit: $limit) {
        input decision level code confidence reason matcherVersion
        candidates { code level standardAddress score evidence }
        parsed { components { compound building room } normalized }
      }
    }`;

    it('matches a clerk-typed variant of a standard address to its house', async () => {
      const house = await sql.one<{ fwbm: string; xqmc: string; ldmc: string; fh: string; bzdz: string }>(
        'housing',
        `SELECT fwbm, xqmc, ldmc, fh, bzdz FROM $s.fw_jbxx WHERE dyh IS NOT NULL AND zt = '1' ORDER BY fwbm LIMIT 1 OFFSET 777`,
      );
      const typed = `${house.xqmc}${house.ldmc.replace('栋', '幢')}${house.fh}室附近`;
      const r = await run(MATCH, { text: typed });
      expect(r.errors).toBeUndefined();
      expect(r.data!.matchAddress).toMatchObject({
        input: typed,
        decision: 'MATCHED',
        level: 'HOUSE',
        code: house.fwbm,
        reason: null,
        matcherVersion: 'address/1',
      });
      expect(r.data!.matchAddress.parsed.components).toEqual({
        compound: house.xqmc,
        building: house.ldmc.replace('栋', ''),
        room: house.fh,
      });
      expect(r.data!.matchAddress.candidates[0]).toMatchObject({
        code: house.fwbm,
        level: 'HOUSE',
        standardAddress: house.bzdz,
      });
    });

    it('answers UNMATCHED with a reason, or BAD_USER_INPUT naming the format, for bad addresses', async () => {
      for (const text of ['Room 502, Coastal Garden', '南山区\u0007海岸', '深圳市南山区某某大厦']) {
        const r = await run(MATCH, { text });
        expect(r.errors).toBeUndefined();
        expect(r.data!.matchAddress.decision).toBe('UNMATCHED');
        expect(r.data!.matchAddress.reason).toEqual(expect.any(String));
      }
      for (const [text, limit] of [
        ['', 5],
        ['海'.repeat(501), 5],
        ['海岸花园1栋502', 0],
      ] as const) {
        const r = await run(MATCH, { text, limit });
        expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
        expect(r.errors![0]!.message).toMatch(/Expected format|between 1 and 20/);
      }
    });

    it('fails only matchAddress, with SOURCE_UNAVAILABLE, while housing is down', async () => {
      const hub = th.running.hub;
      const dead = new PgConnector({
        department: 'housing',
        mapping: th.loaded.mappings.housing,
        url: 'postgresql://postgres@127.0.0.1:1/none',
        schema: 'housing',
        timeoutMs: 300,
        poolSize: 1,
      });
      await dead.open().catch(() => undefined);
      const down = { ...hub, addressBase: new AddressBaseCache(dead) };
      const r = await run(
        `{ matchAddress(text: "海岸花园1栋502") { decision } grids(first: 1) { edges { cursor } } }`,
        {},
        down,
      );
      await dead.close();
      expect(r.data!.matchAddress).toBeNull();
      expect(r.data!.grids.edges).toHaveLength(1);
      expect(r.errors).toEqual([
        expect.objectContaining({
          path: ['matchAddress'],
          extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', department: 'housing' }),
        }),
      ]);
    });

    it('lists every department record resolved to a house in House.sources, with method and confidence', async () => {
      const house = await sql.one<{ entity_key: string }>(
        'hub',
        `SELECT entity_key FROM $s.crosswalk WHERE method = 'ADDRESS_MATCH' AND department = 'market'
          ORDER BY entity_key LIMIT 1`,
      );
      const expected = await sql.rows<{
        department: string;
        source_id: string;
        role: string;
        method: string;
        confidence: string;
      }>(
        'hub',
        `SELECT department, source_id, role, method, confidence FROM $s.crosswalk
          WHERE entity_type = 'HOUSE' AND entity_key = $1 ORDER BY department, source_id, role`,
        [house.entity_key],
      );
      const r = await run(
        `query ($c: String!) { house(houseCode: $c) { sources { department recordId role method confidence } } }`,
        {
          c: house.entity_key,
        },
      );
      expect(r.errors).toBeUndefined();
      type Source = {
        department: string;
        recordId: string;
        role: string;
        method: string;
        confidence: number;
      };
      const got = (r.data!.house.sources as Source[])
        .map((s) => ({ ...s, department: String(s.department).toLowerCase() }))
        .sort((a, b) =>
          `${a.department}|${a.recordId}|${a.role}`.localeCompare(`${b.department}|${b.recordId}|${b.role}`),
        );
      expect(got).toEqual(
        expected.map((e) => ({
          department: e.department,
          recordId: e.source_id,
          role: e.role,
          method: e.method,
          confidence: Number(e.confidence),
        })),
      );
      expect(got.some((s) => s.method === 'ADDRESS_MATCH' && s.confidence < 1)).toBe(true);
    });

    const QUEUE = `query ($d: Department, $ds: [ResolutionDecision!], $first: Int, $after: String) {
      unresolvedRecords(department: $d, decisions: $ds, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { department recordType recordId role entityType decision rawValue claimedKey linkedKey reason
                       candidates { code score } } }
      }
    }`;

    it('pages through the review queue of AMBIGUOUS and UNMATCHED records, filtered by department', async () => {
      const expected = await sql.one<{ n: string }>(
        'hub',
        `SELECT count(*) AS n FROM $s.unresolved_reference WHERE department = 'market' AND decision IN ('AMBIGUOUS', 'UNMATCHED')`,
      );
      const seen = new Set<string>();
      let after: string | null = null;
      let total = 0;
      for (let page = 0; page < 50; page++) {
        const r = await run(QUEUE, { d: 'MARKET', ds: ['AMBIGUOUS', 'UNMATCHED'], first: 40, after });
        expect(r.errors).toBeUndefined();
        const q = r.data!.unresolvedRecords;
        total = q.totalCount;
        for (const { node } of q.edges) {
          expect(node.department).toBe('MARKET');
          expect(['AMBIGUOUS', 'UNMATCHED']).toContain(node.decision);
          expect(node.reason).toEqual(expect.any(String));
          seen.add(`${node.recordId}/${node.role}/${node.entityType}`);
        }
        if (!q.pageInfo.hasNextPage) break;
        after = q.pageInfo.endCursor;
      }
      expect(total).toBe(Number(expected.n));
      expect(seen.size).toBe(total);
      expect(total).toBeGreaterThan(40);
      const bad = await run(QUEUE, { first: 5, after: 'bm9wZQ' });
      expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    });

    it('records a manual decision that outranks the matchers and survives a crosswalk rebuild', async () => {
      const q = await run(QUEUE, { d: 'MARKET', ds: ['UNMATCHED'], first: 1 });
      const item = q.data!.unresolvedRecords.edges[0].node;
      const house = await sql.one<{ fwbm: string }>(
        'housing',
        `SELECT fwbm FROM $s.fw_jbxx ORDER BY fwbm LIMIT 1 OFFSET 4321`,
      );
      const input = {
        department: item.department,
        recordType: item.recordType,
        recordId: item.recordId,
        role: item.role,
        entityKey: house.fwbm,
        note: '现场核实：地址为新址',
      };
      const RESOLVE = `mutation ($input: ResolveRecordInput!) {
        resolveRecord(input: $input) { department recordId role entityType entityKey note decidedAt }
      }`;
      const r = await run(RESOLVE, { input });
      expect(r.errors).toBeUndefined();
      const { department, recordId, role, entityKey, note } = input;
      expect(r.data!.resolveRecord).toMatchObject({
        department,
        recordId,
        role,
        entityKey,
        note,
        entityType: 'HOUSE',
      });

      const sources = async () => {
        const s = await run(
          `query ($c: String!) { house(houseCode: $c) { sources { recordId role method confidence } } }`,
          {
            c: house.fwbm,
          },
        );
        return (s.data!.house.sources as Array<{ recordId: string }>).filter(
          (x) => x.recordId === item.recordId,
        );
      };
      const manual = [{ recordId: item.recordId, role: item.role, method: 'MANUAL', confidence: 1 }];
      expect(await sources()).toEqual(manual);

      // A rebuild re-runs the matchers over every record; the decision stands and stays out of the queue.
      const report = await buildCrosswalk(th.running.hub.connectors, th.running.hub.store);
      expect(report.byDepartment.market!.error).toBeUndefined();
      expect(await sources()).toEqual(manual);
      const queued = await sql.rows(
        'hub',
        `SELECT 1 FROM $s.unresolved_reference WHERE department = 'market' AND source_id = $1 AND role = $2`,
        [item.recordId, item.role],
      );
      expect(queued).toEqual([]);

      for (const [patch, argument] of [
        [{ entityKey: '4403050000000000000000000' }, 'input.entityKey'],
        [{ entityKey: '12345' }, 'input.entityKey'],
        [{ recordId: 'MKT9999999' }, 'input.recordId'],
        [{ recordType: 'nope' }, 'input.recordType'],
        [{ role: 'LANDLORD' }, 'input.role'],
      ] as const) {
        const bad = await run(RESOLVE, { input: { ...input, ...patch } });
        expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      }
    });
  });
});
