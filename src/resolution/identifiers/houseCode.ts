/**
 * House code (房屋编码), Shenzhen's unified-address scheme: 25 digits = province 2 + city 2 +
 * district 2 + street 3 + community 3 + basic grid 2 + building 5 + room 6. The first 19 digits are
 * the building code, the first 14 the grid code (网格编码).
 */

export const HOUSE_CODE_FORMAT =
  '25 digits: division 6 + street 3 + community 3 + grid 2 + building 5 + room 6';
export const GRID_CODE_FORMAT = '14 digits: division 6 + street 3 + community 3 + grid 2';
export const BUILDING_CODE_FORMAT = '19 digits: grid code 14 + building 5';

export interface ParsedGridCode {
  readonly gridCode: string;
  readonly divisionCode: string;
  readonly streetCode: string;
  readonly communityCode: string;
  readonly gridNumber: string;
}

export interface ParsedHouseCode extends ParsedGridCode {
  readonly houseCode: string;
  readonly buildingCode: string;
  readonly buildingNumber: string;
  readonly roomNumber: string;
}

export function parseGridCode(input: string): ParsedGridCode | null {
  const v = input.trim();
  if (!/^\d{14}$/.test(v)) return null;
  return {
    gridCode: v,
    divisionCode: v.slice(0, 6),
    streetCode: v.slice(0, 9),
    communityCode: v.slice(0, 12),
    gridNumber: v.slice(12, 14),
  };
}

/** Whether the text is a house code's shape: 25 digits (surrounding blanks allowed). */
export function isHouseCode(input: string): boolean {
  return /^\s*\d{25}\s*$/.test(input);
}

export function parseHouseCode(input: string): ParsedHouseCode | null {
  const v = input.trim();
  if (!/^\d{25}$/.test(v)) return null;
  return {
    gridCode: v.slice(0, 14),
    divisionCode: v.slice(0, 6),
    streetCode: v.slice(0, 9),
    communityCode: v.slice(0, 12),
    gridNumber: v.slice(12, 14),
    houseCode: v,
    buildingCode: v.slice(0, 19),
    buildingNumber: v.slice(14, 19),
    roomNumber: v.slice(19, 25),
  };
}
