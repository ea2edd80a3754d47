/**
 * Cuts a free-text address into the fw_jbxx levels. The text is normalised first, then levels are
 * taken from the left by their marker words (省, 市, 区, 街道, 社区, 路…号) and the house part
 * (栋, 单元, room, or `3-2-502`) from the right; what is between is the compound.
 */
import { normalizeAddressWithNotes } from './normalize';
import type { AddressComponents, AddressVocabulary, ParsedAddress } from './types';
import { buildVocabularyIndex, correctName } from './vocabularyIndex';
import type { VocabularyIndex } from './vocabularyIndex';

const PROVINCE = /^(广东省|广东)/u;
const CITY = /^(深圳市|深圳)/u;
/** Shenzhen's districts: a general `…区` rule would take compounds such as 海岸小区 for a district. */
const DISTRICT =
  /^(南山区|福田区|罗湖区|宝安区|龙岗区|龙华区|盐田区|坪山区|光明区|大鹏新区|南山|福田|罗湖|宝安|龙岗|龙华|盐田|坪山|光明)/u;
const STREET = /^(.{1,8}?街道)/u;
const COMMUNITY = /^(.{1,8}?社区)/u;
/** A road is the non-digit text before a door number: 科技南路18号. */
const ROAD_DOOR = /^([^0-9]{1,12}?)([0-9]+)号/u;

/** The house part at the end of the text, most specific shapes first. */
const HOUSE_SHAPES: readonly RegExp[] = [
  // 3栋2单元5层502室, each piece optional after the building
  /([0-9]+|[A-Za-z])栋(?:([0-9]+)单元)?(?:([0-9]+)(?:层|楼))?(?:([0-9]+[A-Za-z]?)室?)?$/u,
  // 3-2-502 or 3-502
  /([0-9]+|[A-Za-z])-(?:([0-9]+)-)?()([0-9]+[A-Za-z]?)室?$/u,
  // 2单元502 without a building
  /()([0-9]+)单元(?:([0-9]+)(?:层|楼))?(?:([0-9]+[A-Za-z]?)室?)?$/u,
  // a room alone: 502室
  /()()()([0-9]+[A-Za-z]?)室$/u,
];

const indexCache = new WeakMap<readonly string[], VocabularyIndex>();

function indexOf(names: readonly string[]): VocabularyIndex {
  let index = indexCache.get(names);
  if (index === undefined) {
    index = buildVocabularyIndex(names);
    indexCache.set(names, index);
  }
  return index;
}

function emptyComponents(): AddressComponents {
  return {
    province: null,
    city: null,
    district: null,
    street: null,
    community: null,
    road: null,
    doorNumber: null,
    compound: null,
    building: null,
    unit: null,
    floor: null,
    room: null,
  };
}

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);

/** Leading zeros carry nothing in door, building and unit numbers (０３栋 is 3栋). */
const stripZeros = (s: string | null): string | null => (s === null ? null : s.replace(/^0+(?=.)/u, ''));

/** Floor from the room number: the digits before the last two (502 → 5, 1804 → 18). */
export function floorFromRoom(room: string): string | null {
  const digits = /^([0-9]+)/u.exec(room)?.[1] ?? '';
  if (digits.length < 3) return null;
  return stripZeros(digits.slice(0, -2));
}

function takePrefix(text: string, pattern: RegExp): [string | null, string] {
  const m = pattern.exec(text);
  if (m === null) return [null, text];
  return [m[1]!, text.slice(m[0].length)];
}

function correct(
  value: string | null,
  names: readonly string[] | undefined,
  label: string,
  notes: string[],
): string | null {
  if (value === null || names === undefined || names.length === 0) return value;
  const c = correctName(indexOf(names), value);
  if (c.kind === 'corrected') {
    notes.push(`corrected ${label} ${value} to ${c.to}`);
    return c.to;
  }
  if (c.kind === 'ambiguous') notes.push(`${label} ${value} is one edit from ${c.candidates.join(', ')}`);
  return value;
}

function parseHousePart(text: string, c: AddressComponents): string {
  for (const shape of HOUSE_SHAPES) {
    const m = shape.exec(text);
    if (m === null || m[0] === '') continue;
    c.building = stripZeros(nonEmpty(m[1])?.toUpperCase() ?? null);
    c.unit = stripZeros(nonEmpty(m[2]));
    c.floor = stripZeros(nonEmpty(m[3]));
    c.room = nonEmpty(m[4])?.toUpperCase() ?? null;
    return text.slice(0, m.index);
  }
  return text;
}

export function parseAddress(text: string, vocabulary?: AddressVocabulary): ParsedAddress {
  const { text: normalized, notes } = normalizeAddressWithNotes(text);
  const c = emptyComponents();
  let rest = normalized;
  [c.province, rest] = takePrefix(rest, PROVINCE);
  [c.city, rest] = takePrefix(rest, CITY);
  [c.district, rest] = takePrefix(rest, DISTRICT);
  if (c.district !== null && !c.district.endsWith('区')) c.district += '区';
  [c.street, rest] = takePrefix(rest, STREET);
  [c.community, rest] = takePrefix(rest, COMMUNITY);

  rest = parseHousePart(rest, c);
  const door = ROAD_DOOR.exec(rest);
  if (door !== null) {
    c.road = door[1]!;
    c.doorNumber = stripZeros(door[2]!);
    rest = rest.slice(door[0].length);
  }
  c.compound = nonEmpty(rest);

  c.street = correct(c.street, vocabulary?.streets, 'street', notes);
  c.community = correct(c.community, vocabulary?.communities, 'community', notes);
  c.road = correct(c.road, vocabulary?.roads, 'road', notes);
  c.compound = correct(c.compound, vocabulary?.compounds, 'compound', notes);
  if (c.floor === null && c.room !== null) c.floor = floorFromRoom(c.room);

  return { components: c, normalized: canonicalForm(c), notes };
}

/** The pipe-separated canonical form documented on ParsedAddress.normalized. */
export function canonicalForm(c: AddressComponents): string {
  return [
    c.district,
    c.street,
    c.community,
    c.road,
    c.doorNumber,
    c.compound,
    c.building,
    c.unit,
    c.floor,
    c.room,
  ]
    .map((v) => v ?? '')
    .join('|');
}
