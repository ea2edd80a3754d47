/**
 * Builds the picture of one grid: who lives where, who owns and rents what, who receives which
 * allowance, which companies are registered where, and the cross-department contradictions planted
 * on purpose (deceased but active, stale registrations, unregistered tenants, overcrowding, welfare
 * recipients running large companies, companies at addresses that do not exist or are homes).
 *
 * Everything refers to TRUE keys; rendering into department rows (render.ts) adds the clerical noise.
 */
import type { Department, RecordType } from '../config/types';
import {
  brandName,
  CHANGE_ITEMS,
  ENTERPRISE_CAPITAL,
  ENTERPRISE_INDUSTRIES,
  ENTERPRISE_TYPES,
  INDIVIDUAL_BUSINESS,
  PRIVATE_NON_ENTERPRISE_WORDS,
  SHOP_KINDS,
  SOCIAL_GROUP_WORDS,
} from './business';
import type { SeedContext } from './context';
import { USCC_START_DAY, withBadUsccCheck } from './context';
import { ageOn, dayFromParts, isoDate } from './dates';
import { ESTATE_STEMS, TOWER_SUFFIXES } from './geography';
import { buildHouses } from './houses';
import type { GridSpec } from './layout';
import type {
  Change,
  Cremation,
  ElderlyAllowance,
  EntityRef,
  House,
  Lease,
  MarketEntity,
  Note,
  Party,
  Person,
  PersonRef,
  Registration,
  ResidenceReason,
  Shareholder,
  SocialOrg,
  Subsistence,
  Tenancy,
} from './model';
import { personName, surnameOf } from './names';
import type { Sex } from './names';
import { hometownAddress, makePerson, otherShenzhenAddress } from './people';
import type { PersonSpec } from './people';
import type { Rng } from './random';
import { WeightedTable } from './random';

export interface LateNote {
  readonly department: Department;
  readonly recordType: RecordType;
  readonly sourceId: string;
  readonly note: Note;
}

export interface GridWorld {
  readonly grid: GridSpec;
  readonly houses: readonly House[];
  readonly persons: readonly Person[];
  readonly tenancies: readonly Tenancy[];
  readonly businessLeases: readonly Lease[];
  readonly subsistence: readonly Subsistence[];
  readonly elderly: readonly ElderlyAllowance[];
  readonly cremations: readonly Cremation[];
  readonly socialOrgs: readonly SocialOrg[];
  readonly entities: readonly MarketEntity[];
  /** Problems found on records written in earlier grids (e.g. a welfare recipient from there). */
  readonly lateNotes: readonly LateNote[];
}

const OWNER_HOUSEHOLD_SIZE = new WeightedTable<number>([
  [1, 14],
  [2, 24],
  [3, 30],
  [4, 20],
  [5, 8],
  [6, 4],
]);
const RENTER_HOUSEHOLD_SIZE = new WeightedTable<number>([
  [1, 38],
  [2, 30],
  [3, 20],
  [4, 9],
  [5, 3],
]);
const LEASE_TERMS = new WeightedTable<number>([
  [1, 60],
  [2, 30],
  [3, 10],
]);
const BUSINESS_LEASE_TERMS = new WeightedTable<number>([
  [2, 30],
  [3, 40],
  [5, 30],
]);

const ADULT_DAYS = Math.round(18 * 365.25);
const FOUNDER_DAYS = Math.round(20 * 365.25);

/** Every person needs at least this many m² in normal data; planted overcrowding goes far below. */
const MIN_AREA_PER_PERSON = 12;

function personParty(person: PersonRef): Party {
  return { kind: 'person', person };
}

function slim(p: PersonRef): PersonRef {
  return { id: p.id, name: p.name, sex: p.sex, birthDay: p.birthDay };
}

function entityKey(e: EntityRef): string {
  return e.uscc ?? e.regno!;
}

/** How many to plant: a rate of the candidates, but at least `min` (when there are candidates). */
function quota(candidates: number, rate: number, min: number): number {
  return Math.min(candidates, Math.max(min, Math.round(candidates * rate)));
}

export class GridBuilder {
  private houses: House[] = [];
  private readonly persons: Person[] = [];
  private readonly tenancies: Tenancy[] = [];
  private readonly businessLeases: Lease[] = [];
  private readonly subsistence: Subsistence[] = [];
  private readonly elderly: ElderlyAllowance[] = [];
  private readonly cremations: Cremation[] = [];
  private readonly socialOrgs: SocialOrg[] = [];
  private readonly entities: MarketEntity[] = [];
  private readonly lateNotes: LateNote[] = [];
  private readonly ownerHeads: Person[] = [];
  /** Tenancies already used by a planting, so that plantings do not overlap. */
  private readonly planted = new Set<Tenancy>();
  private readonly today: number;

  constructor(
    private readonly ctx: SeedContext,
    private readonly grid: GridSpec,
    private readonly rng: Rng,
    /** Persons this grid should add (the generator's running target). */
    private readonly wantedPersons: number,
  ) {
    this.today = ctx.today;
    this.personsAtStart = ctx.personsSoFar;
  }

  private readonly personsAtStart: number;

  build(): GridWorld {
    this.houses = buildHouses(this.ctx, this.grid, this.grid.houses, this.rng);
    this.ctx.housesSoFar += this.houses.length;
    this.ctx.beginGrid(this.houses.filter((h) => h.inUse && h.use === '10').length, this.wantedPersons);
    this.chooseOvercrowded();
    this.populate();
    this.history();
    this.registeredMovers();
    this.formerResidents();
    this.ctx.recordYield(this.ctx.personsSoFar - this.personsAtStart);
    this.topUpFormerTenants();
    this.plantTenancyProblems();
    this.plantDeceasedTenant();
    this.civilAffairs();
    this.plantDeceasedActive();
    this.socialOrganisations();
    this.market();
    this.ownersOfTheRest();
    this.updateReservoirs();
    return {
      grid: this.grid,
      houses: this.houses,
      persons: this.persons,
      tenancies: this.tenancies,
      businessLeases: this.businessLeases,
      subsistence: this.subsistence,
      elderly: this.elderly,
      cremations: this.cremations,
      socialOrgs: this.socialOrgs,
      entities: this.entities,
      lateNotes: this.lateNotes,
    };
  }

  // ---------------------------------------------------------------- people and households

  private person(spec: PersonSpec, home: House | null): Person {
    const p = makePerson(this.ctx, this.grid, spec, home, this.rng);
    this.persons.push(p);
    return p;
  }

  private age(p: PersonRef): number {
    return ageOn(p.birthDay, this.today);
  }

  private alive(p: Person): boolean {
    return p.deathDay === null;
  }

  /** Most people who died did so old; the death falls in the last five years. */
  private maybeDie(p: Person): void {
    const age = this.age(p);
    const prob = age >= 90 ? 0.3 : age >= 80 ? 0.15 : age >= 70 ? 0.06 : age >= 60 ? 0.015 : 0;
    if (!this.rng.chance(prob)) return;
    p.deathDay = this.today - this.rng.int(40, 1800);
    if (p.registered) p.ryzt = '1';
  }

