/**
 * Incremental sync, with identity resolution on the records it reads: for each department and
 * record type, the records changed since the watermark are read in (watermark, key) order; each page
 * is resolved (links, review entries, facts, person claims) and written with the watermark after it
 * in one transaction. Deleted records are found by comparing counts, and only then keys. A department
 * that fails keeps its last committed watermark and the others go on.
 */
import type { RecordMapping } from '../config/mappingSchema';
import type { Department } from '../config/types';
import type { Connector, Watermark } from '../connectors/Connector';
import type { Connectors } from '../connectors/createConnectors';
import type { SourceRecord } from '../connectors/SourceRecord';
import { readingOrder } from '../resolution/buildCrosswalk';
import { AWAITING_PAIR, extractLinks, type Link, type UnresolvedReference } from '../resolution/extractLinks';
import { AddressBaseBuilder, holdsUnchanged, type AddressBase } from '../resolution/matcher/addressBase';
import {
  claimedCodeResolver,
  createHouseResolver,
  type HouseResolver,
} from '../resolution/matcher/houseResolver';
import { baseRowOf, houseRecordType, loadAddressBase } from '../resolution/matcher/loadAddressBase';
import type { FactStore, RecordKey, SyncBatch } from './factStore';
import { factOf, personClaimsOf, type PersonClaim, type SourceFact } from './facts';

export interface RecordTypeSync {
  read: number;
  deleted: number;
  links: number;
  unresolved: number;
  from: Watermark | null;
  to: Watermark | null;
}

export interface DepartmentSync {
  read: number;
  deleted: number;
  links: number;
  unresolved: number;
  ms: number;
  recordTypes: Record<string, RecordTypeSync>;
  error?: string;
}

export interface SyncProgress {
  readonly department: string;
  readonly recordType: string;
  readonly done: number;
  readonly total: number;
}

export interface SyncOptions {
  readonly connectors: Connectors;
  readonly facts: FactStore;
  readonly departments: readonly Department[];
  readonly runId: number;
  readonly batchSize: number;
  /** The address base of an earlier run in this process, or null to build or load one. */
  readonly addressBase: AddressBase | null;
  readonly onProgress?: (p: SyncProgress) => void;
}

export interface SyncResult {
  readonly departments: Partial<Record<Department, DepartmentSync>>;
  /** The address base the run resolved against, for the next run of the process. */
  readonly addressBase: AddressBase | null;
}

/** The address base: given, built from a full read of the house records, or loaded when first needed. */
class BaseSource {
  private base: AddressBase | null;
  private builder: AddressBaseBuilder | null = null;
  /** A changed house record the base does not hold as it now is. */
  private outdated = false;
  private resolving: Promise<HouseResolver> | null = null;

  constructor(
    private readonly housing: Connector,
    given: AddressBase | null,
  ) {
    this.base = given;
  }

  get current(): AddressBase | null {
    return this.base;
  }

  /** The house records are about to be read in full: build the base from them as they pass. */
  startBuilding(): void {
    this.builder = new AddressBaseBuilder();
  }

  /** House records read: added to the base being built, or checked against the base in hand. */
  feed(batch: readonly SourceRecord[]): void {
    for (const rec of batch) {
      const row = baseRowOf(rec);
      if (row === null) continue;
      if (this.builder !== null) this.builder.add(row);
      else if (this.base !== null && !holdsUnchanged(this.base, row)) this.outdated = true;
    }
  }

  /**
   * The house records are read: a base built from them takes over. A base in hand stays unless a
   * changed record differs from it in what the matcher reads, or houses were deleted: then it is
   * loaded again when next needed.
   */
  housesRead(dropBase: boolean): void {
    if (this.builder !== null) {
      this.base = this.builder.build();
      this.builder = null;
    } else if (this.outdated || dropBase) this.base = null;
    this.outdated = false;
    this.resolving = null;
  }

