/**
 * Matches a free-text address against the standard address base. The text is parsed into levels;
 * blocking takes only the sites its road + door number or compound name point to (after spelling
 * correction against the base's own names); each building and house there that agrees with the
 * address is scored; the decision is MATCHED (one candidate above the threshold, clearly ahead),
 * AMBIGUOUS (several close candidates) or UNMATCHED, with the reason.
 */
import { parseAddress } from '../address/parseAddress';
import type { AddressComponents, ParsedAddress } from '../address/types';
import { correctName } from '../address/vocabularyIndex';
import type { VocabularyIndex } from '../address/vocabularyIndex';
import type { AddressBase, BaseBuilding, BaseHouse, Site } from './addressBase';
import { roadDoorKey } from './addressBase';

export const ADDRESS_MATCHER_VERSION = 'address/1';
/** The least score a candidate needs to be MATCHED. */
export const MATCH_THRESHOLD = 0.75;
/** Candidates this close to the best one make the decision AMBIGUOUS. */
export const AMBIGUITY_MARGIN = 0.1;
/** Candidates scoring less are not worth showing a clerk. */
const SHOW_THRESHOLD = 0.3;
export const MAX_ADDRESS_LENGTH = 500;

export type MatchDecision = 'MATCHED' | 'AMBIGUOUS' | 'UNMATCHED';
export type MatchLevel = 'HOUSE' | 'BUILDING';

export interface MatchCandidate {
  /** A 25-digit house code, or a 19-digit building code at level BUILDING. */
  readonly code: string;
  readonly level: MatchLevel;
  readonly address: string;
  readonly score: number;
  /** What agreed (`road+door`, `compound`, `building`, `room`, …) and what did not (`≠ street`). */
  readonly evidence: readonly string[];
}

export interface AddressMatch {
  readonly decision: MatchDecision;
  /** Set when MATCHED: HOUSE, or BUILDING when only the building is certain. */
  readonly level: MatchLevel | null;
  readonly code: string | null;
  /** The matched candidate's score; 0 when not MATCHED. */
  readonly confidence: number;
  /** Best first, at most the limit asked for. */
  readonly candidates: readonly MatchCandidate[];
  /** Why the address is AMBIGUOUS or UNMATCHED. */
  readonly reason: string | null;
  /** null when the text was refused before parsing. */
  readonly parsed: ParsedAddress | null;
}

/** Why a text cannot be an address, or null. The GraphQL layer turns the first two into BAD_USER_INPUT. */
export function addressInputProblem(text: string): string | null {
  if (text.trim() === '') return 'the address is empty';
  if (text.length > MAX_ADDRESS_LENGTH)
    return `the address is ${text.length} characters long; at most ${MAX_ADDRESS_LENGTH} are accepted`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u.test(text))
    return 'the address contains control characters';
  if (!/\p{Script=Han}/u.test(text)) return 'the address contains no Chinese characters';
  return null;
}

type Agreement = 'exact' | 'corrected';

interface NameOption {
  readonly name: string;
  readonly agreement: Agreement;
}

function nameOptions(index: VocabularyIndex, name: string | null): NameOption[] {
  if (name === null) return [];
  const c = correctName(index, name);
  switch (c.kind) {
    case 'exact':
      return [{ name, agreement: 'exact' }];
    case 'corrected':
      return [{ name: c.to, agreement: 'corrected' }];
    case 'ambiguous':
      return c.candidates.map((n) => ({ name: n, agreement: 'corrected' }));
    case 'unknown':
      return [];
  }
}

interface SiteEvidence {
  roadDoor: Agreement | null;
  compound: Agreement | null;
}

/** Weight of each kind of site evidence; two kinds combine as independent evidence (noisy-or). */
const EVIDENCE_WEIGHT: Readonly<Record<'roadDoor' | 'compound', Readonly<Record<Agreement, number>>>> = {
  roadDoor: { exact: 0.85, corrected: 0.7 },
  // A compound name one character off, and nothing else, is a guess: below the threshold alone.
  compound: { exact: 0.85, corrected: 0.6 },
};

/** The most a site known only by one misspelt name can score: below the threshold. */
const WEAK_CAP = 0.7;

interface Scored {
  score: number;
  evidence: string[];
}

function scoreSite(site: Site, ev: SiteEvidence, c: AddressComponents): Scored {
  const evidence: string[] = [];
  const rd = ev.roadDoor === null ? 0 : EVIDENCE_WEIGHT.roadDoor[ev.roadDoor];
  const cp = ev.compound === null ? 0 : EVIDENCE_WEIGHT.compound[ev.compound];
  if (ev.roadDoor !== null) evidence.push(ev.roadDoor === 'exact' ? 'road+door' : 'road~+door');
  if (ev.compound !== null) evidence.push(ev.compound === 'exact' ? 'compound' : 'compound~');
  let score = 1 - (1 - rd) * (1 - cp);
  // What the address states and the site contradicts weighs against it.
  if (ev.roadDoor === null && c.road !== null && c.doorNumber !== null) {
    score *= 0.5;
    evidence.push('≠ road+door');
  }
  if (ev.compound === null && c.compound !== null) {
    score *= 0.6;
    evidence.push('≠ compound');
  }
  for (const level of ['district', 'street', 'community'] as const) {
    const stated = c[level];
    if (stated === null || site[level] === null) continue;
    if (stated === site[level]) {
      score += (1 - score) * 0.3;
      evidence.push(level);
    } else {
      score *= 0.5;
      evidence.push(`≠ ${level}`);
    }
  }
  // Districts and streets hold hundreds of compounds: they corroborate, but cannot turn one
  // misspelt name into a match.
  const single = (ev.roadDoor === null) !== (ev.compound === null);
  if (single && ev.roadDoor !== 'exact' && ev.compound !== 'exact') score = Math.min(score, WEAK_CAP);
  return { score, evidence };
}

