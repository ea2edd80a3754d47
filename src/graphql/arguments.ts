import { BadUserInputError } from '../errors';
import {
  GRID_CODE_FORMAT,
  HOUSE_CODE_FORMAT,
  parseGridCode,
  parseHouseCode,
} from '../resolution/identifiers/houseCode';
import { ID_NUMBER_FORMAT, parseIdNumber } from '../resolution/identifiers/idNumber';
import { parseUscc, USCC_FORMAT } from '../resolution/identifiers/uscc';

/** Argument parsers: each returns the normalised value or throws BAD_USER_INPUT naming the expected format. */

export function idNumberArg(value: string, argument = 'idNumber'): string {
  const r = parseIdNumber(value);
  if (!r.ok)
    throw new BadUserInputError(
      argument,
      `${argument} "${value}" is not a valid ID number: ${r.explanation}`,
      ID_NUMBER_FORMAT,
    );
  return r.value.normalized;
}

export function houseCodeArg(value: string, argument = 'houseCode'): string {
  const r = parseHouseCode(value);
  if (!r)
    throw new BadUserInputError(argument, `${argument} "${value}" is not a house code`, HOUSE_CODE_FORMAT);
  return r.houseCode;
}

export function gridCodeArg(value: string, argument = 'gridCode'): string {
  const r = parseGridCode(value);
  if (!r)
    throw new BadUserInputError(argument, `${argument} "${value}" is not a grid code`, GRID_CODE_FORMAT);
  return r.gridCode;
}

export function usccArg(value: string, argument = 'uscc'): string {
  const r = parseUscc(value);
  if (!r.ok)
    throw new BadUserInputError(
      argument,
      `${argument} "${value}" is not a unified social credit code: ${r.explanation}`,
      USCC_FORMAT,
    );
  return r.value.normalized;
}

export function dateArg(value: string, argument: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ok =
    m &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
  if (!ok) throw new BadUserInputError(argument, `${argument} "${value}" is not a date`, 'YYYY-MM-DD');
  return value;
}

/** Page size: 1 to 200. */
export function firstArg(value: number | null | undefined): number {
  const n = value ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > 200)
    throw new BadUserInputError('first', `first must be between 1 and 200, got ${n}`);
  return n;
}
