/**
 * Synthetic Chinese personal names. Surnames follow their real frequencies (weights per 100,000,
 * national figures nudged towards Guangdong, where 陈, 黄, 林, 梁 and 李 are more common), including
 * the rare compound surnames (欧阳, 司马, 司徒, ...). Given names have one or two characters and follow
 * the fashion of the birth decade: 建国 and 秀英 for the elderly, 子轩 and 梓涵 for children.
 */
import type { Rng } from './random';
import { WeightedTable } from './random';

const SURNAME_WEIGHTS: readonly (readonly [string, number])[] = [
  ['王', 6500],
  ['李', 7000],
  ['张', 6000],
  ['刘', 5200],
  ['陈', 6900],
  ['杨', 4300],
  ['黄', 4200],
  ['赵', 2600],
  ['吴', 2400],
  ['周', 2100],
  ['徐', 1600],
  ['孙', 1400],
  ['马', 1300],
  ['朱', 1300],
  ['胡', 1300],
  ['郭', 1200],
  ['何', 1300],
  ['林', 1800],
  ['高', 1100],
  ['罗', 1300],
  ['郑', 1100],
  ['梁', 1300],
  ['谢', 900],
  ['宋', 750],
  ['唐', 800],
  ['许', 750],
  ['韩', 650],
  ['冯', 650],
  ['邓', 900],
  ['曹', 650],
  ['彭', 700],
  ['曾', 850],
  ['肖', 650],
  ['田', 550],
  ['董', 500],
  ['袁', 500],
  ['潘', 500],
  ['于', 450],
  ['蒋', 500],
  ['蔡', 550],
  ['余', 500],
  ['杜', 450],
  ['叶', 550],
  ['程', 450],
  ['苏', 450],
  ['魏', 400],
  ['吕', 400],
  ['丁', 400],
  ['任', 380],
  ['沈', 380],
  ['姚', 380],
  ['卢', 420],
  ['姜', 350],
  ['崔', 300],
  ['钟', 450],
  ['谭', 420],
  ['陆', 320],
  ['汪', 320],
  ['范', 300],
  ['金', 280],
  ['石', 300],
  ['廖', 380],
  ['贾', 260],
  ['夏', 260],
  ['韦', 320],
  ['付', 260],
  ['方', 280],
  ['白', 250],
  ['邹', 300],
  ['孟', 230],
  ['熊', 260],
  ['秦', 220],
  ['邱', 300],
  ['江', 260],
  ['尹', 200],
  ['薛', 200],
  ['闫', 180],
  ['段', 180],
  ['雷', 200],
  ['侯', 180],
  ['龙', 180],
  ['史', 170],
  ['陶', 170],
  ['黎', 220],
  ['贺', 170],
  ['顾', 160],
  ['毛', 160],
  ['郝', 150],
  ['龚', 160],
  ['邵', 150],
  ['万', 150],
  ['钱', 140],
  ['严', 140],
  ['覃', 160],
  ['武', 140],
  ['戴', 140],
  ['莫', 170],
  ['孔', 120],
  ['向', 120],
  ['汤', 130],
  ['温', 180],
  ['赖', 200],
  ['古', 90],
  ['庄', 90],
  ['冼', 60],
  ['麦', 80],
  ['欧', 60],
  ['区', 40],
  ['伍', 110],
  ['甘', 70],
  ['祝', 60],
  ['翁', 60],
  ['欧阳', 60],
  ['司徒', 30],
  ['司马', 8],
  ['上官', 6],
  ['诸葛', 5],
  ['东方', 4],
  ['皇甫', 4],
  ['公孙', 2],
  ['慕容', 2],
  ['令狐', 2],
  ['尉迟', 2],
  ['夏侯', 3],
  ['端木', 2],
  ['长孙', 2],
];

export const SURNAMES = new WeightedTable(SURNAME_WEIGHTS);
export const COMPOUND_SURNAMES: readonly string[] = SURNAME_WEIGHTS.map(([s]) => s).filter(
  (s) => s.length === 2,
);

export type Sex = 1 | 2;

interface GivenNamePool {
  /** Whole two-character given names typical of the era. */
  readonly pairs: readonly string[];
  /** Characters used alone or combined freely. */
  readonly chars: readonly string[];
}

