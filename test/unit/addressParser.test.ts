/**
 * The address normaliser and parser: fixed vectors for every variation department records use,
 * and properties over generated renderings of standard addresses.
 */
import fc from 'fast-check';
import {
  buildVocabularyIndex,
  chineseNumeralToDigits,
  correctName,
  normalizeAddressText,
  parseAddress,
} from '../../src/resolution/address';
import type { AddressComponents, AddressVocabulary } from '../../src/resolution/address';
import { renderAddress } from '../../src/seed';
import type { AddressForm, AddressParts } from '../../src/seed';

const STANDARD = '广东省深圳市南山区粤海街道科技园社区科技南路18号海岸花园3栋2单元502';
const VOCABULARY: AddressVocabulary = {
  roads: ['科技南路', '工业八路', '高新南七道', '深南大道', '南海大道'],
  compounds: ['海岸花园', '大新村', '阳光华庭', '蔚蓝科技大厦', '白石洲村'],
};

function house(text: string, vocabulary?: AddressVocabulary): Partial<AddressComponents> {
  const c = parseAddress(text, vocabulary).components;
  return { building: c.building, unit: c.unit, floor: c.floor, room: c.room };
}

describe('chineseNumeralToDigits', () => {
  it.each([
    ['十八', '18'],
    ['十', '10'],
    ['一百一十', '110'],
    ['五百零二', '502'],
    ['两百零八', '208'],
    ['一千零一', '1001'],
    ['一千八百零八', '1808'],
    ['五零二', '502'],
    ['三', '3'],
  ])('%s → %s', (run, digits) => expect(chineseNumeralToDigits(run)).toBe(digits));

  it('rejects runs that are no number', () => {
    expect(chineseNumeralToDigits('十十')).toBeNull();
    expect(chineseNumeralToDigits('五五百')).toBeNull();
  });
});

describe('normalizeAddressText', () => {
  it.each([
    ['科技南路１８号海岸花园３栋５０２', '科技南路18号海岸花园3栋502'],
    ['海岸花园3幢502', '海岸花园3栋502'],
    ['海岸花园3座502', '海岸花园3栋502'],
    ['海岸花园3号楼502', '海岸花园3栋502'],
    ['海岸花园3楼栋502', '海岸花园3栋502'],
    ['海岸花园3栋502房', '海岸花园3栋502室'],
    ['海岸花园3栋502户', '海岸花园3栋502室'],
    ['科技南路十八号海岸花园三栋二单元五百零二', '科技南路18号海岸花园3栋2单元502'],
    ['海岸花园三栋两百零八室', '海岸花园3栋208室'],
    ['科技南路一千零一号', '科技南路1001号'],
    ['海岸花园 3栋 502', '海岸花园3栋502'],
    ['海岸花园3栋502附近', '海岸花园3栋502'],
    ['海岸花园3栋502对面', '海岸花园3栋502'],
    ['海岸花园3栋502旁边', '海岸花园3栋502'],
    ['海岸花园3栋502楼下', '海岸花园3栋502'],
    ['海岸花园3栋502（近地铁站）', '海岸花园3栋502'],
    ['海岸花园3栋502(门口有保安亭)', '海岸花园3栋502'],
    ['海岸花园3栋502室美宜佳', '海岸花园3栋502室'],
    ['海岸花园3栋502沙县小吃楼上', '海岸花园3栋502'],
    ['海岸花园3栋502711便利店楼上', '海岸花园3栋502'],
    ['海岸花园3栋1808711便利店', '海岸花园3栋1808'],
    ['海岸花园3栋502室711便利店楼上', '海岸花园3栋502室'],
    ['海岸花园３－５０２', '海岸花园3-502'],
  ])('%s → %s', (input, expected) => expect(normalizeAddressText(input)).toBe(expected));

  it('keeps numerals that are part of a name', () => {
    expect(normalizeAddressText('南山区蛇口街道渔一社区工业八路十八号')).toBe(
      '南山区蛇口街道渔一社区工业八路18号',
    );
    expect(normalizeAddressText('高新南七道5号')).toBe('高新南七道5号');
  });

  it('keeps the unit and room when nothing follows them', () => {
    expect(normalizeAddressText('海岸花园3栋2单元')).toBe('海岸花园3栋2单元');
  });
});

