import { DEPARTMENT_LABELS, type Department, type EntityType, type Role } from '../config/types';
import type { RecordKind } from '../config/mappingSchema';
import type { MappedValue } from '../connectors/SourceRecord';
import { SourceUnavailableError } from '../errors';
import { normalizeKey } from '../resolution/extractLinks';
import type { CrosswalkLink } from '../store/HubStore';
import { attributed, type Attributed, type AttributedObject } from './attributed';
import { listRowsReferring, type EntityRef, type EntityView, type LinkedRecord } from './EntityView';

/** The GraphQL SourceRecord of a linked record. */
export function sourceView(lr: LinkedRecord): Record<string, unknown> {
  const dept = lr.link.department as Department;
  return {
    department: dept.toUpperCase(),
    departmentLabel: DEPARTMENT_LABELS[dept],
    recordType: lr.link.recordType,
    recordId: lr.link.sourceId,
    role: lr.link.role,
    lastUpdated: lr.record?.updatedAt ?? lr.link.sourceUpdatedAt,
    method: lr.link.method,
    confidence: lr.link.confidence,
    issues: lr.record?.issues ?? [],
  };
}

/** A relation object: its leaves attributed to the record's department, plus its source. */
interface RelationObject extends AttributedObject {
  readonly source: Record<string, unknown>;
}

function relation(lr: LinkedRecord, leaves: Record<string, unknown>): RelationObject {
  const dept = lr.link.department as Department;
  const attributes: Record<string, Attributed> = {};
  for (const [k, v] of Object.entries(leaves))
    attributes[k] = attributed(v ?? null, v === null || v === undefined ? [] : [dept]);
  return { attributes, source: sourceView(lr) };
}

/** Fails the field when a department that holds the entity's records of this kind is down. */
function requireReachable(view: EntityView, departments: readonly Department[]): void {
  for (const d of departments) {
    const reason = view.unavailable.get(d);
    if (reason !== undefined) throw new SourceUnavailableError(d, reason);
  }
}

function records(view: EntityView, kinds: readonly RecordKind[], roles: readonly Role[]): LinkedRecord[] {
  return view.records.filter(
    (r) => r.record !== null && kinds.includes(r.record.kind) && roles.includes(r.link.role),
  );
}

const coLink = (lr: LinkedRecord, roles: readonly Role[], type?: EntityType): CrosswalkLink | undefined =>
  lr.link.coLinks.find((c) => roles.includes(c.role) && (type === undefined || c.entityType === type));

const ref = (l: CrosswalkLink | undefined): EntityRef | null =>
  l ? { type: l.entityType, key: l.entityKey } : null;

const isActiveUntil = (until: MappedValue | undefined, today: string): boolean =>
  until === null || until === undefined || String(until) >= today;

function uniqueRefs(refs: ReadonlyArray<EntityRef | null>): EntityRef[] {
  const seen = new Map<string, EntityRef>();
  for (const r of refs) if (r) seen.set(`${r.type}:${r.key}`, r);
  return [...seen.values()].sort((a, b) => a.key.localeCompare(b.key));
}

// ---- Person ---------------------------------------------------------------------------------

export function residences(view: EntityView, today: string): RelationObject[] {
  requireReachable(view, ['police']);
  return records(view, ['RESIDENCE_REGISTRATION', 'PERSON_REGISTRATION'], ['SUBJECT']).map((lr) => {
    const v = lr.record!.values;
    const registration = lr.record!.kind === 'RESIDENCE_REGISTRATION';
    return relation(lr, {
      house: ref(coLink(lr, ['RESIDENCE', 'CURRENT_HOUSE'], 'HOUSE')),
      address: v.address,
      since: registration ? v.since : null,
      until: registration ? v.until : null,
      reason: registration ? v.reason : null,
      active: registration ? isActiveUntil(v.until, today) : v.status === 'NORMAL',
    });
  });
}

/** The house of the newest active registration, else of the registered person's current address. */
export function currentHouse(view: EntityView, today: string): Attributed {
  const active = residences(view, today).filter(
    (r) => r.attributes.active!.value === true && r.attributes.house!.value,
  );
  active.sort((a, b) =>
    String(b.attributes.since!.value ?? '').localeCompare(String(a.attributes.since!.value ?? '')),
  );
  const best = active.find((r) => r.attributes.since!.value !== null) ?? active[0];
  return best ? best.attributes.house! : attributed(null, []);
}

function rental(lr: LinkedRecord, today: string): RelationObject {
  const v = lr.record!.values;
  return relation(lr, {
    contractNumber: v.contractNumber,
    house: ref(coLink(lr, ['RENTED_HOUSE'], 'HOUSE')),
    address: v.address,
    lessor: ref(coLink(lr, ['LESSOR'], 'PERSON')),
    lessorName: v.lessorName,
    tenant: ref(coLink(lr, ['TENANT'])),
    tenantName: v.tenantName,
    startDate: v.startDate,
    endDate: v.endDate,
    monthlyRent: v.monthlyRent,
    purpose: v.purpose,
    active: (v.startDate === null || String(v.startDate) <= today) && isActiveUntil(v.endDate, today),
  });
}

export function personRentals(view: EntityView, today: string): RelationObject[] {
  requireReachable(view, ['housing']);
  return records(view, ['RENTAL'], ['TENANT', 'LESSOR']).map((lr) => rental(lr, today));
}

