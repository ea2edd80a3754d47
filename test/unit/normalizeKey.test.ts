import { normalizeKey } from '../../src/resolution/extractLinks';

describe('normalizeKey', () => {
  it('normalises ID numbers: lowercase x, and 15 digits upgraded to 18', () => {
    expect(normalizeKey('PERSON', '11010519491231002x')).toEqual({
      ok: true,
      type: 'PERSON',
      key: '11010519491231002X',
    });
    expect(normalizeKey('PERSON', '110105491231002')).toEqual({
      ok: true,
      type: 'PERSON',
      key: '11010519491231002X',
    });
  });

  it('re-types a company USCC found in an ID-number slot as a legal entity', () => {
    expect(normalizeKey('PERSON', '91440300MA50AQ1G64')).toMatchObject({ type: 'LEGAL_ENTITY' });
  });

  it('keeps an ID number with a bad check character invalid, even when its digits pass the USCC check', () => {
    // 450921197909120744: ID check should be 9; as a USCC its check character happens to be right.
    const r = normalizeKey('PERSON', '450921197909120744');
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/check character is 4/) });
  });

  it('rejects a house code of the wrong shape', () => {
    expect(normalizeKey('HOUSE', '4403')).toEqual({ ok: false, reason: 'not a 25-digit house code' });
  });
});
