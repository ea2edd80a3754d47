/**
 * What the conflict rules compare, taken from a mapped source record: one fact row per record (its
 * status, dates, category, measure and claimed house code) and one claim row per statement it makes
 * about who a person is (its subject, and every person it names: owner, lessor, tenant, legal
 * representative, shareholder). Which canonical field feeds which column is declared here once, so a
 * department whose mapping names its fields canonically needs no code to take part.
 */
import type { RecordMapping } from '../config/mappingSchema';
import type { EntityType, Role } from '../config/types';
import type { MappedValue, SourceRecord } from '../connectors/SourceRecord';
import { normalizeKey } from '../resolution/extractLinks';
import { parseIdNumber } from '../resolution/identifiers/idNumber';

export interface SourceFact {
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
  readonly kind: string;
  readonly subjectType: EntityType | null;
  readonly subjectKey: string | null;
  readonly status: string | null;
  readonly category: string | null;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly eventDate: string | null;
  readonly measure: number | null;
  readonly houseClaim: string | null;
  readonly address: string | null;
  readonly sourceUpdatedAt: string | null;
}

export interface PersonClaim {
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
  readonly role: Role;
  readonly ordinal: number;
  readonly rawKey: string | null;
  /** The normalised ID number; null when rawKey is not a valid one. */
  readonly personKey: string | null;
  readonly keyProblem: string | null;
  readonly name: string | null;
  readonly birthDate: string | null;
}

/** The canonical fields behind each fact column; the first one a record has wins. */
export const FACT_FIELDS = {
  status: ['status'],
  category: ['use', 'purpose', 'allowanceKind', 'typeCode'],
  validFrom: ['since', 'startDate', 'established'],
  validTo: ['until', 'endDate'],
  eventDate: ['dateOfDeath'],
  measure: ['area', 'registeredCapital'],
} as const;

const text = (v: MappedValue | undefined): string | null =>
  v === null || v === undefined || typeof v === 'object' ? null : String(v);

function first(values: Readonly<Record<string, MappedValue>>, names: readonly string[]): string | null {
  for (const n of names) {
    const v = text(values[n]);
    if (v !== null) return v;
  }
  return null;
}

function measureOf(values: Readonly<Record<string, MappedValue>>): number | null {
  for (const n of FACT_FIELDS.measure) {
    const v = values[n];
    if (typeof v === 'number') return v;
  }
  return null;
}

/** The house code the record claims (its first house reference's key, as written), and the address. */
function houseOf(
  rec: SourceRecord,
  mapping: RecordMapping,
): { claim: string | null; address: string | null } {
  let claim: string | null = null;
  let address: string | null = null;
  for (const ref of mapping.references) {
    if (ref.entity !== 'HOUSE') continue;
    if (claim === null && ref.key !== undefined) {
      const raw = text(rec.values[ref.key]) ?? rec.issues.find((i) => i.field === ref.key)?.rawValue ?? null;
      if (raw !== null && raw.trim() !== '') claim = raw.trim();
    }
    if (address === null && ref.address !== undefined) address = text(rec.values[ref.address]);
  }
  if (address === null && mapping.kind === 'HOUSE') address = text(rec.values.address);
  return { claim, address };
}

export function factOf(rec: SourceRecord, mapping: RecordMapping): SourceFact {
  const v = rec.values;
  let subjectType: EntityType | null = null;
  let subjectKey: string | null = null;
  if (mapping.subject) {
    const raw = text(v[mapping.subject.key]);
    const k = raw === null ? null : normalizeKey(mapping.subject.entity, raw);
    subjectType = mapping.subject.entity;
    if (k?.ok) {
      subjectType = k.type;
      subjectKey = k.key;
    }
  }
  const house = houseOf(rec, mapping);
  return {
    department: rec.department,
    recordType: rec.recordType,
    sourceId: rec.sourceId,
    kind: rec.kind,
    subjectType,
    subjectKey,
    status: first(v, FACT_FIELDS.status),
    category: first(v, FACT_FIELDS.category),
    validFrom: first(v, FACT_FIELDS.validFrom),
    validTo: first(v, FACT_FIELDS.validTo),
    eventDate: first(v, FACT_FIELDS.eventDate),
    measure: measureOf(v),
    houseClaim: house.claim,
    address: house.address,
    sourceUpdatedAt: rec.updatedAt,
  };
}

function claim(
  rec: SourceRecord,
  role: Role,
  ordinal: number,
  raw: string | null,
  name: string | null,
  birthDate: string | null,
): PersonClaim {
  const parsed = raw === null ? null : parseIdNumber(raw);
  return {
    department: rec.department,
    recordType: rec.recordType,
    sourceId: rec.sourceId,
    role,
    ordinal,
    rawKey: raw,
    personKey: parsed?.ok ? parsed.value.normalized : null,
    keyProblem: parsed === null ? 'EMPTY' : parsed.ok ? null : parsed.problem,
    name,
    birthDate,
  };
}

/**
 * Every statement of the record about who a person is. A key slot holding a company's USCC (a
 * company owner or tenant) is no statement about a person and is left out.
 */
export function personClaimsOf(rec: SourceRecord, mapping: RecordMapping): PersonClaim[] {
  const out: PersonClaim[] = [];
  const v = rec.values;
  const isCompany = (raw: string): boolean => {
    const k = normalizeKey('PERSON', raw);
    return k.ok && k.type === 'LEGAL_ENTITY';
  };
  if (mapping.subject?.entity === 'PERSON') {
    const raw = text(v[mapping.subject.key]);
    const attrs = mapping.subject.attributes;
    out.push(
      claim(
        rec,
        'SUBJECT',
        0,
        raw,
        attrs.includes('name') ? text(v.name) : null,
        attrs.includes('birthDate') ? text(v.birthDate) : null,
      ),
    );
  }
  const ordinals = new Map<Role, number>();
  for (const ref of mapping.references) {
    if (ref.entity === 'HOUSE' || ref.key === undefined) continue;
    if (ref.entity !== undefined && ref.entity !== 'PERSON') continue;
    const rows: ReadonlyArray<Readonly<Record<string, MappedValue>>> =
      ref.list !== undefined ? ((v[ref.list] as Array<Record<string, MappedValue>> | null) ?? []) : [v];
    for (const row of rows) {
      if (ref.entityBy) {
        const decoded = text(row[ref.entityBy.field]);
        if (decoded !== null && ref.entityBy.map[decoded] !== 'PERSON') continue;
      }
      const raw = text(row[ref.key]);
      if (raw === null || raw.trim() === '' || isCompany(raw)) continue;
      const nameField = ref.attributes.name;
      const ordinal = ordinals.get(ref.role) ?? 0;
      ordinals.set(ref.role, ordinal + 1);
      out.push(claim(rec, ref.role, ordinal, raw.trim(), nameField ? text(row[nameField]) : null, null));
    }
  }
  return out;
}
