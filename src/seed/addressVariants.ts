/**
 * The many ways one house gets written in free-text address fields. Clerks in different departments
 * type what the resident says: levels left out, numbers in Chinese or full-width digits, 幢 instead
 * of 栋, `3-502`, a landmark or a shop name, a wrong character in the estate name. The generator
 * plants these so the hub's address matching has something real to do, and records which forms it
 * used (ADDRESS_VARIANT in truth_problem).
 */
import type { Rng } from './random';
import { toChineseDigits, toChineseNumber, toFullWidth } from './numerals';

/** The structured parts of a standard address (fw_jbxx columns). */
export interface AddressParts {
  readonly province: string;
  readonly city: string;
  readonly district: string;
  readonly street: string;
  readonly community: string;
  readonly road: string;
  readonly doorNumber: number;
  readonly estate: string;
  readonly building: number;
  /** null for buildings without units (urban-village houses, towers). */
  readonly unit: number | null;
  /** Room number as written on the door, e.g. `502`, `1808`. */
  readonly room: string;
}

export const ADDRESS_FORMS = [
  'NO_PROVINCE',
  'NO_CITY',
  'NO_DISTRICT',
  'NO_STREET',
  'NO_COMMUNITY',
  'NO_ROAD',
  'NO_UNIT',
  'CHINESE_NUMERALS',
  'CHINESE_ROOM_VALUE',
  'FULLWIDTH_DIGITS',
  'BUILDING_ZHUANG',
  'BUILDING_ZUO',
  'BUILDING_HAOLOU',
  'ROOM_SHI',
  'ROOM_FANG',
  'ROOM_HU',
  'DASH',
  'SPACES',
  'NOISE',
  'ESTATE_TYPO',
] as const;
export type AddressForm = (typeof ADDRESS_FORMS)[number];

export interface RenderExtras {
  /** Text appended for NOISE, e.g. `附近` or `（楼下美宜佳）`. */
  readonly noise?: string;
  /** The misspelt estate name for ESTATE_TYPO. */
  readonly typoEstate?: string;
}

export function standardAddress(p: AddressParts): string {
  const unit = p.unit === null ? '' : `${p.unit}单元`;
  return `${p.province}${p.city}${p.district}${p.street}${p.community}${p.road}${p.doorNumber}号${p.estate}${p.building}栋${unit}${p.room}`;
}

/** Renders the address with the given forms applied. Forms that do not apply are ignored. */
export function renderAddress(
  p: AddressParts,
  forms: readonly AddressForm[],
  extras: RenderExtras = {},
): string {
  const has = new Set(forms);
  const chinese = has.has('CHINESE_NUMERALS');
  const num = (n: number): string => (chinese ? toChineseNumber(n) : String(n));

  let admin = '';
  if (!has.has('NO_PROVINCE') && !has.has('NO_CITY') && !has.has('NO_DISTRICT')) admin += p.province;
  if (!has.has('NO_CITY') && !has.has('NO_DISTRICT')) admin += p.city;
  if (!has.has('NO_DISTRICT')) admin += p.district;
  if (!has.has('NO_STREET')) admin += p.street;
  if (!has.has('NO_COMMUNITY')) admin += p.community;

  const road = has.has('NO_ROAD') ? '' : `${p.road}${num(p.doorNumber)}号`;
  const estate = has.has('ESTATE_TYPO') && extras.typoEstate ? extras.typoEstate : p.estate;

  let room: string;
  if (has.has('CHINESE_ROOM_VALUE')) room = toChineseNumber(Number(p.room), { colloquialTwo: true });
  else if (chinese) room = toChineseDigits(p.room);
  else room = p.room;
  if (has.has('ROOM_SHI')) room += '室';
  else if (has.has('ROOM_FANG')) room += '房';
  else if (has.has('ROOM_HU')) room += '户';

  let place: string;
  if (has.has('DASH')) {
    // `3-502`: the building and the room, the unit left out (room numbers are unique per building).
    place = `${num(p.building)}-${room}`;
  } else {
    let buildingWord = '栋';
    if (has.has('BUILDING_ZHUANG')) buildingWord = '幢';
    else if (has.has('BUILDING_ZUO')) buildingWord = '座';
    else if (has.has('BUILDING_HAOLOU')) buildingWord = '号楼';
    const unit = p.unit === null || has.has('NO_UNIT') ? '' : `${num(p.unit)}单元`;
    place = `${num(p.building)}${buildingWord}${unit}${room}`;
  }

  const sep = has.has('SPACES') ? ' ' : '';
  let text = [admin, road, `${estate}${place}`].filter((s) => s !== '').join(sep);
  if (has.has('NOISE') && extras.noise) text += extras.noise;
  if (has.has('FULLWIDTH_DIGITS')) text = toFullWidth(text);
  return text;
}

