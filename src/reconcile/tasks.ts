/**
 * Discrepancies as verification tasks (核查任务). Detection runs every enabled rule into a temporary
 * table, routes each row to a grid (the first 14 digits of its house code), or else to the community
 * or street its address names, or else to the district; then, in one transaction, opens a task for
 * each new discrepancy, refreshes the ones still found (an open task is never duplicated: a unique
 * index on the fingerprint of every task not CLOSED), and closes the tasks of evaluated rules that
 * were not found again, with that reason. Every state change is an event with actor, time and note.
 */
import type { PoolClient } from 'pg';
import type { HubStore } from '../store/HubStore';
import {
  answeredBy,
  CHANGED,
  COMPLETE,
  RULES,
  type RuleName,
  type RuleParams,
  type RuleSpec,
  type Scope,
} from './rules';

export const TASK_STATES = ['OPEN', 'ASSIGNED', 'VERIFIED', 'DISMISSED', 'CLOSED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** The actor of the changes reconciliation itself makes. */
export const RECONCILIATION_ACTOR = 'reconciliation';

export interface RuleSetting {
  readonly enabled: boolean;
  readonly severity: 1 | 2 | 3;
}

export interface DetectionConfig {
  readonly rules: Readonly<Record<RuleName, RuleSetting>>;
  readonly params: RuleParams;
  /** Hours to handle a task, by severity level. */
  readonly deadlineHours: Readonly<Record<1 | 2 | 3, number>>;
  /** The district every task falls back to (its 6-digit code). */
  readonly districtCode: string;
}

/** How a detection was scoped: every rule over the whole mirror, or only over what changed. */
export interface DetectionScopeReport {
  readonly complete: boolean;
  /** Why it was complete (a full run, another day, other settings, ...). */
  readonly reason: string | null;
  /** The changed entities and records it was restricted to (incremental only). */
  readonly entities: number;
  readonly records: number;
}

export interface Detection {
  readonly rules: Record<string, RuleOutcome>;
  readonly scope: DetectionScopeReport;
}

export interface RuleOutcome {
  detected: number;
  opened: number;
  closed: number;
  ms: number;
  skipped?: string;
}

export interface DiscrepancyRow {
  readonly id: string;
  readonly rule: RuleName;
  readonly severity: number;
  readonly status: TaskState;
  readonly entityType: string;
  readonly entityKey: string;
  readonly department: string;
  readonly recordType: string;
  readonly sourceId: string;
  readonly houseCode: string | null;
  readonly scopeCode: string;
  readonly detail: unknown;
  readonly assignee: string | null;
  readonly detectedAt: string;
  readonly dueAt: string;
  readonly closedAt: string | null;
  readonly closeReason: string | null;
}

export interface DiscrepancyEvent {
  readonly at: string;
  readonly actor: string;
  readonly from: TaskState | null;
  readonly to: TaskState;
  readonly note: string | null;
}

/** Allowed manual transitions: the states a task may be in before each action. */
export const TRANSITIONS = {
  assign: { from: ['OPEN', 'ASSIGNED'], to: 'ASSIGNED' },
  verify: { from: ['ASSIGNED'], to: 'VERIFIED' },
  dismiss: { from: ['OPEN', 'ASSIGNED'], to: 'DISMISSED' },
} as const satisfies Record<string, { from: readonly TaskState[]; to: TaskState }>;
export type TaskAction = keyof typeof TRANSITIONS;

export class TransitionError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID_TRANSITION' | 'OUTSIDE_JURISDICTION',
    message: string,
  ) {
    super(message);
  }
}

const toRow = (r: Record<string, unknown>): DiscrepancyRow => ({
  id: String(r.id),
  rule: r.rule as RuleName,
  severity: Number(r.severity),
  status: r.status as TaskState,
  entityType: r.entity_type as string,
  entityKey: r.entity_key as string,
  department: r.department as string,
  recordType: r.record_type as string,
  sourceId: r.source_id as string,
  houseCode: (r.house_code as string | null) ?? null,
  scopeCode: r.scope_code as string,
  detail: r.detail,
  assignee: (r.assignee as string | null) ?? null,
  detectedAt: (r.detected_at as Date).toISOString(),
  dueAt: (r.due_at as Date).toISOString(),
  closedAt: r.closed_at ? (r.closed_at as Date).toISOString() : null,
  closeReason: (r.close_reason as string | null) ?? null,
});

const COLUMNS = `id, rule, severity, status, entity_type, entity_key, department, record_type, source_id, house_code,
  scope_code, detail, assignee, detected_at, due_at, closed_at, close_reason`;

