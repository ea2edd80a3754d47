/**
 * Number spellings people use when they write addresses by hand: Chinese numerals (十八号, 五百零二),
 * digit-by-digit readings of room numbers (五零二) and full-width digits typed with a Chinese IME.
 */

const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'] as const;
const UNITS = ['', '十', '百', '千'] as const;

export interface ChineseNumberOptions {
  /** Write a leading 2 in the hundreds or thousands as 两 (两百零八), as people say it. */
  readonly colloquialTwo?: boolean;
}

/**
 * The Chinese numeral for 0..9999: 18 → 十八, 105 → 一百零五, 110 → 一百一十, 1808 → 一千八百零八.
 * Larger numbers are not used in addresses and come back as Arabic digits.
 */
export function toChineseNumber(n: number, options: ChineseNumberOptions = {}): string {
  if (!Number.isInteger(n) || n < 0 || n > 9999) return String(n);
  if (n === 0) return DIGITS[0];
  const digits = String(n).split('').map(Number);
  const len = digits.length;
  let out = '';
  let pendingZero = false;
  for (let i = 0; i < len; i++) {
    const d = digits[i]!;
    const place = len - 1 - i;
    if (d === 0) {
      if (out !== '') pendingZero = true;
      continue;
    }
    if (pendingZero) {
      out += DIGITS[0];
      pendingZero = false;
    }
    // 10..19 is 十X, not 一十X, when the tens are the leading place.
    if (d === 1 && place === 1 && out === '') {
      out += UNITS[1];
      continue;
    }
    const digit = d === 2 && place >= 2 && options.colloquialTwo && out === '' ? '两' : DIGITS[d]!;
    out += digit + UNITS[place]!;
  }
  return out;
}

/** Digit-by-digit reading, the usual way to say a room number: 502 → 五零二. */
export function toChineseDigits(s: string): string {
  return s.replace(/[0-9]/g, (c) => DIGITS[Number(c)]!);
}

/** Full-width digits (U+FF10..U+FF19) and hyphen, as a Chinese input method produces them. */
export function toFullWidth(s: string): string {
  return s.replace(/[0-9-]/g, (c) => (c === '-' ? '－' : String.fromCharCode(0xff10 + Number(c))));
}