/**
 * Characters clerks confuse: homophones typed with pinyin input, and look-alikes. Only characters
 * common in estate names are listed.
 */
const TYPO_MAP: Readonly<Record<string, readonly string[]>> = {
  园: ['圆', '源'],
  苑: ['院', '源'],
  花: ['华'],
  华: ['化', '花'],
  海: ['每', '嗨'],
  岸: ['按', '案'],
  景: ['境', '井'],
  湾: ['弯'],
  翠: ['萃', '脆'],
  锦: ['绵', '金'],
  珠: ['朱', '株'],
  桂: ['贵'],
  荔: ['丽', '莉'],
  竹: ['筑', '住'],
  雅: ['娅', '亚'],
  庭: ['亭', '廷'],
  府: ['符', '富'],
  城: ['成', '诚'],
  厦: ['夏'],
  庄: ['装'],
  峰: ['锋', '枫'],
  龙: ['隆'],
  阳: ['杨', '洋'],
  光: ['广'],
  新: ['欣', '心'],
  山: ['杉'],
  湖: ['糊'],
  星: ['兴'],
  月: ['悦'],
  蓝: ['兰'],
  兰: ['蓝'],
  泉: ['全'],
  桃: ['陶'],
  源: ['园'],
  村: ['邨'],
  家: ['佳'],
  名: ['明'],
  明: ['名'],
  碧: ['壁'],
  御: ['裕'],
  东: ['冬'],
  南: ['楠'],
  西: ['溪'],
  云: ['芸'],
  金: ['今'],
  丽: ['俪'],
  美: ['镁'],
  水: ['永'],
  天: ['添'],
  鸿: ['宏'],
  宏: ['鸿'],
  富: ['福'],
  福: ['富'],
  瑞: ['锐'],
  松: ['嵩'],
  枫: ['峰'],
  汇: ['会'],
  沙: ['莎'],
  石: ['时'],
  侨: ['桥'],
  港: ['巷'],
};

/** The estate name with one character replaced by a homophone or look-alike, or null if none fits. */
export function estateTypo(estate: string, rng: Rng): string | null {
  const chars = Array.from(estate);
  const positions = chars.map((c, i) => (TYPO_MAP[c] ? i : -1)).filter((i) => i >= 0);
  if (positions.length === 0) return null;
  const pos = rng.pick(positions);
  const replacement = rng.pick(TYPO_MAP[chars[pos]!]!);
  chars[pos] = replacement;
  return chars.join('');
}

const NOISE_TEXTS = [
  '附近',
  '对面',
  '旁边',
  '后面',
  '（近地铁站）',
  '（出租屋）',
  '（自住）',
  '(门口有保安亭)',
] as const;
const SHOPS = [
  '美宜佳',
  '百果园',
  '沙县小吃',
  '华润万家',
  '天天平价超市',
  '钱大妈',
  '快递驿站',
  '兰州拉面',
  '711便利店',
  '中国邮政',
] as const;