  private register(
    tenancy: Tenancy,
    person: Person,
    startDay: number,
    reason: ResidenceReason,
    endDay: number | null,
    endReason: string | null,
  ): Registration {
    // Nobody registers before they are born: a child born after the move is registered after birth.
    let start = Math.min(this.today - 1, Math.max(startDay, person.birthDay + this.rng.int(20, 60)));
    if (endDay !== null && start >= endDay) start = endDay - 1;
    const reg: Registration = {
      djbh: this.ctx.nextDjbh(start),
      person,
      house: tenancy.house,
      startDay: start,
      endDay,
      endReason,
      reason,
      previousHouse: null,
      notes: [],
    };
    person.registrations++;
    tenancy.registrations.push(reg);
    return reg;
  }

  /** A registered person living outside the district (a landlord, a former resident). */
  private outsider(minAge: number, maxAge: number, ryzt: Person['ryzt'] = '0'): Person {
    const p = this.person({ minAge, maxAge, registered: true, origin: 'any', hukou: 'here' }, null);
    p.ryzt = ryzt;
    const r = this.rng.float();
    p.outsideAddress =
      r < 0.75
        ? otherShenzhenAddress(this.rng)
        : r < 0.9
          ? hometownAddress(this.rng.pick(['430102', '441424', '445281', '360730', '510722']), this.rng)
          : null;
    return p;
  }

  /** Someone who owns a flat here but does not live in it. */
  private landlord(): PersonRef {
    const r = this.rng.float();
    if (r < 0.35) {
      const heads = this.ownerHeads.filter((h) => this.alive(h));
      if (heads.length > 0) {
        const h = this.rng.pick(heads);
        h.owner = true;
        return h;
      }
    }
    if (r < 0.6) {
      const p = this.ctx.people.pick(this.rng);
      if (p) return p;
    }
    const p = this.outsider(35, 75);
    p.owner = true;
    return p;
  }

  private household(house: House, kind: 'owner' | 'rent', registered: boolean, size: number): Person[] {
    const rng = this.rng;
    const headAge = kind === 'owner' ? [28, 72] : [20, 55];
    const head = this.person(
      {
        minAge: headAge[0]!,
        maxAge: headAge[1]!,
        registered,
        origin: registered ? 'any' : 'migrant',
      },
      house,
    );
    const members = [head];
    const headYears = this.age(head);
    let spouse: Person | null = null;
    if (size >= 2 && (kind === 'owner' ? rng.chance(0.9) : rng.chance(0.6))) {
      const lo = Math.max(20, headYears - 6);
      spouse = this.person(
        {
          minAge: lo,
          maxAge: Math.max(lo, headYears + 4),
          sex: head.sex === 1 ? 2 : 1,
          registered: registered ? rng.chance(0.85) : rng.chance(0.05),
          origin: registered ? 'any' : 'migrant',
        },
        house,
      );
      members.push(spouse);
    }
    const father = head.sex === 1 ? head : (spouse ?? head);
    let elderAdded = false;
    while (members.length < size) {
      if (kind === 'owner' && !elderAdded && size >= 4 && rng.chance(0.45)) {
        elderAdded = true;
        members.push(
          this.person(
            {
              minAge: Math.min(98, headYears + 22),
              maxAge: Math.min(100, headYears + 36),
              registered: registered && rng.chance(0.5),
              origin: registered ? 'any' : 'migrant',
              surname: rng.chance(0.7) ? surnameOf(head.name) : undefined,
            },
            house,
          ),
        );
        continue;
      }
      if (spouse || kind === 'owner') {
        const maxChild = Math.max(0, Math.min(28, headYears - 20));
        members.push(
          this.person(
            {
              minAge: 0,
              maxAge: maxChild,
              registered: head.registered,
              origin: head.registered ? 'local-born' : head.hukouDivision,
              hukou: 'here',
              surname: rng.chance(0.88) ? surnameOf(father.name) : undefined,
            },
            house,
          ),
        );
      } else {
        members.push(this.person({ minAge: 19, maxAge: 40, registered, origin: 'migrant' }, house));
      }
    }
    return members;
  }

  private leaseChain(
    house: House,
    lessor: PersonRef,
    tenant: Party,
    startDay: number,
    endDay: number | null,
    purpose: '居住' | '经营',
  ): Lease[] {
    const leases: Lease[] = [];
    const rate =
      purpose === '经营'
        ? this.rng.int(120, 260)
        : house.estateKind === 'village'
          ? this.rng.int(45, 75)
          : this.rng.int(80, 140);
    const rent = Math.max(500, Math.round((house.area * rate) / 10) * 10);
    let s = startDay;
    for (;;) {
      const years = (purpose === '经营' ? BUSINESS_LEASE_TERMS : LEASE_TERMS).pick(this.rng);
      let e = s + Math.round(years * 365.25) - 1;
      let last = false;
      // A remainder shorter than two months is folded into this contract rather than filed alone.
      if (endDay !== null && e >= endDay - 60) {
        e = endDay;
        last = true;
      } else if (endDay === null && e >= this.today) {
        last = true;
      }
      leases.push({
        htbh: this.ctx.nextHtbh(s),
        house,
        lessor,
        tenant,
        startDay: s,
        endDay: e,
        monthlyRent: rent,
        purpose,
        tenantPreviousHouse: null,
        dropped: false,
        notes: [],
      });
      if (last) break;
      s = e + 1;
    }
    return leases;
  }

  private chooseOvercrowded(): void {
    const small = this.houses
      .filter((h) => h.inUse && h.use === '10')
      .sort((a, b) => a.area - b.area || (a.code < b.code ? -1 : 1))
      .slice(0, 12);
    const n = quota(this.houses.length, 0.003, 1);
    for (const h of this.rng.sample(small, n)) h.overcrowd = true;
  }

  /** Current occupants and owners of every residential house. */
  private populate(): void {
    const rng = this.rng;
    const density = this.ctx.density;
    const occupancy = Math.min(0.98, 0.86 * density);
    const sizeScale = Math.max(1, density / 1.12);
    const villageLandlords = new Map<string, PersonRef>();
    for (const house of this.houses) {
      if (!house.inUse) continue;
      const building = house.code.slice(0, 19);
      let villageLandlord: PersonRef | null = null;
      if (house.estateKind === 'village') {
        villageLandlord = villageLandlords.get(building) ?? null;
        if (!villageLandlord && house.use === '10' && !house.overcrowd) {
          // The villager who built the house lives in one of its flats and lets the rest.
          const family = this.ownerHousehold(house, true);
          villageLandlords.set(building, family);
          continue;
        }
        if (villageLandlord) house.owner = personParty(villageLandlord);
      }
      if (house.use !== '10') continue;
      if (house.overcrowd) {
        this.groupRental(house, villageLandlord ?? this.landlord());
        continue;
      }
      if (!rng.chance(occupancy)) {
        house.owner = house.owner ?? personParty(villageLandlord ?? this.landlord());
        continue;
      }
      const ownerShare = house.estateKind === 'village' ? 0.05 : house.estateKind === 'tower' ? 0.2 : 0.55;
      if (!villageLandlord && rng.chance(ownerShare)) {
        this.ownerHousehold(house, false, sizeScale);
      } else {
        this.rentedHousehold(house, villageLandlord ?? this.landlord(), sizeScale);
      }
    }
  }

  private capSize(house: House, size: number): number {
    return Math.max(1, Math.min(size, Math.floor(house.area / MIN_AREA_PER_PERSON)));
  }

