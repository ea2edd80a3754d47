import fc from 'fast-check';
import canonicalize from 'canonicalize';
import { canonicalJson } from '../../src/audit/canonical';
import { canonicalText, recordObject, type AuditRecord } from '../../src/audit/record';

// The `canonicalize` package (RFC 8785's reference-style implementation) is the oracle: the audit
// chain's hashes must not change with the serialiser, and auditors' tools recompute them with it.

/** JSON values, plus what an object may also carry before it is JSON: undefined members, Dates. */
const jsonish = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 6 }),
  ),
})).value;

const text = fc.option(fc.string({ unit: 'binary', maxLength: 30 }));
const record = fc.record({
  writer: fc.string({ minLength: 1, maxLength: 20 }),
  seq: fc.integer({ min: 1 }),
  at: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(9999, 0, 1)) }),
  kind: fc.constantFrom('GRAPHQL', 'CLI', 'JOB', 'HUB' as const),
  subject: text,
  roles: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
  department: text,
  purpose: text,
  clientIp: text,
  userAgent: text,
  operation: text,
  queryHash: text,
  queryText: text,
  variables: jsonish,
  outcome: fc.constantFrom('SUCCESS', 'PARTIAL', 'DENIED', 'UNAUTHENTICATED', 'INVALID', 'ERROR' as const),
  durationMs: fc.option(fc.integer({ min: 0 })),
  errorCodes: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
  entities: fc.array(fc.record({ type: fc.string({ maxLength: 8 }), key: fc.string({ maxLength: 20 }) }), {
    maxLength: 4,
  }),
  fields: fc.dictionary(fc.string({ maxLength: 16 }), fc.constantFrom('FULL', 'MASKED', 'DENIED' as const)),
  detail: jsonish,
  prevHash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
}) as fc.Arbitrary<Omit<AuditRecord, 'hash'>>;

describe('canonical JSON', () => {
  it('writes what the canonicalize package writes, for any JSON-like value', () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        fc.pre(value !== undefined); // canonicalize answers undefined itself, not a text, for that alone
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes a record's hashed text as canonicalize writes the record without its hash", () => {
    fc.assert(
      fc.property(record, (r) => {
        const object = recordObject(r);
        delete object.hash;
        expect(canonicalText(r)).toBe(canonicalize(object));
      }),
      { numRuns: 1000 },
    );
  });

  it('sorts members by UTF-16 code units, not by code points or locale', () => {
    // U+FF21 sorts after U+1F600's high surrogate (U+D83D) by code point, before it by code unit.
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF21': 2, b: 3, B: 4, é: 5 })).toBe(
      '{"B":4,"b":3,"é":5,"\u{1F600}":1,"\uFF21":2}',
    );
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow('NaN is not allowed');
    expect(() => canonicalJson({ x: [Infinity] })).toThrow('Infinity is not allowed');
  });
});
