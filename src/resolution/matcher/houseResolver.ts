/**
 * Decides which house a department record refers to, from the house code it claims (if any) and
 * its free-text address (if any). A claimed code is trusted only as far as the address allows: a
 * code the address contradicts is flagged for review, and a wrong code is never preferred to none.
 */
import { isHouseCode } from '../identifiers/houseCode';
import type { AddressBase } from './addressBase';
import type { AddressMatch, MatchCandidate } from './matchAddress';
import { ADDRESS_MATCHER_VERSION, matchAddress, matchStandardAddress } from './matchAddress';
import { EXACT_KEY_MATCHER_VERSION } from '../linkMethods';
import type { LinkMethod } from '../linkMethods';

/** Why a reference is in the review queue. */
export const REVIEW_DECISIONS = [
  'AMBIGUOUS',
  'UNMATCHED',
  /** The address settles the building but not the house. */
  'BUILDING_ONLY',
  /** The claimed house code and the address disagree. */
  'CONTRADICTED',
  /** The key is malformed (an ID number or USCC failing its check, a house code of the wrong shape). */
  'INVALID_KEY',
] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

export interface HouseLink {
  readonly houseCode: string;
  readonly method: LinkMethod;
  readonly confidence: number;
  readonly matcherVersion: string;
}

export interface HouseReview {
  readonly decision: ReviewDecision;
  readonly reason: string;
  readonly candidates: readonly MatchCandidate[];
}

export interface HouseResolution {
  /** The house the record refers to, or null when it cannot be told. */
  readonly link: HouseLink | null;
  /** Set when a person should look at the reference; a CONTRADICTED one may still be linked. */
  readonly review: HouseReview | null;
}

export type HouseResolver = (claimedCode: string | null, addressText: string | null) => HouseResolution;

/** A claimed code that no address corroborates is weaker than housing's own registry entry. */
export const UNCORROBORATED_CONFIDENCE = 0.9;
/** A claimed code the address places in the right building, or among close candidates. */
const CONSISTENT_CONFIDENCE = 0.95;

const exact = (houseCode: string, confidence: number): HouseLink => ({
  houseCode,
  method: 'EXACT_KEY',
  confidence,
  matcherVersion: EXACT_KEY_MATCHER_VERSION,
});

/** Without the address base: claimed codes of the right shape are taken, addresses wait. */
export const claimedCodeResolver: HouseResolver = (claimed, text) => {
  if (claimed !== null) {
    if (isHouseCode(claimed)) return { link: exact(claimed.trim(), UNCORROBORATED_CONFIDENCE), review: null };
    return {
      link: null,
      review: { decision: 'INVALID_KEY', reason: 'not a 25-digit house code', candidates: [] },
    };
  }
  if (text === null) return { link: null, review: null };
  return {
    link: null,
    review: { decision: 'UNMATCHED', reason: 'the address base (housing) was unavailable', candidates: [] },
  };
};

const review = (decision: ReviewDecision, reason: string, m: AddressMatch | null): HouseReview => ({
  decision,
  reason,
  candidates: m?.candidates ?? [],
});

/** The review decision for an address that did not settle a house. */
function addressReview(m: AddressMatch, prefix = ''): HouseReview {
  if (m.decision === 'MATCHED')
    return review('BUILDING_ONLY', `${prefix}the address settles building ${m.code} but not the house`, m);
  return review(m.decision, `${prefix}${m.reason ?? m.decision}`, m);
}

/** Distinct address texts whose match is remembered: a household's members share one address. */
const MATCH_CACHE_SIZE = 50_000;

export function createHouseResolver(base: AddressBase): HouseResolver {
  const cache = new Map<string, AddressMatch>();
  const match = (text: string): AddressMatch => {
    let m = cache.get(text) ?? matchStandardAddress(base, text);
    if (m === undefined) {
      m = matchAddress(base, text, 5);
      if (cache.size >= MATCH_CACHE_SIZE) cache.clear();
      cache.set(text, m);
    }
    return m;
  };
  return (claimedRaw, text) => {
    const claimed = claimedRaw === null || claimedRaw.trim() === '' ? null : claimedRaw.trim();
    const m = text === null || text.trim() === '' ? null : match(text);
    if (claimed !== null && !isHouseCode(claimed)) {
      // A malformed claim says nothing; the address alone decides.
      const prefix = `claimed house code ${claimed} is not 25 digits; `;
      if (m?.decision === 'MATCHED' && m.level === 'HOUSE')
        return { link: addressLink(m), review: review('INVALID_KEY', `${prefix}the address matches`, m) };
      return {
        link: null,
        review: m === null ? review('INVALID_KEY', prefix, null) : addressReview(m, prefix),
      };
    }
    const claimedHouse = claimed === null ? undefined : base.houses.get(claimed);

    if (m?.decision === 'MATCHED' && m.level === 'HOUSE') {
      if (claimed === null) return { link: addressLink(m), review: null };
      if (claimed === m.code) return { link: exact(claimed, 1), review: null };
      const what = claimedHouse ? `is ${claimedHouse.address}` : 'is not in the address base';
      return {
        link: addressLink(m),
        review: review(
          'CONTRADICTED',
          `claimed house code ${claimed} ${what}, but the address matches ${m.code}`,
          m,
        ),
      };
    }
    if (claimed === null) return { link: null, review: m === null ? null : addressReview(m) };
    if (claimedHouse === undefined) {
      const prefix = `claimed house code ${claimed} is not in the address base; `;
      return {
        link: null,
        review: m === null ? review('UNMATCHED', prefix, null) : addressReview(m, prefix),
      };
    }
    // The base knows the claimed house and the address does not settle one on its own.
    if (m === null || m.decision === 'UNMATCHED') {
      return { link: exact(claimed, UNCORROBORATED_CONFIDENCE), review: null };
    }
    const consistent =
      m.decision === 'MATCHED'
        ? claimed.startsWith(m.code!)
        : m.candidates.some((c) => claimed.startsWith(c.code));
    if (consistent) return { link: exact(claimed, CONSISTENT_CONFIDENCE), review: null };
    return {
      link: null,
      review: review(
        'CONTRADICTED',
        `claimed house code ${claimed} (${claimedHouse.address}) is not among the address's candidates`,
        m,
      ),
    };
  };
}

function addressLink(m: AddressMatch): HouseLink {
  return {
    houseCode: m.code!,
    method: 'ADDRESS_MATCH',
    confidence: m.confidence,
    matcherVersion: ADDRESS_MATCHER_VERSION,
  };
}
