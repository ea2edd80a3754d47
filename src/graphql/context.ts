import DataLoader from 'dataloader';
import { DEPARTMENTS, ENTITY_TYPES, type Department, type EntityType } from '../config/types';
import { refKey, type RecordRef } from '../connectors/Connector';
import type { SourceRecord } from '../connectors/SourceRecord';
import { DepartmentError } from '../errors';
import { assembleEntity, type EntityView, type LinkedRecord } from '../model/EntityView';
import type { Access } from '../auth/access';
import type { AccessMode } from '../audit/record';
import { Jurisdiction } from '../auth/jurisdiction';
import type { EntityRecordLink, GridRow, GridStats } from '../store/HubStore';
import type { Hub } from './Hub';
import { ProvenanceCollector } from './provenance';

export interface Loaders {
  /** One per entity type: every record linked to the entity, with the other references each makes. */
  readonly links: Readonly<Record<EntityType, DataLoader<string, EntityRecordLink[]>>>;
  /** One per department: source records by source key, every record type in one round trip. */
  readonly records: Readonly<Record<Department, DataLoader<RecordRef, SourceRecord | null, string>>>;
  /** One per entity type: the entity merged from every department that knows it. */
  readonly views: Readonly<Record<EntityType, DataLoader<string, EntityView | null>>>;
  readonly grids: DataLoader<string, GridRow | null>;
  readonly gridStats: DataLoader<string, GridStats>;
  readonly gridHouseCounts: DataLoader<string, number>;
}

export interface RequestContext {
  readonly hub: Hub;
  readonly loaders: Loaders;
  /** Null when the request turned provenance off. */
  readonly provenance: ProvenanceCollector | null;
  /** Departments that failed during this request, for extensions.unavailableSources. */
  readonly unavailable: Map<Department, string>;
  readonly today: string;
  /** Who asks and for what; null only on the schema built without the permission layer. */
  readonly access: Access | null;
  /** The caller's jurisdiction; null when a role of theirs reads the whole hub (or without the layer). */
  readonly scope: Jurisdiction | null;
  /** Response paths (list indexes collapsed) that carry masked values, for extensions.masked. */
  readonly masked: Set<string>;
  /** What the response showed, for its audit record; null without the permission layer. */
  readonly accessSet: AccessSet | null;
  /** Where the request came from, for its audit record. */
  readonly client: ClientInfo;
}

export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** Each `Type.field` served and its mode, and each entity returned, by `TYPE:key`. */
export class AccessSet {
  readonly fields = new Map<string, AccessMode>();
  readonly entities = new Map<string, { type: string; key: string }>();
  readonly note = (ref: { type: string; key: string }): void => {
    this.entities.set(`${ref.type}:${ref.key}`, { type: ref.type, key: ref.key });
  };
}

function recordLoader(
  hub: Hub,
  department: Department,
  unavailable: Map<Department, string>,
): DataLoader<RecordRef, SourceRecord | null, string> {
  return new DataLoader(
    async (refs) => {
      try {
        const found = await hub.connectors[department].loadByIds(refs);
        return refs.map((r) => found.get(refKey(r)) ?? null);
      } catch (err) {
        unavailable.set(department, (err as Error).message);
        throw err;
      }
    },
    { cacheKeyFn: refKey },
  );
}

function linksLoader(hub: Hub, type: EntityType): DataLoader<string, EntityRecordLink[]> {
  return new DataLoader(async (keys) => {
    const found = await hub.store.linksByEntity(type, keys);
    return keys.map((k) => found.get(k) ?? []);
  });
}

function viewLoader(
  hub: Hub,
  type: EntityType,
  records: Loaders['records'],
  linksOf: DataLoader<string, EntityRecordLink[]>,
): DataLoader<string, EntityView | null> {
  return new DataLoader(async (keys) => {
    // Through the links loader, so that the jurisdiction check and the view share one query.
    const found = await Promise.all(keys.map((k) => linksOf.load(k)));
    const links = new Map(keys.map((k, i) => [k, found[i]!]));
    // Every record of every entity in this batch is requested in the same tick, so each department
    // sees one batch: one round trip per department, however many entities there are.
    const perEntity = await Promise.all(
      keys.map(async (key) => {
        const entityLinks = links.get(key) ?? [];
        const unavailable = new Map<Department, string>();
        const linked = await Promise.all(
          entityLinks.map(async (link): Promise<LinkedRecord | null> => {
            const dept = link.department as Department;
            try {
              return {
                link,
                record: await records[dept].load({ recordType: link.recordType, sourceId: link.sourceId }),
              };
            } catch (err) {
              if (!(err instanceof DepartmentError)) throw err;
              unavailable.set(dept, err.message);
              return null;
            }
          }),
        );
        return { key, entityLinks, unavailable, linked: linked.filter((l): l is LinkedRecord => l !== null) };
      }),
    );
    const { mappings, config } = hub.loaded;
    return perEntity.map(({ key, entityLinks, unavailable, linked }) =>
      entityLinks.length === 0
        ? null
        : assembleEntity({ type, key }, linked, unavailable, mappings, config.precedence[type]),
    );
  });
}

export function createContext(
  hub: Hub,
  options: { provenance: boolean; access?: Access | null; client?: ClientInfo },
): RequestContext {
  const unavailable = new Map<Department, string>();
  const records = Object.fromEntries(
    DEPARTMENTS.map((d) => [d, recordLoader(hub, d, unavailable)]),
  ) as Loaders['records'];
  const links = Object.fromEntries(ENTITY_TYPES.map((t) => [t, linksLoader(hub, t)])) as Loaders['links'];
  const views = Object.fromEntries(
    ENTITY_TYPES.map((t) => [t, viewLoader(hub, t, records, links[t])]),
  ) as Loaders['views'];
  const today = hub.today();
  const access = options.access ?? null;
  return {
    hub,
    unavailable,
    today,
    access,
    scope:
      access?.jurisdiction != null
        ? new Jurisdiction(access.jurisdiction, (ref) => links[ref.type].load(ref.key), today)
        : null,
    masked: new Set(),
    accessSet: access ? new AccessSet() : null,
    client: options.client ?? { ip: null, userAgent: null },
    provenance: options.provenance ? new ProvenanceCollector() : null,
    loaders: {
      links,
      records,
      views,
      grids: new DataLoader(async (codes) => {
        const found = await hub.store.grids(codes);
        return codes.map((c) => found.get(c) ?? null);
      }),
      gridStats: new DataLoader(async (codes) => {
        const found = await hub.store.gridStats(codes, today);
        return codes.map(
          (c) => found.get(c) ?? { persons: 0, floatingPersons: 0, houses: 0, rentals: 0, entities: 0 },
        );
      }),
      gridHouseCounts: new DataLoader(async (codes) => {
        const found = await hub.store.countHousesInGrids(codes);
        return codes.map((c) => found.get(c) ?? 0);
      }),
    },
  };
}