export function ownedHouses(view: EntityView): EntityRef[] {
  requireReachable(view, ['housing']);
  return uniqueRefs(records(view, ['HOUSE'], ['OWNER']).map((lr) => ref(coLink(lr, ['SUBJECT'], 'HOUSE'))));
}

export function welfare(view: EntityView): RelationObject[] {
  requireReachable(view, ['civil']);
  return records(view, ['ALLOWANCE'], ['SUBJECT']).map((lr) => {
    const v = lr.record!.values;
    return relation(lr, {
      kind: v.allowanceKind,
      status: v.status,
      amount: v.amount,
      since: v.since ?? null,
      personsCovered: v.personsCovered ?? null,
      address: v.address,
    });
  });
}

const ROLE_NAMES: Partial<Record<Role, string>> = {
  LEGAL_REP: 'LEGAL_REPRESENTATIVE',
  OPERATOR: 'OPERATOR',
  SHAREHOLDER: 'SHAREHOLDER',
};

export function legalRoles(view: EntityView): RelationObject[] {
  requireReachable(view, ['market', 'civil']);
  return records(view, ['LEGAL_ENTITY'], ['LEGAL_REP', 'OPERATOR', 'SHAREHOLDER']).map((lr) => {
    const shares =
      lr.link.role === 'SHAREHOLDER'
        ? listRowsReferring(lr.record!.values, 'shareholders', 'id', view)[0]
        : undefined;
    return relation(lr, {
      role: ROLE_NAMES[lr.link.role],
      entity: ref(coLink(lr, ['SUBJECT'], 'LEGAL_ENTITY')),
      subscribedCapital: shares?.subscribedCapital ?? null,
    });
  });
}

export function death(view: EntityView): RelationObject | null {
  requireReachable(view, ['civil']);
  const [lr] = records(view, ['DEATH'], ['SUBJECT']);
  if (!lr) return null;
  return relation(lr, {
    dateOfDeath: lr.record!.values.dateOfDeath,
    cremationDate: lr.record!.values.cremationDate,
  });
}

// ---- House ----------------------------------------------------------------------------------

export function owner(view: EntityView): Attributed {
  requireReachable(view, ['housing']);
  const [lr] = records(view, ['HOUSE'], ['SUBJECT']);
  const o = lr ? ref(coLink(lr, ['OWNER'])) : null;
  return attributed(o, o ? ['housing'] : []);
}

export function residents(view: EntityView, today: string): EntityRef[] {
  requireReachable(view, ['police']);
  const current = records(
    view,
    ['RESIDENCE_REGISTRATION', 'PERSON_REGISTRATION'],
    ['RESIDENCE', 'CURRENT_HOUSE'],
  ).filter((lr) => {
    const v = lr.record!.values;
    return lr.record!.kind === 'RESIDENCE_REGISTRATION'
      ? isActiveUntil(v.until, today)
      : v.status === 'NORMAL';
  });
  return uniqueRefs(current.map((lr) => ref(coLink(lr, ['SUBJECT'], 'PERSON'))));
}

export function houseRentals(view: EntityView, today: string): RelationObject[] {
  requireReachable(view, ['housing']);
  return records(view, ['RENTAL'], ['RENTED_HOUSE']).map((lr) => rental(lr, today));
}

export function houseLegalEntities(view: EntityView): EntityRef[] {
  requireReachable(view, ['market', 'civil']);
  return uniqueRefs(
    records(view, ['LEGAL_ENTITY'], ['REGISTERED_HOUSE', 'OPERATING_HOUSE']).map((lr) =>
      ref(coLink(lr, ['SUBJECT'], 'LEGAL_ENTITY')),
    ),
  );
}

// ---- Legal entity ---------------------------------------------------------------------------

function subjectCoLink(view: EntityView, roles: readonly Role[], type: EntityType): Attributed {
  requireReachable(view, ['market', 'civil']);
  for (const lr of records(view, ['LEGAL_ENTITY'], ['SUBJECT'])) {
    const l = coLink(lr, roles, type);
    if (l) return attributed(ref(l), [lr.link.department as Department]);
  }
  return attributed(null, []);
}

export const legalRepresentative = (view: EntityView): Attributed =>
  subjectCoLink(view, ['LEGAL_REP', 'OPERATOR'], 'PERSON');
export const registeredHouse = (view: EntityView): Attributed =>
  subjectCoLink(view, ['REGISTERED_HOUSE'], 'HOUSE');
export const operatingHouse = (view: EntityView): Attributed =>
  subjectCoLink(view, ['OPERATING_HOUSE'], 'HOUSE');

export function shareholders(view: EntityView): AttributedObject[] {
  requireReachable(view, ['market']);
  return records(view, ['LEGAL_ENTITY'], ['SUBJECT']).flatMap((lr) =>
    ((lr.record!.values.shareholders as Array<Record<string, MappedValue>> | null) ?? []).map((s) => {
      const k = typeof s.id === 'string' ? normalizeKey('PERSON', s.id) : null;
      const target: EntityRef | null = k?.ok ? { type: k.type, key: k.key } : null;
      return relation(lr, {
        name: s.name,
        investorType: s.investorType,
        subscribedCapital: s.subscribedCapital,
        person: target?.type === 'PERSON' ? target : null,
        entity: target?.type === 'LEGAL_ENTITY' ? target : null,
      });
    }),
  );
}
