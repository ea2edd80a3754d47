/**
 * The shape of a seeding run: which streets, communities and grids exist, and how many houses,
 * market entities and social organisations each grid gets. Grids are the unit of streaming: the
 * generator builds and writes one grid at a time.
 */
import { COMMUNITY_QUALIFIERS, DISTRICT_CODE, STREETS } from './geography';
import type { StreetDef } from './geography';
import { Rng } from './random';

export type SeedScale = 'test' | 'demo' | 'bench';

export interface CommunitySpec {
  /** 12 digits: division 6 + street 3 + community 3. */
  readonly code: string;
  readonly name: string;
  readonly roads: readonly string[];
}

export interface StreetSpec {
  /** 9 digits: division 6 + street 3. */
  readonly code: string;
  readonly name: string;
}

export interface GridSpec {
  readonly ordinal: number;
  /** 14 digits, the first 14 of every house code in the grid. */
  readonly code: string;
  readonly name: string;
  readonly street: StreetSpec;
  readonly community: CommunitySpec;
  readonly houses: number;
  readonly entities: number;
  readonly socialOrgs: number;
}

export interface SeedPlan {
  readonly scale: SeedScale;
  readonly grids: readonly GridSpec[];
  readonly targetPersons: number;
  readonly targetHouses: number;
  readonly targetEntities: number;
  readonly targetSocialOrgs: number;
}

export interface PlanOptions {
  readonly seed: number;
  readonly scale: SeedScale;
  readonly persons?: number;
  readonly houses?: number;
  readonly entities?: number;
}

interface Shape {
  /** Street names in STREETS, in order. */
  readonly streets: readonly string[];
  readonly communitiesPerStreet: number;
  readonly gridsPerCommunity: number;
  readonly houses: number;
  readonly persons: number;
  readonly entities: number;
  readonly socialOrgs: number;
}

const FIXED_SHAPES: Record<Exclude<SeedScale, 'bench'>, Shape> = {
  test: {
    streets: ['粤海街道'],
    communitiesPerStreet: 2,
    gridsPerCommunity: 2,
    houses: 800,
    persons: 1500,
    entities: 150,
    socialOrgs: 20,
  },
  demo: {
    streets: ['粤海街道', '南头街道', '蛇口街道', '西丽街道'],
    communitiesPerStreet: 3,
    gridsPerCommunity: 5,
    houses: 20_000,
    persons: 40_000,
    entities: 3_000,
    socialOrgs: 400,
  },
};

/** Real grids hold a few hundred houses; bench runs keep that and add grids. */
const HOUSES_PER_GRID = 400;

function benchShape(options: PlanOptions): Shape {
  const persons = options.persons ?? 1_000_000;
  if (!Number.isInteger(persons) || persons < 100) throw new Error('bench scale needs persons >= 100');
  const houses = options.houses ?? Math.round(persons / 2);
  const entities = options.entities ?? Math.round(persons / 13);
  const grids = Math.max(1, Math.ceil(houses / HOUSES_PER_GRID));
  const streetCount = Math.min(STREETS.length, Math.max(1, Math.ceil(grids / 4)));
  const gridsPerStreet = Math.ceil(grids / streetCount);
  const gridsPerCommunity = Math.min(99, Math.max(16, Math.ceil(gridsPerStreet / 70)));
  return {
    streets: STREETS.slice(0, streetCount).map((s) => s.name),
    communitiesPerStreet: Math.ceil(gridsPerStreet / gridsPerCommunity),
    gridsPerCommunity,
    houses,
    persons,
    entities,
    socialOrgs: Math.round(entities * 0.13),
  };
}

function communityName(street: StreetDef, index: number): string {
  const base = street.communities[index % street.communities.length]!;
  const round = Math.floor(index / street.communities.length);
  if (round === 0) return `${base}社区`;
  const qualifier = COMMUNITY_QUALIFIERS[(round - 1) % COMMUNITY_QUALIFIERS.length]!;
  const extra =
    round > COMMUNITY_QUALIFIERS.length ? String(Math.ceil(round / COMMUNITY_QUALIFIERS.length)) : '';
  return `${base}${qualifier}${extra}社区`;
}

/** Splits `total` over weights with the largest-remainder method, so the parts sum exactly. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let rest = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) parts[order[k]![1]]! += 1;
  return parts;
}

export function planSeed(options: PlanOptions): SeedPlan {
  const shape = options.scale === 'bench' ? benchShape(options) : FIXED_SHAPES[options.scale];
  const rng = Rng.derive(options.seed, 'layout');
  const cells: { street: StreetSpec; community: CommunitySpec; number: number }[] = [];
  const totalGrids =
    options.scale === 'bench'
      ? Math.max(1, Math.ceil(shape.houses / HOUSES_PER_GRID))
      : shape.streets.length * shape.communitiesPerStreet * shape.gridsPerCommunity;
  outer: for (const streetName of shape.streets) {
    const def = STREETS.find((s) => s.name === streetName)!;
    const street: StreetSpec = { code: `${DISTRICT_CODE}${def.number}`, name: def.name };
    for (let c = 0; c < shape.communitiesPerStreet; c++) {
      const roads = rng.sample(def.roads, rng.int(3, 5));
      const community: CommunitySpec = {
        code: `${street.code}${String(c + 1).padStart(3, '0')}`,
        name: communityName(def, c),
        roads,
      };
      for (let g = 1; g <= shape.gridsPerCommunity; g++) {
        cells.push({ street, community, number: g });
        if (cells.length === totalGrids) break outer;
      }
    }
  }
  // Grids differ a little in size, as real ones do; the totals stay exact.
  const houses = apportion(
    shape.houses,
    cells.map(() => 0.92 + 0.16 * rng.float()),
  );
  const entities = apportion(
    shape.entities,
    cells.map(() => 0.6 + 0.8 * rng.float()),
  );
  const socialOrgs = apportion(
    shape.socialOrgs,
    cells.map(() => 0.5 + rng.float()),
  );
  const grids = cells.map((cell, i) => ({
    ordinal: i,
    code: `${cell.community.code}${String(cell.number).padStart(2, '0')}`,
    name: `${cell.community.name}第${cell.number}网格`,
    street: cell.street,
    community: cell.community,
    houses: houses[i]!,
    entities: entities[i]!,
    socialOrgs: socialOrgs[i]!,
  }));
  return {
    scale: options.scale,
    grids,
    targetPersons: shape.persons,
    targetHouses: shape.houses,
    targetEntities: shape.entities,
    targetSocialOrgs: shape.socialOrgs,
  };
}