const buildingAddress = (b: BaseBuilding): string => {
  const s = b.site;
  const door = s.doorNumber === null ? '' : `${s.doorNumber}号`;
  return `${s.district ?? ''}${s.street ?? ''}${s.community ?? ''}${s.road ?? ''}${door}${s.compound ?? ''}${b.number}栋`;
};

function houseCandidates(
  site: Site,
  siteScore: Scored,
  c: AddressComponents,
  out: MatchCandidate[],
  misses: string[],
): void {
  const where = site.compound ?? `${site.road ?? ''}${site.doorNumber ?? ''}号`;
  let buildings: BaseBuilding[];
  let buildingFactor = 1;
  if (c.building !== null) {
    const b = site.buildings.get(c.building);
    if (b === undefined) {
      misses.push(`${where} has no building ${c.building}`);
      return;
    }
    buildings = [b];
  } else if (c.room !== null) {
    // A room without a building: any building of the site may have it.
    buildings = [...site.buildings.values()];
    buildingFactor = 0.9;
  } else {
    misses.push(`the address names ${where} but no building or room`);
    return;
  }
  const buildingEvidence = c.building !== null ? ['building'] : [];
  for (const b of buildings) {
    if (c.room === null) {
      out.push({
        code: b.code,
        level: 'BUILDING',
        address: buildingAddress(b),
        score: siteScore.score,
        evidence: [...siteScore.evidence, ...buildingEvidence],
      });
      continue;
    }
    const withRoom = b.houses.filter((h) => h.room === c.room);
    const sameUnit = c.unit === null ? withRoom : withRoom.filter((h) => h.unit === c.unit);
    const houses = sameUnit.length > 0 ? sameUnit : withRoom;
    for (const h of houses) out.push(scoreHouse(h, siteScore, c, buildingFactor, buildingEvidence));
    if (withRoom.length === 0 && c.building === null && buildings.length === 1)
      misses.push(`${where} has no room ${c.room}`);
    if (withRoom.length === 0 && c.building !== null) {
      misses.push(`building ${b.number} of ${where} has no room ${c.room}`);
      out.push({
        code: b.code,
        level: 'BUILDING',
        address: buildingAddress(b),
        score: siteScore.score * 0.9,
        evidence: [...siteScore.evidence, 'building', `≠ room ${c.room}`],
      });
    }
  }
}

function scoreHouse(
  h: BaseHouse,
  site: Scored,
  c: AddressComponents,
  buildingFactor: number,
  buildingEvidence: readonly string[],
): MatchCandidate {
  let score = site.score * buildingFactor;
  const evidence = [...site.evidence, ...buildingEvidence, 'room'];
  if (c.unit !== null) {
    if (c.unit === h.unit) evidence.push('unit');
    else {
      score *= 0.6;
      evidence.push('≠ unit');
    }
  }
  if (c.floor !== null && h.floor !== null && c.floor !== h.floor) {
    score *= 0.7;
    evidence.push('≠ floor');
  }
  if (!h.inUse) evidence.push('demolished');
  return { code: h.houseCode, level: 'HOUSE', address: h.address, score, evidence };
}

/** A road written without its door number glued to the compound (`科技南路海岸花园`): split it off. */
function splitRoadPrefix(base: AddressBase, c: AddressComponents): AddressComponents {
  if (c.compound === null || c.road !== null || base.compounds.entries.has(c.compound)) return c;
  for (const road of base.roads.entries) {
    if (c.compound.startsWith(road) && c.compound.length > road.length) {
      return { ...c, road, compound: c.compound.slice(road.length) };
    }
  }
  return c;
}

function blockSites(base: AddressBase, c: AddressComponents): Map<Site, SiteEvidence> {
  const sites = new Map<Site, SiteEvidence>();
  const evidenceOf = (site: Site): SiteEvidence => {
    let ev = sites.get(site);
    if (ev === undefined) {
      ev = { roadDoor: null, compound: null };
      sites.set(site, ev);
    }
    return ev;
  };
  if (c.doorNumber !== null) {
    for (const road of nameOptions(base.roads, c.road)) {
      for (const site of base.byRoadDoor.get(roadDoorKey(road.name, c.doorNumber)) ?? []) {
        evidenceOf(site).roadDoor = road.agreement;
      }
    }
  }
  for (const compound of nameOptions(base.compounds, c.compound)) {
    for (const site of base.byCompound.get(compound.name) ?? []) {
      const ev = evidenceOf(site);
      if (ev.compound !== 'exact') ev.compound = compound.agreement;
    }
  }
  return sites;
}

