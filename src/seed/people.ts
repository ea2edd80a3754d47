/**
 * Making one synthetic person: birthplace, ID number, name, ethnicity, phone, household
 * registration. Migrants come from the origin divisions by weight; people born here carry a
 * Shenzhen code. ID numbers are unique by construction (see SeedContext.newPersonId).
 */
import type { SeedContext } from './context';
import { ageOn, dayFromParts } from './dates';
import {
  DISTRICT_CODE,
  OTHER_SHENZHEN,
  ORIGIN_DIVISIONS,
  TOWN_STEMS,
  VILLAGE_STEMS,
  divisionByCode,
} from './geography';
import type { GridSpec } from './layout';
import type { House, Person } from './model';
import type { Sex } from './names';
import { ETHNICITIES, personName } from './names';
import type { Rng } from './random';
import { WeightedTable } from './random';

const SHENZHEN_CODES = new Set(['440301', '440303', '440304', '440305', '440306', '440307']);

const ANY_ORIGIN = new WeightedTable(ORIGIN_DIVISIONS.map((d) => [d.code, d.weight] as const));
const MIGRANT_ORIGIN = new WeightedTable(
  ORIGIN_DIVISIONS.filter((d) => !SHENZHEN_CODES.has(d.code)).map((d) => [d.code, d.weight] as const),
);

const OTHER_SZ_DISTRICT: Readonly<Record<string, string>> = {
  '440303': '罗湖区',
  '440304': '福田区',
  '440306': '宝安区',
  '440307': '龙岗区',
};

const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '155',
  '156',
  '157',
  '158',
  '159',
  '166',
  '176',
  '177',
  '178',
  '180',
  '181',
  '182',
  '183',
  '185',
  '186',
  '187',
  '188',
  '189',
  '191',
  '198',
  '199',
] as const;

export function mobile(rng: Rng): string {
  return rng.pick(MOBILE_PREFIXES) + String(rng.int(0, 99_999_999)).padStart(8, '0');
}

export type Origin = 'migrant' | 'any' | 'local-born' | string;

export interface PersonSpec {
  readonly minAge: number;
  readonly maxAge: number;
  readonly sex?: Sex;
  readonly registered: boolean;
  /** 'migrant', 'any', 'local-born' (a Shenzhen birth code), or an explicit division code. */
  readonly origin: Origin;
  readonly surname?: string;
  /** Where the household registration is: here, elsewhere in Shenzhen, or the birthplace. */
  readonly hukou?: 'here' | 'shenzhen' | 'origin';
}

/** Birth day for an age range, relative to today. */
function birthDayFor(today: number, minAge: number, maxAge: number, rng: Rng): number {
  const age = rng.int(minAge, maxAge);
  return today - Math.round(age * 365.2425) - rng.int(1, 364);
}

function originCode(origin: Origin, rng: Rng): string {
  if (origin === 'migrant') return MIGRANT_ORIGIN.pick(rng);
  if (origin === 'any') return ANY_ORIGIN.pick(rng);
  if (origin === 'local-born') return rng.chance(0.7) ? DISTRICT_CODE : '440301';
  return origin;
}

function birthDayOfId(id: string): number {
  return dayFromParts(Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14)));
}

export function otherShenzhenAddress(rng: Rng, district?: string): string {
  const place = district ? OTHER_SHENZHEN.find((d) => d.district === district) : undefined;
  const where = place ?? rng.pick(OTHER_SHENZHEN);
  return `广东省深圳市${where.district}${rng.pick(where.roads)}${rng.int(1, 300)}号`;
}

export function hometownAddress(division: string, rng: Rng): string {
  return `${divisionByCode(division).name}${rng.pick(TOWN_STEMS)}镇${rng.pick(VILLAGE_STEMS)}村${rng.int(1, 120)}号`;
}

export function makePerson(
  ctx: SeedContext,
  grid: GridSpec,
  spec: PersonSpec,
  home: House | null,
  rng: Rng,
): Person {
  const sex: Sex = spec.sex ?? (rng.chance(0.51) ? 1 : 2);
  const division = originCode(spec.origin, rng);
  const id = ctx.newPersonId(division, birthDayFor(ctx.today, spec.minAge, spec.maxAge, rng), sex, rng);
  const birthDay = birthDayOfId(id);
  const def = divisionByCode(division);
  const ethnicity = def.ethnicity && rng.chance(0.6) ? def.ethnicity : ETHNICITIES.pick(rng);
  const age = ageOn(birthDay, ctx.today);

  let hukouDivision = division;
  let hukouAddress = '';
  if (spec.registered) {
    const where = spec.hukou ?? (rng.chance(0.72) ? 'here' : rng.chance(0.4) ? 'shenzhen' : 'origin');
    if (where === 'here' || (where === 'origin' && division === DISTRICT_CODE)) {
      hukouDivision = DISTRICT_CODE;
      hukouAddress = home ? home.bzdz : `广东省深圳市南山区${grid.street.name}${grid.community.name}集体户`;
    } else if (where === 'shenzhen' || SHENZHEN_CODES.has(division)) {
      hukouDivision = rng.pick(Object.keys(OTHER_SZ_DISTRICT));
      hukouAddress = otherShenzhenAddress(rng, OTHER_SZ_DISTRICT[hukouDivision]);
    } else {
      hukouAddress = hometownAddress(division, rng);
    }
  }

  ctx.personsSoFar++;
  return {
    id,
    name: personName(sex, Number(id.slice(6, 10)), rng, spec.surname),
    sex,
    birthDay,
    ethnicity,
    phone: age >= 14 && rng.chance(0.95) ? mobile(rng) : null,
    registered: spec.registered,
    hukouDivision,
    hukouAddress,
    home,
    outsideAddress: null,
    previousHouse: null,
    ryzt: '0',
    deathDay: null,
    welfareActive: false,
    owner: false,
    civil: false,
    elderlyAllowance: false,
    inMarket: false,
    socialOrgRep: false,
    registrations: 0,
    notes: [],
  };
}