  private ownerHousehold(house: House, villager: boolean, sizeScale = 1): Person {
    const rng = this.rng;
    const registered = villager || rng.chance(0.88);
    const size = this.capSize(house, Math.round(OWNER_HOUSEHOLD_SIZE.pick(rng) * sizeScale));
    const members = this.household(house, 'owner', registered, size);
    const head = members[0]!;
    head.owner = true;
    house.owner = personParty(head);
    house.occupied = true;
    this.ownerHeads.push(head);
    const moveIn = this.today - rng.int(200, 7000);
    const tenancy: Tenancy = {
      house,
      head,
      members,
      moveInDay: moveIn,
      current: true,
      leases: [],
      registrations: [],
    };
    this.tenancies.push(tenancy);
    for (const m of members) {
      // A villager's death would leave live leases with a dead lessor; that is not a planted problem.
      if (m !== head || !villager) this.maybeDie(m);
      if (!m.registered) {
        const start = rng.int(moveIn, this.today - 5);
        const reason: ResidenceReason = m === head ? '其他' : this.age(m) < 18 ? '学习' : '投靠亲友';
        if (m.deathDay !== null) {
          const start2 = Math.min(start, m.deathDay - 30);
          this.register(
            tenancy,
            m,
            start2,
            reason,
            Math.min(this.today - 1, m.deathDay + rng.int(3, 30)),
            '死亡',
          );
        } else {
          this.register(tenancy, m, start, reason, null, null);
        }
      }
      if (this.alive(m)) house.residents++;
    }
    return head;
  }

  private rentedHousehold(house: House, lessor: PersonRef, sizeScale: number): void {
    const rng = this.rng;
    house.owner = house.owner ?? personParty(lessor);
    const registered = rng.chance(0.18);
    const size = this.capSize(house, Math.round(RENTER_HOUSEHOLD_SIZE.pick(rng) * sizeScale));
    const members = this.household(house, 'rent', registered, size);
    const head = members[0]!;
    const moveIn = Math.max(
      this.today - Math.min(3650, Math.max(15, Math.round(rng.exponential(650)))),
      Math.min(this.today - 15, head.birthDay + ADULT_DAYS),
    );
    const withLease = rng.chance(house.estateKind === 'village' ? 0.55 : 0.88);
    const tenancy: Tenancy = {
      house,
      head,
      members,
      moveInDay: moveIn,
      current: true,
      leases: withLease ? this.leaseChain(house, lessor, personParty(head), moveIn, null, '居住') : [],
      registrations: [],
    };
    this.tenancies.push(tenancy);
    house.occupied = true;
    for (const m of members) {
      if (!m.registered) {
        const age = this.age(m);
        const reason: ResidenceReason =
          m === head
            ? rng.chance(0.88)
              ? '务工'
              : '经商'
            : age < 18
              ? rng.chance(0.6)
                ? '学习'
                : '投靠亲友'
              : rng.chance(0.6)
                ? '务工'
                : rng.chance(0.7)
                  ? '投靠亲友'
                  : '其他';
        this.register(tenancy, m, Math.min(this.today - 1, moveIn + rng.int(0, 15)), reason, null, null);
      }
      house.residents++;
    }
  }

  /** 群租: a dozen or more workers registered in one small flat (OVERCROWDED_HOUSE). */
  private groupRental(house: House, lessor: PersonRef): void {
    const rng = this.rng;
    house.owner = house.owner ?? personParty(lessor);
    const n = rng.int(12, 18);
    const members: Person[] = [];
    for (let i = 0; i < n; i++)
      members.push(this.person({ minAge: 18, maxAge: 45, registered: false, origin: 'migrant' }, house));
    const head = members[0]!;
    const moveIn = Math.max(
      this.today - rng.int(30, 600),
      Math.min(this.today - 30, head.birthDay + ADULT_DAYS),
    );
    const tenancy: Tenancy = {
      house,
      head,
      members,
      moveInDay: moveIn,
      current: true,
      leases: this.leaseChain(house, lessor, personParty(head), moveIn, null, '居住'),
      registrations: [],
    };
    this.tenancies.push(tenancy);
    this.planted.add(tenancy);
    house.occupied = true;
    for (const m of members) {
      this.register(tenancy, m, Math.min(this.today - 1, moveIn + rng.int(0, 60)), '务工', null, null);
      house.residents++;
    }
    house.notes.push({
      kind: 'OVERCROWDED_HOUSE',
      entityType: 'HOUSE',
      entityKey: house.code,
      detail: { residents: n, jzmj: house.area, areaPerPerson: Math.round((house.area / n) * 100) / 100 },
    });
  }

  /** Earlier tenants of rented and empty flats: people who moved away, or moved within the grid. */
  private history(): void {
    const rng = this.rng;
    const movers = this.tenancies.filter(
      (t) => t.current && t.leases.length > 0 && !t.head.registered && !t.house.overcrowd && !t.head.owner,
    );
    for (const house of this.houses) {
      if (!house.inUse || house.use !== '10' || house.overcrowd) continue;
      const current = this.tenancies.find((t) => t.house === house && t.current);
      const rentedNow = current !== undefined && current.head.owner === false;
      if (current && !rentedNow) continue; // owner-occupied: no tenants before
      if (!rentedNow && !rng.chance(0.3)) continue;
      const lessorParty = house.owner;
      if (!lessorParty || lessorParty.kind !== 'person') continue;
      const k = rng.chance(0.4) ? 0 : rng.chance(0.67) ? 1 : 2;
      let cursor = current ? current.moveInDay : this.today - rng.int(30, 400);
      for (let i = 0; i < k; i++) {
        const end = cursor - rng.int(20, 150);
        const start = end - rng.int(180, 1100);
        if (start < this.today - 4300) break;
        const eligible = movers.filter(
          (t) => t.moveInDay > end + 15 && t.head.previousHouse === null && t.house !== house,
        );
        const moverTenancy = eligible.length > 0 && rng.chance(0.4) ? rng.pick(eligible) : null;
        const tenant =
          moverTenancy?.head ??
          this.person(
            {
              minAge: 20 + Math.ceil((this.today - end) / 365),
              maxAge: 48,
              registered: false,
              origin: 'migrant',
            },
            null,
          );
        this.formerTenancy(house, lessorParty.person, tenant, start, end, () =>
          moverTenancy ? '搬离' : rng.chance(0.7) ? '离开本市' : '搬离',
        );
        if (moverTenancy) {
          tenant.previousHouse = house;
          for (const reg of moverTenancy.registrations) if (reg.person === tenant) reg.previousHouse = house;
          for (const lease of moverTenancy.leases) lease.tenantPreviousHouse = house;
        }
        cursor = start;
      }
    }
  }

  /**
   * A tenancy that has ended: the tenant leased the flat (mostly with a registered contract) and was
   * registered there from start to end, then left for `leftReason`. Random draws keep their order
   * (lease, registration start, end, reason), so a seed's data does not depend on this method.
   */
  private formerTenancy(
    house: House,
    lessor: PersonRef,
    tenant: Person,
    start: number,
    end: number,
    leftReason: () => string,
  ): Tenancy {
    const rng = this.rng;
    const tenancy: Tenancy = {
      house,
      head: tenant,
      members: [tenant],
      moveInDay: start,
      current: false,
      leases: rng.chance(0.8) ? this.leaseChain(house, lessor, personParty(tenant), start, end, '居住') : [],
      registrations: [],
    };
    this.tenancies.push(tenancy);
    const from = start + rng.int(0, 10);
    const until = end + rng.int(0, 20);
    this.register(tenancy, tenant, from, '务工', until, leftReason());
    return tenancy;
  }

