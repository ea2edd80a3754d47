/**
 * Calendar arithmetic for generated data. Dates are kept as day numbers (days since 1970-01-01 in
 * China Standard Time, UTC+8, which has no daylight saving), so that every date and timestamp is a
 * pure function of the reference "today" and the random stream, independent of the host time zone.
 */

export const DAY_MS = 86_400_000;
const CST_OFFSET_MS = 8 * 3_600_000;

/** The CST calendar day of an instant. */
export function dayOf(instant: Date): number {
  return Math.floor((instant.getTime() + CST_OFFSET_MS) / DAY_MS);
}

export function dayFromParts(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function partsOf(day: number): CalendarDate {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYYMMDD`, the police birth-date format. */
export function ymd(day: number): string {
  const p = partsOf(day);
  return `${pad(p.year, 4)}${pad(p.month, 2)}${pad(p.day, 2)}`;
}

/** `YYYY-MM-DD`, for date columns. */
export function isoDate(day: number): string {
  const p = partsOf(day);
  return `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}`;
}

/** `YYYYMM`, the civil-affairs start-month format. */
export function yearMonth(day: number): string {
  const p = partsOf(day);
  return `${pad(p.year, 4)}${pad(p.month, 2)}`;
}

export function yearOf(day: number): number {
  return partsOf(day).year;
}

/** Whole years between a birth day and another day. */
export function ageOn(birthDay: number, onDay: number): number {
  const b = partsOf(birthDay);
  const o = partsOf(onDay);
  let age = o.year - b.year;
  if (o.month < b.month || (o.month === b.month && o.day < b.day)) age--;
  return age;
}

/** A timestamp at `secondOfDay` CST on `day`, as timestamptz text. */
export function timestampText(day: number, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${isoDate(day)} ${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}+08`;
}

/** The same instant as a Date, for BSON fields. */
export function timestampDate(day: number, secondOfDay: number): Date {
  return new Date(day * DAY_MS + secondOfDay * 1000 - CST_OFFSET_MS);
}