  /**
   * The resolver for house references, once for all departments syncing at the same time. Housing
   * down: claimed codes are taken as they are and addresses wait in the review queue.
   */
  resolve(): Promise<HouseResolver> {
    this.resolving ??= (async () => {
      if (this.base === null) {
        try {
          this.base = await loadAddressBase(this.housing);
        } catch {
          return claimedCodeResolver;
        }
      }
      return createHouseResolver(this.base);
    })();
    return this.resolving;
  }
}

/** Resolves one page: links, review entries, facts, claims and USCC ↔ number pairs. */
function resolvePage(
  page: readonly SourceRecord[],
  mapping: RecordMapping,
  resolveHouse: HouseResolver,
  pairs: Map<string, string>,
): SyncBatch {
  const records: RecordKey[] = [];
  const facts: SourceFact[] = [];
  const claims: PersonClaim[] = [];
  const links: Link[] = [];
  const unresolved: UnresolvedReference[] = [];
  const newPairs: Array<[string, string]> = [];
  const extracted = page.map((rec) => extractLinks(rec, mapping, resolveHouse));
  for (const x of extracted) {
    for (const [uscc, regNo] of x.registrationNumbers) {
      pairs.set(regNo, uscc);
      newPairs.push([uscc, regNo]);
    }
  }
  page.forEach((rec, i) => {
    const x = extracted[i]!;
    records.push({ department: rec.department, recordType: rec.recordType, sourceId: rec.sourceId });
    facts.push(factOf(rec, mapping));
    claims.push(...personClaimsOf(rec, mapping));
    links.push(...x.links);
    unresolved.push(...x.unresolved);
    for (const p of x.pending) {
      const uscc = pairs.get(p.registrationNumber);
      if (uscc) links.push({ ...p.link, entityKey: uscc });
      // Linked by FactStore.linkAwaitingPairs once a later page or run reads the pair.
      else
        unresolved.push({
          ...p.link,
          rawValue: p.registrationNumber,
          reason: AWAITING_PAIR,
          decision: 'UNMATCHED',
        });
    }
  });
  return { records, facts, claims, links, unresolved, pairs: newPairs };
}

async function syncRecordType(
  o: SyncOptions,
  connector: Connector,
  recordType: string,
  mapping: RecordMapping,
  from: Watermark | null,
  base: BaseSource,
  pairs: Map<string, string>,
  isHouses: boolean,
): Promise<RecordTypeSync> {
  const stats: RecordTypeSync = { read: 0, deleted: 0, links: 0, unresolved: 0, from, to: from };
  const department = connector.department;
  // Every record is read again: the detection after it evaluates the rules over the whole mirror.
  if (from === null) await o.facts.needCompleteDetection(`first sync of ${department}.${recordType}`);
  const total = await connector.count(recordType, from);
  o.onProgress?.({ department, recordType, done: 0, total });
  if (isHouses && from === null) base.startBuilding();
  // House records refer to no house: they need no address base, and must not wait for one. Others
  // wait for it only once a record has changed.
  let resolveHouse: HouseResolver | null = isHouses ? claimedCodeResolver : null;
  // A first sync into a store that holds nothing of the record type has nothing to replace: its
  // pages skip the deletes, except a page with a record read before in this scan (changed while it
  // ran, so read again after the new watermark), which replaces what the earlier page wrote.
  const seen = from === null && !(await o.facts.holdsAny(department, recordType)) ? new Set<string>() : null;
  // One page is written while the next is read and resolved, so the store's work overlaps ours.
  let writing: Promise<void> = Promise.resolve();
  for await (const page of connector.scan(recordType, from, o.batchSize)) {
    if (isHouses) base.feed(page.records);
    resolveHouse ??= await base.resolve();
    const batch = resolvePage(page.records, mapping, resolveHouse, pairs);
    let fresh = false;
    if (seen !== null) {
      fresh = !page.records.some((r) => seen.has(r.sourceId));
      for (const r of page.records) seen.add(r.sourceId);
    }
    await writing;
    writing = o.facts.write(batch, { department, recordType, ...page.watermark, runId: o.runId }, fresh);
    // Handled here so that a failure surfaces at the next await instead of crashing the process.
    writing.catch(() => undefined);
    stats.read += page.records.length;
    stats.links += batch.links.length;
    stats.unresolved += batch.unresolved.length;
    stats.to = page.watermark;
    o.onProgress?.({ department, recordType, done: stats.read, total: Math.max(total, stats.read) });
  }
  await writing;
  // The mirror holds every record the source ever had since the last full comparison: more rows
  // than the source means some were deleted there.
  const [sourceCount, mirrorCount] = await Promise.all([
    connector.count(recordType, null),
    o.facts.factCount(department, recordType),
  ]);
  if (mirrorCount !== sourceCount) {
    const gone = await o.facts.vanished(department, recordType, connector.keys(recordType, 10_000));
    for (let i = 0; i < gone.length; i += o.batchSize) {
      const ids = gone.slice(i, i + o.batchSize);
      await o.facts.write(
        {
          records: ids.map((sourceId) => ({ department, recordType, sourceId })),
          facts: [],
          claims: [],
          links: [],
          unresolved: [],
          pairs: [],
        },
        null,
      );
    }
    stats.deleted = gone.length;
  }
  if (isHouses) base.housesRead(stats.deleted > 0);
  return stats;
}