  /**
   * A grid of offices and shops houses fewer people than the running target asks for; the shortfall
   * becomes earlier tenants of its flats (people who lived here and left), which any grid can have.
   */
  private topUpFormerTenants(): void {
    const rng = this.rng;
    let deficit = Math.round(this.wantedPersons - (this.ctx.personsSoFar - this.personsAtStart));
    if (deficit <= 0) return;
    const earliest = new Map<House, number>();
    const ownerOccupied = new Set<House>();
    for (const t of this.tenancies) {
      earliest.set(t.house, Math.min(earliest.get(t.house) ?? t.moveInDay, t.moveInDay));
      if (t.current && t.head.owner && t.house.owner?.kind === 'person' && t.house.owner.person === t.head)
        ownerOccupied.add(t.house);
    }
    let candidates = this.houses.filter(
      (h) => h.inUse && h.use === '10' && !h.overcrowd && !ownerOccupied.has(h) && h.owner?.kind === 'person',
    );
    while (deficit > 0 && candidates.length > 0) {
      const house = rng.pick(candidates);
      const lessor = house.owner;
      const cursor = earliest.get(house) ?? this.today - rng.int(30, 400);
      const end = cursor - rng.int(20, 150);
      const start = end - rng.int(180, 1100);
      if (start < this.today - 4300 || lessor?.kind !== 'person') {
        candidates = candidates.filter((h) => h !== house);
        continue;
      }
      const tenant = this.person(
        {
          minAge: 20 + Math.ceil((this.today - end) / 365),
          maxAge: 50,
          registered: false,
          origin: 'migrant',
        },
        null,
      );
      this.formerTenancy(house, lessor.person, tenant, start, end, () =>
        rng.chance(0.7) ? '离开本市' : '搬离',
      );
      earliest.set(house, start);
      deficit--;
    }
  }

  /** Registered people who moved: from a demolished village house, or within the grid. */
  private registeredMovers(): void {
    const rng = this.rng;
    const candidates = this.persons.filter(
      (p) => p.registered && p.home !== null && p.previousHouse === null && this.age(p) >= 18,
    );
    const demolished = this.houses.filter((h) => !h.inUse);
    for (const h of demolished) {
      if (candidates.length === 0 || !rng.chance(0.3)) continue;
      const p = rng.pick(candidates);
      if (p.previousHouse === null && p.home !== h) p.previousHouse = h;
    }
    const residential = this.houses.filter((h) => h.use === '10');
    for (const p of candidates) {
      if (p.previousHouse !== null || !rng.chance(0.05)) continue;
      const h = rng.pick(residential);
      if (h !== p.home) p.previousHouse = h;
    }
  }

  /** A few household-register entries of people who moved their hukou away or were cancelled. */
  private formerResidents(): void {
    const n = this.rng.int(1, 4);
    for (let i = 0; i < n; i++) this.outsider(20, 80, this.rng.chance(0.8) ? '2' : '3');
  }

  // ---------------------------------------------------------------- planted tenancy problems

  private activeLease(t: Tenancy): Lease | null {
    return t.leases.find((l) => !l.dropped && l.startDay <= this.today && l.endDay >= this.today) ?? null;
  }

  private currentRegistration(t: Tenancy, p: Person): Registration | null {
    return t.registrations.find((r) => r.person === p && r.endDay === null) ?? null;
  }

  private floatingLeaseTenancies(single: boolean): Tenancy[] {
    return this.tenancies.filter(
      (t) =>
        t.current &&
        !this.planted.has(t) &&
        t.head.owner === false &&
        !t.head.registered &&
        t.head.deathDay === null &&
        t.leases.length > 0 &&
        this.currentRegistration(t, t.head) !== null &&
        (!single || t.members.length === 1),
    );
  }

  private plantTenancyProblems(): void {
    const rng = this.rng;
    // STALE_REGISTRATION: the lease ran out months ago and nobody cancelled the registration.
    const staleCandidates = this.floatingLeaseTenancies(true).filter((t) => t.moveInDay < this.today - 200);
    for (const t of rng.sample(staleCandidates, quota(staleCandidates.length, 0.02, 1))) {
      let end = Math.max(t.moveInDay + 60, this.today - rng.int(45, 400));
      if (end > this.today - 45) continue;
      // End inside a contract, at least a month after it started.
      const containing = t.leases.find((l) => l.startDay <= end && l.endDay >= end);
      if (containing && containing.startDay + 30 > this.today - 45) end = containing.startDay - 1;
      else if (containing) end = Math.min(this.today - 45, Math.max(end, containing.startDay + 30));
      if (end < t.moveInDay + 60) continue;
      let lastKept: Lease | null = null;
      for (const lease of t.leases) {
        if (lease.startDay > end) lease.dropped = true;
        else {
          lease.endDay = Math.min(lease.endDay, end);
          lastKept = lease;
        }
      }
      if (!lastKept) continue;
      this.planted.add(t);
      const reg = this.currentRegistration(t, t.head)!;
      reg.notes.push({
        kind: 'STALE_REGISTRATION',
        entityType: 'PERSON',
        entityKey: t.head.id,
        detail: { house: t.house.code, leaseEnded: isoDate(lastKept.endDay), htbh: lastKept.htbh },
      });
    }

    // UNREGISTERED_TENANT: a tenant on a live lease who never registered.
    const unregCandidates = this.floatingLeaseTenancies(false);
    for (const t of rng.sample(unregCandidates, quota(unregCandidates.length, 0.012, 1))) {
      const reg = this.currentRegistration(t, t.head)!;
      const lease = this.activeLease(t);
      if (!lease) continue;
      t.registrations.splice(t.registrations.indexOf(reg), 1);
      t.head.registrations--;
      t.house.residents--;
      this.planted.add(t);
      lease.notes.push({
        kind: 'UNREGISTERED_TENANT',
        entityType: 'PERSON',
        entityKey: t.head.id,
        detail: { house: t.house.code },
      });
    }

    // RESIDENCE_MISMATCH: registered at one flat, renting another. The lease flat then has an
    // unregistered tenant as well, and both are recorded.
    const homes = this.tenancies.filter(
      (t) => t.current && t.head.owner && t.house.use === '10' && !t.house.overcrowd,
    );
    const mismatchCandidates = this.floatingLeaseTenancies(true);
    if (homes.length > 0) {
      for (const t of rng.sample(mismatchCandidates, quota(mismatchCandidates.length, 0.006, 1))) {
        const lease = this.activeLease(t);
        if (!lease) continue;
        const elsewhere = rng.pick(homes).house;
        if (elsewhere === t.house) continue;
        const reg = this.currentRegistration(t, t.head)!;
        reg.house = elsewhere;
        if (reg.previousHouse === elsewhere) reg.previousHouse = null;
        t.house.residents--;
        elsewhere.residents++;
        this.planted.add(t);
        reg.notes.push({
          kind: 'RESIDENCE_MISMATCH',
          entityType: 'PERSON',
          entityKey: t.head.id,
          detail: { registeredHouse: elsewhere.code, leasedHouse: t.house.code, htbh: lease.htbh },
        });
        lease.notes.push({
          kind: 'UNREGISTERED_TENANT',
          entityType: 'PERSON',
          entityKey: t.head.id,
          detail: { house: t.house.code, registeredAt: elsewhere.code },
        });
      }
    }
  }

