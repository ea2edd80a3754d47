/**
 * Column lists of every table the generator writes, with the PostgreSQL array type used to pass
 * each column through `unnest`. Rows are arrays in this column order.
 */
import type { Department, PgDepartment } from '../config/types';

export type PgArrayType = 'text' | 'date' | 'timestamptz' | 'numeric' | 'int8' | 'int4' | 'jsonb';

export interface TableSpec {
  readonly target: PgDepartment | 'hub';
  readonly table: string;
  readonly columns: readonly (readonly [string, PgArrayType])[];
}

const t = (target: TableSpec['target'], table: string, columns: TableSpec['columns']): TableSpec => ({
  target,
  table,
  columns,
});

export const TABLES = {
  rk_czrk: t('police', 'rk_czrk', [
    ['gmsfhm', 'text'],
    ['xm', 'text'],
    ['xbdm', 'text'],
    ['mzdm', 'text'],
    ['csrq', 'text'],
    ['hjdz_xzqhdm', 'text'],
    ['hjdz_xxdz', 'text'],
    ['xzz', 'text'],
    ['xzz_fwbm', 'text'],
    ['lxdh', 'text'],
    ['ryzt', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  rk_ldrk: t('police', 'rk_ldrk', [
    ['djbh', 'text'],
    ['gmsfhm', 'text'],
    ['xm', 'text'],
    ['xbdm', 'text'],
    ['csrq', 'text'],
    ['lxdh', 'text'],
    ['jzdz', 'text'],
    ['fwbm', 'text'],
    ['jzsy', 'text'],
    ['djrq', 'date'],
    ['zxrq', 'date'],
    ['zxyy', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  fw_jbxx: t('housing', 'fw_jbxx', [
    ['fwbm', 'text'],
    ['qxmc', 'text'],
    ['jdmc', 'text'],
    ['sqmc', 'text'],
    ['jlxmc', 'text'],
    ['mph', 'text'],
    ['xqmc', 'text'],
    ['ldmc', 'text'],
    ['dyh', 'text'],
    ['lc', 'text'],
    ['fh', 'text'],
    ['bzdz', 'text'],
    ['fwyt', 'text'],
    ['jzmj', 'numeric'],
    ['cqrxm', 'text'],
    ['cqrzjhm', 'text'],
    ['zt', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  zl_htba: t('housing', 'zl_htba', [
    ['htbh', 'text'],
    ['fwbm', 'text'],
    ['fwzl', 'text'],
    ['czrxm', 'text'],
    ['czrzjhm', 'text'],
    ['czfxm', 'text'],
    ['czfzjlx', 'text'],
    ['czfzjhm', 'text'],
    ['zlqsrq', 'date'],
    ['zlzzrq', 'date'],
    ['yzj', 'numeric'],
    ['zlyt', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  jz_dbdx: t('civil', 'jz_dbdx', [
    ['id', 'int8'],
    ['sfzh', 'text'],
    ['xm', 'text'],
    ['jtzz', 'text'],
    ['bzrks', 'int4'],
    ['yblje', 'numeric'],
    ['qsny', 'text'],
    ['zt', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  yl_gljt: t('civil', 'yl_gljt', [
    ['id', 'int8'],
    ['sfzh', 'text'],
    ['xm', 'text'],
    ['jzdz', 'text'],
    ['ffje', 'numeric'],
    ['zt', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  bz_hhjl: t('civil', 'bz_hhjl', [
    ['id', 'int8'],
    ['sfzh', 'text'],
    ['xm', 'text'],
    ['swrq', 'date'],
    ['hhrq', 'date'],
    ['gxsj', 'timestamptz'],
  ]),
  shzz_djxx: t('civil', 'shzz_djxx', [
    ['tyshxydm', 'text'],
    ['zzmc', 'text'],
    ['zzlx', 'text'],
    ['fddbr', 'text'],
    ['fddbrsfzh', 'text'],
    ['zs', 'text'],
    ['clrq', 'date'],
    ['zt', 'text'],
    ['gxsj', 'timestamptz'],
  ]),
  grid: t('hub', 'grid', [
    ['grid_code', 'text'],
    ['name', 'text'],
    ['community_code', 'text'],
    ['community_name', 'text'],
    ['street_code', 'text'],
    ['street_name', 'text'],
    ['district_code', 'text'],
    ['district_name', 'text'],
  ]),
  truth_reference: t('hub', 'truth_reference', [
    ['department', 'text'],
    ['record_type', 'text'],
    ['source_id', 'text'],
    ['role', 'text'],
    ['entity_type', 'text'],
    ['entity_key', 'text'],
  ]),
  truth_problem: t('hub', 'truth_problem', [
    ['kind', 'text'],
    ['department', 'text'],
    ['record_type', 'text'],
    ['source_id', 'text'],
    ['entity_type', 'text'],
    ['entity_key', 'text'],
    ['detail', 'jsonb'],
  ]),
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;

/** The report key of a table, e.g. `police.rk_czrk`. */
export function tableKey(name: TableName): string {
  return `${TABLES[name].target}.${name}`;
}

export const MARKET_COLLECTION = 'entities';
export const MARKET_KEY = `${'market' satisfies Department}.${MARKET_COLLECTION}`;

/** Every table and collection the generator fills, as `department.table`: departments, market, hub. */
export const SEEDED_TABLE_KEYS: readonly string[] = (() => {
  const names = Object.keys(TABLES) as TableName[];
  const department = names.filter((n) => TABLES[n].target !== 'hub').map(tableKey);
  const hub = names.filter((n) => TABLES[n].target === 'hub').map(tableKey);
  return [...department, MARKET_KEY, ...hub];
})();
