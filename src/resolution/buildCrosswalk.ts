import type { Connectors } from '../connectors/createConnectors';
import type { SourceRecord } from '../connectors/SourceRecord';
import type { HubStore } from '../store/HubStore';
import type { Link, PendingRegistrationNumber, UnresolvedReference } from './extractLinks';
import { extractLinks } from './extractLinks';
import type { AddressBase } from './matcher/addressBase';
import type { HouseResolver } from './matcher/houseResolver';
import { claimedCodeResolver, createHouseResolver } from './matcher/houseResolver';
import { loadAddressBase } from './matcher/loadAddressBase';

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
 * Builds the crosswalk by reading every department in full: exact keys, legacy registration numbers
 * paired with USCCs, and house references resolved against housing's standard address base. A
 * department that fails is reported and skipped, its existing links are left as they were. Without
 * the address base (housing down), claimed house codes are taken as they are and addresses wait.
 */
export async function buildCrosswalk(
  connectors: Connectors,
  store: HubStore,
  onProgress?: (department: string, records: number) => void,
  options: { addressBase?: AddressBase } = {},
): Promise<CrosswalkBuildReport> {
  const t0 = Date.now();
  let resolveHouse: HouseResolver = claimedCodeResolver;
  let addressBase: CrosswalkBuildReport['addressBase'];
  try {
    const base = options.addressBase ?? (await loadAddressBase(connectors.housing));
    resolveHouse = createHouseResolver(base);
    addressBase = { houses: base.size, durationMs: Date.now() - t0 };
  } catch (err) {
    addressBase = { error: (err as Error).message };
  }
  const byDepartment: CrosswalkBuildReport['byDepartment'] = {};
  let records = 0;
  let links = 0;
  let unresolvedCount = 0;
  for (const connector of Object.values(connectors)) {
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
      for (const [recordType, mapping] of Object.entries(connector.mapping.records)) {
        for await (const batch of connector.scan(recordType, null, BATCH)) {
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
                reason: 'only a legacy registration number, and no record pairs it with a USCC',
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
  return {
    records,
    links,
    unresolved: unresolvedCount,
    addressBase,
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