/** Memory for each sort or hash of the detection transaction. */
const DETECT_WORK_MEM = '64MB';

export class TaskStore {
  constructor(private readonly hub: HubStore) {}

  private t = (table: string): string => `"${this.hub.schema}".${table}`;

  /** Departments with synced facts: a rule runs only once every department it reads has been synced. */
  private async syncedDepartments(client: PoolClient): Promise<Set<string>> {
    const r = await client.query<{ department: string }>(
      `SELECT DISTINCT department FROM ${this.t('sync_watermark')}`,
    );
    return new Set(r.rows.map((x) => x.department));
  }

  /**
   * Runs the enabled rules and brings the tasks in line with what they found. Complete when it must
   * be (see whyComplete); otherwise each rule is evaluated only for the entities and records changed
   * since the last detection, and only the tasks it answers for there can close.
   */
  async detect(
    runId: number,
    today: string,
    config: DetectionConfig,
    onRule?: (rule: RuleName, outcome: RuleOutcome) => void,
  ): Promise<Detection> {
    return this.hub.transaction(async (client) => {
      // The rules sort and hash whole mirror tables; with the default 4 MB a sort of 200,000
      // persons' registrations spills to disk. For this transaction only, one run at a time.
      await client.query(`SET LOCAL work_mem = '${DETECT_WORK_MEM}'`);
      await client.query(
        `CREATE TEMP TABLE detected (rule text, entity_type text, entity_key text, department text, record_type text,
           source_id text, house_code text, detail jsonb, route_code text) ON COMMIT DROP`,
      );
      const synced = await this.syncedDepartments(client);
      const skipped = (rule: RuleSpec): string | undefined => {
        const missing = rule.needs.filter((d) => !synced.has(d));
        if (!config.rules[rule.name].enabled) return 'disabled in config/jobs.yaml';
        if (missing.length > 0) return `${missing.join(', ')} not synced yet`;
        return undefined;
      };
      const runnable = RULES.filter((r) => skipped(r) === undefined).map((r) => r.name);
      const settings = JSON.stringify({
        rules: config.rules,
        params: config.params,
        districtCode: config.districtCode,
        runnable,
      });
      const reason = await this.whyComplete(client, today, settings);
      const scope = await this.takeChanges(client, reason === null);
      const s: Scope = reason === null ? CHANGED : COMPLETE;
      // The planner misjudges joins on a record's three-column key by orders of magnitude (it takes
      // them as independent): over the whole mirror it then picks nested loops over what are hundreds
      // of thousands of rows (STALE_REGISTRATION at 200,000 persons: over 95 s instead of 1 s). A
      // complete detection is bulk work, so hash joins only; an incremental one looks a few thousand
      // changed keys up in indexes of a mirror the server holds in memory, so index reads are priced so.
      await client.query(s.complete ? `SET LOCAL enable_nestloop = off` : `SET LOCAL random_page_cost = 1.1`);
      const outcomes: Record<string, RuleOutcome> = {};
      for (const rule of RULES) {
        const t0 = Date.now();
        const outcome: RuleOutcome = { detected: 0, opened: 0, closed: 0, ms: 0 };
        outcomes[rule.name] = outcome;
        const why = skipped(rule);
        if (why !== undefined) outcome.skipped = why;
        else outcome.detected = await this.runRule(client, rule, s, today, config.params);
        outcome.ms = Date.now() - t0;
        onRule?.(rule.name, outcome);
      }
      await this.route(client, config.districtCode);
      const opened = await client.query<{ rule: string; n: string }>(
        `WITH found AS (
           SELECT DISTINCT ON (fingerprint) *
             FROM (SELECT d.*, md5(concat_ws('|', d.rule, d.entity_type, d.entity_key, d.department, d.record_type,
                                             d.source_id)) AS fingerprint
                     FROM detected d) x
            ORDER BY fingerprint
         ), upserted AS (
           INSERT INTO ${this.t('discrepancy')} AS t (rule, severity, fingerprint, entity_type, entity_key, department,
             record_type, source_id, house_code, scope_code, detail, detected_run, last_seen_run, due_at)
           SELECT f.rule, s.severity, f.fingerprint, f.entity_type, f.entity_key, f.department, f.record_type,
                  f.source_id, f.house_code, f.scope_code, f.detail, $1, $1, now() + make_interval(hours => s.hours)
             FROM found f JOIN jsonb_to_recordset($2::jsonb) AS s(rule text, severity int, hours int) USING (rule)
           ON CONFLICT (fingerprint) WHERE status <> 'CLOSED' DO UPDATE
             SET last_seen_run = EXCLUDED.last_seen_run, detail = EXCLUDED.detail, house_code = EXCLUDED.house_code,
                 scope_code = EXCLUDED.scope_code
           RETURNING t.id, t.rule, t.detected_run
         ), events AS (
           INSERT INTO ${this.t('discrepancy_event')} (discrepancy_id, actor, from_status, to_status, note)
           SELECT id, $3, NULL, 'OPEN', 'found by reconciliation run ' || $1 FROM upserted WHERE detected_run = $1
         )
         SELECT rule, count(*) AS n FROM upserted WHERE detected_run = $1 GROUP BY rule`,
        [runId, JSON.stringify(this.settings(config)), RECONCILIATION_ACTOR],
      );
      for (const r of opened.rows) outcomes[r.rule]!.opened = Number(r.n);
      const closed = await client.query<{ rule: string; n: string }>(
        `WITH gone AS (
           SELECT id, status FROM ${this.t('discrepancy')} d
            WHERE status <> 'CLOSED' AND rule = ANY($2::text[]) AND last_seen_run < $1
              AND ${this.answered(runnable, s)}
            FOR UPDATE
         ), closed AS (
           UPDATE ${this.t('discrepancy')} t
              SET status = 'CLOSED', closed_at = now(), close_reason = $3
             FROM gone g WHERE t.id = g.id
           RETURNING t.id, t.rule, g.status AS from_status
         ), events AS (
           INSERT INTO ${this.t('discrepancy_event')} (discrepancy_id, actor, from_status, to_status, note)
           SELECT id, $4, from_status, 'CLOSED', $3 FROM closed
         )
         SELECT rule, count(*) AS n FROM closed GROUP BY rule`,
        [runId, runnable, `no longer found upstream by reconciliation run ${runId}`, RECONCILIATION_ACTOR],
      );
      for (const r of closed.rows) outcomes[r.rule]!.closed = Number(r.n);
      if (reason !== null) {
        await client.query(
          `UPDATE ${this.t('detection_state')}
              SET complete_needed = false, complete_reason = NULL, last_complete_run = $1, last_complete_day = $2,
                  last_complete_settings = $3`,
          [runId, today, settings],
        );
      }
      return { rules: outcomes, scope: { complete: reason !== null, reason, ...scope } };
    });
  }