const MALE_OLD: GivenNamePool = {
  pairs: [
    '建国',
    '建华',
    '国强',
    '志强',
    '德明',
    '永明',
    '国平',
    '建军',
    '卫东',
    '振华',
    '国庆',
    '跃进',
    '红军',
    '宝山',
    '金生',
    '永福',
    '炳坤',
    '锦荣',
    '伟民',
    '志明',
    '国华',
    '庆丰',
    '树林',
    '文斌',
  ],
  chars: [
    '军',
    '强',
    '明',
    '伟',
    '勇',
    '刚',
    '平',
    '华',
    '斌',
    '兵',
    '辉',
    '林',
    '龙',
    '波',
    '忠',
    '福',
    '贵',
    '荣',
    '生',
    '才',
  ],
};
const MALE_MID: GivenNamePool = {
  pairs: [
    '志伟',
    '俊杰',
    '文杰',
    '海涛',
    '晓东',
    '国栋',
    '家豪',
    '伟健',
    '建伟',
    '志刚',
    '宏伟',
    '永强',
    '少华',
    '海波',
    '俊峰',
    '振宇',
    '晓明',
    '文龙',
    '建平',
    '卫国',
    '锦辉',
    '嘉明',
    '伟东',
    '志华',
    '国辉',
    '剑锋',
    '春雷',
    '小龙',
    '立新',
    '汉文',
  ],
  chars: [
    '伟',
    '磊',
    '勇',
    '军',
    '杰',
    '涛',
    '斌',
    '超',
    '鹏',
    '辉',
    '浩',
    '亮',
    '健',
    '俊',
    '峰',
    '明',
    '强',
    '飞',
    '宇',
    '刚',
    '海',
    '波',
    '坤',
    '彬',
    '锋',
    '凯',
    '斌',
    '毅',
  ],
};
const MALE_YOUNG: GivenNamePool = {
  pairs: [
    '子轩',
    '浩然',
    '宇轩',
    '梓豪',
    '俊熙',
    '浩宇',
    '子豪',
    '宇航',
    '博文',
    '思远',
    '一鸣',
    '俊宇',
    '皓轩',
    '嘉豪',
    '睿泽',
    '子墨',
    '铭轩',
    '梓睿',
    '俊豪',
    '天佑',
    '沐阳',
    '奕辰',
    '宇泽',
    '浩轩',
    '锦程',
  ],
  chars: ['铭', '泽', '睿', '轩', '宇', '航', '哲', '瀚', '晨', '煜', '昊', '博', '恒', '朗'],
};
const FEMALE_OLD: GivenNamePool = {
  pairs: [
    '秀英',
    '桂英',
    '秀兰',
    '玉兰',
    '桂兰',
    '淑珍',
    '凤英',
    '玉梅',
    '秀珍',
    '丽华',
    '翠华',
    '美华',
    '玉珍',
    '桂芳',
    '金凤',
    '秀梅',
    '月娥',
    '惠英',
    '素芬',
    '淑英',
    '亚娣',
    '瑞娟',
    '彩霞',
    '少芳',
  ],
  chars: ['英', '兰', '珍', '芳', '梅', '华', '凤', '琴', '娟', '霞', '秀', '莲', '娥', '菊'],
};
const FEMALE_MID: GivenNamePool = {
  pairs: [
    '丽娟',
    '海燕',
    '晓燕',
    '雪梅',
    '小红',
    '丽萍',
    '婷婷',
    '晓丽',
    '美玲',
    '春燕',
    '丽华',
    '少玲',
    '秀娟',
    '慧敏',
    '燕玲',
    '艳红',
    '文静',
    '晓琳',
    '嘉欣',
    '颖欣',
    '丽君',
    '凤仪',
    '小芳',
    '淑仪',
    '惠玲',
    '晓霞',
    '佩珊',
    '碧霞',
    '美娟',
    '雅琴',
  ],
  chars: [
    '丽',
    '芳',
    '娟',
    '敏',
    '静',
    '燕',
    '艳',
    '霞',
    '玲',
    '婷',
    '红',
    '丹',
    '晶',
    '莉',
    '雪',
    '琳',
    '佳',
    '慧',
    '颖',
    '萍',
    '倩',
    '洁',
    '琼',
    '薇',
  ],
};
const FEMALE_YOUNG: GivenNamePool = {
  pairs: [
    '梓涵',
    '子涵',
    '欣怡',
    '诗涵',
    '雨涵',
    '可馨',
    '梓萱',
    '思彤',
    '语嫣',
    '紫涵',
    '佳怡',
    '一诺',
    '欣妍',
    '若曦',
    '雨桐',
    '芷晴',
    '梓琪',
    '沐晴',
    '思琪',
    '晓彤',
    '安琪',
    '诗琪',
    '嘉怡',
    '悦彤',
    '婉清',
  ],
  chars: ['琪', '萱', '涵', '彤', '妍', '怡', '婷', '琳', '悦', '菲', '瑶', '晴', '蕾', '馨'],
};

