import {
  COMPOUND_SURNAMES,
  ETHNICITIES,
  givenName,
  nameVariant,
  personName,
  SURNAMES,
  surnameOf,
} from '../../src/seed/names';
import { Rng } from '../../src/seed/random';

const HAN = /^\p{Script=Han}+$/u;

describe('synthetic Chinese names', () => {
  const rng = Rng.derive(2026, 'names');
  const sample = Array.from({ length: 50_000 }, (_, i) =>
    personName(i % 2 === 0 ? 1 : 2, 1950 + (i % 70), rng),
  );

  it('are two to four Han characters: a surname and a one- or two-character given name', () => {
    const malformed = sample.filter((name) => {
      const given = name.slice(surnameOf(name).length);
      return !HAN.test(name) || given.length < 1 || given.length > 2;
    });
    expect(malformed).toEqual([]);
    const single = sample.filter((n) => n.length - surnameOf(n).length === 1).length / sample.length;
    expect(single).toBeGreaterThan(0.08);
    expect(single).toBeLessThan(0.3);
  });

  it('follow real surname frequencies: 王, 李, 张, 刘 and 陈 lead, compound surnames are rare but present', () => {
    const counts = new Map<string, number>();
    for (const n of sample) counts.set(surnameOf(n), (counts.get(surnameOf(n)) ?? 0) + 1);
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([s]) => s);
    expect(top.sort()).toEqual(['刘', '张', '李', '王', '陈'].sort());
    const share = (s: string) => (counts.get(s) ?? 0) / sample.length;
    expect(share('王')).toBeGreaterThan(0.04);
    expect(share('王')).toBeLessThan(0.1);
    const compound = sample.filter((n) => COMPOUND_SURNAMES.includes(surnameOf(n))).length / sample.length;
    expect(compound).toBeGreaterThan(0.0005);
    expect(compound).toBeLessThan(0.01);
    expect(counts.get('欧阳') ?? 0).toBeGreaterThan(counts.get('司马') ?? 0);
    expect(COMPOUND_SURNAMES).toEqual(expect.arrayContaining(['欧阳', '司马', '司徒', '上官', '诸葛']));
  });

  it('follow the fashion of the birth decade', () => {
    const r = Rng.derive(3, 'era');
    const old = Array.from({ length: 3000 }, () => givenName(2, 1940, r));
    const young = Array.from({ length: 3000 }, () => givenName(2, 2015, r));
    expect(
      old.filter((g) => g.includes('英') || g.includes('兰') || g.includes('珍')).length,
    ).toBeGreaterThan(300);
    expect(young.filter((g) => g.includes('英') || g.includes('兰') || g.includes('珍')).length).toBe(0);
    expect(
      young.filter((g) => g.includes('涵') || g.includes('萱') || g.includes('彤')).length,
    ).toBeGreaterThan(300);
  });

  it('keeps a compound surname together', () => {
    expect(surnameOf('欧阳子轩')).toBe('欧阳');
    expect(surnameOf('司马光')).toBe('司马');
    expect(surnameOf('王伟')).toBe('王');
    expect(personName(1, 1990, Rng.derive(1, 's'), '诸葛')).toMatch(/^诸葛\p{Script=Han}{1,2}$/u);
  });

  it('are the same for the same seed', () => {
    const a = Rng.derive(99, 'n');
    const b = Rng.derive(99, 'n');
    for (let i = 0; i < 200; i++) expect(personName(1, 1980, a)).toBe(personName(1, 1980, b));
    expect(SURNAMES.pick(Rng.derive(5, 'x'))).toBe(SURNAMES.pick(Rng.derive(5, 'x')));
  });
});

describe('name variants (the same person typed differently elsewhere)', () => {
  it('change exactly one character to a homophone or traditional form', () => {
    const r = Rng.derive(8, 'variant');
    expect(['王玮', '王炜', '王偉', '汪伟']).toContain(nameVariant('王伟', r));
    for (let i = 0; i < 200; i++) {
      const v = nameVariant('陈丽华', r)!;
      expect(v).toHaveLength(3);
      expect(Array.from(v).filter((c, k) => c !== '陈丽华'[k])).toHaveLength(1);
    }
  });

  it('drop the middle character when no character has a variant, or give up', () => {
    const r = Rng.derive(8, 'fallback');
    expect(nameVariant('乔乙丙', r)).toBe('乔丙');
    expect(nameVariant('乔乙', r)).toBeNull();
  });
});

describe('ethnicity codes', () => {
  it('are two-digit GB/T 3304 codes, mostly 01 (Han)', () => {
    const r = Rng.derive(4, 'eth');
    const codes = Array.from({ length: 20_000 }, () => ETHNICITIES.pick(r));
    expect(codes.filter((c) => !/^\d{2}$/.test(c))).toEqual([]);
    const han = codes.filter((c) => c === '01').length / codes.length;
    expect(han).toBeGreaterThan(0.9);
    expect(han).toBeLessThan(0.97);
    expect(new Set(codes).size).toBeGreaterThan(10);
  });
});
