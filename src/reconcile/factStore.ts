/**
 * The sync stage's writes to the hub store: mirrored facts and person claims, USCC ↔ registration
 * number pairs, and watermarks. A batch of records is written in one transaction with the crosswalk
 * links resolved from it and the watermark that covers it, so a run killed at any point resumes
 * exactly after the last batch it committed: nothing read twice is duplicated, nothing is skipped.
 */
import type { PoolClient } from 'pg';
import type { Watermark } from '../connectors/Connector';
import { AWAITING_PAIR, type Link, type UnresolvedReference } from '../resolution/extractLinks';
import { EXACT_KEY_MATCHER_VERSION } from '../resolution/linkMethods';
import { recordKeyArrays, type HubStore } from '../store/HubStore';
import type { PersonClaim, SourceFact } from './facts';

export interface RecordKey {
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
}

export interface SyncBatch {
  /** The records read, whose facts, claims, links and review entries are replaced. */
  readonly records: readonly RecordKey[];
  readonly facts: readonly SourceFact[];
  readonly claims: readonly PersonClaim[];
  readonly links: readonly Link[];
  readonly unresolved: readonly UnresolvedReference[];
  readonly pairs: ReadonlyArray<readonly [uscc: string, registrationNumber: string]>;
}

/** What the pair linking and the rules read, analysed after a sync that changed anything. */
const ANALYZED = [
  'source_fact',
  'person_claim',
  'crosswalk',
  'unresolved_reference',
  'registration_pair',
  'canonical_entity',
] as const;

const wmKey = (department: string, recordType: string): string => `${department}\u0000${recordType}`;

export class FactStore {
  /** Whether writes note what they change for an incremental detection (see prepareScope). */
  private recordScope = false;

  constructor(private readonly hub: HubStore) {}

  /**
   * Reads whether the next detection is complete anyway: then the writes of this run need not note
   * what they change (a full run would otherwise note every record of every department).
   */
  async prepareScope(): Promise<boolean> {
    this.recordScope = !(await this.hub.detectionState()).completeNeeded;
    return this.recordScope;
  }

  /** Makes the next detection complete, e.g. before a first sync that reads every record again. */
  async needCompleteDetection(reason: string): Promise<void> {
    if (!this.recordScope) return;
    await this.hub.needCompleteDetection(reason);
    this.recordScope = false;
  }

  private t(table: string): string {
    return `"${this.hub.schema}".${table}`;
  }

  async watermarks(): Promise<Map<string, Watermark>> {
    const r = await this.hub.pool.query<{
      department: string;
      record_type: string;
      at: string;
      source_id: string;
    }>(`SELECT department, record_type, updated_at::text AS at, source_id FROM ${this.t('sync_watermark')}`);
    return new Map(
      r.rows.map((w) => [wmKey(w.department, w.record_type), { updatedAt: w.at, sourceId: w.source_id }]),
    );
  }

  watermarkOf(all: ReadonlyMap<string, Watermark>, department: string, recordType: string): Watermark | null {
    return all.get(wmKey(department, recordType)) ?? null;
  }

  /** Forgets the departments' watermarks: their next sync reads every record again. */
  async resetWatermarks(departments: readonly string[]): Promise<void> {
    await this.hub.pool.query(`DELETE FROM ${this.t('sync_watermark')} WHERE department = ANY($1)`, [
      departments,
    ]);
  }

  async pairs(): Promise<Map<string, string>> {
    const r = await this.hub.pool.query<{ registration_number: string; uscc: string }>(
      `SELECT registration_number, uscc FROM ${this.t('registration_pair')}`,
    );
    return new Map(r.rows.map((p) => [p.registration_number, p.uscc]));
  }

  /**
   * Writes a batch and, when given, the watermark after it, in one transaction. `fresh`: the store
   * holds nothing of these records (see holdsAny), so nothing is deleted before they are written.
   */
  async write(
    batch: SyncBatch,
    watermark: (RecordKey & Watermark & { runId: number }) | null,
    fresh = false,
  ): Promise<void> {
    const scope = this.recordScope;
    await this.hub.registerEntities(this.hub.pool, batch.links);
    await this.hub.transaction(async (client) => {
      if (scope) await this.hub.touchRecords(client, batch.records);
      await this.hub.replaceLinksWith(client, batch.records, batch.links, batch.unresolved, {
        registerEntities: false,
        fresh,
      });
      const delta = await this.replaceFacts(client, batch, fresh);
      if (scope) await this.hub.touchRecords(client, batch.records);
      if (batch.pairs.length > 0) {
        await client.query(
          `INSERT INTO ${this.t('registration_pair')} (registration_number, uscc)
           SELECT DISTINCT ON (r) r, u FROM unnest($1::text[], $2::text[]) AS p(r, u)
           ON CONFLICT (registration_number) DO UPDATE SET uscc = EXCLUDED.uscc`,
          [batch.pairs.map((p) => p[1]), batch.pairs.map((p) => p[0])],
        );
      }
      if (watermark) await this.saveWatermark(client, watermark, delta);
      else if (batch.records.length > 0) {
        const { department, recordType } = batch.records[0]!;
        await client.query(
          `UPDATE ${this.t('sync_watermark')} SET mirrored = mirrored + $3 WHERE department = $1 AND record_type = $2`,
          [department, recordType, delta],
        );
      }
    });
  }

