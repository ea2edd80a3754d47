import fc from 'fast-check';
import { maskAddress, maskBirthDate, maskIdNumber, maskName, maskPhone } from '../../src/auth/masking';

describe('masking defaults', () => {
  it.each([
    [maskIdNumber, '440305199001011234', '440305********1234'],
    [maskIdNumber, '44030519900101123X', '440305********123X'],
    [maskIdNumber, '440305900101123', '440305*****1123'],
    [maskPhone, '13812345678', '138****5678'],
    [maskPhone, '0755-8888', '075**8888'],
    [maskName, '张三', '张*'],
    [maskName, '张三丰', '张**'],
    [maskName, '欧阳明月', '欧阳**'],
    [maskName, '欧阳', '欧*'],
    [
      maskAddress,
      '广东省深圳市南山区粤海街道科技园社区科技南路18号海岸花园3栋502',
      '广东省深圳市南山区粤海街道科技园社区***',
    ],
    [maskAddress, '南山区粤海街道海岸花园3栋502', '南山区粤海街道***'],
    [maskAddress, '海岸花园3栋502', '***'],
    [maskBirthDate, '1990-01-01', '1990'],
  ])('%p(%s) → %s', (mask, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('never shows more than the division code and last four digits of an ID number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{17}[\dX]$/), (id) => {
        const m = maskIdNumber(id);
        expect(m).toHaveLength(18);
        expect(m.slice(6, 14)).toBe('********');
        expect(m.slice(0, 6) + m.slice(14)).toBe(id.slice(0, 6) + id.slice(14));
      }),
    );
  });
});
