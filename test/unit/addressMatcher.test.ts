import {
  buildAddressBase,
  holdsUnchanged,
  type BaseHouseRow,
} from '../../src/resolution/matcher/addressBase';
import { createHouseResolver } from '../../src/resolution/matcher/houseResolver';
import { addressInputProblem, matchAddress } from '../../src/resolution/matcher/matchAddress';

/**
 * A small base: 海岸花园 (科技南路18号, two buildings with units), 椰风雅苑 (新光路45号), and two
 * compounds both named 阳光花园 in different communities, plus a demolished village house.
 */
function row(code: string, p: Partial<BaseHouseRow>): BaseHouseRow {
  const r = {
    houseCode: code,
    district: '南山区',
    street: '粤海街道',
    community: '科技园社区',
    road: '科技南路',
    doorNumber: '18号',
    compound: '海岸花园',
    building: '1栋',
    unit: '1单元',
    floor: '5',
    room: '502',
    inUse: true,
    ...p,
  };
  const address = `广东省深圳市${r.district}${r.street}${r.community}${r.road}${r.doorNumber}${r.compound}${r.building}${r.unit ?? ''}${r.room}`;
  return { address, ...r };
}

const G1 = '44030500100101'; // grid of 海岸花园
const G2 = '44030500100201';
const rows: BaseHouseRow[] = [
  row(`${G1}00001010501`, {}),
  row(`${G1}00001020503`, { unit: '2单元', room: '503' }),
  row(`${G1}00001010101`, { floor: '1', room: '101' }),
  row(`${G1}00002010501`, { building: '2栋' }),
  // Same room number in two units of building 3: only the unit tells them apart.
  row(`${G1}00003010801`, { building: '3栋', floor: '8', room: '801' }),
  row(`${G1}00003020801`, { building: '3栋', unit: '2单元', floor: '8', room: '801' }),
  row(`${G2}00001011804`, {
    community: '大磡社区',
    street: '西丽街道',
    road: '新光路',
    doorNumber: '45号',
    compound: '椰风雅苑',
    floor: '18',
    room: '1804',
  }),
  row(`${G2}00002010301`, {
    community: '大磡社区',
    street: '西丽街道',
    road: '新光路',
    doorNumber: '47号',
    compound: '阳光花园',
    floor: '3',
    room: '301',
  }),
  row(`${G1}00004010301`, {
    road: '科苑路',
    doorNumber: '9号',
    compound: '阳光花园',
    floor: '3',
    room: '301',
  }),
  row(`${G2}00009000201`, {
    community: '大磡社区',
    street: '西丽街道',
    road: '新光路',
    doorNumber: '60号',
    compound: '大磡村',
    building: '9栋',
    unit: null,
    floor: '2',
    room: '201',
    inUse: false,
  }),
];
const base = buildAddressBase(rows);

