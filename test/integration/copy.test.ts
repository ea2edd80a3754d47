/**
 * copyRows against the servers: which store takes COPY, and on a real server, rows of any text come
 * back exactly as they were sent, many chunks make one statement, and a failing row keeps none.
 * Nothing is COPYed to PGlite: its wire server would lose step.
 */
import fc from 'fast-check';
import { Pool, type PoolClient } from 'pg';
import { copyRows, supportsCopy, type CopyColumn } from '../../src/store/copy';
import { pgTargets, type PgPlacement } from '../helpers/databases';

/** Any code point but NUL (which no PostgreSQL text holds), leaning on what COPY treats specially. */
const unit = fc.oneof(
  fc.constantFrom(
    '\t',
    '\n',
    '\r',
    '\\',
    '"',
    "'",
    '{',
    '}',
    ',',
    ' ',
    '\\N',
    'NULL',
    '\\.',
    'é',
    '中',
    '😀',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\0'),
);
const text = fc.string({ unit, maxLength: 30 });
/** JSON as jsonb keeps it: -0 is 0 once written as JSON. */
const json = fc
  .jsonValue({ stringUnit: unit, maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const COLUMNS: readonly CopyColumn[] = [
  'id',
  't',
  { name: 'a', kind: 'array' },
  { name: 'j', kind: 'json' },
  'n',
  'b',
  'ts',
  'd',
];
const row = fc.tuple(
  fc.option(text),
  fc.option(fc.array(fc.option(text), { maxLength: 5 })),
  fc.option(json.filter((v) => v !== null)),
  fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  fc.option(fc.boolean()),
  fc.option(fc.date({ noInvalidDate: true, min: new Date('0001-01-01'), max: new Date('9999-12-31') })),
  fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0))),
);

describe.each(pgTargets().map((t) => [t.label, t] as const))('copyRows (%s)', (label, target) => {
  let placement: PgPlacement;
  let pool: Pool;

  beforeAll(async () => {
    placement = await target.create();
    pool = new Pool({ connectionString: placement.urls.hub, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await placement?.drop();
  });

  it(`knows whether the store takes COPY: ${label === 'real' ? 'a server does' : 'PGlite does not'}`, async () => {
    expect(await supportsCopy(pool)).toBe(label === 'real');
  });

  (label === 'real' ? describe : describe.skip)('on a PostgreSQL server', () => {
    let client: PoolClient;
    beforeAll(async () => {
      client = await pool.connect();
      await client.query(
        `CREATE TEMP TABLE copied (id integer PRIMARY KEY, t text, a text[], j jsonb, n bigint, b boolean,
           ts timestamptz, d double precision)`,
      );
    });
    afterAll(() => client?.release());

    it('gives back every value as it was sent, whatever its characters', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 15 }), async (rows) => {
          await client.query('TRUNCATE copied');
          const sent = rows.map((r, i) => [i, ...r]);
          expect(await copyRows(client, 'copied', COLUMNS, sent)).toBe(rows.length);
          const back = await client.query<Record<string, unknown>>('SELECT * FROM copied ORDER BY id');
          expect(
            back.rows.map((r) => [
              r.id,
              r.t,
              r.a,
              r.j,
              r.n === null ? null : BigInt(r.n as string),
              r.b,
              r.ts,
              r.d,
            ]),
          ).toEqual(sent);
        }),
        { numRuns: 200 },
      );
    });

    it('sends many chunks as one statement: every row of a large batch, or none when one fails', async () => {
      await client.query('TRUNCATE copied');
      const many = Array.from({ length: 5000 }, (_, i) => [i, `${i}\t${'ж'.repeat(i % 90)}`]);
      expect(await copyRows(client, 'copied', ['id', 't'], many)).toBe(5000);
      const back = await client.query<{ id: number; t: string }>('SELECT id, t FROM copied ORDER BY id');
      expect(back.rows.map((r) => [r.id, r.t])).toEqual(many);

      // The last row repeats a key: the server refuses it after taking the rows before it.
      const more = Array.from({ length: 5001 }, (_, i) => [10_000 + (i === 5000 ? 0 : i), 'more']);
      await expect(copyRows(client, 'copied', ['id', 't'], more)).rejects.toThrow(/duplicate key/);
      // A value the encoder refuses, after several chunks went out: the COPY is abandoned.
      const bad = Array.from({ length: 5000 }, (_, i) => [
        20_000 + i,
        i === 4999 ? 'lone \uD800' : 'x'.repeat(50),
      ]);
      await expect(copyRows(client, 'copied', ['id', 't'], bad)).rejects.toThrow(/lone surrogate/);
      const n = await client.query<{ n: string }>('SELECT count(*) AS n FROM copied');
      expect(Number(n.rows[0]!.n)).toBe(5000);
      // And the connection goes on serving.
      expect(await copyRows(client, 'copied', ['id'], [[30_000]])).toBe(1);
    });
  });
});
