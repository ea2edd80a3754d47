/**
 * Legacy 15-digit business registration number (注册号), checked with ISO 7064 MOD 11,10.
 */

export const REGISTRATION_NUMBER_FORMAT = '15 digits whose last digit is an ISO 7064 MOD 11,10 check digit';

/** The MOD 11,10 check digit for the first 14 digits. */
export function regNoCheckDigit(first14: string): string {
  let p = 10;
  for (const ch of first14) {
    let s = (p + Number(ch)) % 10;
    if (s === 0) s = 10;
    p = (s * 2) % 11;
  }
  return String((11 - p) % 10);
}

export function isValidRegistrationNumber(input: string): boolean {
  const v = input.trim();
  return /^\d{15}$/.test(v) && regNoCheckDigit(v.slice(0, 14)) === v[14];
}

export function makeRegistrationNumber(first14: string): string {
  return first14 + regNoCheckDigit(first14);
}
