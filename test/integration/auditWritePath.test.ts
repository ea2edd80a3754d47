/**
 * How AuditWriter's batches reach the store: COPY on a real PostgreSQL server, the jsonb INSERT on
 * PGlite (whose wire server cannot take COPY). Either way the stored row is the record that was
 * hashed, whatever the characters in its text, arrays and JSON, so verify finds every chain whole;
 * the two paths store the same values; a batch that cannot be written fails its callers and the
 * writer carries on after it.
 */
import { Pool } from 'pg';
import { AuditUnavailableError, AuditWriter, partitionName } from '../../src/audit/AuditWriter';
import { actionEntry, recordHash, type AuditEntry, type AuditRecord } from '../../src/audit/record';
import { fromRow, verifyAudit } from '../../src/audit/verify';
import { migrateHubStore } from '../../src/store/migrate';
import { pgTargets, type PgPlacement } from '../helpers/databases';

const AWKWARD = [
  'tab\there',
  'two\nlines',
  'cr\r\nlf',
  'back\\slash \\N \\.',
  '"quoted", {braced}',
  '中文 é 😀',
];

/** GRAPHQL entries whose every free-text part carries tabs, newlines, backslashes and non-ASCII. */
function entries(count: number): AuditEntry[] {
  return Array.from({ length: count }, (_, i): AuditEntry => {
    const odd = AWKWARD[i % AWKWARD.length]!;
    return {
      ...actionEntry('JOB', 'unused', null),
      kind: 'GRAPHQL',
      at: new Date(),
      subject: `user ${odd}`,
      roles: ['grid_worker', odd, 'NULL', ''],
      department: i % 2 === 0 ? 'police' : null,
      purpose: 'RESIDENT_SERVICE',
      clientIp: '127.0.0.1',
      userAgent: `agent/1 (${odd})`,
      operation: `Op${i}`,
      queryHash: 'f'.repeat(64),
      queryText: `query Op${i} {\n\tperson(idNumber: "${odd}") { name }\n}`,
      variables: { z: odd, a: [odd, null, 1.5, { [odd]: true }], empty: {} },
      outcome: i % 7 === 0 ? 'DENIED' : 'SUCCESS',
      durationMs: i % 5 === 0 ? null : i,
      errorCodes: i % 7 === 0 ? ['FORBIDDEN', odd] : [],
      entities: [{ type: 'PERSON', key: `K${i}${odd}` }],
      fields: { 'Query.person': 'FULL', [`Person.${odd}`]: 'MASKED' },
      detail: i % 3 === 0 ? null : { note: odd },
    };
  });
}

describe.each(pgTargets().map((t) => [t.label, t] as const))('the audit write path (%s)', (label, target) => {
  const expected = label === 'real' ? 'COPY' : 'INSERT';
  let placement: PgPlacement;
  let pool: Pool;
  let schema: string;

  const stored = async (writer: string): Promise<AuditRecord[]> =>
    (
      await pool.query(`SELECT * FROM "${schema}".audit_log WHERE writer = $1 ORDER BY seq`, [writer])
    ).rows.map(fromRow);
  const breakOf = async (writer: string) =>
    (await verifyAudit(pool, schema)).breaks.find((b) => b.writer === writer);

  beforeAll(async () => {
    placement = await target.create();
    schema = placement.schemas.hub;
    pool = new Pool({ connectionString: placement.urls.hub, max: 4 });
    await migrateHubStore(pool, schema);
  });
  afterAll(async () => {
    await pool?.end();
    await placement?.drop();
  });

  it(`takes ${expected}, and stores each record as it was hashed, however awkward its text`, async () => {
    const w = new AuditWriter(pool, schema);
    expect(w.path).toBeUndefined();
    // Several batches of 500, each COPY several chunks.
    const records = await Promise.all(entries(1200).map((e) => w.append(e)));
    expect(w.path).toBe(expected);
    const rows = await stored(w.writer);
    expect(rows).toEqual(records);
    expect(rows.every((r) => recordHash(r) === r.hash)).toBe(true);
    expect(await breakOf(w.writer)).toBeUndefined();
  });

  (label === 'real' ? it : it.skip)(
    'stores the same values through COPY and through the INSERT',
    async () => {
      const list = entries(AWKWARD.length * 2);
      const copy = new AuditWriter(pool, schema, { copy: true });
      const insert = new AuditWriter(pool, schema, { copy: false });
      await Promise.all(list.map((e) => copy.append(e)));
      await Promise.all(list.map((e) => insert.append(e)));
      expect([copy.path, insert.path]).toEqual(['COPY', 'INSERT']);
      const content = (r: AuditRecord) => ({ ...r, writer: '', prevHash: '', hash: '' });
      const viaCopy = (await stored(copy.writer)).map(content);
      expect(viaCopy).toHaveLength(list.length);
      expect(viaCopy).toEqual((await stored(insert.writer)).map(content));
      expect(await breakOf(copy.writer)).toBeUndefined();
      expect(await breakOf(insert.writer)).toBeUndefined();
    },
  );

  it('fails the batch while its partition is detached, then goes on with an unbroken chain', async () => {
    const w = new AuditWriter(pool, schema);
    await w.append(actionEntry('JOB', 'before', null));
    const part = partitionName(new Date());
    const range = await pool.query<{ bound: string }>(
      `SELECT pg_get_expr(relpartbound, oid) AS bound FROM pg_class WHERE oid = $1::regclass`,
      [`"${schema}"."${part}"`],
    );
    await pool.query(`ALTER TABLE "${schema}".audit_log DETACH PARTITION "${schema}"."${part}"`);
    try {
      const failed = await Promise.allSettled(
        [1, 2, 3].map((i) => w.append(actionEntry('JOB', `lost ${i}`, null))),
      );
      expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const f of failed)
        expect((f as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
    } finally {
      await pool.query(
        `ALTER TABLE "${schema}".audit_log ATTACH PARTITION "${schema}"."${part}" ${range.rows[0]!.bound}`,
      );
    }
    const after = await w.append(actionEntry('JOB', 'after', { odd: AWKWARD }));
    expect(w.path).toBe(expected);
    expect((await stored(w.writer)).map((r) => [r.seq, r.operation])).toEqual([
      [1, 'before'],
      [2, 'after'],
    ]);
    expect(after.seq).toBe(2);
    expect(await breakOf(w.writer)).toBeUndefined();
  });

  it('fails a record with a lone surrogate, which no UTF-8 store can hold as hashed, and not the chain', async () => {
    const w = new AuditWriter(pool, schema);
    await w.append(actionEntry('JOB', 'first', null));
    await expect(w.append({ ...actionEntry('JOB', 'bad', null), queryText: 'lone \uD800' })).rejects.toThrow(
      AuditUnavailableError,
    );
    await w.append(actionEntry('JOB', 'last', null));
    expect((await stored(w.writer)).map((r) => r.operation)).toEqual(['first', 'last']);
    expect(await breakOf(w.writer)).toBeUndefined();
  });
});
