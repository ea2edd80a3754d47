/**
 * Vocabulary for market entities and social organisations: name parts, entity types (codes from
 * the market-registration exchange format), business scopes and registered capital.
 */
import type { Rng } from './random';
import { WeightedTable } from './random';

/** Characters favoured in Shenzhen trade names (字号). */
const BRAND_CHARS = Array.from(
  '恒鑫华盛达泰腾创讯佳宏源兴隆丰瑞德信诚卓越博远星辰云海智联汇通新锐优品嘉禾永安顺力精工美途锦程天成金盈',
);

export function brandName(rng: Rng): string {
  return rng.pick(BRAND_CHARS) + rng.pick(BRAND_CHARS);
}

export interface Industry {
  readonly word: string;
  readonly scope: string;
}

export const ENTERPRISE_INDUSTRIES: readonly Industry[] = [
  { word: '科技', scope: '计算机软硬件的技术开发、技术咨询、技术服务；电子产品的销售' },
  { word: '网络科技', scope: '网络技术开发；互联网信息服务；软件开发；信息系统集成服务' },
  { word: '信息技术', scope: '信息技术咨询服务；数据处理和存储支持服务；软件开发' },
  { word: '电子', scope: '电子元器件、集成电路的研发与销售；货物及技术进出口' },
  { word: '贸易', scope: '国内贸易；货物及技术进出口；日用百货的销售' },
  { word: '供应链管理', scope: '供应链管理及相关配套服务；国际货运代理；仓储服务' },
  { word: '餐饮管理', scope: '餐饮管理；餐饮服务；食品经营' },
  { word: '文化传播', scope: '文化活动策划；广告设计、制作、代理、发布；会议及展览服务' },
  { word: '建筑工程', scope: '建筑工程施工；建筑装饰工程设计与施工；建材销售' },
  { word: '实业', scope: '投资兴办实业；国内贸易；物业租赁' },
  { word: '投资咨询', scope: '投资咨询；企业管理咨询；经济信息咨询' },
  { word: '物业管理', scope: '物业管理；停车场服务；家政服务' },
  { word: '教育科技', scope: '教育咨询；教育软件开发；文化艺术交流活动策划' },
  { word: '医疗器械', scope: '第一类、第二类医疗器械的销售；健康咨询' },
  { word: '生物科技', scope: '生物技术开发；保健食品销售；化妆品销售' },
];

export const SHOP_KINDS: readonly Industry[] = [
  { word: '便利店', scope: '预包装食品、日用百货零售' },
  { word: '餐饮店', scope: '中餐类制售' },
  { word: '理发店', scope: '理发服务' },
  { word: '五金店', scope: '五金交电、建材零售' },
  { word: '水果店', scope: '新鲜水果零售' },
  { word: '茶餐厅', scope: '中餐类制售，含凉菜' },
  { word: '快餐店', scope: '快餐服务' },
  { word: '服装店', scope: '服装鞋帽零售' },
  { word: '手机维修店', scope: '通讯设备维修；手机配件零售' },
  { word: '洗衣店', scope: '洗衣服务' },
  { word: '药店', scope: '药品零售；医疗器械零售' },
  { word: '烟酒商行', scope: '烟草制品零售；预包装食品零售' },
];

export interface EntityType {
  readonly code: string;
  readonly label: string;
}

export const INDIVIDUAL_BUSINESS: EntityType = { code: '9600', label: '个体工商户' };

export const ENTERPRISE_TYPES = new WeightedTable<EntityType>([
  [{ code: '1100', label: '有限责任公司' }, 25],
  [{ code: '1130', label: '有限责任公司(自然人投资或控股)' }, 35],
  [{ code: '1151', label: '有限责任公司(自然人独资)' }, 30],
  [{ code: '1200', label: '股份有限公司' }, 10],
]);

/** Registered capital in 万元: round figures, most small. */
export const ENTERPRISE_CAPITAL = new WeightedTable<number>([
  [3, 6],
  [5, 8],
  [10, 14],
  [30, 10],
  [50, 14],
  [100, 18],
  [200, 10],
  [300, 6],
  [500, 6],
  [1000, 5],
  [2000, 2],
  [5000, 1],
]);

export const SOCIAL_GROUP_WORDS = [
  '协会',
  '商会',
  '促进会',
  '联合会',
  '志愿者协会',
  '老年人协会',
  '书画协会',
  '摄影协会',
] as const;
export const PRIVATE_NON_ENTERPRISE_WORDS = [
  '幼儿园',
  '培训中心',
  '社会工作服务中心',
  '养老服务中心',
  '艺术培训学校',
  '康复中心',
] as const;

export const CHANGE_ITEMS = [
  '法定代表人变更',
  '住所变更',
  '注册资本变更',
  '经营范围变更',
  '名称变更',
] as const;
