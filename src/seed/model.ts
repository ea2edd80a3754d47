/**
 * The generator's in-memory picture of one grid: houses, the people living in them, leases,
 * allowances, organisations and market entities, all holding their TRUE keys. Department rows are
 * rendered from this picture afterwards, which is where the representational noise (address
 * variants, missing codes, legacy ID formats) goes in; the ground truth comes from the picture.
 */
import type { EntityType, ProblemKind } from '../config/types';
import type { AddressParts } from './addressVariants';
import type { Sex } from './names';

/** A planted problem decided while building the picture, recorded against the record it sits on. */
export interface Note {
  readonly kind: ProblemKind;
  readonly entityType: EntityType;
  readonly entityKey: string;
  readonly detail: Record<string, unknown>;
}

export type HouseUse = '10' | '20' | '30' | '40' | '90';
export type EstateKind = 'complex' | 'village' | 'tower' | 'industrial';

export interface House {
  /** The true 25-digit house code. */
  readonly code: string;
  readonly parts: AddressParts;
  readonly bzdz: string;
  readonly use: HouseUse;
  readonly area: number;
  readonly floor: number;
  readonly estateKind: EstateKind;
  /** false once demolished (fw_jbxx.zt = 0). */
  inUse: boolean;
  owner: Party | null;
  /** Police-placed active residents (for the overcrowding invariant). */
  residents: number;
  /** A business lease exists: an entity may be registered here even if residential. */
  businessLease: boolean;
  /** An entity was planted here without a business lease: none may be added later. */
  reservedNoBusiness: boolean;
  /** Taken by a household, an office tenant or a planted problem. */
  occupied: boolean;
  /** Chosen to be overcrowded (OVERCROWDED_HOUSE). */
  overcrowd: boolean;
  readonly notes: Note[];
}

/** What other grids may still refer to: a slim copy, so that a finished grid can be freed. */
export interface PersonRef {
  readonly id: string;
  readonly name: string;
  readonly sex: Sex;
  readonly birthDay: number;
}

export interface Person extends PersonRef {
  readonly ethnicity: string;
  readonly phone: string | null;
  /** Has a household-population record in police rk_czrk. */
  readonly registered: boolean;
  readonly hukouDivision: string;
  hukouAddress: string;
  /** The house the person lives (or, if deceased, lived) in inside the district. */
  home: House | null;
  /** Free-text address outside the district, for registered people living elsewhere. */
  outsideAddress: string | null;
  /** A house the person used to live in: the source of stale house codes. */
  previousHouse: House | null;
  ryzt: '0' | '1' | '2' | '3';
  deathDay: number | null;
  /** Active subsistence allowance (在保): keeps them out of market roles unless planted. */
  welfareActive: boolean;
  owner: boolean;
  civil: boolean;
  elderlyAllowance: boolean;
  inMarket: boolean;
  socialOrgRep: boolean;
  /** Number of rk_ldrk registrations: with `registered`, whether police know the person at all. */
  registrations: number;
  readonly notes: Note[];
}

export interface EntityRef {
  /** USCC as stored (a planted early code may fail its check), or null for an old entity known only by its registration number. */
  readonly uscc: string | null;
  readonly regno: string | null;
  readonly name: string;
}

export type Party =
  | { readonly kind: 'person'; readonly person: PersonRef }
  | { readonly kind: 'entity'; readonly entity: EntityRef };

export type ResidenceReason = '务工' | '经商' | '投靠亲友' | '学习' | '其他';

/** A floating-population residence registration (rk_ldrk). */
export interface Registration {
  readonly djbh: string;
  readonly person: Person;
  house: House;
  readonly startDay: number;
  endDay: number | null;
  endReason: string | null;
  readonly reason: ResidenceReason;
  /** A house the person lived in before, for a stale code. */
  previousHouse: House | null;
  readonly notes: Note[];
}

/** A registered rental contract (zl_htba). */
export interface Lease {
  readonly htbh: string;
  readonly house: House;
  readonly lessor: PersonRef;
  readonly tenant: Party;
  readonly startDay: number;
  endDay: number;
  readonly monthlyRent: number;
  readonly purpose: '居住' | '经营';
  /** The tenant's previous house, for a stale code. */
  tenantPreviousHouse: House | null;
  /** Removed by a planting after it was numbered (a contract that was never renewed). */
  dropped: boolean;
  readonly notes: Note[];
}

/** People living in one house under one arrangement: a family, or tenants. */
export interface Tenancy {
  readonly house: House;
  readonly head: Person;
  readonly members: Person[];
  readonly moveInDay: number;
  readonly current: boolean;
  readonly leases: Lease[];
  readonly registrations: Registration[];
}

export interface Subsistence {
  readonly id: number;
  readonly person: Person;
  readonly house: House | null;
  readonly covered: number;
  readonly amount: number;
  readonly startDay: number;
  status: '在保' | '停保';
  readonly notes: Note[];
}

export interface ElderlyAllowance {
  readonly id: number;
  readonly person: Person;
  readonly house: House | null;
  readonly amount: number;
  status: '在发' | '停发';
  readonly notes: Note[];
}

export interface Cremation {
  readonly id: number;
  readonly person: Person;
  readonly deathDay: number;
  readonly cremationDay: number;
}

export interface SocialOrg {
  readonly uscc: string;
  readonly name: string;
  readonly type: '社会团体' | '民办非企业单位' | '基金会';
  readonly rep: PersonRef;
  readonly house: House;
  readonly foundedDay: number;
  readonly status: '正常' | '注销';
  readonly notes: Note[];
}

export interface Shareholder {
  readonly party: Party;
  readonly amount: number;
}

export interface Change {
  readonly item: string;
  readonly before: string;
  readonly after: string;
  readonly day: number;
}

export interface MarketEntity extends EntityRef {
  /** The source record id, e.g. MKT0000001. */
  readonly docId: string;
  readonly kind: '91' | '92';
  readonly typeCode: string;
  readonly typeLabel: string;
  readonly rep: PersonRef;
  readonly shareholders: readonly Shareholder[];
  /** Registered address: a house, or null when the DOM text matches no house. */
  readonly dom: House | null;
  /** DOM text when it matches no house. */
  readonly unmatchedDom: string | null;
  readonly oploc: House | null;
  readonly estDay: number;
  readonly regcap: number;
  readonly scope: string;
  readonly regstate: '1' | '2' | '3' | '4';
  readonly changes: readonly Change[];
  /** The UNISCID field is absent from this document (legacy record). */
  readonly regnoOnly: boolean;
  /** The USCC check character was planted wrong (USCC_BAD_CHECK). */
  readonly badCheck: boolean;
  readonly lastUpdateDay: number;
  readonly notes: Note[];
}