  /** DECEASED_BUT_ACTIVE on a lease: a tenant died and neither the lease nor the registration ended. */
  private plantDeceasedTenant(): void {
    if (!this.rng.chance(0.5) && this.grid.ordinal % 3 !== 0) return;
    const candidates = this.floatingLeaseTenancies(true).filter(
      (t) => this.age(t.head) >= 35 && (this.activeLease(t)?.startDay ?? this.today) < this.today - 30,
    );
    if (candidates.length === 0) return;
    const t = this.rng.pick(candidates);
    const lease = this.activeLease(t);
    if (!lease) return;
    const head = t.head;
    const deathDay = this.rng.int(Math.max(lease.startDay + 1, this.today - 200), this.today - 20);
    head.deathDay = deathDay;
    this.planted.add(t);
    const cremation = this.cremate(head);
    const detail = { cremationId: String(cremation.id), swrq: isoDate(deathDay) };
    lease.notes.push({
      kind: 'DECEASED_BUT_ACTIVE',
      entityType: 'PERSON',
      entityKey: head.id,
      detail: { ...detail, field: 'zlzzrq', value: isoDate(lease.endDay) },
    });
    this.currentRegistration(t, head)!.notes.push({
      kind: 'DECEASED_BUT_ACTIVE',
      entityType: 'PERSON',
      entityKey: head.id,
      detail: { ...detail, field: 'zxrq', value: null },
    });
  }

  // ---------------------------------------------------------------- civil affairs

  private cremate(p: Person): Cremation {
    const c: Cremation = {
      id: this.ctx.nextCremationId(),
      person: p,
      deathDay: p.deathDay!,
      cremationDay: Math.min(this.today - 1, p.deathDay! + this.rng.int(2, 7)),
    };
    this.cremations.push(c);
    p.civil = true;
    return c;
  }

  private civilAffairs(): void {
    const rng = this.rng;
    for (const p of this.persons) {
      if (p.deathDay !== null && !this.cremations.some((c) => c.person === p)) this.cremate(p);
      if (
        !p.registered ||
        p.home === null ||
        p.hukouDivision !== '440305' ||
        p.ryzt === '2' ||
        p.ryzt === '3'
      )
        continue;
      const ageAt = ageOn(p.birthDay, p.deathDay ?? this.today);
      if (ageAt >= 80) {
        const amount = ageAt >= 100 ? 500 : ageAt >= 90 ? 300 : 200;
        this.elderly.push({
          id: this.ctx.nextElderlyId(),
          person: p,
          house: p.home,
          amount,
          status: p.deathDay === null ? '在发' : '停发',
          notes: [],
        });
        p.civil = true;
        if (p.deathDay === null) p.elderlyAllowance = true;
      }
      if (ageAt >= 30 && rng.chance(p.deathDay === null ? 0.02 : 0.12)) {
        const covered = Math.max(1, Math.min(5, p.home.residents || 1));
        const active = p.deathDay === null && rng.chance(0.85);
        this.subsistence.push({
          id: this.ctx.nextSubsistenceId(),
          person: p,
          house: p.home,
          covered,
          amount: 1365 * covered,
          startDay: this.today - rng.int(60, 3000),
          status: active ? '在保' : '停保',
          notes: [],
        });
        p.civil = true;
        if (active) p.welfareActive = true;
      }
    }
  }

  /** DECEASED_BUT_ACTIVE: a death the police register, an allowance office or a registration missed. */
  private plantDeceasedActive(): void {
    const rng = this.rng;
    const deceased = this.persons.filter((p) => p.deathDay !== null && p.notes.length === 0);
    const byPerson = (p: Person) => this.cremations.find((c) => c.person === p)!;
    const options: (() => boolean)[] = [];
    for (const p of deceased) {
      options.push(() => {
        const variants: (() => void)[] = [];
        const c = byPerson(p);
        const detail = { cremationId: String(c.id), swrq: isoDate(c.deathDay) };
        if (p.registered && p.ryzt === '1') {
          variants.push(() => {
            p.ryzt = '0';
            if (p.home) p.home.residents++;
            p.notes.push({
              kind: 'DECEASED_BUT_ACTIVE',
              entityType: 'PERSON',
              entityKey: p.id,
              detail: { ...detail, field: 'ryzt', value: '0' },
            });
          });
        }
        const sub = this.subsistence.find((s) => s.person === p && s.status === '停保');
        if (sub) {
          variants.push(() => {
            sub.status = '在保';
            sub.notes.push({
              kind: 'DECEASED_BUT_ACTIVE',
              entityType: 'PERSON',
              entityKey: p.id,
              detail: { ...detail, field: 'zt', value: '在保' },
            });
          });
        }
        const eld = this.elderly.find((e) => e.person === p && e.status === '停发');
        if (eld) {
          variants.push(() => {
            eld.status = '在发';
            eld.notes.push({
              kind: 'DECEASED_BUT_ACTIVE',
              entityType: 'PERSON',
              entityKey: p.id,
              detail: { ...detail, field: 'zt', value: '在发' },
            });
          });
        }
        const reg = this.tenancies
          .flatMap((t) => t.registrations)
          .find((r) => r.person === p && r.endReason === '死亡');
        if (reg) {
          variants.push(() => {
            reg.endDay = null;
            reg.endReason = null;
            reg.house.residents++;
            reg.notes.push({
              kind: 'DECEASED_BUT_ACTIVE',
              entityType: 'PERSON',
              entityKey: p.id,
              detail: { ...detail, field: 'zxrq', value: null },
            });
          });
        }
        if (variants.length === 0) return false;
        rng.pick(variants)();
        return true;
      });
    }
    let n = quota(options.length, 0.12, 1);
    for (const option of rng.shuffle(options)) {
      if (n <= 0) break;
      if (option()) n--;
    }
  }

  // ---------------------------------------------------------------- social organisations

  private adults(filter: (p: Person) => boolean): Person[] {
    return this.persons.filter((p) => this.alive(p) && (p.registered || p.registrations > 0) && filter(p));
  }

  private premises(): House[] {
    return this.houses.filter((h) => h.inUse && h.use !== '10');
  }

  private organisationName(make: () => string): string {
    for (let attempt = 0; attempt < 50; attempt++) {
      const name = make();
      if (!this.ctx.organisationNames.has(name)) {
        this.ctx.organisationNames.add(name);
        return name;
      }
    }
    // Crowded name space at bench scale: a branch number keeps the name unique.
    for (let i = 2; ; i++) {
      const name = `${make()}${i}`;
      if (!this.ctx.organisationNames.has(name)) {
        this.ctx.organisationNames.add(name);
        return name;
      }
    }
  }