describe('parseAddress', () => {
  it('splits the standard address into every level', () => {
    const p = parseAddress(STANDARD);
    expect(p.components).toEqual({
      province: '广东省',
      city: '深圳市',
      district: '南山区',
      street: '粤海街道',
      community: '科技园社区',
      road: '科技南路',
      doorNumber: '18',
      compound: '海岸花园',
      building: '3',
      unit: '2',
      floor: '5',
      room: '502',
    });
    expect(p.normalized).toBe('南山区|粤海街道|科技园社区|科技南路|18|海岸花园|3|2|5|502');
    expect(p.notes).toEqual([]);
  });

  it('reads 广东深圳 and omitted levels', () => {
    const p = parseAddress('广东深圳南山科技南路18号海岸花园3栋502').components;
    expect([p.province, p.city, p.district, p.street, p.community]).toEqual([
      '广东',
      '深圳',
      '南山区',
      null,
      null,
    ]);
    expect([p.road, p.doorNumber, p.compound, p.building, p.unit, p.room]).toEqual([
      '科技南路',
      '18',
      '海岸花园',
      '3',
      null,
      '502',
    ]);
  });

  it('reads an address without province, city, district or community', () => {
    const p = parseAddress('粤海街道科技南路18号海岸花园3栋2单元502').components;
    expect([p.district, p.street, p.community, p.road, p.compound]).toEqual([
      null,
      '粤海街道',
      null,
      '科技南路',
      '海岸花园',
    ]);
  });

  it('reads an address without road: the compound follows the community', () => {
    const p = parseAddress('南山区粤海街道科技园社区海岸花园3栋2单元502').components;
    expect([p.community, p.road, p.doorNumber, p.compound]).toEqual(['科技园社区', null, null, '海岸花园']);
  });

  it.each([
    ['海岸花园3栋2单元502', { building: '3', unit: '2', floor: '5', room: '502' }],
    ['海岸花园3幢2单元502', { building: '3', unit: '2', floor: '5', room: '502' }],
    ['海岸花园3座502', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园3号楼502', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园三栋五零二', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园十二栋二单元一千八百零四', { building: '12', unit: '2', floor: '18', room: '1804' }],
    ['海岸花园3栋502室', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园3栋502房', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园3栋502户', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园3-502', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园3-2-502', { building: '3', unit: '2', floor: '5', room: '502' }],
    ['海岸花园３－５０２室', { building: '3', unit: null, floor: '5', room: '502' }],
    ['海岸花园A座1804', { building: 'A', unit: null, floor: '18', room: '1804' }],
    ['海岸花园3栋2单元5层502', { building: '3', unit: '2', floor: '5', room: '502' }],
    ['海岸花园3栋两百零八室', { building: '3', unit: null, floor: '2', room: '208' }],
  ])('%s', (text, expected) => expect(house(text)).toEqual(expected));

  it('drops noise and says so', () => {
    const p = parseAddress('科技南路18号海岸花园3栋502室（楼下美宜佳）附近');
    expect(house('科技南路18号海岸花园3栋502室（楼下美宜佳）附近')).toEqual({
      building: '3',
      unit: null,
      floor: '5',
      room: '502',
    });
    expect(p.notes).toEqual(expect.arrayContaining(['dropped remark (楼下美宜佳)', 'dropped 附近']));
    expect(parseAddress('海岸花园3栋502百果园楼上').components.room).toBe('502');
  });

  it('corrects a compound with one wrong character against the vocabulary', () => {
    const p = parseAddress('科技南路18号海岸花圆3栋502', VOCABULARY);
    expect(p.components.compound).toBe('海岸花园');
    expect(p.notes).toContain('corrected compound 海岸花圆 to 海岸花园');
  });

  it('corrects a missing or extra character, and a road', () => {
    expect(parseAddress('科技南路18号海岸花3栋502', VOCABULARY).components.compound).toBe('海岸花园');
    expect(parseAddress('科技南路18号阳光华华庭3栋502', VOCABULARY).components.compound).toBe('阳光华庭');
    expect(parseAddress('科技楠路18号海岸花园3栋502', VOCABULARY).components.road).toBe('科技南路');
  });

  it('does not guess when two entries are one edit away', () => {
    // 海岸花x is one edit from both 海岸花园 and 海岸花苑.
    const p = parseAddress('科技南路18号海岸花x3栋502', {
      roads: VOCABULARY.roads,
      compounds: [...VOCABULARY.compounds, '海岸花苑'],
    });
    expect(p.components.compound).toBe('海岸花x');
    expect(p.notes.some((n) => n.includes('海岸花园') && n.includes('海岸花苑'))).toBe(true);
  });

  it('leaves names without a vocabulary as written', () => {
    expect(parseAddress('科技南路18号海岸花圆3栋502').components.compound).toBe('海岸花圆');
  });
});

describe('vocabulary index', () => {
  it('finds substitutions, insertions and deletions', () => {
    const index = buildVocabularyIndex(['海岸花园', '大新村']);
    expect(correctName(index, '海岸花园')).toEqual({ kind: 'exact' });
    expect(correctName(index, '海按花园')).toEqual({ kind: 'corrected', to: '海岸花园' });
    expect(correctName(index, '大新新村')).toEqual({ kind: 'corrected', to: '大新村' });
    expect(correctName(index, '新村')).toEqual({ kind: 'corrected', to: '大新村' });
    expect(correctName(index, '白石洲村')).toEqual({ kind: 'unknown' });
  });
});

const ADDRESS_CHARS = [
  ...'广东省深圳市南山区粤海街道科技园社区南路号海岸花园栋幢座楼单元室房户层附近对面旁边楼下上',
  ...'十百千零两一二三四五六七八九0123456789０１２３-－（）() 　美宜佳x',
];

describe('properties', () => {
  it('normalising twice is normalising once', () => {
    const addressLike = fc
      .array(fc.constantFrom(...ADDRESS_CHARS), { maxLength: 40 })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.oneof(addressLike, fc.string({ unit: 'grapheme' })), (s) => {
        const once = normalizeAddressText(s);
        expect(normalizeAddressText(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  const ROADS = ['科技南路', '工业八路', '高新南七道', '深南大道', '海德三道', '南海大道'];
  const COMPOUNDS = ['海岸花园', '大新村', '阳光华庭', '蔚蓝科技大厦', '荔香名苑', '白石洲村', '金色工业园'];
  const NOISES = [
    '附近',
    '对面',
    '旁边',
    '后面',
    '（近地铁站）',
    '(门口有保安亭)',
    '（楼下美宜佳）',
    '沙县小吃楼上',
    '711便利店楼上',
  ];

  const parts: fc.Arbitrary<AddressParts> = fc
    .record({
      road: fc.constantFrom(...ROADS),
      doorNumber: fc.integer({ min: 1, max: 300 }),
      estate: fc.constantFrom(...COMPOUNDS),
      building: fc.integer({ min: 1, max: 40 }),
      unit: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
      floor: fc.integer({ min: 1, max: 33 }),
      onFloor: fc.integer({ min: 1, max: 8 }),
    })
    .map((r) => ({
      province: '广东省',
      city: '深圳市',
      district: '南山区',
      street: '粤海街道',
      community: '科技园社区',
      road: r.road,
      doorNumber: r.doorNumber,
      estate: r.estate,
      building: r.building,
      unit: r.unit,
      room: String(r.floor * 100 + r.onFloor),
    }));

  const pick = <T>(values: readonly T[]): fc.Arbitrary<T | null> => fc.constantFrom(null, ...values);
  const forms: fc.Arbitrary<{ forms: AddressForm[]; noise: string | null }> = fc
    .record({
      admin: pick<AddressForm>(['NO_PROVINCE', 'NO_CITY', 'NO_DISTRICT']),
      community: pick<AddressForm>(['NO_COMMUNITY']),
      unit: pick<AddressForm>(['NO_UNIT']),
      numerals: pick<AddressForm>(['CHINESE_NUMERALS', 'CHINESE_ROOM_VALUE', 'FULLWIDTH_DIGITS']),
      building: pick<AddressForm>(['BUILDING_ZHUANG', 'BUILDING_ZUO', 'BUILDING_HAOLOU', 'DASH']),
      room: pick<AddressForm>(['ROOM_SHI', 'ROOM_FANG', 'ROOM_HU']),
      spaces: pick<AddressForm>(['SPACES']),
      noise: pick(NOISES),
    })
    .map((r) => {
      const list = [r.admin, r.community, r.unit, r.numerals, r.building, r.room, r.spaces].filter(
        (f): f is AddressForm => f !== null,
      );
      // The generator never combines the dash form with numerals or a left-out unit.
      const dash = list.includes('DASH');
      const kept = list.filter(
        (f) =>
          !(dash && ['CHINESE_NUMERALS', 'CHINESE_ROOM_VALUE', 'FULLWIDTH_DIGITS', 'NO_UNIT'].includes(f)),
      );
      if (r.noise !== null) kept.push('NOISE');
      return { forms: kept, noise: r.noise };
    });

  it('every rendering of a standard address parses back to the same house', () => {
    fc.assert(
      fc.property(parts, forms, (p, f) => {
        const text = renderAddress(p, f.forms, f.noise === null ? {} : { noise: f.noise });
        const c = parseAddress(text).components;
        expect(c.building).toBe(String(p.building));
        expect(c.room).toBe(p.room);
        expect(c.floor).toBe(String(Math.floor(Number(p.room) / 100)));
        expect(c.compound).toBe(p.estate);
        const unitWritten = p.unit !== null && !f.forms.includes('NO_UNIT') && !f.forms.includes('DASH');
        expect(c.unit).toBe(unitWritten ? String(p.unit) : null);
        expect(c.road).toBe(p.road);
        expect(c.doorNumber).toBe(String(p.doorNumber));
        if (!f.forms.includes('NO_COMMUNITY')) expect(c.community).toBe(p.community);
      }),
      { numRuns: 3000 },
    );
  });
});
