import type { DepartmentMapping } from '../config/mappingSchema';
import type { Criterion } from '../connectors/Connector';
import type { SourceRecord } from '../connectors/SourceRecord';
import { DepartmentError } from '../errors';
import type { EntityRef } from '../model/EntityView';
import { parseIdNumber } from '../resolution/identifiers/idNumber';
import { ENTITY_KINDS, type EntityKind } from '../resolution/identifiers/uscc';
import type { RequestContext } from '../graphql/context';

const SEARCH_LIMIT = 500;

async function searchEach(
  ctx: RequestContext,
  pick: (mapping: DepartmentMapping, recordType: string) => { criteria: Criterion[]; orderBy: string } | null,
  limit: number,
): Promise<SourceRecord[]> {
  const found = await Promise.all(
    Object.values(ctx.hub.connectors).flatMap((c) =>
      Object.keys(c.mapping.records).map(async (recordType) => {
        const q = pick(c.mapping, recordType);
        if (!q) return [];
        try {
          return await c.search(recordType, q.criteria, q.orderBy, limit);
        } catch (err) {
          // A department that is down costs only its own results; the response says which.
          if (!(err instanceof DepartmentError)) throw err;
          ctx.unavailable.set(c.department, err.message);
          return [];
        }
      }),
    ),
  );
  return found.flat();
}

/**
 * Persons by exact name (and birth date, which every valid ID number encodes) across every record
 * type whose subject is a person, resolved to canonical persons through the crosswalk.
 */
export async function searchPersons(
  ctx: RequestContext,
  name: string,
  birthDate: string | null,
  after: string | null,
  first: number,
): Promise<EntityRef[]> {
  const hits = await searchEach(
    ctx,
    (m, rt) => {
      const rec = m.records[rt]!;
      if (rec.subject?.entity !== 'PERSON' || !('name' in rec.fields)) return null;
      return { criteria: [{ field: 'name', op: 'eq', value: name }], orderBy: rec.subject.key };
    },
    SEARCH_LIMIT,
  );
  const links = await ctx.hub.store.linksBySource(hits);
  const keys = new Set<string>();
  for (const ls of links.values()) {
    for (const l of ls) if (l.role === 'SUBJECT' && l.entityType === 'PERSON') keys.add(l.entityKey);
  }
  return [...keys]
    .filter((k) => after === null || k > after)
    .filter((k) => {
      if (birthDate === null) return true;
      const id = parseIdNumber(k);
      return id.ok && id.value.birthDate === birthDate;
    })
    .sort()
    .slice(0, first + 1)
    .map((key) => ({ type: 'PERSON', key }));
}

export interface LegalEntityFilter {
  readonly nameContains?: string | null;
  readonly kind?: EntityKind | null;
  readonly status?: string | null;
}

/** The source code that a canonical code-table value came from, e.g. ACTIVE → '1' for REGSTATE. */
function encode(mapping: DepartmentMapping, recordType: string, field: string, value: string): string | null {
  const f = mapping.records[recordType]?.fields[field];
  if (!f || f.type === 'list' || f.code === undefined) return value;
  const entry = Object.entries(mapping.codeTables[f.code] ?? {}).find(([, v]) => v === value);
  return entry ? entry[0] : null;
}

/** Legal entities from every department that registers them, merged in USCC order. */
export async function searchLegalEntities(
  ctx: RequestContext,
  filter: LegalEntityFilter,
  after: string | null,
  first: number,
): Promise<EntityRef[]> {
  const prefix = filter.kind
    ? Object.entries(ENTITY_KINDS).find(([, k]) => k === filter.kind)?.[0]
    : undefined;
  if (filter.kind && !prefix) return [];
  const hits = await searchEach(
    ctx,
    (m, rt) => {
      const rec = m.records[rt]!;
      if (rec.subject?.entity !== 'LEGAL_ENTITY' || rec.subject.key !== 'uscc') return null;
      const criteria: Criterion[] = [{ field: 'uscc', op: 'gt', value: after ?? '' }];
      if (filter.nameContains) criteria.push({ field: 'name', op: 'contains', value: filter.nameContains });
      if (prefix) criteria.push({ field: 'uscc', op: 'prefix', value: prefix });
      if (filter.status) {
        const code = encode(m, rt, 'status', filter.status);
        if (code === null) return null;
        criteria.push({ field: 'status', op: 'eq', value: code });
      }
      return { criteria, orderBy: 'uscc' };
    },
    first + 1,
  );
  const keys = new Set(hits.map((h) => h.values.uscc).filter((u): u is string => typeof u === 'string'));
  return [...keys]
    .sort()
    .slice(0, first + 1)
    .map((key) => ({ type: 'LEGAL_ENTITY', key }));
}
