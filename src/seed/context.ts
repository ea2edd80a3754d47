/**
 * State that outlives one grid: identifier counters, the set of issued ID numbers, names already
 * taken, and bounded reservoirs of people and companies from earlier grids (landlords who live
 * elsewhere, shareholders, ...). Everything here is bounded or compact, so memory stays flat as the
 * run streams through a million persons.
 */
import {
  idCheckChar,
  makeIdNumber,
  makeRegistrationNumber,
  makeUscc,
  USCC_CHARSET,
} from '../resolution/identifiers';
import { dayFromParts, yearOf, ymd } from './dates';
import { CITY_CODE, DISTRICT_CODE, DIVISION_INDEX } from './geography';
import { IntegerKeySet } from './keySet';
import type { EntityRef, PersonRef } from './model';
import type { Sex } from './names';
import type { Rng } from './random';
import { hash32, scramble } from './random';

/** A bounded random sample: once full, a new item replaces a random old one. */
export class Reservoir<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}

  add(item: T, rng: Rng): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[rng.int(0, this.capacity - 1)] = item;
  }

  get size(): number {
    return this.items.length;
  }

  pick(rng: Rng): T | null {
    return this.items.length === 0 ? null : rng.pick(this.items);
  }
}

export interface WelfareRecipientRef {
  readonly person: PersonRef;
  readonly subsistenceId: number;
}

/** Day 0 of the ID uniqueness key: 1900-01-01. */
const KEY_EPOCH = dayFromParts(1900, 1, 1);
/** Entities set up before this day (GB 32100 took effect) were registered with a 注册号. */
export const USCC_START_DAY = dayFromParts(2015, 10, 1);

function base31(n: number, width: number): string {
  let s = '';
  let v = n;
  for (let i = 0; i < width; i++) {
    s = USCC_CHARSET[v % 31]! + s;
    v = Math.floor(v / 31);
  }
  return s;
}

