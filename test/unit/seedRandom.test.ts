import { IntegerKeySet } from '../../src/seed/keySet';
import { hash32, Rng, scramble, WeightedTable } from '../../src/seed/random';

describe('Rng (sfc32)', () => {
  it('repeats exactly for the same seed and labels, and differs otherwise', () => {
    const seq = (r: Rng) => Array.from({ length: 20 }, () => r.nextUint32());
    expect(seq(Rng.derive(1, 'grid', 3))).toEqual(seq(Rng.derive(1, 'grid', 3)));
    expect(seq(Rng.derive(1, 'grid', 3))).not.toEqual(seq(Rng.derive(1, 'grid', 4)));
    expect(seq(Rng.derive(1, 'grid', 3))).not.toEqual(seq(Rng.derive(2, 'grid', 3)));
  });

  it('draws uniform floats and integers in range', () => {
    const r = Rng.derive(7, 'u');
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const f = r.float();
      if (f < 0 || f >= 1) outside++;
      else buckets[Math.floor(f * 10)]! += 1;
    }
    expect(outside).toBe(0);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    const ints = new Set(Array.from({ length: 5000 }, () => r.int(3, 7)));
    expect([...ints].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('samples without repetition and shuffles in place', () => {
    const r = Rng.derive(9, 's');
    const s = r.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(s).size).toBe(4);
    expect(r.sample([1, 2], 5)).toHaveLength(2);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => r.pick([])).toThrow();
  });
});

describe('WeightedTable', () => {
  it('picks in proportion to the weights and never picks a zero weight', () => {
    const t = new WeightedTable<string>([
      ['a', 1],
      ['b', 3],
      ['z', 0],
    ]);
    const r = Rng.derive(3, 'w');
    let b = 0;
    let z = 0;
    for (let i = 0; i < 40_000; i++) {
      const v = t.pick(r);
      if (v === 'z') z++;
      if (v === 'b') b++;
    }
    expect(z).toBe(0);
    expect(b / 40_000).toBeCloseTo(0.75, 1);
  });
});

describe('scramble', () => {
  it('is a bijection on its modulus, so codes built from it are unique', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 31 ** 3; i++) seen.add(scramble(i, 31 ** 3, 123_456_791, hash32(1, 'x') % 31 ** 3));
    expect(seen.size).toBe(31 ** 3);
    const tens = new Set(Array.from({ length: 100_000 }, (_, i) => scramble(i, 100_000, 7_654_321, 42)));
    expect(tens.size).toBe(100_000);
  });
});

describe('IntegerKeySet', () => {
  it('adds, finds and grows, for keys up to 2^40', () => {
    const s = new IntegerKeySet(4);
    const keys = Array.from({ length: 50_000 }, (_, i) => i * 1_000_003 * 17 + 2 ** 40 - i);
    expect(keys.filter((k) => !s.add(k))).toEqual([]);
    expect(keys.filter((k) => s.add(k))).toEqual([]);
    expect(s.size).toBe(keys.length);
    for (const k of keys.slice(0, 1000)) expect(s.has(k)).toBe(true);
    expect(s.has(0)).toBe(false);
    expect(s.add(0)).toBe(true);
    expect(s.has(0)).toBe(true);
  });
});
