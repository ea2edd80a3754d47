/**
 * Citizen ID number (公民身份号码), GB 11643-1999: 6-digit division code + YYYYMMDD + 3-digit sequence
 * (odd = male) + an ISO 7064 MOD 11-2 check character. Legacy 15-digit numbers (GB 11643-1989) have a
 * 2-digit year and no check character; they are upgraded by inserting "19" and appending the check.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

export type IdNumberProblem =
  'EMPTY' | 'BAD_LENGTH' | 'BAD_CHARACTERS' | 'BAD_DIVISION_CODE' | 'BAD_BIRTH_DATE' | 'BAD_CHECK_CHARACTER';

export interface ParsedIdNumber {
  /** The normalised 18-character form. */
  readonly normalized: string;
  readonly divisionCode: string;
  /** ISO date, YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: 'MALE' | 'FEMALE';
  readonly upgradedFromLegacy: boolean;
}

export type IdNumberResult =
  | { readonly ok: true; readonly value: ParsedIdNumber }
  | { readonly ok: false; readonly problem: IdNumberProblem; readonly explanation: string };

export const ID_NUMBER_FORMAT =
  '18 characters: 6-digit division code, birth date YYYYMMDD, 3-digit sequence and a MOD 11-2 check character (0-9 or X); legacy 15-digit numbers are accepted';

/** The MOD 11-2 check character for the first 17 digits. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

function isValidDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

function fail(problem: IdNumberProblem, explanation: string): IdNumberResult {
  return { ok: false, problem, explanation };
}

/** Validates and normalises an ID number, explaining why an invalid one is invalid. */
export function parseIdNumber(input: string): IdNumberResult {
  const raw = input.trim().toUpperCase();
  if (raw === '') return fail('EMPTY', 'the ID number is empty');
  let upgraded = false;
  let id = raw;
  if (raw.length === 15) {
    if (!/^\d{15}$/.test(raw)) return fail('BAD_CHARACTERS', 'a 15-digit legacy ID number has digits only');
    const first17 = `${raw.slice(0, 6)}19${raw.slice(6)}`;
    id = first17 + idCheckChar(first17);
    upgraded = true;
  } else if (raw.length !== 18) {
    return fail(
      'BAD_LENGTH',
      `an ID number has 18 characters (or 15 for a legacy number), got ${raw.length}`,
    );
  }
  if (!/^\d{17}[\dX]$/.test(id)) {
    return fail('BAD_CHARACTERS', 'the first 17 characters must be digits and the last a digit or X');
  }
  if (!/^[1-9]\d{5}$/.test(id.slice(0, 6))) {
    return fail('BAD_DIVISION_CODE', `division code ${id.slice(0, 6)} is not a GB/T 2260 code`);
  }
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  if (y < 1850 || !isValidDate(y, m, d)) {
    return fail('BAD_BIRTH_DATE', `birth date ${id.slice(6, 14)} is not a calendar date`);
  }
  const expected = idCheckChar(id.slice(0, 17));
  if (!upgraded && id[17] !== expected) {
    return fail(
      'BAD_CHECK_CHARACTER',
      `check character is ${id[17]}, but MOD 11-2 over the first 17 digits gives ${expected}`,
    );
  }
  return {
    ok: true,
    value: {
      normalized: id,
      divisionCode: id.slice(0, 6),
      birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
      sex: Number(id[16]) % 2 === 1 ? 'MALE' : 'FEMALE',
      upgradedFromLegacy: upgraded,
    },
  };
}

/** The normalised form, or null when the number is invalid. */
export function normalizeIdNumber(input: string): string | null {
  const r = parseIdNumber(input);
  return r.ok ? r.value.normalized : null;
}

/** Builds a valid 18-digit ID number from its parts (used by the demo generator). */
export function makeIdNumber(divisionCode: string, birthDateYmd: string, sequence: number): string {
  const first17 = `${divisionCode}${birthDateYmd}${String(sequence).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

/** The 15-digit legacy form of an 18-digit number born in the 1900s. */
export function toLegacyIdNumber(id18: string): string {
  return id18.slice(0, 6) + id18.slice(8, 17);
}
