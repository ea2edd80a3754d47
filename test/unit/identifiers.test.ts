import fc from 'fast-check';
import {
  idCheckChar,
  isValidRegistrationNumber,
  makeIdNumber,
  makeRegistrationNumber,
  makeUscc,
  parseGridCode,
  parseHouseCode,
  parseIdNumber,
  parseUscc,
  regNoCheckDigit,
  toLegacyIdNumber,
  USCC_CHARSET,
} from '../../src/resolution/identifiers';

describe('citizen ID number', () => {
  it('accepts the GB 11643-1999 example and extracts birth date and sex', () => {
    const r = parseIdNumber('11010519491231002X');
    expect(r).toEqual({
      ok: true,
      value: {
        normalized: '11010519491231002X',
        divisionCode: '110105',
        birthDate: '1949-12-31',
        sex: 'FEMALE',
        upgradedFromLegacy: false,
      },
    });
  });

  it('normalises a lowercase x', () => {
    const r = parseIdNumber('11010519491231002x');
    expect(r.ok && r.value.normalized).toBe('11010519491231002X');
  });

  it('upgrades a 15-digit number by inserting 19 and appending the check character', () => {
    const r = parseIdNumber('440305850101123');
    expect(r.ok && r.value).toMatchObject({
      normalized: '440305198501011231',
      sex: 'MALE',
      upgradedFromLegacy: true,
    });
  });

  it('explains why a number is invalid', () => {
    expect(parseIdNumber('110105194912310021')).toMatchObject({ ok: false, problem: 'BAD_CHECK_CHARACTER' });
    expect(parseIdNumber('110105194902300021')).toMatchObject({ ok: false, problem: 'BAD_BIRTH_DATE' });
    expect(parseIdNumber('12345')).toMatchObject({ ok: false, problem: 'BAD_LENGTH' });
    expect(parseIdNumber('11010519491231A02X')).toMatchObject({ ok: false, problem: 'BAD_CHARACTERS' });
    const bad = parseIdNumber('110105194912310021');
    expect(!bad.ok && bad.explanation).toContain('gives X');
  });

  const birth = fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2025-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10).replace(/-/g, ''));

  it('round-trips generated numbers and rejects any single-character change of the check', () => {
    fc.assert(
      fc.property(birth, fc.integer({ min: 0, max: 999 }), (ymd, seq) => {
        const id = makeIdNumber('440305', ymd, seq);
        const r = parseIdNumber(id);
        expect(r.ok && r.value.birthDate.replace(/-/g, '')).toBe(ymd);
        expect(r.ok && r.value.sex).toBe(seq % 2 === 1 ? 'MALE' : 'FEMALE');
        const wrong = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
        expect(parseIdNumber(wrong).ok).toBe(false);
      }),
    );
  });

  it('upgrading a legacy number gives back the 18-digit number it came from', () => {
    fc.assert(
      fc.property(
        birth.filter((d) => d.startsWith('19')),
        fc.integer({ min: 0, max: 999 }),
        (ymd, seq) => {
          const id = makeIdNumber('440305', ymd, seq);
          const r = parseIdNumber(toLegacyIdNumber(id));
          expect(r.ok && r.value.normalized).toBe(id);
        },
      ),
    );
  });

  it('check character is MOD 11-2 over the weights', () => {
    expect(idCheckChar('11010519491231002')).toBe('X');
  });
});

describe('unified social credit code', () => {
  it('accepts a published code and decodes its kind', () => {
    expect(parseUscc('91350100M000100Y43')).toEqual({
      ok: true,
      value: {
        normalized: '91350100M000100Y43',
        kind: 'ENTERPRISE',
        divisionCode: '350100',
        organizationCode: 'M000100Y4',
        warning: null,
      },
    });
  });

  it('treats a failed check character as a warning, not a rejection', () => {
    const r = parseUscc('91350100M000100Y44');
    expect(r.ok && r.value.warning).toBe('check character is 4, expected 3');
  });

  it('rejects characters outside the set and wrong lengths', () => {
    expect(parseUscc('91350100M000100I43')).toMatchObject({ ok: false });
    expect(parseUscc('9135')).toMatchObject({ ok: false });
  });

  it('generated codes pass their check and decode the type', () => {
    const orgChar = fc.constantFrom(...USCC_CHARSET.split(''));
    fc.assert(
      fc.property(
        fc.constantFrom('91', '92', '51', '52', '53'),
        fc.array(orgChar, { minLength: 9, maxLength: 9 }),
        (t, org) => {
          const code = makeUscc(t, '440305', org.join(''));
          const r = parseUscc(code);
          expect(r.ok && r.value.warning).toBeNull();
          expect(r.ok && r.value.kind).toBe(
            {
              '91': 'ENTERPRISE',
              '92': 'INDIVIDUAL_BUSINESS',
              '51': 'SOCIAL_GROUP',
              '52': 'PRIVATE_NON_ENTERPRISE',
              '53': 'FOUNDATION',
            }[t],
          );
        },
      ),
    );
  });
});

describe('legacy registration number', () => {
  it('checks MOD 11,10', () => {
    expect(regNoCheckDigit('11010800000000')).toBe('8');
    expect(isValidRegistrationNumber('110108000000008')).toBe(true);
    expect(isValidRegistrationNumber('110108000000009')).toBe(false);
  });

  it('detects every single-digit change', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{14}$/),
        fc.integer({ min: 0, max: 14 }),
        fc.integer({ min: 1, max: 9 }),
        (body, pos, delta) => {
          const n = makeRegistrationNumber(body);
          const changed = n.slice(0, pos) + String((Number(n[pos]) + delta) % 10) + n.slice(pos + 1);
          expect(isValidRegistrationNumber(n)).toBe(true);
          expect(isValidRegistrationNumber(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('house and grid codes', () => {
  it('parses the structure: grid = first 14 digits, building = first 19', () => {
    expect(parseHouseCode('4403050010020300012000502')).toEqual({
      houseCode: '4403050010020300012000502',
      gridCode: '44030500100203',
      divisionCode: '440305',
      streetCode: '440305001',
      communityCode: '440305001002',
      gridNumber: '03',
      buildingCode: '4403050010020300012',
      buildingNumber: '00012',
      roomNumber: '000502',
    });
    expect(parseGridCode('44030500100203')?.communityCode).toBe('440305001002');
    expect(parseHouseCode('44030500100203000120005')).toBeNull();
    expect(parseGridCode('4403050010020X')).toBeNull();
  });
});
