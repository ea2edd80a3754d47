import {
  ADDRESS_FORMS,
  estateTypo,
  randomAddressVariant,
  renderAddress,
  standardAddress,
} from '../../src/seed/addressVariants';
import type { AddressParts } from '../../src/seed/addressVariants';
import { toChineseDigits, toChineseNumber, toFullWidth } from '../../src/seed/numerals';
import { Rng } from '../../src/seed/random';

const HOUSE: AddressParts = {
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  street: '粤海街道',
  community: '科技园社区',
  road: '科技南路',
  doorNumber: 18,
  estate: '海岸花园',
  building: 3,
  unit: 2,
  room: '502',
};

describe('Chinese numerals', () => {
  it.each([
    [0, '零'],
    [3, '三'],
    [10, '十'],
    [18, '十八'],
    [20, '二十'],
    [21, '二十一'],
    [100, '一百'],
    [105, '一百零五'],
    [110, '一百一十'],
    [502, '五百零二'],
    [1000, '一千'],
    [1008, '一千零八'],
    [1010, '一千零一十'],
    [1808, '一千八百零八'],
    [2502, '二千五百零二'],
  ])('%i is %s', (n, text) => {
    expect(toChineseNumber(n)).toBe(text);
  });

  it('says a leading two in the hundreds and thousands as 两 when asked', () => {
    expect(toChineseNumber(208, { colloquialTwo: true })).toBe('两百零八');
    expect(toChineseNumber(2208, { colloquialTwo: true })).toBe('两千二百零八');
    expect(toChineseNumber(22, { colloquialTwo: true })).toBe('二十二');
    expect(toChineseNumber(208)).toBe('二百零八');
  });

  it('reads room numbers digit by digit and types full-width digits', () => {
    expect(toChineseDigits('502')).toBe('五零二');
    expect(toChineseDigits('1808')).toBe('一八零八');
    expect(toFullWidth('18号3-502')).toBe('１８号３－５０２');
  });

  it('leaves numbers outside 0..9999 as digits', () => {
    expect(toChineseNumber(12345)).toBe('12345');
    expect(toChineseNumber(-1)).toBe('-1');
  });
});

describe('standard address', () => {
  it('joins all levels down to the room', () => {
    expect(standardAddress(HOUSE)).toBe(
      '广东省深圳市南山区粤海街道科技园社区科技南路18号海岸花园3栋2单元502',
    );
    expect(standardAddress({ ...HOUSE, unit: null, estate: '大新村', room: '302' })).toBe(
      '广东省深圳市南山区粤海街道科技园社区科技南路18号大新村3栋302',
    );
  });

  it('is what renderAddress gives with no forms', () => {
    expect(renderAddress(HOUSE, [])).toBe(standardAddress(HOUSE));
  });
});

