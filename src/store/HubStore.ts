import { Pool, type PoolClient } from 'pg';
import type { EntityType, Role } from '../config/types';
import type { Link, UnresolvedReference } from '../resolution/extractLinks';
import { MANUAL_MATCHER_VERSION } from '../resolution/linkMethods';
import type { MatchCandidate } from '../resolution/matcher/matchAddress';

/** A crosswalk row as read back: a source record's reference to an entity. */
export interface CrosswalkLink extends Pick<
  Link,
  | 'department'
  | 'recordType'
  | 'sourceId'
  | 'role'
  | 'entityType'
  | 'entityKey'
  | 'confidence'
  | 'sourceUpdatedAt'
> {
  readonly method: string;
  /** The last day the record says the reference holds (a registration's end), null when open. */
  readonly validTo: string | null;
}

/** A record that refers to an entity, with every other reference the same record makes. */
export interface EntityRecordLink extends CrosswalkLink {
  readonly coLinks: readonly CrosswalkLink[];
}

export interface GridRow {
  readonly gridCode: string;
  readonly name: string;
  readonly communityCode: string;
  readonly communityName: string;
  readonly streetCode: string;
  readonly streetName: string;
  readonly districtCode: string;
  readonly districtName: string;
}

export interface GridStats {
  readonly persons: number;
  readonly floatingPersons: number;
  readonly houses: number;
  readonly rentals: number;
  readonly entities: number;
}

/** A review-queue row's key: department, record type, source id, role, entity type. */
export type ReviewKey = [string, string, string, string, string];

export interface ReviewRow {
  readonly key: ReviewKey;
  readonly rawValue: string | null;
  readonly reason: string;
  readonly decision: string;
  readonly claimedKey: string | null;
  readonly linkedKey: string | null;
  readonly candidates: readonly MatchCandidate[];
  readonly notedAt: string;
}

export interface ManualDecisionInput {
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
  readonly role: string;
  readonly entityType: string;
  readonly entityKey: string | null;
  readonly decidedBy: string | null;
  readonly note: string | null;
}

export interface ManualDecisionRow extends ManualDecisionInput {
  readonly decidedAt: string;
}

/** Records' keys as three parallel arrays, for `unnest($1::text[], $2::text[], $3::text[])`. */
export const recordKeyArrays = (
  records: ReadonlyArray<{ department: string; recordType: string; sourceId: string }>,
): [string[], string[], string[]] => [
  records.map((r) => r.department),
  records.map((r) => r.recordType),
  records.map((r) => r.sourceId),
];

const keyOf = (r: Record<string, unknown>): ReviewKey =>
  [r.department, r.record_type, r.source_id, r.role, r.entity_type] as ReviewKey;

const toReviewRow = (r: Record<string, unknown>): ReviewRow => ({
  key: keyOf(r),
  rawValue: r.raw_value as string | null,
  reason: r.reason as string,
  decision: r.decision as string,
  claimedKey: r.claimed_key as string | null,
  linkedKey: r.linked_key as string | null,
  candidates: r.candidates as MatchCandidate[],
  notedAt: (r.noted_at as Date).toISOString(),
});

const toManualDecision = (r: Record<string, unknown>): ManualDecisionRow => {
  const [department, recordType, sourceId, role, entityType] = keyOf(r);
  return {
    department,
    recordType,
    sourceId,
    role,
    entityType,
    entityKey: r.entity_key as string | null,
    decidedBy: r.decided_by as string | null,
    note: r.note as string | null,
    decidedAt: (r.decided_at as Date).toISOString(),
  };
};

const q = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;

interface LinkRow {
  department: string;
  record_type: string;
  source_id: string;
  role: Role;
  entity_type: EntityType;
  entity_key: string;
  method: string;
  confidence: string;
  source_updated_at: Date | null;
  valid_to_text?: string | null;
}

const toLink = (r: LinkRow): CrosswalkLink => ({
  department: r.department,
  recordType: r.record_type,
  sourceId: r.source_id,
  role: r.role,
  entityType: r.entity_type,
  entityKey: r.entity_key,
  method: r.method,
  confidence: Number(r.confidence),
  sourceUpdatedAt: r.source_updated_at ? r.source_updated_at.toISOString() : null,
  validTo: r.valid_to_text ?? null,
});

