/**
 * De-identification of personal data shown on screen (GB/T 35273-2020 §7.2): the default masked
 * forms of ID numbers, phone numbers, names, addresses and birth dates. Each keeps what a clerk needs
 * to recognise a record and hides what identifies the person.
 */

export const MASKS = ['idNumber', 'phone', 'name', 'address', 'birthDate'] as const;
export type MaskKind = (typeof MASKS)[number];

/** Two-character surnames (复姓) that stay visible whole: 欧阳** rather than 欧***. */
const COMPOUND_SURNAMES = new Set([
  '欧阳',
  '司马',
  '上官',
  '诸葛',
  '东方',
  '皇甫',
  '尉迟',
  '公孙',
  '慕容',
  '长孙',
  '宇文',
  '司徒',
  '夏侯',
  '轩辕',
  '令狐',
  '端木',
  '澹台',
  '南宫',
  '独孤',
  '西门',
]);

const stars = (n: number): string => '*'.repeat(Math.max(0, n));

/** `440305199001011234` → `440305********1234`: the division code and the last four stay. */
export function maskIdNumber(value: string): string {
  const v = value.trim();
  if (v.length <= 10) return stars(v.length);
  return `${v.slice(0, 6)}${stars(v.length - 10)}${v.slice(-4)}`;
}

/** `13812345678` → `138****5678`. */
export function maskPhone(value: string): string {
  const v = value.trim();
  if (v.length < 8) return stars(v.length);
  return `${v.slice(0, 3)}${stars(v.length - 7)}${v.slice(-4)}`;
}

/** `张三` → `张*`, `张三丰` → `张**`, `欧阳明月` → `欧阳**`: the surname stays. */
export function maskName(value: string): string {
  const chars = Array.from(value.trim());
  if (chars.length <= 1) return chars.join('');
  const surname = chars.length > 2 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
  return chars.slice(0, surname).join('') + stars(chars.length - surname);
}

/** The address up to its community (社区), else street (街道), else district (区); the rest hidden. */
export function maskAddress(value: string): string {
  const v = value.trim();
  for (const marker of ['社区', '街道', '区']) {
    const i = v.indexOf(marker);
    if (i >= 0) return i + marker.length < v.length ? `${v.slice(0, i + marker.length)}***` : v;
  }
  return '***';
}

/** `1990-01-01` → `1990`. */
export function maskBirthDate(value: string): string {
  const m = /^(\d{4})/.exec(value.trim());
  return m ? m[1]! : '****';
}

export const MASKERS: Readonly<Record<MaskKind, (value: string) => string>> = {
  idNumber: maskIdNumber,
  phone: maskPhone,
  name: maskName,
  address: maskAddress,
  birthDate: maskBirthDate,
};

/** A configured format: keep `keepStart` and `keepEnd` characters, fill the rest. */
export function keepMask(spec: {
  keepStart: number;
  keepEnd: number;
  fill: string;
}): (value: string) => string {
  return (value) => {
    const chars = Array.from(value.trim());
    if (chars.length <= spec.keepStart + spec.keepEnd) return spec.fill.repeat(chars.length);
    return (
      chars.slice(0, spec.keepStart).join('') +
      spec.fill.repeat(chars.length - spec.keepStart - spec.keepEnd) +
      chars.slice(chars.length - spec.keepEnd).join('')
    );
  };
}