  /** Why this detection must be complete, or null when the changes since the last one suffice. */
  private async whyComplete(client: PoolClient, today: string, settings: string): Promise<string | null> {
    const state = await this.hub.detectionState(client);
    if (state.completeNeeded) return state.reason ?? 'a complete detection was asked for';
    // Leases end and registrations lapse as days pass, with no record changing.
    if (state.lastCompleteDay !== today) return `a new day (${today})`;
    if (state.lastCompleteSettings !== settings) return 'the rule settings changed';
    return null;
  }

  /**
   * Takes the changes noted since the last detection (deleting them, in this transaction: if it
   * fails they stay for the next). For an incremental detection they are kept, without duplicates,
   * in the temporary tables the rules' scope reads.
   */
  private async takeChanges(
    client: PoolClient,
    incremental: boolean,
  ): Promise<{ entities: number; records: number }> {
    if (!incremental) {
      await client.query(`DELETE FROM ${this.t('detection_scope_entity')}`);
      await client.query(`DELETE FROM ${this.t('detection_scope_record')}`);
      return { entities: 0, records: 0 };
    }
    const entities = await client.query(
      `CREATE TEMP TABLE changed_entity ON COMMIT DROP AS
         WITH taken AS (DELETE FROM ${this.t('detection_scope_entity')} RETURNING entity_type, entity_key)
         SELECT DISTINCT entity_type, entity_key FROM taken`,
    );
    const records = await client.query(
      `CREATE TEMP TABLE changed_record ON COMMIT DROP AS
         WITH taken AS (DELETE FROM ${this.t('detection_scope_record')} RETURNING department, record_type, source_id)
         SELECT DISTINCT department, record_type, source_id FROM taken`,
    );
    await client.query(`ALTER TABLE changed_entity ADD PRIMARY KEY (entity_type, entity_key)`);
    await client.query(`ALTER TABLE changed_record ADD PRIMARY KEY (department, record_type, source_id)`);
    // Sizes known to the planner: a few changed keys are looked up, not hashed against whole tables.
    await client.query(`ANALYZE changed_entity, changed_record`);
    return { entities: entities.rowCount ?? 0, records: records.rowCount ?? 0 };
  }