describe('matchAddress', () => {
  it.each([
    [
      'the standard address',
      '广东省深圳市南山区粤海街道科技园社区科技南路18号海岸花园1栋1单元502',
      `${G1}00001010501`,
    ],
    ['levels left out', '科技南路18号海岸花园1栋1单元502', `${G1}00001010501`],
    ['no road', '南山区海岸花园1栋1单元502室', `${G1}00001010501`],
    ['Chinese numerals and 幢', '科技南路十八号海岸花园一幢一单元五零二', `${G1}00001010501`],
    ['full-width digits', '科技南路１８号海岸花园１栋５０２房', `${G1}00001010501`],
    ['dash form without unit', '海岸花园1-502', `${G1}00001010501`],
    ['room value in words', '海岸花园2栋五百零二', `${G1}00002010501`],
    ['noise', '科技南路18号海岸花园1栋502附近（楼下美宜佳）', `${G1}00001010501`],
    ['an estate typo confirmed by road and door', '科技南路18号海岸华园1栋1单元502', `${G1}00001010501`],
    ['a road glued to the compound without a door number', '科技南路海岸花园1栋502', `${G1}00001010501`],
    ['a demolished house still matches', '新光路60号大磡村9栋201', `${G2}00009000201`],
  ])('%s → MATCHED house', (_label, text, code) => {
    const m = matchAddress(base, text);
    expect(m.reason).toBeNull();
    expect(m).toMatchObject({ decision: 'MATCHED', level: 'HOUSE', code });
    expect(m.confidence).toBeGreaterThanOrEqual(0.75);
    expect(m.candidates[0]!.code).toBe(code);
  });

  it('matches the building only when the address names no room', () => {
    const m = matchAddress(base, '科技南路18号海岸花园2栋');
    expect(m).toMatchObject({ decision: 'MATCHED', level: 'BUILDING', code: `${G1}00002` });
  });

  it('matches the building only when two units share the room number and no unit is given', () => {
    const m = matchAddress(base, '海岸花园3栋801');
    expect(m).toMatchObject({ decision: 'MATCHED', level: 'BUILDING', code: `${G1}00003` });
    expect(m.candidates.map((c) => c.code).sort()).toEqual([`${G1}00003010801`, `${G1}00003020801`]);
    expect(matchAddress(base, '海岸花园3栋2单元801')).toMatchObject({
      level: 'HOUSE',
      code: `${G1}00003020801`,
    });
  });

  it('is AMBIGUOUS between two compounds of the same name, and the community settles it', () => {
    const m = matchAddress(base, '阳光花园1栋301');
    expect(m.decision).toBe('AMBIGUOUS');
    expect(m.reason).toMatch(/2 candidates/);
    expect(m.candidates).toHaveLength(2);
    expect(matchAddress(base, '大磡社区阳光花园1栋301')).toMatchObject({
      decision: 'MATCHED',
      code: `${G2}00002010301`,
    });
  });

  it('does not match on a misspelt estate name alone', () => {
    const m = matchAddress(base, '深圳市南山区粤海街道海岸华园1栋502');
    expect(m.decision).toBe('UNMATCHED');
    expect(m.reason).toMatch(/below the threshold/);
    expect(m.candidates[0]!.code).toBe(`${G1}00001010501`);
  });

  it.each([
    [
      'a door number the road does not have',
      '深圳市南山区科技南路5123号',
      /科技南路 has no door number 5123号/,
    ],
    [
      'an unknown compound',
      '深圳市南山区粤海街道星海大厦2栋1504',
      /compound 星海大厦 is not in the address base/,
    ],
    ['a building the compound does not have', '海岸花园9栋502', /海岸花园 has no building 9/],
    ['no road and no compound', '南山区大磡片区', /compound 大磡片区 is not in the address base/],
    [
      'an address in another province',
      '四川省绵阳市三台县东山镇下屋村100号',
      /in 四川省, outside the address base/,
    ],
    ['an address in another district', '深圳市福田区新洲路99号', /in 福田区, outside the address base/],
  ])('gives UNMATCHED with a reason for %s', (_label, text, reason) => {
    const m = matchAddress(base, text);
    expect(m.decision).toBe('UNMATCHED');
    expect(m.reason).toMatch(reason);
    expect(m.code).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['海'.repeat(501), /501 characters long; at most 500/],
    ['海岸花园\u00001栋', /control characters/],
    ['Coastal Garden 1-502', /no Chinese/],
  ])('refuses bad input %#', (text, reason) => {
    expect(addressInputProblem(text)).toMatch(reason);
    const m = matchAddress(base, text);
    expect(m).toMatchObject({ decision: 'UNMATCHED', parsed: null, candidates: [] });
    expect(m.reason).toMatch(reason);
  });

  it('keeps to the blocked sites: an unrelated compound never becomes a candidate', () => {
    const m = matchAddress(base, '新光路45号椰风雅苑1栋1804');
    expect(m.candidates.map((c) => c.code)).toEqual([`${G2}00001011804`]);
  });
});

