/**
 * Chinese numerals as people write them in addresses: place-value forms (十八, 五百零二, 两百零八,
 * 一千零一) and digit-by-digit readings of room numbers (五零二).
 */

const DIGIT_VALUES: Readonly<Record<string, number>> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

const UNIT_VALUES: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 };

/** Characters that can make up a Chinese numeral. */
export const CHINESE_NUMERAL_CHARS = '零〇一二两三四五六七八九十百千';

/**
 * The Arabic digits for a run of Chinese numeral characters, or null when the run is not a number.
 * A run without 十/百/千 is read digit by digit, so 五零二 stays `502` and 零一 stays `01`.
 */
export function chineseNumeralToDigits(run: string): string | null {
  const chars = Array.from(run);
  if (chars.length === 0) return null;
  const hasUnit = chars.some((c) => UNIT_VALUES[c] !== undefined);
  if (!hasUnit) {
    let out = '';
    for (const c of chars) {
      const d = DIGIT_VALUES[c];
      if (d === undefined) return null;
      out += String(d);
    }
    return out;
  }
  let total = 0;
  let pending: number | null = null;
  let lastUnit = Infinity;
  for (const c of chars) {
    const d = DIGIT_VALUES[c];
    if (d !== undefined) {
      // Two digits in a row (五五百) is not a place-value numeral.
      if (pending !== null && pending !== 0) return null;
      pending = d;
      continue;
    }
    const unit = UNIT_VALUES[c];
    if (unit === undefined || unit >= lastUnit) return null;
    // A bare 十 at the start means 一十 (十八 = 18).
    total += (pending ?? 1) * unit;
    pending = null;
    lastUnit = unit;
  }
  if (pending !== null) total += pending;
  return String(total);
}