  /** Replaces the batch's facts and claims; returns how many facts the mirror gained (or lost). */
  private async replaceFacts(client: PoolClient, batch: SyncBatch, fresh: boolean): Promise<number> {
    const keys = recordKeyArrays(batch.records);
    let delta = batch.facts.length;
    for (const table of fresh ? [] : ['source_fact', 'person_claim']) {
      const deleted = await client.query(
        `DELETE FROM ${this.t(table)} f USING unnest($1::text[], $2::text[], $3::text[]) AS k(d, rt, sid)
          WHERE f.department = k.d AND f.record_type = k.rt AND f.source_id = k.sid`,
        keys,
      );
      if (table === 'source_fact') delta -= deleted.rowCount ?? 0;
    }
    const f = batch.facts;
    if (f.length > 0) {
      await client.query(
        `INSERT INTO ${this.t('source_fact')} (department, record_type, source_id, kind, subject_type, subject_key,
           status, category, valid_from, valid_to, event_date, measure, house_claim, address, source_updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::date[], $10::date[], $11::date[], $12::numeric[], $13::text[],
                              $14::text[], $15::timestamptz[])`,
        [
          f.map((x) => x.department),
          f.map((x) => x.recordType),
          f.map((x) => x.sourceId),
          f.map((x) => x.kind),
          f.map((x) => x.subjectType),
          f.map((x) => x.subjectKey),
          f.map((x) => x.status),
          f.map((x) => x.category),
          f.map((x) => x.validFrom),
          f.map((x) => x.validTo),
          f.map((x) => x.eventDate),
          f.map((x) => x.measure),
          f.map((x) => x.houseClaim),
          f.map((x) => x.address),
          f.map((x) => x.sourceUpdatedAt),
        ],
      );
    }
    const c = batch.claims;
    if (c.length > 0) {
      await client.query(
        `INSERT INTO ${this.t('person_claim')} (department, record_type, source_id, role, ordinal, raw_key, person_key,
           key_problem, name, birth_date)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::date[])`,
        [
          c.map((x) => x.department),
          c.map((x) => x.recordType),
          c.map((x) => x.sourceId),
          c.map((x) => x.role),
          c.map((x) => x.ordinal),
          c.map((x) => x.rawKey),
          c.map((x) => x.personKey),
          c.map((x) => x.keyProblem),
          c.map((x) => x.name),
          c.map((x) => x.birthDate),
        ],
      );
    }
    return delta;
  }

  /**
   * Saves the watermark after a page, and what the mirror of the record type now holds: the count
   * kept so far plus what the page added, or, for a record type with no watermark yet (a first or
   * full sync), counted once.
   */
  private async saveWatermark(
    client: PoolClient,
    w: RecordKey & Watermark & { runId: number },
    delta: number,
  ): Promise<void> {
    const params = [w.department, w.recordType, w.updatedAt, w.sourceId, w.runId];
    const updated = await client.query(
      `UPDATE ${this.t('sync_watermark')}
          SET updated_at = $3::timestamptz, source_id = $4, run_id = $5, saved_at = now(), mirrored = mirrored + $6
        WHERE department = $1 AND record_type = $2`,
      [...params, delta],
    );
    if (updated.rowCount === 0) {
      await client.query(
        `INSERT INTO ${this.t('sync_watermark')} (department, record_type, updated_at, source_id, run_id, saved_at,
           mirrored)
         VALUES ($1, $2, $3::timestamptz, $4, $5, now(),
                 (SELECT count(*) FROM ${this.t('source_fact')} WHERE department = $1 AND record_type = $2))`,
        params,
      );
    }
  }

  /**
   * Whether the store holds anything of this record type: facts, claims, links of any method or
   * review entries. When it holds nothing, a first sync has nothing to replace.
   */
  async holdsAny(department: string, recordType: string): Promise<boolean> {
    const of = (table: string): string =>
      `EXISTS (SELECT 1 FROM ${this.t(table)} WHERE department = $1 AND record_type = $2)`;
    const r = await this.hub.pool.query<{ any: boolean }>(
      `SELECT ${['source_fact', 'person_claim', 'crosswalk', 'unresolved_reference'].map(of).join(' OR ')} AS any`,
      [department, recordType],
    );
    return r.rows[0]!.any;
  }

