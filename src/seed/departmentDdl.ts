/**
 * DDL of the departmental stand-ins, exactly as ../shared/spec/source-systems.md describes them.
 * Zhiwang never writes to a department: only the demo generator runs this, to create the stand-ins.
 * Column types follow the habits of the legacy systems they imitate: police keeps birth dates as
 * `YYYYMMDD` text and civil affairs keeps the allowance start month as `YYYYMM` text, which is how
 * malformed values get into real data.
 */
import type { PgDepartment } from '../config/types';

export const PG_DEPARTMENT_DDL: Record<PgDepartment, (schema: string) => string> = {
  police: (s) => `
    CREATE SCHEMA IF NOT EXISTS "${s}";
    CREATE TABLE IF NOT EXISTS "${s}".rk_czrk (
      gmsfhm      varchar(18) PRIMARY KEY,
      xm          varchar(50) NOT NULL,
      xbdm        varchar(1),
      mzdm        varchar(2),
      csrq        varchar(8),
      hjdz_xzqhdm varchar(6),
      hjdz_xxdz   varchar(200),
      xzz         varchar(200),
      xzz_fwbm    varchar(25),
      lxdh        varchar(20),
      ryzt        varchar(1) NOT NULL DEFAULT '0',
      gxsj        timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS "${s}".rk_ldrk (
      djbh    varchar(24) PRIMARY KEY,
      gmsfhm  varchar(18) NOT NULL,
      xm      varchar(50) NOT NULL,
      xbdm    varchar(1),
      csrq    varchar(8),
      lxdh    varchar(20),
      jzdz    varchar(200),
      fwbm    varchar(25),
      jzsy    varchar(10),
      djrq    date NOT NULL,
      zxrq    date,
      zxyy    varchar(50),
      gxsj    timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rk_ldrk_gmsfhm ON "${s}".rk_ldrk (gmsfhm);
    CREATE INDEX IF NOT EXISTS rk_ldrk_fwbm ON "${s}".rk_ldrk (fwbm);
    CREATE INDEX IF NOT EXISTS rk_czrk_gxsj ON "${s}".rk_czrk (gxsj, gmsfhm);
    CREATE INDEX IF NOT EXISTS rk_ldrk_gxsj ON "${s}".rk_ldrk (gxsj, djbh);
  `,
  housing: (s) => `
    CREATE SCHEMA IF NOT EXISTS "${s}";
    CREATE TABLE IF NOT EXISTS "${s}".fw_jbxx (
      fwbm    varchar(25) PRIMARY KEY,
      qxmc    varchar(20),
      jdmc    varchar(20),
      sqmc    varchar(30),
      jlxmc   varchar(30),
      mph     varchar(10),
      xqmc    varchar(30),
      ldmc    varchar(10),
      dyh     varchar(10),
      lc      varchar(4),
      fh      varchar(10),
      bzdz    varchar(200) NOT NULL,
      fwyt    varchar(2),
      jzmj    numeric(10,2),
      cqrxm   varchar(50),
      cqrzjhm varchar(18),
      zt      varchar(1) NOT NULL DEFAULT '1',
      gxsj    timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS "${s}".zl_htba (
      htbh     varchar(24) PRIMARY KEY,
      fwbm     varchar(25),
      fwzl     varchar(200),
      czrxm    varchar(50),
      czrzjhm  varchar(18),
      czfxm    varchar(100),
      czfzjlx  varchar(2),
      czfzjhm  varchar(18),
      zlqsrq   date,
      zlzzrq   date,
      yzj      numeric(10,2),
      zlyt     varchar(4),
      gxsj     timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS fw_jbxx_cqrzjhm ON "${s}".fw_jbxx (cqrzjhm);
    CREATE INDEX IF NOT EXISTS zl_htba_fwbm ON "${s}".zl_htba (fwbm);
    CREATE INDEX IF NOT EXISTS zl_htba_czfzjhm ON "${s}".zl_htba (czfzjhm);
    CREATE INDEX IF NOT EXISTS fw_jbxx_gxsj ON "${s}".fw_jbxx (gxsj, fwbm);
    CREATE INDEX IF NOT EXISTS zl_htba_gxsj ON "${s}".zl_htba (gxsj, htbh);
  `,
  civil: (s) => `
    CREATE SCHEMA IF NOT EXISTS "${s}";
    CREATE TABLE IF NOT EXISTS "${s}".jz_dbdx (
      id     bigint PRIMARY KEY,
      sfzh   varchar(18) NOT NULL,
      xm     varchar(50) NOT NULL,
      jtzz   varchar(200),
      bzrks  integer,
      yblje  numeric(10,2),
      qsny   varchar(6),
      zt     varchar(4) NOT NULL,
      gxsj   timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS "${s}".yl_gljt (
      id     bigint PRIMARY KEY,
      sfzh   varchar(18) NOT NULL,
      xm     varchar(50) NOT NULL,
      jzdz   varchar(200),
      ffje   numeric(10,2),
      zt     varchar(4) NOT NULL,
      gxsj   timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS "${s}".bz_hhjl (
      id     bigint PRIMARY KEY,
      sfzh   varchar(18) NOT NULL,
      xm     varchar(50) NOT NULL,
      swrq   date,
      hhrq   date,
      gxsj   timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS "${s}".shzz_djxx (
      tyshxydm   varchar(18) PRIMARY KEY,
      zzmc       varchar(100) NOT NULL,
      zzlx       varchar(20),
      fddbr      varchar(50),
      fddbrsfzh  varchar(18),
      zs         varchar(200),
      clrq       date,
      zt         varchar(4),
      gxsj       timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jz_dbdx_sfzh ON "${s}".jz_dbdx (sfzh);
    CREATE INDEX IF NOT EXISTS yl_gljt_sfzh ON "${s}".yl_gljt (sfzh);
    CREATE INDEX IF NOT EXISTS bz_hhjl_sfzh ON "${s}".bz_hhjl (sfzh);
  `,
};