  private socialOrganisations(): void {
    const rng = this.rng;
    const owners = this.adults(
      (p) => p.registered && p.owner && !p.welfareActive && this.age(p) >= 30 && this.age(p) <= 72,
    );
    const others = this.adults(
      (p) => p.registered && !p.welfareActive && this.age(p) >= 30 && this.age(p) <= 72,
    );
    const places = this.premises();
    const homes = this.houses.filter((h) => h.inUse && h.use === '10');
    for (let i = 0; i < this.grid.socialOrgs; i++) {
      const pool = owners.length > 0 && rng.chance(0.85) ? owners : others;
      const rep: PersonRef | null = pool.length > 0 ? rng.pick(pool) : this.ctx.people.pick(rng);
      if (!rep) continue;
      const r = rng.float();
      const type: SocialOrg['type'] = r < 0.55 ? '社会团体' : r < 0.95 ? '民办非企业单位' : '基金会';
      const stem = rng.pick(ESTATE_STEMS);
      const name = this.organisationName(() =>
        type === '社会团体'
          ? `深圳市南山区${rng.pick(ESTATE_STEMS)}${rng.pick(SOCIAL_GROUP_WORDS)}`
          : type === '民办非企业单位'
            ? `深圳市南山区${stem}${rng.pick(PRIVATE_NON_ENTERPRISE_WORDS)}`
            : `深圳市${rng.pick(ESTATE_STEMS)}公益基金会`,
      );
      const house =
        places.length > 0 && rng.chance(0.7)
          ? rng.pick(places)
          : rng.pick(homes.length > 0 ? homes : this.houses);
      const code = type === '社会团体' ? '51' : type === '民办非企业单位' ? '52' : '53';
      this.socialOrgs.push({
        uscc: this.ctx.newSocialOrgUscc(code),
        name,
        type,
        rep,
        house,
        foundedDay: this.today - rng.int(60, 9000),
        status: rng.chance(0.9) ? '正常' : '注销',
        notes: [],
      });
      const full = this.persons.find((p) => p === rep);
      if (full) {
        full.civil = true;
        full.socialOrgRep = true;
      }
    }
  }

  // ---------------------------------------------------------------- market entities

  private market(): void {
    const rng = this.rng;
    const n = this.grid.entities;
    if (n === 0) return;
    const candidates = this.adults((p) => !p.welfareActive && this.age(p) >= 22 && this.age(p) <= 70);
    const floating = candidates.filter((p) => !p.registered);
    const notableAdults = this.adults(
      (p) => p.owner && p.socialOrgRep && !p.welfareActive && this.age(p) < 75,
    );
    const notableElders = this.adults((p) => p.owner && p.elderlyAllowance && !p.welfareActive);
    const pickPerson = (role: 'rep' | 'operator' | 'holder'): PersonRef | null => {
      const r = rng.float();
      if (role !== 'operator' && r < 0.25) {
        const p =
          notableAdults.length > 0 && rng.chance(0.6)
            ? rng.pick(notableAdults)
            : this.ctx.notableAdults.pick(rng);
        if (p) return p;
      }
      if (role === 'holder' && r >= 0.25 && r < 0.37) {
        const p =
          notableElders.length > 0 && rng.chance(0.6)
            ? rng.pick(notableElders)
            : this.ctx.notableElders.pick(rng);
        if (p) return p;
      }
      if (r < 0.72) {
        if (role === 'operator' && floating.length > 0 && rng.chance(0.5)) return rng.pick(floating);
        if (candidates.length > 0) return rng.pick(candidates);
      }
      return this.ctx.people.pick(rng) ?? (candidates.length > 0 ? rng.pick(candidates) : null);
    };

    // Which entities carry a planted problem: each at most one, each kind at least once per grid.
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const special = new Map<number, 'unmatched' | 'residential' | 'badCheck' | 'welfare' | 'legacyCopy'>();
    const assign = (
      kind: 'unmatched' | 'residential' | 'badCheck' | 'welfare' | 'legacyCopy',
      count: number,
    ) => {
      for (let k = 0; k < count && special.size < order.length; k++) special.set(order[special.size]!, kind);
    };
    const welfarePeople = this.persons.filter((p) => p.welfareActive && this.alive(p));
    const welfareFromReservoir = welfarePeople.length === 0 ? this.ctx.welfare.pick(rng) : null;
    if (welfarePeople.length > 0 || welfareFromReservoir) assign('welfare', 1);
    assign('unmatched', quota(n, 0.01, 1));
    assign('residential', quota(n, 0.015, 1));
    assign('badCheck', quota(n, 0.005, 1));
    assign('legacyCopy', quota(n, 0.03, 1));

    const enterprisesHere: EntityRef[] = [];
    for (let i = 0; i < n; i++) {
      const flag = special.get(i) ?? null;
      let welfarePerson: Person | PersonRef | null = null;
      let welfareSubsistence: { id: number; notes: Note[] | null } | null = null;
      if (flag === 'welfare') {
        if (welfarePeople.length > 0) {
          const p = rng.pick(welfarePeople);
          const sub = this.subsistence.find((s) => s.person === p && s.status === '在保')!;
          welfarePerson = p;
          welfareSubsistence = { id: sub.id, notes: sub.notes };
        } else if (welfareFromReservoir) {
          welfarePerson = welfareFromReservoir.person;
          welfareSubsistence = { id: welfareFromReservoir.subsistenceId, notes: null };
        }
      }
      const entity = this.marketEntity(flag, pickPerson, welfarePerson, enterprisesHere);
      if (!entity) continue;
      if (welfarePerson && welfareSubsistence) {
        const asRep = entity.rep.id === welfarePerson.id;
        const note: Note = {
          kind: 'WELFARE_WITH_BUSINESS',
          entityType: 'PERSON',
          entityKey: welfarePerson.id,
          detail: {
            marketId: entity.docId,
            uscc: entity.uscc,
            role: asRep ? 'LEGAL_REP' : 'SHAREHOLDER',
            regcap: entity.regcap,
          },
        };
        if (welfareSubsistence.notes) welfareSubsistence.notes.push(note);
        else
          this.lateNotes.push({
            department: 'civil',
            recordType: 'subsistence_allowance',
            sourceId: String(welfareSubsistence.id),
            note,
          });
      }
      if (flag === 'legacyCopy' && entity.uscc && entity.regno) this.legacyCopy(entity);
    }
  }

  private entityName(kind: '91' | '92', typeLabel: string, industryWord: string): string {
    return this.organisationName(() =>
      kind === '92'
        ? `深圳市南山区${brandName(this.rng)}${industryWord}`
        : `深圳市${brandName(this.rng)}${industryWord}${typeLabel === '股份有限公司' ? '股份有限公司' : '有限公司'}`,
    );
  }

  /** Where an entity is registered: offices and shops, or a flat let for business. */
  private choosePremises(kind: '91' | '92', active: boolean): House | null {
    const rng = this.rng;
    const premises = this.premises();
    const offices = premises.filter((h) => h.use === '30' || h.use === '40');
    const shops = premises.filter((h) => h.use === '20');
    const preferOffice = kind === '91' ? rng.chance(0.65) : rng.chance(0.1);
    const pool = preferOffice ? (offices.length > 0 ? offices : shops) : shops.length > 0 ? shops : offices;
    if (pool.length > 0 && (rng.chance(0.93) || !active)) return rng.pick(pool);
    if (premises.length > 0 && !active) return rng.pick(premises);
    // 住改商: an empty flat let as an office, with a business lease.
    const flats = this.houses.filter(
      (h) => h.inUse && h.use === '10' && !h.occupied && !h.reservedNoBusiness && !h.overcrowd,
    );
    if (flats.length > 0 && active) return rng.pick(flats);
    return premises.length > 0 ? rng.pick(premises) : null;
  }

