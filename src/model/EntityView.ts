import type { DepartmentMapping } from '../config/mappingSchema';
import type { Department, EntityType } from '../config/types';
import type { SourceRecord, MappedValue } from '../connectors/SourceRecord';
import { normalizeKey } from '../resolution/extractLinks';
import type { EntityRecordLink } from '../store/HubStore';
import {
  attributed,
  unavailableValue,
  type Attributed,
  type AttributedObject,
  type Origin,
} from './attributed';

/** A canonical entity's identity: what GraphQL passes between resolvers. */
export interface EntityRef {
  readonly type: EntityType;
  readonly key: string;
}

/** A crosswalk link with the department record behind it (null when the department no longer has it). */
export interface LinkedRecord {
  readonly link: EntityRecordLink;
  readonly record: SourceRecord | null;
}

export interface Conflict {
  readonly field: string;
  readonly values: ReadonlyArray<{
    department: Department;
    recordType: string;
    recordId: string;
    value: string;
  }>;
}

/** An entity as the union of what the departments know, each value attributed to its department. */
export interface EntityView extends EntityRef, AttributedObject {
  readonly records: readonly LinkedRecord[];
  /** Departments that hold records of this entity but could not be read, with the reason. */
  readonly unavailable: ReadonlyMap<Department, string>;
  readonly conflicts: readonly Conflict[];
}

/** The components of a standard address, as House.components shows them. */
export const HOUSE_COMPONENTS = [
  'district',
  'street',
  'community',
  'road',
  'doorNumber',
  'compound',
  'building',
  'unit',
  'floor',
  'room',
] as const;

/** Canonical attributes per entity type, apart from the key. */
export const CANONICAL_ATTRIBUTES: Record<EntityType, readonly string[]> = {
  PERSON: [
    'name',
    'sex',
    'birthDate',
    'ethnicity',
    'phone',
    'householdAddress',
    'registrationType',
    'status',
  ],
  HOUSE: ['address', ...HOUSE_COMPONENTS, 'use', 'area', 'status'],
  LEGAL_ENTITY: [
    'name',
    'registrationNumber',
    'typeCode',
    'typeLabel',
    'status',
    'established',
    'registeredCapital',
    'businessScope',
    'registeredAddress',
    'operatingAddress',
    'legalRepresentativeName',
  ],
};

/** Attributes whose differences are expected (a person registered in one table, floating in another). */
const NOT_CONFLICTS = new Set(['registrationType', 'status']);

interface Contribution {
  readonly attribute: string;
  readonly value: string | number;
  readonly department: Department;
  readonly recordType: string;
  readonly recordId: string;
  readonly updatedAt: string;
}

/** The canonical attributes a record states about the entity, in the role in which it refers to it. */
function contributions(entity: EntityRef, lr: LinkedRecord, mapping: DepartmentMapping): Contribution[] {
  const rec = lr.record!;
  const recMapping = mapping.records[rec.recordType];
  if (!recMapping) return [];
  const pairs: Array<[string, MappedValue | undefined]> = [];
  if (lr.link.role === 'SUBJECT' && recMapping.subject) {
    for (const a of recMapping.subject.attributes) pairs.push([a, rec.values[a]]);
  } else {
    const role = lr.link.role === 'OPERATOR' ? 'LEGAL_REP' : lr.link.role;
    for (const ref of recMapping.references.filter((r) => r.role === role)) {
      const rows =
        ref.list !== undefined && ref.key !== undefined
          ? listRowsReferring(rec.values, ref.list, ref.key, entity)
          : [rec.values];
      for (const row of rows)
        for (const [attr, field] of Object.entries(ref.attributes)) pairs.push([attr, row[field]]);
    }
  }
  return pairs.flatMap(([attribute, v]) =>
    v === null || v === undefined || typeof v === 'object'
      ? []
      : [
          {
            attribute,
            value: v,
            department: rec.department,
            recordType: rec.recordType,
            recordId: rec.sourceId,
            updatedAt: rec.updatedAt ?? '',
          },
        ],
  );
}

/** The rows of a list field (e.g. a market entity's shareholders) whose key refers to the entity. */
export function listRowsReferring(
  values: Readonly<Record<string, MappedValue>>,
  list: string,
  keyField: string,
  entity: EntityRef,
): Array<Readonly<Record<string, MappedValue>>> {
  return ((values[list] as Array<Record<string, MappedValue>> | null) ?? []).filter((row) => {
    const k = row[keyField];
    if (typeof k !== 'string') return false;
    const n = normalizeKey(entity.type, k);
    return n.ok && n.key === entity.key;
  });
}

/**
 * Merges the records linked to one entity. Each attribute takes the value of the first department in
 * the configured precedence that states it (the newest record within a department); where records
 * disagree, the disagreement is listed in `conflicts`. An attribute no reachable department states,
 * while a department holding records of the entity is down, is marked unavailable.
 */
export function assembleEntity(
  entity: EntityRef,
  records: readonly LinkedRecord[],
  unavailable: ReadonlyMap<Department, string>,
  mappings: Readonly<Record<Department, DepartmentMapping>>,
  precedence: readonly Department[],
): EntityView {
  const all = records
    .filter((r) => r.record !== null)
    .flatMap((r) => contributions(entity, r, mappings[r.record!.department]));
  const rank = (d: Department): number => precedence.indexOf(d);
  all.sort((a, b) => rank(a.department) - rank(b.department) || b.updatedAt.localeCompare(a.updatedAt));
  const attributes: Record<string, Attributed> = {};
  const conflicts: Conflict[] = [];
  const [firstDown] = [...unavailable.entries()];
  for (const name of CANONICAL_ATTRIBUTES[entity.type]) {
    const stated = all.filter((c) => c.attribute === name);
    const winner = stated[0];
    if (winner) attributes[name] = attributed(winner.value, [winner.department]);
    else if (firstDown) {
      attributes[name] = unavailableValue(firstDown[0], firstDown[1]);
    } else attributes[name] = attributed(null, []);
    const distinct = new Set(stated.map((c) => String(c.value)));
    if (distinct.size > 1 && !NOT_CONFLICTS.has(name)) {
      conflicts.push({
        field: name,
        values: stated.map((c) => ({
          department: c.department,
          recordType: c.recordType,
          recordId: c.recordId,
          value: String(c.value),
        })),
      });
    }
  }
  const keyOrigins: Origin[] = [
    ...new Set(records.filter((r) => r.link.role === 'SUBJECT').map((r) => r.link.department as Department)),
  ];
  if (keyOrigins.length === 0) keyOrigins.push('hub');
  attributes.key = attributed(entity.key, keyOrigins);
  return { ...entity, attributes, records, unavailable, conflicts };
}
