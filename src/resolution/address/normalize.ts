/**
 * Text-level clean-up of a free-text Chinese address, before it is cut into components: one
 * spelling for digits, building and room words, and without the remarks clerks add.
 */
import { CHINESE_NUMERAL_CHARS, chineseNumeralToDigits } from './chineseNumerals';

export interface NormalizedText {
  readonly text: string;
  /** What was dropped or rewritten, for explanations. */
  readonly notes: string[];
}

/** Remarks written after the address: where it is relative to something, not part of it. */
const TRAILING_NOISE = ['附近', '对面', '旁边', '后面', '楼下', '楼上', '周边', '隔壁', '门口'] as const;

const NUMERAL_RUN = new RegExp(`[${CHINESE_NUMERAL_CHARS}]+`, 'gu');
/** What may follow a number in an address: door, building, unit, room, floor words, or a dash. */
const NUMBER_AFTER = /^(号|栋|幢|座|楼栋|单元|室|房|户|层|楼|-|$)/u;
/** What may precede a room or unit number written as a numeral. */
const NUMBER_BEFORE = /(栋|幢|座|楼|单元|-)$/u;

function dropRemarks(text: string, notes: string[]): string {
  return text.replace(/\([^()]*\)?/gu, (m) => {
    notes.push(`dropped remark ${m}`);
    return '';
  });
}

function dropTrailingNoise(text: string, notes: string[]): string {
  let out = text;
  for (let changed = true; changed;) {
    changed = false;
    for (const word of TRAILING_NOISE) {
      if (out.endsWith(word) && out.length > word.length) {
        out = out.slice(0, -word.length);
        notes.push(`dropped ${word}`);
        changed = true;
      }
    }
  }
  return out;
}

/** Chinese numerals only where a number belongs, so names such as 工业八路 or 渔一社区 stay. */
function convertNumerals(text: string): string {
  return text.replace(NUMERAL_RUN, (run: string, offset: number) => {
    const before = text.slice(0, offset);
    const after = text.slice(offset + run.length);
    if (!NUMBER_AFTER.test(after) && !NUMBER_BEFORE.test(before)) return run;
    return chineseNumeralToDigits(run) ?? run;
  });
}

function unifyBuildingAndRoomWords(text: string): string {
  return text
    .replace(/([0-9A-Za-z])(号楼|楼栋|幢|座)/gu, '$1栋')
    .replace(/([0-9])(房|户)(?![0-9])/gu, '$1室');
}

/** Chain stores whose names start with digits: written after a bare room number, they glue to it. */
const DIGIT_LED_SHOPS = ['711', '7-11', '85度C', '1点点'] as const;

/** Room numbers are 3-4 digits, and no floor has more than 20 rooms. */
const plausibleRoom = (digits: string): boolean => {
  const onFloor = Number(digits.slice(-2));
  return digits.length >= 3 && digits.length <= 4 && onFloor >= 1 && onFloor <= 20;
};

/**
 * Where a room number ends when a shop name starting with digits is glued to it (`502711便利店`):
 * before a known digit-led shop name, else the longest plausible room, else the whole run.
 */
function roomBeforeShop(digits: string, tail: string): string {
  if (digits.length <= 4) return digits;
  const rest = (room: string): string => digits.slice(room.length) + tail;
  const candidates = [digits.slice(0, 4), digits.slice(0, 3)].filter(plausibleRoom);
  const beforeShop = candidates.find((room) => DIGIT_LED_SHOPS.some((shop) => rest(room).startsWith(shop)));
  return beforeShop ?? candidates[0] ?? digits;
}

/**
 * A shop or landmark written after the room (`…502室美宜佳`): everything after the last
 * building/unit/dash number that is not itself an address word. After 室 anything goes.
 */
function dropTextAfterRoom(text: string, notes: string[]): string {
  const withSuffix = /^(.*(?:栋|单元|-)[0-9]+[A-Za-z]?室)(.+)$/u.exec(text);
  if (withSuffix !== null) {
    notes.push(`dropped ${withSuffix[2]!} after the room`);
    return withSuffix[1]!;
  }
  const m = /^(.*(?:栋|单元|-))([0-9]+)([A-Za-z]?)([^0-9A-Za-z栋单室层楼号-].*)$/u.exec(text);
  if (m === null) return text;
  const [, head, digits, letter, tail] = m as unknown as [string, string, string, string, string];
  const room = letter === '' ? roomBeforeShop(digits, tail) : digits;
  notes.push(`dropped ${digits.slice(room.length)}${tail} after the room`);
  return head + room + letter;
}

// eslint-disable-next-line no-control-regex -- the range starts at U+0000 on purpose: all of ASCII
const NEEDS_NFKC = /[^\u0000-\u007f\u4e00-\u9fff]/u;

function normalizeOnce(input: string, notes: string[]): string {
  // NFKC changes nothing in ASCII and the CJK Unified Ideographs block, which most addresses are.
  let text = (NEEDS_NFKC.test(input) ? input.normalize('NFKC') : input).replace(/\s+/gu, '');
  // NFKC leaves these dashes alone; clerks use them all for `3-502`.
  text = text.replace(/[‐‑‒–—―−]/gu, '-');
  text = dropRemarks(text, notes);
  text = dropTrailingNoise(text, notes);
  text = convertNumerals(text);
  text = unifyBuildingAndRoomWords(text);
  text = dropTextAfterRoom(text, notes);
  text = dropTrailingNoise(text, notes);
  return text;
}

export function normalizeAddressWithNotes(input: string): NormalizedText {
  const notes: string[] = [];
  // Dropping a remark can bring together what NFKC or a rule would rewrite, so repeat to a fixpoint.
  let text = normalizeOnce(input, notes);
  // Already in normal form (a standard address, typically): a second pass would change nothing.
  for (let i = 0; i < 5 && text !== input; i++) {
    const next = normalizeOnce(text, notes);
    if (next === text) break;
    text = next;
  }
  return { text, notes };
}

/**
 * NFKC, no whitespace, Arabic digits where numbers belong, 栋 for 幢/座/号楼/楼栋, 室 for 房/户 after a
 * room number, and without remarks (附近, 对面, （…）, a shop after the room).
 */
export function normalizeAddressText(text: string): string {
  return normalizeAddressWithNotes(text).text;
}
