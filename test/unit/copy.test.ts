import fc from 'fast-check';
import { arrayLiteral, copyChunks, type CopyColumn } from '../../src/store/copy';

/** The COPY text of rows, whatever the chunking. */
const copyText = (columns: readonly CopyColumn[], rows: ReadonlyArray<readonly unknown[]>): string =>
  [...copyChunks(columns, rows)].join('');
/** One value's field, as it stands between the tabs. */
const fieldOf = (value: unknown, kind: 'value' | 'array' | 'json' = 'value'): string =>
  copyText([{ name: 'c', kind }], [[value]]).slice(0, -1);

/** PostgreSQL's reading of a text field, for the escapes the encoder writes. */
const UNESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', '\\': '\\' };
const decodeField = (f: string): string | null =>
  f === '\\N' ? null : f.replace(/\\(.)/gs, (_, c: string) => UNESCAPES[c] ?? c);
const decode = (text: string): Array<Array<string | null>> =>
  text
    .split('\n')
    .slice(0, -1)
    .map((line) => line.split('\t').map(decodeField));

/** Strings leaning on what COPY and array literals treat specially; any other code point but NUL. */
const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\t', '\n', '\r', '\\', '"', '{', '}', ',', ' ', '\\N', 'NULL', '\\.', 'é', '中', '😀'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\0'),
  ),
  maxLength: 40,
});

describe('COPY text encoding', () => {
  it('writes NULL as \\N for null and undefined in every kind of column', () => {
    for (const kind of ['value', 'array', 'json'] as const) {
      expect(fieldOf(null, kind)).toBe('\\N');
      expect(fieldOf(undefined, kind)).toBe('\\N');
    }
  });

  it('escapes backslash, tab, newline and carriage return in strings, and nothing else', () => {
    expect(fieldOf('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(fieldOf('plain "quoted", {braced} 中文 😀')).toBe('plain "quoted", {braced} 中文 😀');
    expect(fieldOf('\\N')).toBe('\\\\N');
    expect(fieldOf('')).toBe('');
  });

  it('writes numbers, bigints, booleans and Dates as PostgreSQL reads them', () => {
    expect(fieldOf(42)).toBe('42');
    expect(fieldOf(-1.5)).toBe('-1.5');
    expect(fieldOf(2n ** 70n)).toBe('1180591620717411303424');
    expect(fieldOf(true)).toBe('t');
    expect(fieldOf(false)).toBe('f');
    expect(fieldOf(new Date(Date.UTC(2026, 10, 5, 1, 2, 3, 45)))).toBe('2026-11-05T01:02:03.045Z');
  });

  it('writes arrays as array literals with every element quoted, NULLs bare, then COPY-escaped', () => {
    expect(arrayLiteral([])).toBe('{}');
    expect(arrayLiteral(['a', 'b c', 'd,e', '{f}', 'NULL', '', null, undefined])).toBe(
      '{"a","b c","d,e","{f}","NULL","",NULL,NULL}',
    );
    expect(arrayLiteral(['say "hi"', 'back\\slash'])).toBe('{"say \\"hi\\"","back\\\\slash"}');
    expect(
      arrayLiteral([
        ['a', 'b'],
        ['c', null],
      ]),
    ).toBe('{{"a","b"},{"c",NULL}}');
    expect(arrayLiteral([1, true, new Date(0)])).toBe('{"1","t","1970-01-01T00:00:00.000Z"}');
    // The literal's own backslashes are doubled by COPY, a tab in an element escaped.
    expect(fieldOf(['a"b', 'c\td'], 'array')).toBe('{"a\\\\"b","c\\td"}');
  });

  it('writes json columns as JSON.stringify does, COPY-escaped', () => {
    expect(fieldOf({ a: [1, null, 'x\ty'], b: 'q"\\' }, 'json')).toBe(
      '{"a":[1,null,"x\\\\ty"],"b":"q\\\\"\\\\\\\\"}',
    );
    expect(fieldOf([], 'json')).toBe('[]');
    expect(fieldOf('text', 'json')).toBe('"text"');
    expect(fieldOf(0, 'json')).toBe('0');
  });

  it('refuses what would not be stored as given: a lone surrogate, an object in a scalar or array column', () => {
    expect(() => fieldOf('a\uD800b')).toThrow(/lone surrogate/);
    expect(() => fieldOf(['\uDC00'], 'array')).toThrow(/lone surrogate/);
    expect(fieldOf('pair 😀')).toBe('pair 😀');
    expect(() => fieldOf({ a: 1 })).toThrow(/declare the column's kind/);
    expect(() => fieldOf('{a}', 'array')).toThrow(/array column was given a string/);
    expect(() => copyText(['a', 'b'], [['only one']])).toThrow(/a row of 1 values for 2 columns/);
  });

  it('puts one row on each line, tab between the fields, and reads back to the same strings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(nasty), fc.option(nasty)), { maxLength: 20 }), (rows) => {
        expect(decode(copyText(['a', 'b'], rows))).toEqual(rows);
      }),
      { numRuns: 1000 },
    );
  });

  it('cuts chunks at row ends only, of about the size asked, the same text as one chunk', () => {
    const rows = Array.from({ length: 300 }, (_, i) => [i, `row ${i}\t${'x'.repeat(i % 50)}`]);
    const chunks = [...copyChunks(['n', 's'], rows, 1000)];
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks.slice(0, -1)) {
      expect(c.endsWith('\n')).toBe(true);
      expect(c.length).toBeGreaterThanOrEqual(1000);
      expect(c.length).toBeLessThan(1000 + 80);
    }
    expect(chunks.join('')).toBe([...copyChunks(['n', 's'], rows)].join(''));
    expect([...copyChunks(['n'], [])]).toEqual([]);
  });
});
