import type { RecordMapping, ReferenceMapping } from '../config/mappingSchema';
import type { EntityType, Role } from '../config/types';
import type { MappedValue, SourceRecord } from '../connectors/SourceRecord';
import { isHouseCode } from './identifiers/houseCode';
import type { LinkMethod } from './linkMethods';
import { EXACT_KEY_MATCHER_VERSION } from './linkMethods';
import type { MatchCandidate } from './matcher/matchAddress';
import type { HouseResolver, ReviewDecision } from './matcher/houseResolver';
import { claimedCodeResolver } from './matcher/houseResolver';
import { parseIdNumber } from './identifiers/idNumber';
import { isValidRegistrationNumber } from './identifiers/registrationNumber';
import { entityKindOf, parseUscc } from './identifiers/uscc';

export interface Link {
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
  readonly role: Role;
  readonly entityType: EntityType;
  readonly entityKey: string;
  readonly method: LinkMethod;
  readonly confidence: number;
  readonly matcherVersion: string;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly sourceUpdatedAt: string | null;
}

export interface UnresolvedReference {
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
  readonly role: Role;
  readonly entityType: EntityType;
  readonly rawValue: string | null;
  readonly reason: string;
  readonly decision: ReviewDecision;
  /** The key the record claims, when the raw value is its address (a house code beside a text). */
  readonly claimedKey?: string | null;
  /** The address matcher's candidates, best first. */
  readonly candidates?: readonly MatchCandidate[];
  /** A CONTRADICTED reference is still linked, to the house its address matches. */
  readonly linkedKey?: string | null;
}

/** The review reason of a reference known only by a legacy registration number no record pairs with a USCC. */
export const AWAITING_PAIR = 'only a legacy registration number, and no record pairs it with a USCC';

/** A reference known only by a legacy registration number, resolved once every USCC↔REGNO pair is seen. */
export interface PendingRegistrationNumber {
  /** The link to make, its entityKey left empty until the pair is found. */
  readonly link: Link;
  readonly registrationNumber: string;
}

export interface ExtractedLinks {
  readonly links: Link[];
  readonly unresolved: UnresolvedReference[];
  readonly pending: PendingRegistrationNumber[];
  /** USCC ↔ legacy registration number pairs stated by this record. */
  readonly registrationNumbers: Array<[string, string]>;
}

type KeyResult = { ok: true; type: EntityType; key: string } | { ok: false; reason: string };

/**
 * Normalises a key by exact rules only: ID numbers upper-cased and upgraded from 15 digits, USCCs
 * upper-cased, house codes checked for shape. An ID-number slot holding a valid USCC (a company owner
 * or tenant) is re-typed as a legal entity, unless it is shaped like an ID number.
 */
export function normalizeKey(type: EntityType, raw: string): KeyResult {
  switch (type) {
    case 'PERSON': {
      const id = parseIdNumber(raw);
      if (id.ok) return { ok: true, type, key: id.value.normalized };
      // An ID number whose only fault is its check character stays an invalid ID, even when its
      // digits happen to pass the USCC check too: it is a person's number, mistyped.
      const uscc = parseUscc(raw);
      if (uscc.ok && uscc.value.warning === null && id.problem !== 'BAD_CHECK_CHARACTER')
        return { ok: true, type: 'LEGAL_ENTITY', key: uscc.value.normalized };
      return { ok: false, reason: `invalid ID number: ${id.explanation}` };
    }
    case 'LEGAL_ENTITY': {
      const uscc = parseUscc(raw);
      return uscc.ok
        ? { ok: true, type, key: uscc.value.normalized }
        : { ok: false, reason: `invalid USCC: ${uscc.explanation}` };
    }
    case 'HOUSE':
      return isHouseCode(raw)
        ? { ok: true, type, key: raw.trim() }
        : { ok: false, reason: 'not a 25-digit house code' };
    default: {
      const never: never = type;
      throw new Error(`unhandled entity type ${String(never)}`);
    }
  }
}

const asText = (v: MappedValue | undefined): string | null =>
  v === null || v === undefined || typeof v === 'object' ? null : String(v);

/** Validity window of a link, from the record's own dates where it has them. */
function validity(rec: SourceRecord): { validFrom: string | null; validTo: string | null } {
  const v = rec.values;
  return {
    validFrom: asText(v.since ?? v.startDate),
    validTo: asText(v.until ?? v.endDate),
  };
}

/** What the functions below share while one record is read. */
interface RecordContext {
  readonly rec: SourceRecord;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly out: ExtractedLinks;
  readonly resolveHouse: HouseResolver;
}

// Links and review entries are built as literals with every property named, by module-level
// functions: object spreads and closures made per record cost more, over millions of references,
// than the matching itself.

function link(
  c: RecordContext,
  role: Role,
  entityType: EntityType,
  entityKey: string,
  method: LinkMethod,
  confidence: number,
  matcherVersion: string,
): Link {
  return {
    department: c.rec.department,
    recordType: c.rec.recordType,
    sourceId: c.rec.sourceId,
    role,
    entityType,
    entityKey,
    method,
    confidence,
    matcherVersion,
    validFrom: c.validFrom,
    validTo: c.validTo,
    sourceUpdatedAt: c.rec.updatedAt,
  };
}