/** GB 11714 organisation-code check character over 8 digits. */
function orgCodeCheck(digits8: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(digits8[i]) * weights[i]!;
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

export class SeedContext {
  private readonly idKeys: IntegerKeySet;
  readonly estateNames = new Set<string>();
  readonly organisationNames = new Set<string>();
  private readonly doorNumbers = new Map<string, number>();
  private readonly djbhByYear = new Map<number, number>();
  private readonly htbhByYear = new Map<number, number>();
  private counters = {
    subsistence: 0,
    elderly: 0,
    cremation: 0,
    marketDoc: 0,
    newOrg: 0,
    oldOrg: 0,
    regno: 0,
    socialOrg: 0,
  };

  /** Registered adults from earlier grids: landlords and market people who live elsewhere. */
  readonly people = new Reservoir<PersonRef>(6000);
  /** Owners with a civil-affairs record (social-organisation representatives): the overlap people. */
  readonly notableAdults = new Reservoir<PersonRef>(3000);
  /** Owners receiving the elderly allowance, as shareholders of family companies. */
  readonly notableElders = new Reservoir<PersonRef>(2000);
  /** Active subsistence recipients, for planting WELFARE_WITH_BUSINESS in a grid that has none. */
  readonly welfare = new Reservoir<WelfareRecipientRef>(500);
  /** Active enterprises with a USCC: company shareholders, owners and tenants. */
  readonly enterprises = new Reservoir<EntityRef>(4000);

  /** Seed-dependent offsets for the code bijections, so that different seeds issue different codes. */
  private readonly offsets: { newOrg: number; oldOrg: number; regno: number; socialOrg: number };

  personsSoFar = 0;
  housesSoFar = 0;
  /** Occupancy multiplier for the grid being built, steered so that the person count follows the target. */
  density = 1;
  /** Persons per residential house per unit of density, learned as grids are built. */
  private yieldPerDensityHouse = 2.6;
  private densityHouses = 0;
  private yieldPersons = 0;
  private pendingHomes = 0;

  /** Sets the density for a grid with `residentialHouses` homes that should add `wantedPersons`. */
  beginGrid(residentialHouses: number, wantedPersons: number): void {
    const perHome = wantedPersons / Math.max(1, residentialHouses);
    this.density = Math.min(3, Math.max(0.3, perHome / this.yieldPerDensityHouse));
    this.pendingHomes = residentialHouses;
  }

  /** Records how many persons the grid's households produced at the density it was given. */
  recordYield(householdPersons: number): void {
    this.densityHouses += this.density * this.pendingHomes;
    this.yieldPersons += householdPersons;
    if (this.densityHouses > 0) this.yieldPerDensityHouse = this.yieldPersons / this.densityHouses;
  }

  constructor(
    readonly seed: number,
    /** The reference day ("today"): every generated date is before it. */
    readonly today: number,
    expectedPersons: number,
  ) {
    this.idKeys = new IntegerKeySet(Math.max(1 << 12, Math.ceil(expectedPersons * 1.3)));
    this.offsets = {
      newOrg: hash32(seed, 'new-org') % 31 ** 6,
      oldOrg: hash32(seed, 'old-org') % 100_000_000,
      regno: hash32(seed, 'regno') % 10_000_000,
      socialOrg: hash32(seed, 'social-org') % 31 ** 6,
    };
  }

  /** A new, unique, valid 18-digit ID number. */
  newPersonId(division: string, birthDay: number, sex: Sex, rng: Rng): string {
    const divIndex = DIVISION_INDEX.get(division);
    if (divIndex === undefined) throw new Error(`division ${division} is not an origin division`);
    let day = birthDay;
    let seq = rng.int(0, 499) * 2 + (sex === 1 ? 1 : 0);
    for (let attempt = 0; ; attempt++) {
      const key = (divIndex * 80_000 + (day - KEY_EPOCH)) * 1000 + seq;
      if (this.idKeys.add(key)) break;
      seq = (seq + 2) % 1000;
      // 500 people of one sex born in one county on one day: move to the next day.
      if (attempt % 500 === 499) day += 1;
    }
    return makeIdNumber(division, ymd(day), seq);
  }

  /** The next free door number on a road (numbers grow along the road, even or odd side). */
  nextDoorNumber(road: string, rng: Rng): number {
    const prev = this.doorNumbers.get(road);
    const next = prev === undefined ? rng.int(1, 9) : prev + rng.int(1, 4) * 2;
    this.doorNumbers.set(road, next);
    return next;
  }

  nextDjbh(startDay: number): string {
    const year = yearOf(startDay);
    const n = (this.djbhByYear.get(year) ?? 0) + 1;
    this.djbhByYear.set(year, n);
    return `LD${DISTRICT_CODE}${year}${String(n).padStart(6, '0')}`;
  }

  nextHtbh(startDay: number): string {
    const year = yearOf(startDay);
    const n = (this.htbhByYear.get(year) ?? 0) + 1;
    this.htbhByYear.set(year, n);
    return `HT${year}${DISTRICT_CODE}${String(n).padStart(6, '0')}`;
  }

  nextSubsistenceId(): number {
    return ++this.counters.subsistence;
  }
  nextElderlyId(): number {
    return ++this.counters.elderly;
  }
  nextCremationId(): number {
    return ++this.counters.cremation;
  }
  nextDocId(): string {
    return `MKT${String(++this.counters.marketDoc).padStart(7, '0')}`;
  }

  /**
   * A market entity's USCC: codes issued since 2015 carry a new MA5… organisation code; older
   * entities kept their GB 11714 organisation code (8 digits and a check character).
   */
  newMarketUscc(kind: '91' | '92', estDay: number): string {
    if (estDay >= USCC_START_DAY) {
      const n = scramble(this.counters.newOrg++, 31 ** 6, 123_456_791, this.offsets.newOrg);
      return makeUscc(kind, CITY_CODE, `MA5${base31(n, 6)}`);
    }
    const digits = String(
      scramble(this.counters.oldOrg++, 100_000_000, 73_856_093, this.offsets.oldOrg),
    ).padStart(8, '0');
    return makeUscc(kind, CITY_CODE, digits + orgCodeCheck(digits));
  }

  newSocialOrgUscc(type: '51' | '52' | '53'): string {
    const n = scramble(this.counters.socialOrg++, 31 ** 7, 123_456_791, this.offsets.socialOrg);
    return makeUscc(type, DISTRICT_CODE, `MJ${base31(n, 7)}`);
  }

  /** A 15-digit legacy registration number with its MOD 11,10 check digit. */
  newRegistrationNumber(kind: '91' | '92'): string {
    const n = scramble(this.counters.regno++, 10_000_000, 7_654_321, this.offsets.regno);
    return makeRegistrationNumber(
      `${DISTRICT_CODE}${kind === '91' ? '1' : '6'}${String(n).padStart(7, '0')}`,
    );
  }
}

/** A USCC with its check character replaced by another valid character (an early pilot code). */
export function withBadUsccCheck(uscc: string, rng: Rng): string {
  const good = uscc[17]!;
  let bad = good;
  while (bad === good) bad = rng.pick(Array.from(USCC_CHARSET));
  return uscc.slice(0, 17) + bad;
}

/** An ID number with a wrong check character. */
export function withBadIdCheck(id: string, rng: Rng): string {
  const good = idCheckChar(id.slice(0, 17));
  let bad = good;
  while (bad === good) bad = rng.pick(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']);
  return id.slice(0, 17) + bad;
}
