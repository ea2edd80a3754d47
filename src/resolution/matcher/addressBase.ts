/**
 * The housing department's standard address base (fw_jbxx) held in memory and indexed for blocking:
 * by road + door number and by compound name, each leading to a site (one gate of one compound), its
 * buildings and their houses. Matching looks only at the sites those keys name, never at every house.
 */
import { normalizeAddressText } from '../address/normalize';
import { buildVocabularyIndex } from '../address/vocabularyIndex';
import type { VocabularyIndex } from '../address/vocabularyIndex';

/** The levels that place a compound's gate: in a row as written, in a Site normalised (`18号` → `18`). */
export interface SiteLevels {
  readonly district: string | null;
  readonly street: string | null;
  readonly community: string | null;
  readonly road: string | null;
  readonly doorNumber: string | null;
  readonly compound: string | null;
}

/** One fw_jbxx row, as the housing mapping names its fields. */
export interface BaseHouseRow extends SiteLevels {
  readonly houseCode: string;
  /** As written in ldmc, e.g. `3栋`, `A座`. */
  readonly building: string | null;
  /** As written in dyh, e.g. `2单元`. */
  readonly unit: string | null;
  readonly floor: string | null;
  readonly room: string | null;
  /** The standard address (bzdz). */
  readonly address: string;
  /** false for a demolished house (zt = 0). */
  readonly inUse: boolean;
}

export interface BaseHouse {
  readonly houseCode: string;
  readonly unit: string | null;
  readonly floor: string | null;
  readonly room: string | null;
  readonly address: string;
  readonly inUse: boolean;
  readonly building: BaseBuilding;
}

export interface BaseBuilding {
  /** The first 19 digits of its house codes. */
  readonly code: string;
  /** Normalised building number, e.g. `3`, `A`. */
  readonly number: string;
  readonly site: Site;
  readonly houses: BaseHouse[];
}

/** One gate of one compound: the administrative levels, road, door number and compound name. */
export interface Site extends SiteLevels {
  /** By normalised building number. */
  readonly buildings: Map<string, BaseBuilding>;
}

export interface AddressBase {
  readonly houses: ReadonlyMap<string, BaseHouse>;
  /** By standard address (bzdz), as written in the base: text identical to it needs no parsing. */
  readonly byStandardAddress: ReadonlyMap<string, BaseHouse>;
  readonly buildings: ReadonlyMap<string, BaseBuilding>;
  readonly byRoadDoor: ReadonlyMap<string, readonly Site[]>;
  readonly byCompound: ReadonlyMap<string, readonly Site[]>;
  readonly roads: VocabularyIndex;
  readonly compounds: VocabularyIndex;
  readonly districts: ReadonlySet<string>;
  readonly size: number;
}

const clean = (s: string | null): string | null => {
  if (s === null) return null;
  const t = s.normalize('NFKC').replace(/\s+/gu, '');
  return t === '' ? null : t;
};

/** `18号` → `18`, `３栋` → `3`, `A座` → `A`, `2单元` → `2`: the number in a level's name. */
export function levelNumber(raw: string | null, marker: RegExp): string | null {
  const t = clean(raw);
  if (t === null) return null;
  const m = new RegExp(`^0*([0-9]+|[A-Za-z][0-9]*)(?:${marker.source})?$`, 'u').exec(normalizeAddressText(t));
  return m === null ? t : m[1]!.toUpperCase();
}

export const DOOR_MARKER = /号/u;
export const BUILDING_MARKER = /栋|幢|座|号楼|楼栋/u;
export const UNIT_MARKER = /单元/u;