function unresolvedRef(
  c: RecordContext,
  role: Role,
  entityType: EntityType,
  rawValue: string | null,
  reason: string,
  decision: ReviewDecision,
  claimedKey: string | null = null,
  candidates: readonly MatchCandidate[] = [],
  linkedKey: string | null = null,
): UnresolvedReference {
  return {
    department: c.rec.department,
    recordType: c.rec.recordType,
    sourceId: c.rec.sourceId,
    role,
    entityType,
    rawValue,
    reason,
    decision,
    claimedKey,
    candidates,
    linkedKey,
  };
}

/** A reference by key: linked when the key is valid, else pending on a REGNO, else queued. */
function addKeyed(
  c: RecordContext,
  role: Role,
  type: EntityType,
  raw: string | null,
  fallback: string | null,
): void {
  if (raw !== null && raw.trim() !== '') {
    const k = normalizeKey(type, raw);
    if (k.ok) {
      c.out.links.push(link(c, role, k.type, k.key, 'EXACT_KEY', 1, EXACT_KEY_MATCHER_VERSION));
      return;
    }
    if (fallback === null) {
      c.out.unresolved.push(unresolvedRef(c, role, type, raw, k.reason, 'INVALID_KEY'));
      return;
    }
  }
  if (fallback !== null && isValidRegistrationNumber(fallback)) {
    c.out.pending.push({
      link: link(c, role, type, '', 'EXACT_KEY', 1, EXACT_KEY_MATCHER_VERSION),
      registrationNumber: fallback,
    });
  } else if (raw !== null || fallback !== null) {
    c.out.unresolved.push(unresolvedRef(c, role, type, raw ?? fallback, 'no valid key', 'INVALID_KEY'));
  }
}

/** A house reference: the resolver weighs the claimed code against the address. */
function addHouse(c: RecordContext, role: Role, claimed: string | null, address: string | null): void {
  const r = c.resolveHouse(claimed, address);
  if (r.link !== null) {
    const l = r.link;
    c.out.links.push(link(c, role, 'HOUSE', l.houseCode, l.method, l.confidence, l.matcherVersion));
  }
  if (r.review !== null) {
    c.out.unresolved.push(
      unresolvedRef(
        c,
        role,
        'HOUSE',
        address ?? claimed,
        r.review.reason,
        r.review.decision,
        claimed,
        r.review.candidates,
        r.link?.houseCode ?? null,
      ),
    );
  }
}

/**
 * The links a record states about canonical entities: by exact keys, and for houses by the resolver,
 * which weighs a claimed house code against the record's address. Without a resolver, claimed house
 * codes of the right shape are taken as they are.
 */
export function extractLinks(
  rec: SourceRecord,
  mapping: RecordMapping,
  resolveHouse: HouseResolver = claimedCodeResolver,
): ExtractedLinks {
  const out: ExtractedLinks = { links: [], unresolved: [], pending: [], registrationNumbers: [] };
  const { validFrom, validTo } = validity(rec);
  const c: RecordContext = { rec, validFrom, validTo, out, resolveHouse };
  let subjectKind: string | null = null;
  if (mapping.subject) {
    const s = mapping.subject;
    const raw = asText(rec.values[s.key]);
    const fallback = s.fallbackKey ? asText(rec.values[s.fallbackKey]) : null;
    addKeyed(c, 'SUBJECT', s.entity, raw, fallback);
    if (s.entity === 'LEGAL_ENTITY' && raw) {
      const uscc = parseUscc(raw);
      if (uscc.ok) {
        subjectKind = entityKindOf(uscc.value.normalized);
        if (fallback && isValidRegistrationNumber(fallback))
          out.registrationNumbers.push([uscc.value.normalized, fallback]);
      }
    }
  }
  for (const ref of mapping.references) extractReference(c, ref, subjectKind);
  return out;
}

function extractReference(c: RecordContext, ref: ReferenceMapping, subjectKind: string | null): void {
  const rec = c.rec;
  const rows: Array<Readonly<Record<string, MappedValue>>> =
    ref.list !== undefined
      ? [...((rec.values[ref.list] as Array<Record<string, MappedValue>> | null) ?? [])]
      : [rec.values];
  for (const row of rows) {
    const raw = ref.key === undefined ? null : asText(row[ref.key]);
    if (ref.entity === 'HOUSE') {
      const address = ref.address === undefined ? null : asText(row[ref.address]);
      // A code that failed mapping (wrong shape) is null in values; the raw text is in the issues.
      const failed = rec.issues.find((i) => i.field === ref.key)?.rawValue ?? null;
      if (raw !== null || failed !== null || address !== null) addHouse(c, ref.role, raw ?? failed, address);
      continue;
    }
    let type: EntityType | undefined = ref.entity;
    if (ref.entityBy) {
      const decoded = asText(row[ref.entityBy.field]);
      type = decoded === null ? undefined : ref.entityBy.map[decoded];
      if (type === undefined) type = 'PERSON';
    }
    // The legal representative of an individual business (个体工商户) is its operator.
    const role: Role =
      ref.role === 'LEGAL_REP' && subjectKind === 'INDIVIDUAL_BUSINESS' ? 'OPERATOR' : ref.role;
    const fallback = ref.fallbackKey ? asText(row[ref.fallbackKey]) : null;
    addKeyed(c, role, type!, raw, fallback);
  }
}