  private unmatchedAddress(): string {
    const rng = this.rng;
    const r = rng.float();
    if (r < 0.6) {
      let fake = '';
      for (let i = 0; i < 100; i++) {
        fake = rng.pick(ESTATE_STEMS) + rng.pick(TOWER_SUFFIXES);
        if (!this.ctx.estateNames.has(fake)) break;
      }
      // Reserve it, so that no later grid builds an estate of that name.
      this.ctx.estateNames.add(fake);
      return `深圳市南山区${this.grid.street.name}${fake}${rng.int(1, 3)}栋${rng.int(3, 20)}0${rng.int(1, 8)}`;
    }
    if (r < 0.9) {
      const road = rng.pick(this.grid.community.roads);
      return `深圳市南山区${road}${5000 + rng.int(0, 4999)}号`;
    }
    return `深圳市南山区${this.grid.community.name.replace('社区', '')}片区`;
  }

  private marketEntity(
    flag: 'unmatched' | 'residential' | 'badCheck' | 'welfare' | 'legacyCopy' | null,
    pickPerson: (role: 'rep' | 'operator' | 'holder') => PersonRef | null,
    welfarePerson: PersonRef | null,
    enterprisesHere: EntityRef[],
  ): MarketEntity | null {
    const rng = this.rng;
    const today = this.today;
    const kind: '91' | '92' =
      flag === 'welfare' || flag === 'legacyCopy' ? '91' : rng.chance(0.45) ? '92' : '91';
    // The representative comes first: nobody founds a company before turning twenty.
    const welfareAsRep = welfarePerson !== null && rng.chance(0.6);
    let rep: PersonRef | null = null;
    let estDay = 0;
    for (let attempt = 0; attempt < 12; attempt++) {
      rep = welfareAsRep ? welfarePerson : pickPerson(kind === '92' ? 'operator' : 'rep');
      if (!rep) return null;
      let lo: number;
      let hi: number;
      if (flag === 'badCheck') [lo, hi] = [USCC_START_DAY, dayFromParts(2016, 12, 31)];
      else if (flag === 'legacyCopy') [lo, hi] = [dayFromParts(2003, 1, 1), USCC_START_DAY - 30];
      else {
        const back = Math.min(
          kind === '91' ? 11000 : 9000,
          Math.max(30, Math.round(rng.exponential(kind === '91' ? 2600 : 1800))),
        );
        [lo, hi] = [today - back, today - back];
      }
      const earliest = rep.birthDay + FOUNDER_DAYS;
      if (earliest > hi && (flag === 'badCheck' || flag === 'legacyCopy' || earliest > today - 30)) {
        rep = null;
        continue;
      }
      estDay = Math.max(rng.int(lo, hi), Math.min(earliest, hi === lo ? today - 30 : hi));
      break;
    }
    if (!rep) return null;
    const forceActive = flag !== null;
    const recent = today - estDay < 1800;
    let regstate: MarketEntity['regstate'] = '1';
    if (!forceActive && !rng.chance(recent ? 0.88 : 0.7)) {
      const r = rng.float();
      regstate = r < 0.25 ? '2' : r < 0.9 ? '3' : '4';
    }
    const endDay = regstate === '1' ? null : rng.int(Math.min(estDay + 200, today - 30), today - 30);
    const hasRegno = estDay < USCC_START_DAY;
    const regnoOnly = hasRegno && endDay !== null && endDay < USCC_START_DAY;
    const regno = hasRegno ? this.ctx.newRegistrationNumber(kind) : null;
    let uscc = regnoOnly ? null : this.ctx.newMarketUscc(kind, estDay);
    if (uscc && flag === 'badCheck') uscc = withBadUsccCheck(uscc, rng);

    const type =
      kind === '92'
        ? INDIVIDUAL_BUSINESS
        : flag === 'welfare'
          ? { code: '1130', label: '有限责任公司(自然人投资或控股)' }
          : ENTERPRISE_TYPES.pick(rng);
    const industry = kind === '92' ? rng.pick(SHOP_KINDS) : rng.pick(ENTERPRISE_INDUSTRIES);
    const name = this.entityName(kind, type.label, industry.word);
    const regcap =
      kind === '92'
        ? rng.int(1, 30)
        : flag === 'welfare'
          ? rng.pick([500, 800, 1000, 2000, 5000])
          : type.code === '1200'
            ? rng.pick([1000, 2000, 5000, 10000])
            : ENTERPRISE_CAPITAL.pick(rng);

    const holders: Party[] = [];
    if (kind === '91') {
      holders.push(personParty(rep));
      const extra = type.code === '1151' ? 0 : type.code === '1200' ? rng.int(2, 4) : rng.int(0, 3);
      if (welfarePerson && !welfareAsRep) holders.push(personParty(welfarePerson));
      for (let k = 0; k < extra; k++) {
        if (type.code !== '1151' && rng.chance(0.15)) {
          const company =
            enterprisesHere.length > 0 && rng.chance(0.4)
              ? rng.pick(enterprisesHere)
              : this.ctx.enterprises.pick(rng);
          if (
            company &&
            !holders.some((h) => h.kind === 'entity' && entityKey(h.entity) === entityKey(company))
          ) {
            holders.push({ kind: 'entity', entity: company });
            continue;
          }
        }
        const p = pickPerson('holder');
        if (
          p &&
          p.birthDay + ADULT_DAYS <= estDay &&
          !holders.some((h) => h.kind === 'person' && h.person.id === p.id)
        ) {
          holders.push(personParty(p));
        }
      }
    }
    // Subscribed capital split by random weights; the last share takes the rounding remainder.
    const weights = holders.map(() => 0.2 + rng.float());
    const weightSum = weights.reduce((a, b) => a + b, 0);
    const shareholders: Shareholder[] = [];
    let allotted = 0;
    holders.forEach((party, k) => {
      const amount =
        k === holders.length - 1
          ? Math.round((regcap - allotted) * 100) / 100
          : Math.round(((regcap * weights[k]!) / weightSum) * 100) / 100;
      allotted += amount;
      shareholders.push({ party, amount });
    });

    let dom: House | null = null;
    let unmatchedDom: string | null = null;
    if (flag === 'unmatched') {
      unmatchedDom = this.unmatchedAddress();
    } else if (flag === 'residential') {
      const repHome = this.persons.find((p) => p.id === rep.id)?.home ?? null;
      const ok = (h: House | null): h is House =>
        h !== null && h.inUse && h.use === '10' && !h.businessLease && !h.overcrowd;
      const homes = this.houses.filter((h) => ok(h) && h.occupied);
      dom = ok(repHome) ? repHome : homes.length > 0 ? rng.pick(homes) : null;
      if (!dom) return null;
      dom.reservedNoBusiness = true;
    } else {
      dom = this.choosePremises(kind, regstate === '1');
      if (!dom) return null;
    }

    let oploc: House | null = dom;
    const r = rng.float();
    if (r < 0.25 || dom === null) {
      const premises = this.premises().filter((h) => h.use !== '10');
      oploc = premises.length > 0 && rng.chance(0.7) ? rng.pick(premises) : dom;
    } else if (r > 0.88) {
      oploc = null;
    }

    const docId = this.ctx.nextDocId();
    const changes: Change[] = [];
    const changeCount = rng.chance(0.5) ? 0 : rng.int(1, 3);
    const horizon = endDay ?? today - 1;
    for (let k = 0; k < changeCount && horizon - estDay > 60; k++) {
      const item = rng.pick(CHANGE_ITEMS);
      const day = rng.int(estDay + 30, horizon);
      if (item === '法定代表人变更') {
        const sex: Sex = rng.chance(0.5) ? 1 : 2;
        changes.push({ item, before: personName(sex, 1975, rng), after: rep.name, day });
      } else if (item === '住所变更') {
        const other = rng.pick(this.houses);
        changes.push({ item, before: other.bzdz, after: dom?.bzdz ?? unmatchedDom ?? '', day });
      } else if (item === '注册资本变更') {
        changes.push({
          item,
          before: `${Math.max(1, Math.round(regcap / 2))}万元`,
          after: `${regcap}万元`,
          day,
        });
      } else if (item === '经营范围变更') {
        changes.push({ item, before: industry.scope.split('；')[0]!, after: industry.scope, day });
      } else {
        changes.push({ item, before: `深圳市${brandName(rng)}${industry.word}有限公司`, after: name, day });
      }
    }
    changes.sort((a, b) => a.day - b.day);
    const lastChange = changes.length > 0 ? changes[changes.length - 1]!.day : estDay;
    // A pre-2015 entity that holds a USCC was updated when the code was issued.
    const floor = uscc && estDay < USCC_START_DAY ? USCC_START_DAY : estDay;
    const lastUpdateDay = Math.min(
      today - 1,
      Math.max(lastChange, endDay ?? estDay, floor) + rng.int(0, 400),
    );

    const entity: MarketEntity = {
      docId,
      uscc,
      regno,
      name,
      kind,
      typeCode: type.code,
      typeLabel: type.label,
      rep,
      shareholders,
      dom,
      unmatchedDom,
      oploc,
      estDay,
      regcap,
      scope: industry.scope,
      regstate,
      changes,
      regnoOnly: regnoOnly,
      badCheck: flag === 'badCheck',
      lastUpdateDay,
      notes: [],
    };
    this.entities.push(entity);
    this.markInMarket(rep);
    for (const s of shareholders) if (s.party.kind === 'person') this.markInMarket(s.party.person);

    const subject = uscc ?? regno!;
    if (regnoOnly) {
      entity.notes.push({
        kind: 'LEGACY_REGNO_ONLY',
        entityType: 'LEGAL_ENTITY',
        entityKey: subject,
        detail: { regno, uscc: null, pairedWith: null },
      });
    }
    if (flag === 'badCheck') {
      entity.notes.push({
        kind: 'USCC_BAD_CHECK',
        entityType: 'LEGAL_ENTITY',
        entityKey: subject,
        detail: { field: 'UNISCID', value: uscc },
      });
    }
    if (flag === 'unmatched') {
      entity.notes.push({
        kind: 'ENTITY_ADDRESS_UNMATCHED',
        entityType: 'LEGAL_ENTITY',
        entityKey: subject,
        detail: { field: 'DOM', value: unmatchedDom },
      });
    }
    if (flag === 'residential' && dom) {
      entity.notes.push({
        kind: 'ENTITY_AT_RESIDENTIAL',
        entityType: 'LEGAL_ENTITY',
        entityKey: subject,
        detail: { field: 'DOM', house: dom.code, fwyt: dom.use },
      });
    }

    if (regstate === '1' && dom && flag !== 'residential' && uscc) this.occupyPremises(dom, entity, estDay);
    if (kind === '91' && regstate === '1' && uscc && !entity.regnoOnly)
      enterprisesHere.push({ uscc, regno, name });
    return entity;
  }

