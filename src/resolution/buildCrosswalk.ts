import type { RecordMapping } from '../config/mappingSchema';
import type { Connector } from '../connectors/Connector';
import type { Connectors } from '../connectors/createConnectors';
import type { SourceRecord } from '../connectors/SourceRecord';
import type { HubStore } from '../store/HubStore';
import type { Link, PendingRegistrationNumber, UnresolvedReference } from './extractLinks';
import { AWAITING_PAIR, extractLinks } from './extractLinks';
import { AddressBaseBuilder, type AddressBase } from './matcher/addressBase';
import type { HouseResolver } from './matcher/houseResolver';
import { claimedCodeResolver, createHouseResolver } from './matcher/houseResolver';
import { baseRowOf, houseRecordType } from './matcher/loadAddressBase';

export interface CrosswalkBuildReport {
  readonly records: number;
  readonly links: number;
  readonly unresolved: number;
  /** The standard address base house references were matched against, or why it was unavailable. */
  readonly addressBase: { houses: number; durationMs: number } | { error: string };
  readonly byDepartment: Record<
    string,
    { records: number; links: number; unresolved: number; error?: string }
  >;
  readonly durationMs: number;
}

const BATCH = 2000;

/**
 * The order a full read takes: housing first, its house records (the standard address base) first,
 * so that the base is complete before any other house reference is resolved against it.
 */
export function readingOrder(connectors: Connectors): Array<[Connector, Array<[string, RecordMapping]>]> {
  const houseType = (() => {
    try {
      return houseRecordType(connectors.housing.mapping);
    } catch {
      return null;
    }
  })();
  const others = Object.values(connectors).filter((c) => c !== connectors.housing);
  return [connectors.housing, ...others].map((c) => [
    c,
    Object.entries(c.mapping.records).sort(([a], [b]) => Number(b === houseType) - Number(a === houseType)),
  ]);
}

/** Builds the address base from the house records as they stream past, and hands out the resolver. */
export class AddressBaseFeed {
  private builder: AddressBaseBuilder | null;
  private base: AddressBase | null;
  private resolver: HouseResolver;
  private readonly houseType: string | null;
  private started = 0;
  private durationMs = 0;

  constructor(housing: Connector, given?: AddressBase) {
    this.base = given ?? null;
    this.builder = given ? null : new AddressBaseBuilder();
    this.resolver = given ? createHouseResolver(given) : claimedCodeResolver;
    let houseType: string | null = null;
    try {
      houseType = houseRecordType(housing.mapping);
    } catch {
      // reported by report() as the base being unavailable
    }
    this.houseType = housing.department === 'housing' ? houseType : null;
  }

  /** Until the base is complete: claimed codes taken as they are (house records refer to no house). */
  get resolveHouse(): HouseResolver {
    return this.resolver;
  }

  feeds(connector: Connector, recordType: string): boolean {
    return this.builder !== null && connector.department === 'housing' && recordType === this.houseType;
  }

  add(batch: readonly SourceRecord[]): void {
    if (this.started === 0) this.started = Date.now();
    for (const rec of batch) {
      const row = baseRowOf(rec);
      if (row !== null) this.builder!.add(row);
    }
  }

  /** The house records are all read: the base is built and the address resolver takes over. */
  complete(): AddressBase | null {
    if (this.builder === null) return null;
    this.base = this.builder.build();
    this.builder = null;
    this.resolver = createHouseResolver(this.base);
    this.durationMs = Date.now() - (this.started || Date.now());
    return this.base;
  }

  report(housingError: string | undefined): CrosswalkBuildReport['addressBase'] {
    if (this.base !== null) return { houses: this.base.size, durationMs: this.durationMs };
    if (this.houseType === null) return { error: 'the housing mapping has no record of kind HOUSE' };
    return { error: housingError ?? 'the house records were not read' };
  }
}

/**
 * Builds the crosswalk by reading every department in full: exact keys, legacy registration numbers
 * paired with USCCs, and house references resolved against housing's standard address base, built
 * from housing's house records as they are read (or given). A department that fails is reported and
 * skipped, its existing links are left as they were. Without the address base (housing down),
 * claimed house codes are taken as they are and addresses wait in the review queue.
 */