describe('house resolver', () => {
  const resolve = createHouseResolver(base);
  const right = `${G1}00001010501`;
  const sibling = `${G1}00001020503`;
  const text = '科技南路18号海岸花园1栋1单元502';

  it('takes a claimed code the address confirms as an exact key', () => {
    expect(resolve(right, text)).toEqual({
      link: { houseCode: right, method: 'EXACT_KEY', confidence: 1, matcherVersion: 'exact-key/1' },
      review: null,
    });
  });

  it('links the address match and flags a claimed code the address contradicts', () => {
    const r = resolve(sibling, text);
    expect(r.link).toMatchObject({ houseCode: right, method: 'ADDRESS_MATCH', matcherVersion: 'address/1' });
    expect(r.review).toMatchObject({ decision: 'CONTRADICTED' });
    expect(r.review!.reason).toContain(sibling);
  });

  it('flags a claimed code the base does not know', () => {
    const unknown = `${G1}00001019901`;
    expect(resolve(unknown, text).review!.reason).toMatch(/not in the address base/);
    expect(resolve(unknown, '看不懂的地址').link).toBeNull();
  });

  it('takes a known claimed code when the address settles nothing, and one the building confirms', () => {
    expect(resolve(right, '南山区')).toMatchObject({
      link: { houseCode: right, confidence: 0.9 },
      review: null,
    });
    expect(resolve(right, '科技南路18号海岸花园1栋')).toMatchObject({
      link: { houseCode: right, method: 'EXACT_KEY', confidence: 0.95 },
    });
  });

  it('does not link a claimed code outside the building the address names', () => {
    const r = resolve(`${G1}00002010501`, '科技南路18号海岸花园1栋');
    expect(r.link).toBeNull();
    expect(r.review!.decision).toBe('CONTRADICTED');
  });

  it('matches the address alone, and sends what it cannot settle to review', () => {
    expect(resolve(null, text).link).toMatchObject({ houseCode: right, method: 'ADDRESS_MATCH' });
    expect(resolve(null, '阳光花园1栋301')).toMatchObject({ link: null, review: { decision: 'AMBIGUOUS' } });
    expect(resolve(null, '海岸花园2栋')).toMatchObject({ link: null, review: { decision: 'BUILDING_ONLY' } });
    expect(resolve(null, null)).toEqual({ link: null, review: null });
  });

  it('treats a malformed claimed code as no claim, and says so', () => {
    const r = resolve('44030500', text);
    expect(r.link).toMatchObject({ houseCode: right, method: 'ADDRESS_MATCH' });
    expect(r.review).toMatchObject({ decision: 'INVALID_KEY' });
  });
});

describe('holdsUnchanged', () => {
  it('holds a house record changed in nothing the matcher reads, and no other', () => {
    for (const r of rows) expect([r.houseCode, holdsUnchanged(base, r)]).toEqual([r.houseCode, true]);
    const first = rows[0]!;
    // Written differently but the same once normalised: full-width digits, spaces.
    expect(holdsUnchanged(base, { ...first, doorNumber: '１８号', compound: '海岸 花园' })).toBe(true);
    expect(holdsUnchanged(base, { ...first, room: '503' })).toBe(false);
    expect(holdsUnchanged(base, { ...first, unit: '2单元' })).toBe(false);
    expect(holdsUnchanged(base, { ...first, building: '9栋' })).toBe(false);
    expect(holdsUnchanged(base, { ...first, compound: '椰风雅苑' })).toBe(false);
    expect(holdsUnchanged(base, { ...first, address: `${first.address}（改）` })).toBe(false);
    expect(holdsUnchanged(base, { ...first, inUse: false })).toBe(false);
    expect(holdsUnchanged(base, { ...first, houseCode: `${G1}00009010501` })).toBe(false);
  });
});