/**
 * Housing's house records first (every other house reference is matched against the address base
 * they make), then every other record type: one lane per department, the lanes in parallel, so the
 * store's work for one overlaps reading and resolving for another.
 */
export async function syncDepartments(o: SyncOptions): Promise<SyncResult> {
  const base = new BaseSource(o.connectors.housing, o.addressBase);
  const houseType = (() => {
    try {
      return houseRecordType(o.connectors.housing.mapping);
    } catch {
      return null;
    }
  })();
  const watermarks = await o.facts.watermarks();
  const pairs = await o.facts.pairs();
  const out: SyncResult['departments'] = {};
  const lanes = readingOrder(o.connectors).filter(([c]) => o.departments.includes(c.department));
  const started = new Map<Department, number>();
  const statsOf = (department: Department): DepartmentSync => {
    if (!out[department]) {
      out[department] = { read: 0, deleted: 0, links: 0, unresolved: 0, ms: 0, recordTypes: {} };
      started.set(department, Date.now());
    }
    return out[department]!;
  };
  const syncType = async (
    connector: Connector,
    recordType: string,
    mapping: RecordMapping,
  ): Promise<void> => {
    const stats = statsOf(connector.department);
    const isHouses = connector.department === 'housing' && recordType === houseType;
    const from = o.facts.watermarkOf(watermarks, connector.department, recordType);
    const r = await syncRecordType(o, connector, recordType, mapping, from, base, pairs, isHouses);
    stats.recordTypes[recordType] = r;
    stats.read += r.read;
    stats.deleted += r.deleted;
    stats.links += r.links;
    stats.unresolved += r.unresolved;
  };
  const failed = (connector: Connector, err: unknown): void => {
    statsOf(connector.department).error = (err as Error).message;
    // A failure while reading the house records leaves no base to trust.
    if (connector.department === 'housing') base.housesRead(true);
  };
  const housesFirst = lanes.find(([c]) => c.department === 'housing')?.[1].find(([rt]) => rt === houseType);
  if (housesFirst) {
    try {
      await syncType(o.connectors.housing, housesFirst[0], housesFirst[1]);
    } catch (err) {
      failed(o.connectors.housing, err);
    }
  }
  await Promise.all(
    lanes.map(async ([connector, recordTypes]) => {
      statsOf(connector.department);
      if (out[connector.department]!.error) return;
      try {
        for (const [recordType, mapping] of recordTypes) {
          if (connector.department === 'housing' && recordType === houseType) continue;
          await syncType(connector, recordType, mapping);
        }
      } catch (err) {
        failed(connector, err);
      }
      out[connector.department]!.ms = Date.now() - started.get(connector.department)!;
    }),
  );
  return { departments: out, addressBase: base.current };
}