function poolFor(sex: Sex, birthYear: number): GivenNamePool {
  if (sex === 1) return birthYear < 1965 ? MALE_OLD : birthYear < 1995 ? MALE_MID : MALE_YOUNG;
  return birthYear < 1965 ? FEMALE_OLD : birthYear < 1995 ? FEMALE_MID : FEMALE_YOUNG;
}

export function givenName(sex: Sex, birthYear: number, rng: Rng): string {
  const pool = poolFor(sex, birthYear);
  const r = rng.float();
  if (r < 0.16) return rng.pick(pool.chars);
  if (r < 0.7) return rng.pick(pool.pairs);
  return rng.pick(pool.chars) + rng.pick(pool.chars);
}

export function personName(sex: Sex, birthYear: number, rng: Rng, surname?: string): string {
  return (surname ?? SURNAMES.pick(rng)) + givenName(sex, birthYear, rng);
}

/** The surname of a full name (compound surnames are two characters). */
export function surnameOf(name: string): string {
  const two = name.slice(0, 2);
  return COMPOUND_SURNAMES.includes(two) ? two : name.slice(0, 1);
}

/**
 * Clerical variants of a name, as the same person gets written in another department: a homophone
 * typed with pinyin input, or a traditional character from an old certificate.
 */
const NAME_CHAR_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  伟: ['玮', '炜', '偉'],
  丽: ['莉', '俪', '麗'],
  军: ['君', '均'],
  明: ['铭', '鸣'],
  华: ['桦', '華'],
  芳: ['方', '芬'],
  静: ['靜', '婧'],
  敏: ['民', '闽'],
  杰: ['洁', '傑'],
  涛: ['滔', '韬'],
  燕: ['艳', '雁'],
  红: ['虹', '宏'],
  勇: ['永', '涌'],
  强: ['蔷', '墙'],
  玲: ['琳', '龄'],
  婷: ['亭', '庭'],
  辉: ['晖', '輝'],
  峰: ['锋', '丰'],
  霞: ['侠', '夏'],
  斌: ['彬', '滨'],
  陈: ['陳'],
  刘: ['劉'],
  黄: ['皇'],
  张: ['章', '張'],
  李: ['里'],
  王: ['汪'],
  林: ['琳', '霖'],
  梅: ['媚', '玫'],
  英: ['瑛', '莺'],
  兰: ['蓝', '蘭'],
  国: ['國'],
  东: ['冬', '東'],
  海: ['凯'],
  娟: ['鹃', '绢'],
  萍: ['苹', '平'],
  彬: ['斌'],
  文: ['雯', '闻'],
  晓: ['小'],
  小: ['晓'],
  志: ['智', '治'],
  建: ['健', '剑'],
  俊: ['骏', '浚'],
  宇: ['雨', '语'],
  轩: ['萱', '宣'],
  涵: ['含', '寒'],
  怡: ['仪', '宜'],
  欣: ['新', '馨'],
  雪: ['学'],
  秀: ['琇'],
  珍: ['真', '贞'],
  桂: ['贵'],
};

/** A different spelling of the name, or null when no character has a known variant. */
export function nameVariant(name: string, rng: Rng): string | null {
  const chars = Array.from(name);
  const positions = chars.map((c, i) => (NAME_CHAR_VARIANTS[c] ? i : -1)).filter((i) => i >= 0);
  if (positions.length === 0) {
    // Fall back to a dropped character of a three-character name, a common typing slip.
    return chars.length === 3 ? chars[0]! + chars[2]! : null;
  }
  const pos = rng.pick(positions);
  chars[pos] = rng.pick(NAME_CHAR_VARIANTS[chars[pos]!]!);
  return chars.join('');
}

/** GB/T 3304 ethnicity codes (18 is 傣族, 19 黎族), weighted by their share of Shenzhen's population. */
export const ETHNICITIES = new WeightedTable<string>([
  ['01', 9300], // 汉族
  ['02', 20], // 蒙古族
  ['03', 60], // 回族
  ['04', 10], // 藏族
  ['05', 15], // 维吾尔族
  ['06', 90], // 苗族
  ['07', 25], // 彝族
  ['08', 160], // 壮族
  ['09', 30], // 布依族
  ['10', 20], // 朝鲜族
  ['11', 50], // 满族
  ['12', 45], // 侗族
  ['13', 40], // 瑶族
  ['15', 110], // 土家族
  ['18', 10], // 傣族
  ['19', 25], // 黎族
]);