export const roadDoorKey = (road: string, door: string): string => `${road}\u0000${door}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

/** A row's site levels, normalised as a Site holds them. */
function siteLevels(row: BaseHouseRow): SiteLevels {
  return {
    district: clean(row.district),
    street: clean(row.street),
    community: clean(row.community),
    road: clean(row.road),
    doorNumber: levelNumber(row.doorNumber, DOOR_MARKER),
    compound: clean(row.compound),
  };
}

/** A row's house levels, normalised as a BaseHouse holds them. */
function houseLevels(row: BaseHouseRow): Omit<BaseHouse, 'houseCode' | 'building'> {
  return {
    unit: levelNumber(row.unit, UNIT_MARKER),
    floor: levelNumber(row.floor, /层|楼/u),
    room: clean(row.room)?.toUpperCase() ?? null,
    address: row.address,
    inUse: row.inUse,
  };
}

/**
 * Whether the base already holds this row as it is: the house, its levels, its building number and
 * its site. A house record changed in nothing the matcher reads (its area, its owner) leaves the
 * base as it was; any other change needs the base built again.
 */
export function holdsUnchanged(base: AddressBase, row: BaseHouseRow): boolean {
  const house = base.houses.get(row.houseCode);
  if (house === undefined) return false;
  const levels = houseLevels(row);
  const site = siteLevels(row);
  const building = house.building;
  return (
    (Object.keys(levels) as Array<keyof typeof levels>).every((k) => levels[k] === house[k]) &&
    (Object.keys(site) as Array<keyof SiteLevels>).every((k) => site[k] === building.site[k]) &&
    building.number === (levelNumber(row.building, BUILDING_MARKER) ?? '')
  );
}

/** Builds the indexes in one pass; rows may come in any order, e.g. streamed from a connector. */
export class AddressBaseBuilder {
  private readonly houses = new Map<string, BaseHouse>();
  private readonly byStandardAddress = new Map<string, BaseHouse>();
  /** Standard addresses two houses share: they prove nothing. */
  private readonly sharedAddresses = new Set<string>();
  private readonly buildings = new Map<string, BaseBuilding>();
  private readonly sites = new Map<string, Site>();
  private readonly byRoadDoor = new Map<string, Site[]>();
  private readonly byCompound = new Map<string, Site[]>();

  add(row: BaseHouseRow): void {
    const buildingCode = row.houseCode.slice(0, 19);
    let building = this.buildings.get(buildingCode);
    if (building === undefined) {
      const site = this.site(row);
      const number = levelNumber(row.building, BUILDING_MARKER) ?? '';
      building = { code: buildingCode, number, site, houses: [] };
      this.buildings.set(buildingCode, building);
      if (!site.buildings.has(number)) site.buildings.set(number, building);
    }
    const house: BaseHouse = { houseCode: row.houseCode, ...houseLevels(row), building };
    building.houses.push(house);
    this.houses.set(row.houseCode, house);
    if (row.address !== '') {
      if (this.byStandardAddress.has(row.address)) this.sharedAddresses.add(row.address);
      else this.byStandardAddress.set(row.address, house);
    }
  }

  private site(row: BaseHouseRow): Site {
    const parts = siteLevels(row);
    const key = Object.values(parts).join('\u0000');
    let site = this.sites.get(key);
    if (site === undefined) {
      site = { ...parts, buildings: new Map() };
      this.sites.set(key, site);
      if (parts.road !== null && parts.doorNumber !== null)
        push(this.byRoadDoor, roadDoorKey(parts.road, parts.doorNumber), site);
      if (parts.compound !== null) push(this.byCompound, parts.compound, site);
    }
    return site;
  }

  build(): AddressBase {
    const roads = new Set<string>();
    const districts = new Set<string>();
    for (const site of this.sites.values()) {
      if (site.road !== null) roads.add(site.road);
      if (site.district !== null) districts.add(site.district);
    }
    for (const a of this.sharedAddresses) this.byStandardAddress.delete(a);
    return {
      houses: this.houses,
      byStandardAddress: this.byStandardAddress,
      buildings: this.buildings,
      byRoadDoor: this.byRoadDoor,
      byCompound: this.byCompound,
      roads: buildVocabularyIndex([...roads]),
      compounds: buildVocabularyIndex([...this.byCompound.keys()]),
      districts,
      size: this.houses.size,
    };
  }
}

export function buildAddressBase(rows: Iterable<BaseHouseRow>): AddressBase {
  const builder = new AddressBaseBuilder();
  for (const row of rows) builder.add(row);
  return builder.build();
}
