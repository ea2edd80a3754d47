import fc from 'fast-check';
import { parseMapping } from '../../src/config/loadConfig';
import { isoUtc, mapRecord } from '../../src/connectors/mapRecord';
import { loadConfig } from '../../src/config/loadConfig';

const { mappings } = loadConfig(undefined, {});

describe('mapRecord', () => {
  it('maps a police row: code tables, YYYYMMDD dates, constants', () => {
    const rec = mapRecord(mappings.police, 'registered_person', {
      gmsfhm: '44030519850101123x',
      xm: '张伟',
      xbdm: '1',
      mzdm: '01',
      csrq: '19850101',
      hjdz_xzqhdm: '440305',
      hjdz_xxdz: '广东省深圳市南山区桃源街道',
      xzz: '南山区科技南路18号',
      xzz_fwbm: null,
      lxdh: '13800138000',
      ryzt: '0',
      gxsj: '2026-10-01T08:00:00+08:00',
    });
    expect(rec.sourceId).toBe('44030519850101123x');
    expect(rec.updatedAt).toBe('2026-10-01T00:00:00.000Z');
    expect(rec.values).toMatchObject({
      name: '张伟',
      sex: 'MALE',
      ethnicity: '汉族',
      birthDate: '1985-01-01',
      status: 'NORMAL',
      registrationType: 'REGISTERED',
      houseCode: null,
    });
  });

  it('keeps a row whose values fail, reporting each bad value', () => {
    const rec = mapRecord(mappings.police, 'registered_person', {
      gmsfhm: '440305198501011231',
      xm: '李娜',
      xbdm: '0',
      mzdm: '01',
      csrq: '19850231',
      ryzt: '0',
      xzz_fwbm: '12345',
      gxsj: '2026-10-01T00:00:00Z',
    });
    expect(rec.values.sex).toBeNull();
    expect(rec.values.birthDate).toBeNull();
    expect(rec.values.name).toBe('李娜');
    expect(rec.issues).toEqual([
      { field: 'sex', column: 'xbdm', rawValue: '0', problem: 'unknown code in sex' },
      { field: 'birthDate', column: 'csrq', rawValue: '19850231', problem: 'not a calendar date' },
      { field: 'houseCode', column: 'xzz_fwbm', rawValue: '12345', problem: 'not a 25-digit house code' },
    ]);
  });

  it('maps nested document paths and lists of a market entity', () => {
    const rec = mapRecord(mappings.market, 'market_entity', {
      _id: 'MKT0000001',
      UNISCID: '91440305MA5D0000XX',
      ENTNAME: '深圳市示例科技有限公司',
      LEREP: { NAME: '王芳', CERTYPE: '10', CERNO: '440305198501011231' },
      ESTDATE: new Date('2015-03-02T00:00:00Z'),
      REGCAP: 500,
      REGSTATE: '7',
      SHAREHOLDERS: [
        { INV: '王芳', INVTYPE: '20', CERTYPE: '10', CERNO: '440305198501011231', SUBCONAM: 300 },
      ],
      UPDATED_AT: new Date('2026-10-01T00:00:00Z'),
    });
    expect(rec.values).toMatchObject({
      legalRepresentativeName: '王芳',
      legalRepresentativeId: '440305198501011231',
      established: '2015-03-02',
      registeredCapital: 500,
      status: null,
      shareholders: [
        {
          name: '王芳',
          investorType: '20',
          certificateType: 'PERSON',
          id: '440305198501011231',
          subscribedCapital: 300,
        },
      ],
    });
    expect(rec.issues.map((i) => [i.field, i.problem])).toEqual(
      expect.arrayContaining([['status', 'unknown code in entityStatus']]),
    );
  });

  it('reports a YYYYMM month that is not a month', () => {
    const rec = mapRecord(mappings.civil, 'subsistence_allowance', {
      id: 5,
      sfzh: '440305198501011231',
      xm: '赵敏',
      qsny: '202313',
      zt: '在保',
      gxsj: new Date(),
    });
    expect(rec.values.since).toBeNull();
    expect(rec.values.status).toBe('ACTIVE');
    expect(rec.issues).toEqual([
      { field: 'since', column: 'qsny', rawValue: '202313', problem: 'not a calendar date' },
    ]);
  });
});

interface Loose {
  records: { r: { fields: Record<string, Record<string, unknown>>; subject?: unknown } };
}

describe('mapping validation', () => {
  const base = {
    department: 'police',
    records: {
      r: {
        kind: 'PERSON_REGISTRATION',
        source: 't',
        key: 'k',
        updatedAt: 'u',
        fields: { idNumber: { from: 'k', type: 'idNumber' } },
      },
    },
  };

  it('names an unknown code table', () => {
    const bad = structuredClone(base) as unknown as Loose;
    bad.records.r.fields.sex = { from: 'x', code: 'nope' };
    expect(() => parseMapping(bad, 'departments.police.mapping')).toThrow(
      'invalid config at departments.police.mapping.records.r.fields.sex.code: unknown code table nope',
    );
  });

  it('names a subject attribute that is not a field', () => {
    const bad = structuredClone(base) as unknown as Loose;
    bad.records.r.subject = { entity: 'PERSON', key: 'idNumber', attributes: ['name'] };
    expect(() => parseMapping(bad, 'm')).toThrow(
      'invalid config at m.records.r.subject.attributes.0: unknown field name',
    );
  });

  it('names an unknown conversion type', () => {
    const bad = structuredClone(base) as unknown as Loose;
    bad.records.r.fields.idNumber!.type = 'datetime';
    expect(() => parseMapping(bad, 'm')).toThrow(/invalid config at m\.records\.r\.fields\.idNumber/);
  });
});

describe('isoUtc', () => {
  it('formats every date of years 1000–9999 exactly as toISOString does', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(isoUtc(d)).toBe(d.toISOString());
        },
      ),
      { numRuns: 2000 },
    );
  });
});