export async function buildCrosswalk(
  connectors: Connectors,
  store: HubStore,
  onProgress?: (department: string, records: number) => void,
  options: {
    addressBase?: AddressBase;
    /** Called with the base built from the house records, e.g. to keep it for matchAddress. */
    onAddressBase?: (base: AddressBase) => void;
    batchSize?: number;
  } = {},
): Promise<CrosswalkBuildReport> {
  const t0 = Date.now();
  const batchSize = options.batchSize ?? BATCH;
  const feed = new AddressBaseFeed(connectors.housing, options.addressBase);
  const byDepartment: CrosswalkBuildReport['byDepartment'] = {};
  let records = 0;
  let links = 0;
  let unresolvedCount = 0;
  for (const [connector, recordTypes] of readingOrder(connectors)) {
    const stats = { records: 0, links: 0, unresolved: 0 } as CrosswalkBuildReport['byDepartment'][string];
    byDepartment[connector.department] = stats;
    // Records known only by a legacy registration number wait until every USCC↔number pair of the
    // department has been seen; they are few, so they are held in memory.
    const deferred: Array<{
      rec: SourceRecord;
      links: Link[];
      unresolved: UnresolvedReference[];
      pending: PendingRegistrationNumber[];
    }> = [];
    const registrationNumbers = new Map<string, string>();
    // One batch is written while the next is read and resolved, so the store's work overlaps ours.
    let writing: Promise<void> = Promise.resolve();
    try {
      for (const [recordType, mapping] of recordTypes) {
        const feeding = feed.feeds(connector, recordType);
        for await (const batch of connector.readAll(recordType, batchSize)) {
          if (feeding) feed.add(batch);
          const resolveHouse = feed.resolveHouse;
          const batchLinks: Link[] = [];
          const batchUnresolved: UnresolvedReference[] = [];
          const written: SourceRecord[] = [];
          for (const rec of batch) {
            const x = extractLinks(rec, mapping, resolveHouse);
            for (const [uscc, regNo] of x.registrationNumbers) registrationNumbers.set(regNo, uscc);
            if (x.pending.length > 0) {
              deferred.push({ rec, links: x.links, unresolved: x.unresolved, pending: x.pending });
              continue;
            }
            written.push(rec);
            batchLinks.push(...x.links);
            batchUnresolved.push(...x.unresolved);
          }
          await writing;
          writing = store.replaceLinks(written.map(recordRef), batchLinks, batchUnresolved);
          // Handled here so that a failure waits for the next await instead of crashing the process.
          writing.catch(() => undefined);
          stats.records += batch.length;
          stats.links += batchLinks.length;
          stats.unresolved += batchUnresolved.length;
          onProgress?.(connector.department, stats.records);
        }
        if (feeding) {
          const base = feed.complete();
          if (base !== null) options.onAddressBase?.(base);
        }
      }
      await writing;
      if (deferred.length > 0) {
        const links: Link[] = [];
        const unresolved: UnresolvedReference[] = [];
        for (const d of deferred) {
          links.push(...d.links);
          unresolved.push(...d.unresolved);
          for (const p of d.pending) {
            const uscc = registrationNumbers.get(p.registrationNumber);
            if (uscc) links.push({ ...p.link, entityKey: uscc });
            else {
              unresolved.push({
                ...p.link,
                rawValue: p.registrationNumber,
                reason: AWAITING_PAIR,
                decision: 'UNMATCHED',
              });
            }
          }
        }
        await store.replaceLinks(
          deferred.map((d) => recordRef(d.rec)),
          links,
          unresolved,
        );
        stats.links += links.length;
        stats.unresolved += unresolved.length;
      }
    } catch (err) {
      await writing.catch(() => undefined);
      stats.error = (err as Error).message;
    }
    records += stats.records;
    links += stats.links;
    unresolvedCount += stats.unresolved;
  }
  // Every link may have changed: the next detection re-reads the whole mirror, not what a sync touched.
  await store.needCompleteDetection('the crosswalk was rebuilt');
  return {
    records,
    links,
    unresolved: unresolvedCount,
    addressBase: feed.report(byDepartment.housing?.error),
    byDepartment,
    durationMs: Date.now() - t0,
  };
}

const recordRef = (
  r: SourceRecord,
): {
  department: string;
  recordType: string;
  sourceId: string;
} => ({ department: r.department, recordType: r.recordType, sourceId: r.sourceId });