  private markInMarket(ref: PersonRef): void {
    const p = this.persons.find((x) => x.id === ref.id);
    if (p) p.inMarket = true;
  }

  /** The first active entity at a house leases it (or owns it); later ones share the address. */
  private occupyPremises(house: House, entity: MarketEntity, estDay: number): void {
    if (house.businessLease || house.occupied) return;
    const rng = this.rng;
    house.occupied = true;
    if (house.owner === null) {
      if (entity.kind === '91' && house.use !== '10' && rng.chance(0.3)) {
        house.owner = {
          kind: 'entity',
          entity: { uscc: entity.uscc, regno: entity.regno, name: entity.name },
        };
        return;
      }
      house.owner = personParty(this.landlord());
    }
    if (house.owner.kind !== 'person') return;
    const start = Math.max(estDay, this.today - rng.int(200, 2500));
    const leases = this.leaseChain(
      house,
      house.owner.person,
      { kind: 'entity', entity: { uscc: entity.uscc, regno: entity.regno, name: entity.name } },
      start,
      null,
      '经营',
    );
    this.businessLeases.push(...leases);
    house.businessLease = true;
  }

  /** LEGACY_REGNO_ONLY with a pair: an old copy of the entity, with only the registration number. */
  private legacyCopy(entity: MarketEntity): void {
    const rng = this.rng;
    const oldName = rng.chance(0.5)
      ? entity.name.replace('深圳市', '深圳')
      : `深圳市${brandName(rng)}${entity.name.slice(5)}`;
    const lastUpdateDay = rng.int(entity.estDay, USCC_START_DAY - 1);
    const copy: MarketEntity = {
      ...entity,
      docId: this.ctx.nextDocId(),
      name: oldName,
      uscc: entity.uscc,
      regnoOnly: true,
      badCheck: false,
      oploc: entity.dom,
      changes: [],
      lastUpdateDay,
      notes: [],
    };
    copy.notes.push({
      kind: 'LEGACY_REGNO_ONLY',
      entityType: 'LEGAL_ENTITY',
      entityKey: entity.uscc!,
      detail: { regno: entity.regno, uscc: entity.uscc, pairedWith: entity.docId },
    });
    this.entities.push(copy);
  }

  // ---------------------------------------------------------------- remaining owners, reservoirs

  private ownersOfTheRest(): void {
    const rng = this.rng;
    for (const house of this.houses) {
      if (house.owner !== null) continue;
      if (house.inUse && house.use !== '10' && rng.chance(0.35)) {
        const company = this.ctx.enterprises.pick(rng);
        if (company) {
          house.owner = { kind: 'entity', entity: company };
          continue;
        }
      }
      house.owner = personParty(this.landlord());
    }
  }

  private updateReservoirs(): void {
    const rng = this.rng;
    const ctx = this.ctx;
    for (const p of this.persons) {
      if (!this.alive(p) || p.welfareActive || (!p.registered && p.registrations === 0)) continue;
      const age = this.age(p);
      if (p.registered && p.ryzt === '0' && age >= 25 && age <= 70 && rng.chance(0.3))
        ctx.people.add(slim(p), rng);
      if (p.owner && p.socialOrgRep && age < 75) ctx.notableAdults.add(slim(p), rng);
      if (p.owner && p.elderlyAllowance) ctx.notableElders.add(slim(p), rng);
    }
    for (const s of this.subsistence) {
      if (s.status === '在保' && s.person.deathDay === null)
        ctx.welfare.add({ person: slim(s.person), subsistenceId: s.id }, rng);
    }
    for (const e of this.entities) {
      if (e.kind === '91' && e.regstate === '1' && e.uscc && !e.regnoOnly)
        ctx.enterprises.add({ uscc: e.uscc, regno: e.regno, name: e.name }, rng);
    }
  }
}