/** Provinces and municipalities written at the start of an address. */
const REGION = /^(.{2,3}?(?:省|自治区)|北京市|天津市|上海市|重庆市)/u;

function noSiteReason(base: AddressBase, parsed: ParsedAddress, c: AddressComponents): string {
  const region = c.province === null ? REGION.exec(parsed.components.compound ?? '')?.[1] : undefined;
  if (region !== undefined) return `the address is in ${region}, outside the address base`;
  if (c.district !== null && !base.districts.has(c.district))
    return `the address is in ${c.district}, outside the address base`;
  const parts: string[] = [];
  if (c.road !== null && c.doorNumber !== null) {
    parts.push(
      nameOptions(base.roads, c.road).length === 0
        ? `road ${c.road} is not in the address base`
        : `${c.road} has no door number ${c.doorNumber}号 in the address base`,
    );
  }
  if (c.compound !== null) parts.push(`compound ${c.compound} is not in the address base`);
  if (parts.length === 0) return 'the address names no road and door number and no compound';
  return parts.join('; ');
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function decide(
  all: MatchCandidate[],
  limit: number,
  misses: readonly string[],
  parsed: ParsedAddress,
): AddressMatch {
  const best = new Map<string, MatchCandidate>();
  for (const cand of all) {
    const seen = best.get(cand.code);
    if (seen === undefined || seen.score < cand.score) best.set(cand.code, cand);
  }
  const ranked = [...best.values()]
    .map((cand) => ({ ...cand, score: round(cand.score) }))
    .sort((a, b) => b.score - a.score || a.code.localeCompare(b.code));
  const shown = ranked.filter((cand) => cand.score >= SHOW_THRESHOLD).slice(0, limit);
  const top = ranked[0];
  const unmatched = (reason: string): AddressMatch => ({
    decision: 'UNMATCHED',
    level: null,
    code: null,
    confidence: 0,
    candidates: shown,
    reason,
    parsed,
  });
  if (top === undefined) return unmatched(misses.join('; ') || 'no candidate in the address base');
  if (top.score < MATCH_THRESHOLD) {
    return unmatched(
      `the best candidate scores ${top.score}, below the threshold ${MATCH_THRESHOLD} (${top.evidence.join(', ')})`,
    );
  }
  const close = ranked.filter((cand) => cand.score >= top.score - AMBIGUITY_MARGIN);
  const matched = (level: MatchLevel, code: string): AddressMatch => ({
    decision: 'MATCHED',
    level,
    code,
    confidence: top.score,
    candidates: shown,
    reason: null,
    parsed,
  });
  if (close.length === 1) return matched(top.level, top.code);
  const building = top.code.slice(0, 19);
  if (close.every((cand) => cand.code.startsWith(building))) return matched('BUILDING', building);
  return {
    decision: 'AMBIGUOUS',
    level: null,
    code: null,
    confidence: 0,
    candidates: shown,
    reason: `${close.length} candidates score within ${AMBIGUITY_MARGIN} of the best (${top.score})`,
    parsed,
  };
}

/** Text identical to one house's standard address (bzdz) is that house. */
function standardMatch(house: BaseHouse, parsed: ParsedAddress | null): AddressMatch {
  return {
    decision: 'MATCHED',
    level: 'HOUSE',
    code: house.houseCode,
    confidence: 1,
    candidates: [
      {
        code: house.houseCode,
        level: 'HOUSE',
        address: house.address,
        score: 1,
        evidence: ['standard address'],
      },
    ],
    reason: null,
    parsed,
  };
}

/**
 * The house a standard address names, without parsing it: the resolver's fast path, for the many
 * records that copy the address exactly as the base writes it. Undefined when the text is anything else.
 */
export function matchStandardAddress(base: AddressBase, text: string): AddressMatch | undefined {
  const house = base.byStandardAddress.get(text.trim());
  return house === undefined ? undefined : standardMatch(house, null);
}

export function matchAddress(base: AddressBase, text: string, limit = 5): AddressMatch {
  const problem = addressInputProblem(text);
  if (problem !== null) {
    return {
      decision: 'UNMATCHED',
      level: null,
      code: null,
      confidence: 0,
      candidates: [],
      reason: problem,
      parsed: null,
    };
  }
  const parsed = parseAddress(text);
  const standard = base.byStandardAddress.get(text.trim());
  if (standard !== undefined) return standardMatch(standard, parsed);
  const c = splitRoadPrefix(base, parsed.components);
  const sites = blockSites(base, c);
  const candidates: MatchCandidate[] = [];
  const misses: string[] = [];
  if (sites.size === 0) misses.push(noSiteReason(base, parsed, c));
  for (const [site, ev] of sites) houseCandidates(site, scoreSite(site, ev, c), c, candidates, misses);
  return decide(candidates, limit, misses, parsed);
}