  /** The facts the mirror holds of a record type: as kept with its watermark, else counted (and kept). */
  async factCount(department: string, recordType: string): Promise<number> {
    const kept = await this.hub.pool.query<{ n: string | null }>(
      `SELECT mirrored AS n FROM ${this.t('sync_watermark')} WHERE department = $1 AND record_type = $2`,
      [department, recordType],
    );
    if (kept.rows[0]?.n != null) return Number(kept.rows[0].n);
    const r = await this.hub.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.t('source_fact')} WHERE department = $1 AND record_type = $2`,
      [department, recordType],
    );
    await this.hub.pool.query(
      `UPDATE ${this.t('sync_watermark')} SET mirrored = $3 WHERE department = $1 AND record_type = $2`,
      [department, recordType, r.rows[0]!.n],
    );
    return Number(r.rows[0]!.n);
  }

  /**
   * The records the hub holds that the department no longer has: every source key is loaded into a
   * temporary table, and the mirror's keys missing from it are returned. No transaction spans the
   * reading of the keys: on an embedded store the department may be served by the same single-
   * transaction server, which would then wait for us while we wait for it.
   */
  async vanished(
    department: string,
    recordType: string,
    sourceKeys: AsyncIterable<string[]>,
  ): Promise<string[]> {
    const client = await this.hub.pool.connect();
    // Its own name: on an embedded store every connection shares one session and its temporary tables.
    const table = `source_key_${process.pid}_${`${department}_${recordType}`.replace(/\W/g, '_')}`;
    try {
      await client.query(`DROP TABLE IF EXISTS pg_temp.${table}`);
      await client.query(`CREATE TEMP TABLE ${table} (id text PRIMARY KEY)`);
      for await (const ids of sourceKeys) {
        await client.query(`INSERT INTO pg_temp.${table} SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [
          ids,
        ]);
      }
      const r = await client.query<{ source_id: string }>(
        `SELECT f.source_id FROM ${this.t('source_fact')} f
          WHERE f.department = $1 AND f.record_type = $2
            AND NOT EXISTS (SELECT 1 FROM pg_temp.${table} k WHERE k.id = f.source_id)`,
        [department, recordType],
      );
      return r.rows.map((x) => x.source_id);
    } finally {
      await client.query(`DROP TABLE IF EXISTS pg_temp.${table}`).catch(() => undefined);
      client.release();
    }
  }

  /**
   * Refreshes the planner's statistics of the tables the pair linking and the rules read, where they
   * are stale. A sync writes these tables faster than autovacuum analyses them, and without fresh
   * counts the planner picks nested loops over what are now hundreds of thousands of rows: at 200,000
   * persons, one rule took 3.3 s before and 0.09 s after. A table counts as stale, as autovacuum
   * counts it, when a tenth of its rows changed since it was last analysed (or it never was): after
   * an incremental sync of a few thousand records, ANALYZE's samples (2 s at 200,000 persons) would
   * cost more than the rules.
   */
  async analyze(): Promise<readonly string[]> {
    const r = await this.hub.pool.query<{ name: string; stale: boolean }>(
      `SELECT c.relname AS name,
              c.reltuples < 0 OR coalesce(s.n_mod_since_analyze, 0) > 0.1 * c.reltuples AS stale
         FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE c.oid = ANY($1::regclass[])`,
      [ANALYZED.map((x) => this.t(x))],
    );
    const stale = ANALYZED.filter((x) => r.rows.some((row) => row.name === x && row.stale));
    if (stale.length > 0) await this.hub.pool.query(`ANALYZE ${stale.map((x) => this.t(x)).join(', ')}`);
    return stale;
  }

  /**
   * Links the references that waited for a USCC ↔ registration number pair and whose pair has now
   * been read, in one set-based statement per table.
   */
  async linkAwaitingPairs(): Promise<number> {
    return this.hub.transaction(async (client) => {
      const linked = await client.query(
        `INSERT INTO ${this.t('crosswalk')} (department, record_type, source_id, role, entity_type, entity_key, method,
           confidence, matcher_version, valid_from, valid_to, source_updated_at)
         SELECT u.department, u.record_type, u.source_id, u.role, u.entity_type, p.uscc, 'EXACT_KEY', 1, $2,
                f.valid_from, f.valid_to, f.source_updated_at
           FROM ${this.t('unresolved_reference')} u
           JOIN ${this.t('registration_pair')} p ON p.registration_number = u.raw_value
           LEFT JOIN ${this.t('source_fact')} f
             ON f.department = u.department AND f.record_type = u.record_type AND f.source_id = u.source_id
          WHERE u.reason = $1
         ON CONFLICT DO NOTHING
         RETURNING department, record_type, source_id`,
        [AWAITING_PAIR, EXACT_KEY_MATCHER_VERSION],
      );
      if (this.recordScope) {
        const rows = linked.rows as Array<{ department: string; record_type: string; source_id: string }>;
        await this.hub.touchRecords(
          client,
          rows.map((r) => ({ department: r.department, recordType: r.record_type, sourceId: r.source_id })),
        );
      }
      await client.query(
        `INSERT INTO ${this.t('canonical_entity')} (entity_type, entity_key)
         SELECT DISTINCT u.entity_type, p.uscc FROM ${this.t('unresolved_reference')} u
           JOIN ${this.t('registration_pair')} p ON p.registration_number = u.raw_value
          WHERE u.reason = $1
         ON CONFLICT DO NOTHING`,
        [AWAITING_PAIR],
      );
      await client.query(
        `DELETE FROM ${this.t('unresolved_reference')} u USING ${this.t('registration_pair')} p
          WHERE u.reason = $1 AND p.registration_number = u.raw_value`,
        [AWAITING_PAIR],
      );
      return linked.rowCount ?? 0;
    });
  }
}