  /** The open tasks of the evaluated rules that this detection answers for. */
  private answered(evaluated: readonly RuleName[], s: Scope): string {
    if (s === COMPLETE) return 'TRUE';
    const rules = RULES.filter((r) => evaluated.includes(r.name));
    if (rules.length === 0) return 'FALSE';
    return `(${rules.map((r) => `(rule = '${r.name}' AND ${answeredBy(r, s, 'd')})`).join(' OR ')})`;
  }

  private settings(config: DetectionConfig): Array<{ rule: string; severity: number; hours: number }> {
    return RULES.map((r) => {
      const severity = config.rules[r.name].severity;
      return { rule: r.name, severity, hours: config.deadlineHours[severity] };
    });
  }

  private async runRule(
    client: PoolClient,
    rule: RuleSpec,
    s: Scope,
    today: string,
    params: RuleParams,
  ): Promise<number> {
    // The wrapper types both parameters, whichever of them the rule's statement uses.
    const r = await client.query(
      `INSERT INTO detected (entity_type, entity_key, department, record_type, source_id, house_code, detail, route_code)
       SELECT * FROM (${rule.sql(this.t, s)}) found
        WHERE $1::date IS NOT NULL AND ($2::numeric IS NULL OR $2::numeric IS NOT NULL)`,
      [today, rule.param ? rule.param(params) : null],
    );
    await client.query(`UPDATE detected SET rule = $1 WHERE rule IS NULL`, [rule.name]);
    return r.rowCount ?? 0;
  }

  /**
   * Where each discrepancy goes: the grid of its house; else the grid its rule named, if it exists;
   * else the community, then the street, whose name its record's address contains; else the district.
   */
  private async route(client: PoolClient, districtCode: string): Promise<void> {
    await client.query(`ALTER TABLE detected ADD COLUMN scope_code text`);
    await client.query(
      `UPDATE detected d SET scope_code = coalesce(
         (SELECT g.grid_code FROM ${this.t('grid')} g WHERE g.grid_code = left(d.house_code, 14)),
         (SELECT g.grid_code FROM ${this.t('grid')} g WHERE g.grid_code = d.route_code),
         (SELECT g.community_code FROM ${this.t('source_fact')} f, ${this.t('grid')} g
           WHERE f.department = d.department AND f.record_type = d.record_type AND f.source_id = d.source_id
             AND strpos(f.address, g.community_name) > 0 LIMIT 1),
         (SELECT g.street_code FROM ${this.t('source_fact')} f, ${this.t('grid')} g
           WHERE f.department = d.department AND f.record_type = d.record_type AND f.source_id = d.source_id
             AND strpos(f.address, g.street_name) > 0 LIMIT 1),
         $1)`,
      [districtCode],
    );
  }

  async byId(id: string): Promise<DiscrepancyRow | null> {
    const r = await this.hub.pool.query(`SELECT ${COLUMNS} FROM ${this.t('discrepancy')} WHERE id = $1`, [
      id,
    ]);
    return r.rows[0] ? toRow(r.rows[0] as Record<string, unknown>) : null;
  }