/** Zhiwang's own PostgreSQL store: the crosswalk, the canonical entity registry and the grid registry. */
export class HubStore {
  readonly pool: Pool;
  private trips = 0;

  constructor(
    url: string,
    readonly schema: string,
    poolSize = 10,
  ) {
    this.pool = new Pool({ connectionString: url, max: poolSize });
    this.pool.on('error', () => undefined);
  }

  get roundTrips(): number {
    return this.trips;
  }

  private t(table: string): string {
    return `${q(this.schema)}.${q(table)}`;
  }

  private async query<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    this.trips++;
    return (await this.pool.query(sql, params)).rows as R[];
  }

  /**
   * Every record that refers to one of the entities, with the record's other references, in one
   * round trip. Keyed by entity key.
   */
  async linksByEntity(type: EntityType, keys: readonly string[]): Promise<Map<string, EntityRecordLink[]>> {
    const rows = await this.query<
      LinkRow & { q_key: string; q_role: Role; q_conf: string; q_method: string }
    >(
      `SELECT a.entity_key AS q_key, a.role AS q_role, a.confidence AS q_conf, a.method AS q_method, b.*,
              b.valid_to::text AS valid_to_text
         FROM ${this.t('crosswalk')} a
         JOIN ${this.t('crosswalk')} b USING (department, record_type, source_id)
        WHERE a.entity_type = $1 AND a.entity_key = ANY($2::text[])
        ORDER BY a.entity_key, a.department, a.record_type, a.source_id, a.role`,
      [type, keys],
    );
    const out = new Map<string, EntityRecordLink[]>();
    const byRecord = new Map<string, { link: CrosswalkLink; coLinks: CrosswalkLink[] }>();
    for (const r of rows) {
      const id = `${r.q_key}\u0000${r.department}\u0000${r.record_type}\u0000${r.source_id}\u0000${r.q_role}`;
      let entry = byRecord.get(id);
      if (!entry) {
        const link: CrosswalkLink = {
          ...toLink(r),
          role: r.q_role,
          entityType: type,
          entityKey: r.q_key,
          confidence: Number(r.q_conf),
          method: r.q_method,
        };
        entry = { link, coLinks: [] };
        byRecord.set(id, entry);
        const list = out.get(r.q_key) ?? [];
        out.set(r.q_key, list);
        list.push({ ...link, coLinks: entry.coLinks });
      }
      entry.coLinks.push(toLink(r));
    }
    return out;
  }

  /** The entities each source record refers to (all roles). Keyed by `department/recordType/sourceId`. */
  async linksBySource(
    refs: ReadonlyArray<{ department: string; recordType: string; sourceId: string }>,
  ): Promise<Map<string, CrosswalkLink[]>> {
    const rows = await this.query<LinkRow>(
      `SELECT c.* FROM ${this.t('crosswalk')} c
         JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(d, rt, sid)
           ON c.department = k.d AND c.record_type = k.rt AND c.source_id = k.sid`,
      [refs.map((r) => r.department), refs.map((r) => r.recordType), refs.map((r) => r.sourceId)],
    );
    const out = new Map<string, CrosswalkLink[]>();
    for (const r of rows) {
      const key = `${r.department}/${r.record_type}/${r.source_id}`;
      out.set(key, [...(out.get(key) ?? []), toLink(r)]);
    }
    return out;
  }

  /** Houses of a grid in house-code order, after a cursor; one more than asked, to tell if more exist. */
  async housesInGrid(gridCode: string, after: string | null, first: number): Promise<string[]> {
    const rows = await this.query<{ entity_key: string }>(
      `SELECT entity_key FROM ${this.t('canonical_entity')}
        WHERE entity_type = 'HOUSE' AND grid_code = $1 AND ($2::text IS NULL OR entity_key > $2)
        ORDER BY entity_key LIMIT $3`,
      [gridCode, after, first + 1],
    );
    return rows.map((r) => r.entity_key);
  }

  async countHousesInGrids(gridCodes: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.query<{ grid_code: string; n: string }>(
      `SELECT grid_code, count(*) AS n FROM ${this.t('canonical_entity')}
        WHERE entity_type = 'HOUSE' AND grid_code = ANY($1::text[]) GROUP BY grid_code`,
      [gridCodes],
    );
    return new Map(rows.map((r) => [r.grid_code, Number(r.n)]));
  }

  async grids(codes: readonly string[]): Promise<Map<string, GridRow>> {
    const rows = await this.query<Record<string, string>>(
      `SELECT * FROM ${this.t('grid')} WHERE grid_code = ANY($1::text[])`,
      [codes],
    );
    return new Map(rows.map((r) => [r.grid_code!, toGrid(r)]));
  }

  async listGrids(after: string | null, first: number, prefix: string | null): Promise<GridRow[]> {
    const rows = await this.query<Record<string, string>>(
      `SELECT * FROM ${this.t('grid')} WHERE ($1::text IS NULL OR grid_code > $1) AND ($2::text IS NULL OR grid_code LIKE $2 || '%')
        ORDER BY grid_code LIMIT $3`,
      [after, prefix, first + 1],
    );
    return rows.map(toGrid);
  }

  /**
   * Grid statistics from the crosswalk: persons with a current residence link to a house of the grid
   * (floating ones through a residence registration), houses, current rentals, and entities registered
   * or operating there. "Current" means the link's validity window holds today.
   */
  async gridStats(gridCodes: readonly string[], today: string): Promise<Map<string, GridStats>> {
    const rows = await this.query<Record<string, string>>(
      `WITH g AS (SELECT unnest($1::text[]) AS grid_code),
       cur AS (
         SELECT c.*, left(c.entity_key, 14) AS grid_code FROM ${this.t('crosswalk')} c
          WHERE c.entity_type = 'HOUSE' AND left(c.entity_key, 14) = ANY($1::text[])
            AND (c.valid_from IS NULL OR c.valid_from <= $2::date) AND (c.valid_to IS NULL OR c.valid_to >= $2::date)
       ),
       res AS (
         SELECT cur.grid_code, s.entity_key AS person, cur.record_type FROM cur
           JOIN ${this.t('crosswalk')} s USING (department, record_type, source_id)
          WHERE cur.role IN ('RESIDENCE', 'CURRENT_HOUSE') AND s.role = 'SUBJECT' AND s.entity_type = 'PERSON'
       )
       SELECT g.grid_code,
         (SELECT count(DISTINCT person) FROM res WHERE res.grid_code = g.grid_code) AS persons,
         (SELECT count(DISTINCT person) FROM res WHERE res.grid_code = g.grid_code AND res.record_type = 'residence_registration') AS floating,
         (SELECT count(*) FROM ${this.t('canonical_entity')} e WHERE e.entity_type = 'HOUSE' AND e.grid_code = g.grid_code) AS houses,
         (SELECT count(DISTINCT source_id) FROM cur WHERE cur.grid_code = g.grid_code AND cur.role = 'RENTED_HOUSE') AS rentals,
         (SELECT count(DISTINCT s.entity_key) FROM cur JOIN ${this.t('crosswalk')} s USING (department, record_type, source_id)
           WHERE cur.grid_code = g.grid_code AND cur.role IN ('REGISTERED_HOUSE', 'OPERATING_HOUSE')
             AND s.role = 'SUBJECT' AND s.entity_type = 'LEGAL_ENTITY') AS entities
       FROM g`,
      [gridCodes, today],
    );
    return new Map(
      rows.map((r) => [
        r.grid_code!,
        {
          persons: Number(r.persons),
          floatingPersons: Number(r.floating),
          houses: Number(r.houses),
          rentals: Number(r.rentals),
          entities: Number(r.entities),
        },
      ]),
    );
  }

  async countCrosswalk(): Promise<number> {
    const rows = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t('crosswalk')}`);
    return Number(rows[0]!.n);
  }

  /**
   * Replaces the automatic links of the given source records: their old EXACT_KEY and ADDRESS_MATCH
   * links and review-queue entries go, the new ones come in, in one transaction. MANUAL links stay,
   * and a reference with a manual decision keeps only that decision.
   */
  async replaceLinks(
    records: ReadonlyArray<{ department: string; recordType: string; sourceId: string }>,
    links: readonly Link[],
    unresolved: readonly UnresolvedReference[],
  ): Promise<void> {
    await this.transaction((client) => this.replaceLinksWith(client, records, links, unresolved));
  }

  /**
   * replaceLinks inside the caller's transaction, e.g. with the facts and watermark of a sync batch.
   * Options: `registerEntities: false` leaves the new links' canonical entities to the caller (a sync
   * page registers them before its transaction: see registerEntities); `fresh` says the store
   * holds nothing of these records yet, so there is nothing to delete first.
   */
  async replaceLinksWith(
    client: PoolClient,
    records: ReadonlyArray<{ department: string; recordType: string; sourceId: string }>,
    links: readonly Link[],
    unresolved: readonly UnresolvedReference[],
    options: { readonly registerEntities?: boolean; readonly fresh?: boolean } = {},
  ): Promise<void> {
    const uniq = new Map<string, Link>();
    for (const l of links)
      uniq.set([l.department, l.recordType, l.sourceId, l.role, l.entityType, l.entityKey].join('\u0000'), l);
    const rows = [...uniq.values()];
    const col = <K extends keyof Link>(k: K): Array<Link[K]> => rows.map((l) => l[k]);
    const recParams = recordKeyArrays(records);
    const ofRecords = (alias: string): string =>
      `${alias}.department = k.d AND ${alias}.record_type = k.rt AND ${alias}.source_id = k.sid`;
    const keys = 'unnest($1::text[], $2::text[], $3::text[]) AS k(d, rt, sid)';
    if (!options.fresh) {
      await client.query(
        `DELETE FROM ${this.t('crosswalk')} c USING ${keys} WHERE ${ofRecords('c')} AND c.method <> 'MANUAL'`,
        recParams,
      );
      await client.query(
        `DELETE FROM ${this.t('unresolved_reference')} c USING ${keys} WHERE ${ofRecords('c')}`,
        recParams,
      );
    }
    if (rows.length > 0) {
      await client.query(
        `INSERT INTO ${this.t('crosswalk')} (department, record_type, source_id, role, entity_type, entity_key, method,
             confidence, matcher_version, valid_from, valid_to, source_updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                $8::numeric[], $9::text[], $10::date[], $11::date[], $12::timestamptz[])
           ON CONFLICT (department, record_type, source_id, role, entity_type, entity_key) DO NOTHING`,
        [
          col('department'),
          col('recordType'),
          col('sourceId'),
          col('role'),
          col('entityType'),
          col('entityKey'),
          col('method'),
          col('confidence'),
          col('matcherVersion'),
          col('validFrom'),
          col('validTo'),
          col('sourceUpdatedAt'),
        ],
      );
      if (options.registerEntities ?? true) await this.registerEntities(client, rows);
    }
    if (unresolved.length > 0) {
      const u = <K extends keyof UnresolvedReference>(k: K): Array<UnresolvedReference[K] | null> =>
        unresolved.map((r) => r[k] ?? null);
      await client.query(
        `INSERT INTO ${this.t('unresolved_reference')} (department, record_type, source_id, role, entity_type, raw_value,
             reason, decision, claimed_key, linked_key, candidates)
           SELECT d, rt, sid, role, et, raw, reason, decision, claimed, linked, candidates::jsonb
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::text[], $11::text[])
                  AS k(d, rt, sid, role, et, raw, reason, decision, claimed, linked, candidates)
           ON CONFLICT DO NOTHING`,
        [
          u('department'),
          u('recordType'),
          u('sourceId'),
          u('role'),
          u('entityType'),
          u('rawValue'),
          u('reason'),
          u('decision'),
          u('claimedKey'),
          u('linkedKey'),
          unresolved.map((r) => JSON.stringify(r.candidates ?? [])),
        ],
      );
    }
    // A manual decision outranks whatever the matchers just decided for that reference.
    for (const table of ['crosswalk', 'unresolved_reference']) {
      await client.query(
        `DELETE FROM ${this.t(table)} c USING ${this.t('manual_decision')} m, ${keys}
            WHERE ${ofRecords('m')} AND c.department = m.department AND c.record_type = m.record_type
              AND c.source_id = m.source_id AND c.role = m.role AND c.entity_type = m.entity_type
              ${table === 'crosswalk' ? "AND c.method <> 'MANUAL'" : ''}`,
        recParams,
      );
    }
  }

  /**
   * Notes records for the next incremental detection (migration 005): the records themselves, and
   * every entity they name as the store holds them now — their links, their subject, the house code
   * they claim, the persons their claims name (a mistyped ID number by the number it should have
   * been). A writer calls it before and after it changes the records, so that what they named before
   * and what they name after are both re-evaluated. Append-only: concurrent writers never wait.
   */
  async touchRecords(
    client: PoolClient,
    records: ReadonlyArray<{ department: string; recordType: string; sourceId: string }>,
  ): Promise<void> {
    if (records.length === 0) return;
    const params = recordKeyArrays(records);
    const of = (alias: string): string =>
      `JOIN k ON ${alias}.department = k.d AND ${alias}.record_type = k.rt AND ${alias}.source_id = k.sid`;
    await client.query(
      `WITH k AS MATERIALIZED (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS k(d, rt, sid)),
            records AS (
              INSERT INTO ${this.t('detection_scope_record')} (department, record_type, source_id)
              SELECT d, rt, sid FROM k
            )
       INSERT INTO ${this.t('detection_scope_entity')} (entity_type, entity_key)
       SELECT c.entity_type, c.entity_key FROM ${this.t('crosswalk')} c ${of('c')}
       UNION ALL
       SELECT f.subject_type, f.subject_key FROM ${this.t('source_fact')} f ${of('f')}
        WHERE f.subject_key IS NOT NULL AND f.subject_type IS NOT NULL
       UNION ALL
       SELECT 'HOUSE_RECORD', f.subject_key FROM ${this.t('source_fact')} f ${of('f')}
        WHERE f.kind = 'HOUSE' AND f.subject_key IS NOT NULL
       UNION ALL
       SELECT 'HOUSE', f.house_claim FROM ${this.t('source_fact')} f ${of('f')} WHERE f.house_claim IS NOT NULL
       UNION ALL
       SELECT 'PERSON', CASE WHEN p.person_key IS NOT NULL THEN p.person_key
                             ELSE left(p.raw_key, 17) || ${this.t('id_check_char')}(left(p.raw_key, 17)) END
         FROM ${this.t('person_claim')} p ${of('p')}
        WHERE p.person_key IS NOT NULL OR p.key_problem = 'BAD_CHECK_CHARACTER'`,
      params,
    );
  }

  /** Whether the next detection must be complete, and what the last complete one was judged with. */
  async detectionState(client?: PoolClient): Promise<{
    completeNeeded: boolean;
    reason: string | null;
    lastCompleteDay: string | null;
    lastCompleteSettings: string | null;
  }> {
    const r = await (client ?? this.pool).query<{
      complete_needed: boolean;
      complete_reason: string | null;
      day: string | null;
      settings: string | null;
    }>(
      `SELECT complete_needed, complete_reason, last_complete_day::text AS day, last_complete_settings AS settings
         FROM ${this.t('detection_state')}`,
    );
    const row = r.rows[0];
    return {
      completeNeeded: row?.complete_needed ?? true,
      reason: row?.complete_reason ?? null,
      lastCompleteDay: row?.day ?? null,
      lastCompleteSettings: row?.settings ?? null,
    };
  }

  /** The next detection evaluates every rule over the whole mirror, for the reason given. */
  async needCompleteDetection(reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.t('detection_state')} SET complete_needed = true, complete_reason = $1`,
      [reason],
    );
  }

  /**
   * The review queue: unresolved and flagged references in key order, after the given key, optionally
   * of one department and some decisions. Fetches one row more than asked, for hasNextPage.
   */
  async reviewQueue(
    filter: { department: string | null; decisions: readonly string[] | null },
    after: ReviewKey | null,
    first: number,
  ): Promise<{ rows: ReviewRow[]; total: number }> {
    const where = `($1::text IS NULL OR department = $1) AND ($2::text[] IS NULL OR decision = ANY($2))`;
    const params = [filter.department, filter.decisions];
    const rows = await this.query<Record<string, unknown>>(
      `SELECT department, record_type, source_id, role, entity_type, raw_value, reason, decision, claimed_key,
              linked_key, candidates, noted_at
         FROM ${this.t('unresolved_reference')}
        WHERE ${where}
          AND ($3::text[] IS NULL OR (department, record_type, source_id, role, entity_type) >
               ($3[1], $3[2], $3[3], $3[4], $3[5]))
        ORDER BY department, record_type, source_id, role, entity_type
        LIMIT $4`,
      [...params, after, first + 1],
    );
    const count = await this.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.t('unresolved_reference')} WHERE ${where}`,
      params,
    );
    return { rows: rows.map(toReviewRow), total: Number(count[0]!.n) };
  }

  /**
   * Records a person's decision on a reference, replacing the matchers' links and review entry for
   * it; a null key says the record refers to nothing the hub knows. Kept across crosswalk rebuilds.
   */
  async recordManualDecision(d: ManualDecisionInput): Promise<ManualDecisionRow> {
    const ref = [d.department, d.recordType, d.sourceId, d.role, d.entityType];
    const sameRef = `department = $1 AND record_type = $2 AND source_id = $3 AND role = $4 AND entity_type = $5`;
    const record = [{ department: d.department, recordType: d.recordType, sourceId: d.sourceId }];
    return this.transaction(async (client) => {
      await this.touchRecords(client, record);
      const saved = await client.query<Record<string, unknown>>(
        `INSERT INTO ${this.t('manual_decision')} (department, record_type, source_id, role, entity_type, entity_key,
           decided_by, note, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (department, record_type, source_id, role, entity_type)
           DO UPDATE SET entity_key = EXCLUDED.entity_key, decided_by = EXCLUDED.decided_by, note = EXCLUDED.note,
                         decided_at = EXCLUDED.decided_at
         RETURNING department, record_type, source_id, role, entity_type, entity_key, decided_by, note, decided_at`,
        [...ref, d.entityKey, d.decidedBy, d.note],
      );
      // The validity window of the link it replaces still describes the record.
      const old = await client.query<{ valid_from: string | null; valid_to: string | null; su: Date | null }>(
        `DELETE FROM ${this.t('crosswalk')} WHERE ${sameRef}
         RETURNING valid_from::text, valid_to::text, source_updated_at AS su`,
        ref,
      );
      await client.query(`DELETE FROM ${this.t('unresolved_reference')} WHERE ${sameRef}`, ref);
      if (d.entityKey !== null) {
        const w = old.rows[0];
        await client.query(
          `INSERT INTO ${this.t('crosswalk')} (department, record_type, source_id, role, entity_type, entity_key, method,
             confidence, matcher_version, valid_from, valid_to, source_updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'MANUAL', 1, $7, $8, $9, $10)`,
          [
            ...ref,
            d.entityKey,
            MANUAL_MATCHER_VERSION,
            w?.valid_from ?? null,
            w?.valid_to ?? null,
            w?.su ?? null,
          ],
        );
        await client.query(
          `INSERT INTO ${this.t('canonical_entity')} (entity_type, entity_key, grid_code)
           VALUES ($1, $2, CASE WHEN $1 = 'HOUSE' THEN left($2, 14) END) ON CONFLICT DO NOTHING`,
          [d.entityType, d.entityKey],
        );
      }
      await this.touchRecords(client, record);
      return toManualDecision(saved.rows[0]!);
    });
  }

  /**
   * Registers the canonical entities the links name. Given the pool rather than a transaction's
   * client, it commits at once: writers in parallel that name the same entities then wait for each
   * other only for the length of this statement, not of their whole transactions. An entity
   * registered for links whose transaction then fails is still an entity some record names.
   */
  async registerEntities(client: Pick<PoolClient, 'query'>, links: readonly Link[]): Promise<void> {
    if (links.length === 0) return;
    const entities = new Map(links.map((l) => [`${l.entityType}\u0000${l.entityKey}`, l]));
    const ents = [...entities.values()];
    await client.query(
      `INSERT INTO ${this.t('canonical_entity')} (entity_type, entity_key, grid_code)
       SELECT et, ek, CASE WHEN et = 'HOUSE' THEN left(ek, 14) END FROM unnest($1::text[], $2::text[]) AS k(et, ek)
        -- One key order for every writer: concurrent batches that share entities wait, never deadlock.
        ORDER BY et, ek
       ON CONFLICT DO NOTHING`,
      [ents.map((l) => l.entityType), ents.map((l) => l.entityKey)],
    );
  }

  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    this.trips++;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toGrid(r: Record<string, string>): GridRow {
  return {
    gridCode: r.grid_code!,
    name: r.name!,
    communityCode: r.community_code!,
    communityName: r.community_name!,
    streetCode: r.street_code!,
    streetName: r.street_name!,
    districtCode: r.district_code!,
    districtName: r.district_name!,
  };
}
