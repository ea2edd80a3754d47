import DataLoader from 'dataloader';
import { DEPARTMENTS, ENTITY_TYPES, type Department, type EntityType } from '../config/types';
import { refKey, type RecordRef } from '../connectors/Connector';
import type { SourceRecord } from '../connectors/SourceRecord';
import { DepartmentError } from '../errors';
import { assembleEntity, type EntityView, type LinkedRecord } from '../model/EntityView';
import type { GridRow, GridStats } from '../store/HubStore';
import type { Hub } from './Hub';
import { ProvenanceCollector } from './provenance';

export interface Loaders {
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

function viewLoader(
  hub: Hub,
  type: EntityType,
  records: Loaders['records'],
): DataLoader<string, EntityView | null> {
  return new DataLoader(async (keys) => {
    const links = await hub.store.linksByEntity(type, keys);
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

export function createContext(hub: Hub, options: { provenance: boolean }): RequestContext {
  const unavailable = new Map<Department, string>();
  const records = Object.fromEntries(
    DEPARTMENTS.map((d) => [d, recordLoader(hub, d, unavailable)]),
  ) as Loaders['records'];
  const views = Object.fromEntries(
    ENTITY_TYPES.map((t) => [t, viewLoader(hub, t, records)]),
  ) as Loaders['views'];
  const today = hub.today();
  return {
    hub,
    unavailable,
    today,
    provenance: options.provenance ? new ProvenanceCollector() : null,
    loaders: {
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