  async events(ids: readonly string[]): Promise<Map<string, DiscrepancyEvent[]>> {
    const r = await this.hub.pool.query<Record<string, unknown>>(
      `SELECT discrepancy_id, at, actor, from_status, to_status, note FROM ${this.t('discrepancy_event')}
        WHERE discrepancy_id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    const out = new Map<string, DiscrepancyEvent[]>(ids.map((id) => [id, []]));
    for (const e of r.rows) {
      out.get(String(e.discrepancy_id))?.push({
        at: (e.at as Date).toISOString(),
        actor: e.actor as string,
        from: (e.from_status as TaskState | null) ?? null,
        to: e.to_status as TaskState,
        note: (e.note as string | null) ?? null,
      });
    }
    return out;
  }

  /**
   * Tasks under any of the scope prefixes (null: all), filtered, newest first (by id), after a cursor
   * id; one row more than asked, for hasNextPage.
   */
  async list(
    filter: {
      prefixes: readonly string[] | null;
      gridCode: string | null;
      rule: string | null;
      status: string | null;
      severity: number | null;
    },
    afterId: string | null,
    first: number,
  ): Promise<{ rows: DiscrepancyRow[]; total: number }> {
    const where = `($1::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($1::text[]) p WHERE t.scope_code LIKE p || '%'))
       AND ($2::text IS NULL OR t.scope_code LIKE $2 || '%')
       AND ($3::text IS NULL OR t.rule = $3) AND ($4::text IS NULL OR t.status = $4)
       AND ($5::int IS NULL OR t.severity = $5)`;
    const params = [filter.prefixes, filter.gridCode, filter.rule, filter.status, filter.severity];
    const rows = await this.hub.pool.query(
      `SELECT ${COLUMNS} FROM ${this.t('discrepancy')} t WHERE ${where} AND ($6::bigint IS NULL OR t.id < $6)
        ORDER BY t.id DESC LIMIT $7`,
      [...params, afterId, first + 1],
    );
    const count = await this.hub.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.t('discrepancy')} t WHERE ${where}`,
      params,
    );
    return {
      rows: rows.rows.map((r) => toRow(r as Record<string, unknown>)),
      total: Number(count.rows[0]!.n),
    };
  }

  /**
   * A manual state change. `admits` decides, inside the transaction and before anything changes,
   * whether the caller may act on the task (its jurisdiction); the change and its event commit together.
   */
  async transition(
    id: string,
    action: TaskAction,
    actor: string,
    note: string | null,
    admits: (scopeCode: string) => boolean,
    assignee: string | null = null,
  ): Promise<DiscrepancyRow> {
    return this.hub.transaction(async (client) => {
      const r = await client.query<{ status: TaskState; scope_code: string }>(
        `SELECT status, scope_code FROM ${this.t('discrepancy')} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const task = r.rows[0];
      if (!task) throw new TransitionError('NOT_FOUND', `no discrepancy ${id}`);
      if (!admits(task.scope_code))
        throw new TransitionError('OUTSIDE_JURISDICTION', `discrepancy ${id} is outside your jurisdiction`);
      const rule = TRANSITIONS[action];
      if (!(rule.from as readonly TaskState[]).includes(task.status)) {
        throw new TransitionError(
          'INVALID_TRANSITION',
          `discrepancy ${id} is ${task.status}; ${action} needs it ${rule.from.join(' or ')}`,
        );
      }
      const updated = await client.query(
        `UPDATE ${this.t('discrepancy')} SET status = $2, assignee = coalesce($3, assignee) WHERE id = $1
         RETURNING ${COLUMNS}`,
        [id, rule.to, assignee],
      );
      await client.query(
        `INSERT INTO ${this.t('discrepancy_event')} (discrepancy_id, actor, from_status, to_status, note)
         VALUES ($1, $2, $3, $4, $5)`,
        [id, actor, task.status, rule.to, note],
      );
      return toRow(updated.rows[0] as Record<string, unknown>);
    });
  }

  /** A grid's OPEN and ASSIGNED tasks past their deadline, most overdue first. */
  async overdue(gridCode: string, first: number): Promise<DiscrepancyRow[]> {
    const r = await this.hub.pool.query(
      `SELECT ${COLUMNS} FROM ${this.t('discrepancy')}
        WHERE scope_code = $1 AND status IN ('OPEN', 'ASSIGNED') AND due_at < now()
        ORDER BY due_at, id LIMIT $2`,
      [gridCode, first],
    );
    return r.rows.map((x) => toRow(x as Record<string, unknown>));
  }

  /** Counts of a grid's tasks by rule, status and severity, and its overdue open tasks. */
  async report(gridCode: string): Promise<{
    byRule: Array<{ key: string; count: number }>;
    byStatus: Array<{ key: string; count: number }>;
    bySeverity: Array<{ key: string; count: number }>;
    overdue: number;
  }> {
    const r = await this.hub.pool.query<{ dim: string; key: string; n: string }>(
      `SELECT dim, key, count(*) AS n FROM (
         SELECT 'rule' AS dim, rule AS key FROM ${this.t('discrepancy')} WHERE scope_code = $1
         UNION ALL SELECT 'status', status FROM ${this.t('discrepancy')} WHERE scope_code = $1
         UNION ALL SELECT 'severity', severity::text FROM ${this.t('discrepancy')} WHERE scope_code = $1
         UNION ALL SELECT 'overdue', '' FROM ${this.t('discrepancy')}
          WHERE scope_code = $1 AND status IN ('OPEN', 'ASSIGNED') AND due_at < now()
       ) x GROUP BY dim, key ORDER BY dim, key`,
      [gridCode],
    );
    const of = (dim: string) =>
      r.rows.filter((x) => x.dim === dim).map((x) => ({ key: x.key, count: Number(x.n) }));
    return {
      byRule: of('rule'),
      byStatus: of('status'),
      bySeverity: of('severity'),
      overdue: Number(r.rows.find((x) => x.dim === 'overdue')?.n ?? 0),
    };
  }
}