function noiseText(rng: Rng): string {
  const r = rng.float();
  if (r < 0.55) return rng.pick(NOISE_TEXTS);
  const shop = rng.pick(SHOPS);
  if (r < 0.8) return `（楼下${shop}）`;
  return `${shop}楼上`;
}

export interface AddressVariant {
  readonly text: string;
  readonly forms: AddressForm[];
}

/** Forms that change nothing for these parts are left out, so every listed form is visible. */
function applicableForms(p: AddressParts): AddressForm[] {
  return ADDRESS_FORMS.filter((f) => !(f === 'NO_UNIT' && p.unit === null));
}

const EXCLUSIVE_GROUPS: readonly (readonly AddressForm[])[] = [
  ['NO_PROVINCE', 'NO_CITY', 'NO_DISTRICT'],
  ['CHINESE_NUMERALS', 'CHINESE_ROOM_VALUE', 'FULLWIDTH_DIGITS', 'DASH'],
  ['BUILDING_ZHUANG', 'BUILDING_ZUO', 'BUILDING_HAOLOU', 'DASH'],
  ['ROOM_SHI', 'ROOM_FANG', 'ROOM_HU'],
  ['NO_ROAD', 'ESTATE_TYPO'],
  ['NO_UNIT', 'DASH'],
];

/** How often each form is chosen: levels left out are by far the most common in real data. */
const FORM_WEIGHTS: Readonly<Record<AddressForm, number>> = {
  NO_PROVINCE: 10,
  NO_CITY: 14,
  NO_DISTRICT: 8,
  NO_STREET: 10,
  NO_COMMUNITY: 12,
  NO_ROAD: 8,
  NO_UNIT: 7,
  CHINESE_NUMERALS: 5,
  CHINESE_ROOM_VALUE: 2,
  FULLWIDTH_DIGITS: 4,
  BUILDING_ZHUANG: 4,
  BUILDING_ZUO: 3,
  BUILDING_HAOLOU: 3,
  ROOM_SHI: 6,
  ROOM_FANG: 4,
  ROOM_HU: 1,
  DASH: 6,
  SPACES: 2,
  NOISE: 4,
  ESTATE_TYPO: 3,
};

/** A random non-standard rendering of the address, with the forms it used. */
export function randomAddressVariant(p: AddressParts, rng: Rng): AddressVariant {
  const standard = standardAddress(p);
  const candidates = applicableForms(p);
  const count = rng.chance(0.45) ? 1 : rng.chance(0.6) ? 2 : 3;
  const chosen: AddressForm[] = [];
  let typoEstate: string | undefined;
  let noise: string | undefined;
  for (let attempt = 0; attempt < 20 && chosen.length < count; attempt++) {
    let total = 0;
    for (const f of candidates) total += FORM_WEIGHTS[f];
    let x = rng.float() * total;
    let form: AddressForm = candidates[0]!;
    for (const f of candidates) {
      x -= FORM_WEIGHTS[f];
      if (x < 0) {
        form = f;
        break;
      }
    }
    if (chosen.includes(form)) continue;
    if (EXCLUSIVE_GROUPS.some((g) => g.includes(form) && g.some((o) => o !== form && chosen.includes(o)))) {
      continue;
    }
    if (form === 'ESTATE_TYPO') {
      const t = estateTypo(p.estate, rng);
      if (t === null) continue;
      typoEstate = t;
    }
    if (form === 'NOISE') noise = noiseText(rng);
    chosen.push(form);
  }
  if (chosen.length === 0) chosen.push('NO_PROVINCE');
  // Keep the order of ADDRESS_FORMS so the recorded list is canonical.
  const forms = ADDRESS_FORMS.filter((f) => chosen.includes(f));
  const text = renderAddress(p, forms, { noise, typoEstate });
  if (text === standard) return { text: renderAddress(p, ['NO_PROVINCE']), forms: ['NO_PROVINCE'] };
  return { text, forms };
}
