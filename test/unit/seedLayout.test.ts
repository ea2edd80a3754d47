import {
  dayFromParts,
  dayOf,
  isoDate,
  timestampDate,
  timestampText,
  ymd,
  yearMonth,
  ageOn,
} from '../../src/seed/dates';
import { planSeed } from '../../src/seed/layout';

describe('seed layout', () => {
  it('test scale: one street, two communities, four grids, 800 houses', () => {
    const plan = planSeed({ seed: 1, scale: 'test' });
    expect(plan.grids).toHaveLength(4);
    expect(new Set(plan.grids.map((g) => g.community.code)).size).toBe(2);
    expect(new Set(plan.grids.map((g) => g.street.name))).toEqual(new Set(['粤海街道']));
    expect(plan.grids.reduce((s, g) => s + g.houses, 0)).toBe(800);
    expect(plan.grids.reduce((s, g) => s + g.entities, 0)).toBe(150);
    expect(plan.grids.reduce((s, g) => s + g.socialOrgs, 0)).toBe(20);
    expect(plan.targetPersons).toBe(1500);
  });

  it('demo scale: at least 3 streets, 10 communities and 60 grids of 300-500 houses', () => {
    const plan = planSeed({ seed: 20261101, scale: 'demo' });
    expect(new Set(plan.grids.map((g) => g.street.code)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(plan.grids.map((g) => g.community.code)).size).toBeGreaterThanOrEqual(10);
    expect(plan.grids.length).toBeGreaterThanOrEqual(60);
    for (const g of plan.grids) {
      expect(g.houses).toBeGreaterThanOrEqual(300);
      expect(g.houses).toBeLessThanOrEqual(500);
    }
    expect(plan.grids.reduce((s, g) => s + g.houses, 0)).toBe(20_000);
    expect(plan.targetPersons).toBe(40_000);
    expect(plan.grids.reduce((s, g) => s + g.entities, 0)).toBe(3_000);
  });

  it('gives grids well-formed codes and names', () => {
    const plan = planSeed({ seed: 3, scale: 'demo' });
    const codes = plan.grids.map((g) => g.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const g of plan.grids) {
      expect(g.code).toMatch(/^440305\d{8}$/);
      expect(g.code.startsWith(g.community.code)).toBe(true);
      expect(g.community.code).toMatch(/^440305\d{6}$/);
      expect(g.community.code.startsWith(g.street.code)).toBe(true);
      expect(g.street.name).toMatch(/街道$/);
      expect(g.community.name).toMatch(/社区$/);
      expect(g.name).toBe(`${g.community.name}第${Number(g.code.slice(12))}网格`);
      expect(g.community.roads.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('bench scale: houses = persons / 2 and entities = persons / 13 unless given', () => {
    const plan = planSeed({ seed: 1, scale: 'bench', persons: 1_000_000 });
    expect(plan.targetHouses).toBe(500_000);
    expect(plan.targetEntities).toBe(76_923);
    expect(plan.grids.reduce((s, g) => s + g.houses, 0)).toBe(500_000);
    expect(plan.grids).toHaveLength(1250);
    expect(new Set(plan.grids.map((g) => g.street.code)).size).toBe(8);
    const perCommunity = new Map<string, number>();
    for (const g of plan.grids)
      perCommunity.set(g.community.code, (perCommunity.get(g.community.code) ?? 0) + 1);
    for (const n of perCommunity.values()) expect(n).toBeLessThanOrEqual(99);
    expect(new Set(plan.grids.map((g) => g.community.name)).size).toBe(perCommunity.size);
    const custom = planSeed({ seed: 1, scale: 'bench', persons: 10_000, houses: 3_000, entities: 500 });
    expect([custom.targetHouses, custom.targetEntities]).toEqual([3_000, 500]);
    expect(() => planSeed({ seed: 1, scale: 'bench', persons: 5 })).toThrow();
  });
});

describe('generated dates', () => {
  it('are China Standard Time calendar days, independent of the host zone', () => {
    const today = dayOf(new Date('2026-11-01T00:00:00+08:00'));
    expect(today).toBe(dayFromParts(2026, 11, 1));
    expect(dayOf(new Date('2026-10-31T23:59:59+08:00'))).toBe(today - 1);
    expect(ymd(today)).toBe('20261101');
    expect(isoDate(today - 1)).toBe('2026-10-31');
    expect(yearMonth(today)).toBe('202611');
    expect(timestampText(today - 1, 3600 * 13 + 61)).toBe('2026-10-31 13:01:01+08');
    expect(timestampDate(today, 0).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(ageOn(dayFromParts(1946, 11, 2), today)).toBe(79);
    expect(ageOn(dayFromParts(1946, 11, 1), today)).toBe(80);
  });
});