describe('address forms', () => {
  it('writes building 3 room 502 as 3-502, leaving the unit out', () => {
    expect(renderAddress(HOUSE, ['DASH'])).toBe(
      '广东省深圳市南山区粤海街道科技园社区科技南路18号海岸花园3-502',
    );
    expect(renderAddress(HOUSE, ['NO_CITY', 'DASH', 'ROOM_SHI'])).toBe(
      '南山区粤海街道科技园社区科技南路18号海岸花园3-502室',
    );
  });

  it('writes numbers in Chinese: door 18 as 十八号, the room digit by digit', () => {
    expect(renderAddress(HOUSE, ['CHINESE_NUMERALS'])).toBe(
      '广东省深圳市南山区粤海街道科技园社区科技南路十八号海岸花园三栋二单元五零二',
    );
    expect(renderAddress(HOUSE, ['NO_DISTRICT', 'CHINESE_ROOM_VALUE'])).toBe(
      '粤海街道科技园社区科技南路18号海岸花园3栋2单元五百零二',
    );
    expect(renderAddress({ ...HOUSE, room: '208' }, ['CHINESE_ROOM_VALUE'])).toMatch(/两百零八$/);
  });

  it('types full-width digits', () => {
    expect(renderAddress(HOUSE, ['FULLWIDTH_DIGITS'])).toBe(
      '广东省深圳市南山区粤海街道科技园社区科技南路１８号海岸花园３栋２单元５０２',
    );
  });

  it('uses 幢, 座 or 号楼 for the building and 室, 房 or 户 for the room', () => {
    expect(renderAddress(HOUSE, ['NO_CITY', 'BUILDING_ZHUANG'])).toBe(
      '南山区粤海街道科技园社区科技南路18号海岸花园3幢2单元502',
    );
    expect(renderAddress(HOUSE, ['NO_CITY', 'BUILDING_ZUO', 'ROOM_FANG'])).toBe(
      '南山区粤海街道科技园社区科技南路18号海岸花园3座2单元502房',
    );
    expect(renderAddress(HOUSE, ['NO_CITY', 'BUILDING_HAOLOU', 'ROOM_HU', 'NO_UNIT'])).toBe(
      '南山区粤海街道科技园社区科技南路18号海岸花园3号楼502户',
    );
  });

  it('leaves levels out', () => {
    expect(renderAddress(HOUSE, ['NO_PROVINCE'])).toBe(
      '深圳市南山区粤海街道科技园社区科技南路18号海岸花园3栋2单元502',
    );
    expect(renderAddress(HOUSE, ['NO_DISTRICT', 'NO_STREET', 'NO_COMMUNITY'])).toBe(
      '科技南路18号海岸花园3栋2单元502',
    );
    expect(renderAddress(HOUSE, ['NO_CITY', 'NO_ROAD', 'NO_UNIT'])).toBe(
      '南山区粤海街道科技园社区海岸花园3栋502',
    );
  });

  it('adds noise, spaces and a misspelt estate', () => {
    expect(renderAddress(HOUSE, ['NO_DISTRICT', 'NOISE'], { noise: '附近' })).toBe(
      '粤海街道科技园社区科技南路18号海岸花园3栋2单元502附近',
    );
    expect(renderAddress(HOUSE, ['NO_CITY', 'SPACES'])).toBe(
      '南山区粤海街道科技园社区 科技南路18号 海岸花园3栋2单元502',
    );
    expect(renderAddress(HOUSE, ['NO_DISTRICT', 'ESTATE_TYPO'], { typoEstate: '海按花园' })).toBe(
      '粤海街道科技园社区科技南路18号海按花园3栋2单元502',
    );
  });

  it('misspells one character of an estate name with a homophone or look-alike', () => {
    const rng = Rng.derive(1, 'typo');
    for (let i = 0; i < 50; i++) {
      const t = estateTypo('海岸花园', rng)!;
      expect(t).toHaveLength(4);
      expect(t).not.toBe('海岸花园');
      const changed = Array.from(t).filter((c, k) => c !== '海岸花园'[k]);
      expect(changed).toHaveLength(1);
    }
    expect(estateTypo('ＸＹＺ', rng)).toBeNull();
  });
});

describe('randomAddressVariant', () => {
  it('never returns the standard address and lists only forms it used', () => {
    const rng = Rng.derive(42, 'variants');
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const parts = i % 2 === 0 ? HOUSE : { ...HOUSE, unit: null, estate: '白石洲村', room: '1206' };
      const v = randomAddressVariant(parts, rng);
      expect(v.text).not.toBe(standardAddress(parts));
      expect(v.forms.length).toBeGreaterThan(0);
      expect(v.forms.length).toBeLessThanOrEqual(3);
      for (const f of v.forms) {
        expect(ADDRESS_FORMS).toContain(f);
        seen.add(f);
      }
      if (parts.unit === null) expect(v.forms).not.toContain('NO_UNIT');
      // The house stays identifiable: the room number survives in some spelling.
      expect(/502|五零二|五百零二|５０２|1206|一二零六|一千二百零六|１２０６/.test(v.text)).toBe(true);
      // Leaving the road out and misspelling the estate together would leave nothing reliable.
      expect(v.forms.includes('NO_ROAD') && v.forms.includes('ESTATE_TYPO')).toBe(false);
    }
    expect([...seen].sort()).toEqual([...ADDRESS_FORMS].sort());
  });

  it('is deterministic for a seed', () => {
    const a = Rng.derive(7, 'x');
    const b = Rng.derive(7, 'x');
    for (let i = 0; i < 100; i++)
      expect(randomAddressVariant(HOUSE, a)).toEqual(randomAddressVariant(HOUSE, b));
  });
});
