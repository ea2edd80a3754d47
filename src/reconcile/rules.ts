/**
 * The conflict rules: where departments contradict each other. Each rule is one set-based SQL
 * statement over the mirrored facts (source_fact, person_claim), the crosswalk and the review queue,
 * returning one row per discrepancy: the entity it concerns, the source record that carries it, the
 * house it concerns when there is one, and what was found. Nothing is evaluated row by row in code.
 *
 * Record liveness, as the rules read it (the run's date is $1::date, Asia/Shanghai):
 * - a household registration (PERSON_REGISTRATION) is live while its status is NORMAL;
 * - a residence registration is live until its cancellation date (NULL: not cancelled);
 * - a lease is live from its start to its end date; an allowance while ACTIVE; an entity while ACTIVE.
 */
import type { Department } from '../config/types';

export const RULE_NAMES = [
  'DECEASED_BUT_ACTIVE',
  'UNREGISTERED_TENANT',
  'STALE_REGISTRATION',
  'RESIDENCE_MISMATCH',
  'WELFARE_WITH_BUSINESS',
  'ENTITY_ADDRESS_UNMATCHED',
  'ENTITY_AT_RESIDENTIAL',
  'OVERCROWDED_HOUSE',
  'IDENTITY_CONFLICT',
  'UNKNOWN_HOUSE_CODE',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** The rules' tunable values, from config/jobs.yaml. */
export interface RuleParams {
  /** STALE_REGISTRATION: days after a lease's end before its registration is stale. */
  readonly staleAfterDays: number;
  /** WELFARE_WITH_BUSINESS: registered capital (10k yuan) above which an active entity counts. */
  readonly registeredCapitalAbove: number;
  /** OVERCROWDED_HOUSE: registered residents per m² of floor area above which a house is overcrowded. */
  readonly maxResidentsPerSquareMetre: number;
}

/**
 * What changed since the last detection (see migration 005): an incremental detection evaluates each
 * rule only where these predicates hold. In a complete detection every predicate is TRUE.
 */
export interface Scope {
  /** Every predicate TRUE: the rules read the whole mirror. */
  readonly complete: boolean;
  /** The SQL expression is the key of a changed entity: PERSON, HOUSE, or HOUSE_RECORD (a house record's code). */
  entity(type: ChangedEntity, expr: string): string;
  /** The record joined under this alias changed. */
  record(alias: string): string;
}

export type ChangedEntity = 'PERSON' | 'HOUSE' | 'HOUSE_RECORD';

/** Every rule over the whole mirror. */
export const COMPLETE: Scope = { complete: true, entity: () => 'TRUE', record: () => 'TRUE' };

/** The changes in the temporary tables `changed_entity` and `changed_record` of a detection. */
export const CHANGED: Scope = {
  complete: false,
  entity: (type, expr) =>
    `${expr} IN (SELECT ce.entity_key FROM pg_temp.changed_entity ce WHERE ce.entity_type = '${type}')`,
  record: (a) =>
    `(${a}.department, ${a}.record_type, ${a}.source_id) IN
       (SELECT cr.department, cr.record_type, cr.source_id FROM pg_temp.changed_record cr)`,
};

/**
 * Which discrepancies an evaluation restricted to the changes answers for: those whose entity
 * (PERSON, HOUSE: a changed entity of that type; HOUSE_RECORD: a house whose record changed), whose
 * house (TASK_HOUSE) or whose record (RECORD) changed. Everything else a rule finds can only change
 * through one of these, so its task stays as it is; a task in scope that is not found again closes.
 */
export type Answers = 'PERSON' | 'HOUSE' | 'HOUSE_RECORD' | 'TASK_HOUSE' | 'RECORD';

export interface RuleSpec {
  readonly name: RuleName;
  readonly label: string;
  /** The departments whose facts the rule reads: it is skipped until each has been synced once. */
  readonly needs: readonly Department[];
  /** What the statement, restricted to a scope, answers for (see Answers). */
  readonly answers: readonly Answers[];
  /**
   * The statement. Parameters: $1::date the run's date; $2 the rule's own value, when it has one. Columns,
   * in order: entity_type, entity_key, department, record_type, source_id, house_code, detail and
   * route_code (a grid code to send the task to when no house is known, or NULL). Restricted to `s`,
   * it finds at least every discrepancy it answers for there.
   */
  sql(t: (table: string) => string, s: Scope): string;
  param?(p: RuleParams): number;
}

/** The tasks (table alias `a`) that an evaluation of the rule restricted to `s` answers for. */
export function answeredBy(rule: RuleSpec, s: Scope, a: string): string {
  const one = (x: Answers): string => {
    switch (x) {
      case 'PERSON':
      case 'HOUSE':
        return `(${a}.entity_type = '${x}' AND ${s.entity(x, `${a}.entity_key`)})`;
      case 'HOUSE_RECORD':
        return `(${a}.entity_type = 'HOUSE' AND ${s.entity('HOUSE_RECORD', `${a}.entity_key`)})`;
      case 'TASK_HOUSE':
        return `(${a}.house_code IS NOT NULL AND ${s.entity('HOUSE', `${a}.house_code`)})`;
      case 'RECORD':
        return s.record(a);
    }
  };
  return `(${rule.answers.map(one).join(' OR ')})`;
}

/**
 * The rows of `select` (a SELECT … WHERE …) for which any of the predicates holds, as a FROM item.
 * Restricted to changes, one branch per predicate, so that each can be driven by its own index from
 * the few changed keys (an OR of them would scan the table); complete, the statement as it is.
 */
const anyOf = (s: Scope, select: string, predicates: readonly string[]): string =>
  s.complete ? `(${select})` : `(${predicates.map((p) => `${select} AND ${p}`).join('\n UNION ')})`;

/** The record joined as `b` is the record of `a`. */
const same = (a: string, b: string): string =>
  `${a}.department = ${b}.department AND ${a}.record_type = ${b}.record_type AND ${a}.source_id = ${b}.source_id`;

/** The house a record refers to (its first house link), for routing. */
const houseOf = (t: (x: string) => string, f: string): string =>
  `(SELECT h.entity_key FROM ${t('crosswalk')} h WHERE ${same('h', f)} AND h.entity_type = 'HOUSE'
     ORDER BY h.role, h.entity_key LIMIT 1)`;

/**
 * A claim whose ID number is this person's but for a mistyped check character: the record still
 * speaks of them (a lease whose tenant ID fails its check is still their lease).
 */
const MISTYPED_ID = (claim: string, person: string): string =>
  `${claim}.key_problem = 'BAD_CHECK_CHARACTER' AND left(${claim}.raw_key, 17) = left(${person}, 17)`;

const LIVE_LEASE = (f: string): string =>
  `${f}.kind = 'RENTAL' AND (${f}.valid_from IS NULL OR ${f}.valid_from <= $1::date) AND (${f}.valid_to IS NULL OR ${f}.valid_to >= $1::date)`;

const LIVE_REGISTRATION = (f: string): string =>
  `((${f}.kind = 'RESIDENCE_REGISTRATION' AND (${f}.valid_to IS NULL OR ${f}.valid_to >= $1::date))
    OR (${f}.kind = 'PERSON_REGISTRATION' AND ${f}.status = 'NORMAL'))`;

export const RULES: readonly RuleSpec[] = [
  {
    name: 'DECEASED_BUT_ACTIVE',
    label: '已故人员仍有效登记',
    needs: ['civil'],
    answers: ['PERSON'],
    sql: (t, s) => `
      WITH dead AS (
        SELECT subject_key AS person, min(event_date) AS died, min(source_id) AS death_record
          FROM ${t('source_fact')}
         WHERE kind = 'DEATH' AND subject_key IS NOT NULL AND ${s.entity('PERSON', 'subject_key')}
         GROUP BY subject_key
      ), live AS (
        SELECT f.department, f.record_type, f.source_id, f.subject_key AS person, f.kind, f.status
          FROM dead d JOIN ${t('source_fact')} f ON f.subject_key = d.person
         WHERE ${LIVE_REGISTRATION('f')} OR (f.kind = 'ALLOWANCE' AND f.status = 'ACTIVE')
        UNION
        SELECT f.department, f.record_type, f.source_id, d.person, f.kind, f.status
          FROM dead d
          JOIN ${t('crosswalk')} x ON x.entity_type = 'PERSON' AND x.entity_key = d.person AND x.role = 'TENANT'
          JOIN ${t('source_fact')} f ON ${same('f', 'x')}
         WHERE ${LIVE_LEASE('f')}
        UNION
        SELECT f.department, f.record_type, f.source_id, d.person, f.kind, f.status
          FROM dead d
          JOIN ${t('person_claim')} c ON ${MISTYPED_ID('c', 'd.person')} AND c.role = 'TENANT'
          JOIN ${t('source_fact')} f ON ${same('f', 'c')}
         WHERE ${LIVE_LEASE('f')}
      )
      SELECT 'PERSON' AS entity_type, l.person AS entity_key, l.department, l.record_type, l.source_id,
             ${houseOf(t, 'l')} AS house_code,
             jsonb_build_object('diedOn', d.died, 'deathRecord', d.death_record, 'recordKind', l.kind) AS detail,
             NULL::text AS route_code
        FROM live l JOIN dead d ON d.person = l.person`,
  },
  {
    name: 'UNREGISTERED_TENANT',
    label: '承租人未办理居住登记',
    needs: ['housing', 'police'],
    answers: ['PERSON'],
    sql: (t, s) => `
      SELECT 'PERSON', tn.entity_key, f.department, f.record_type, f.source_id, h.entity_key,
             jsonb_build_object('leaseStart', f.valid_from, 'leaseEnd', f.valid_to), NULL::text
        FROM ${t('source_fact')} f
        JOIN ${t('crosswalk')} tn ON ${same('tn', 'f')} AND tn.role = 'TENANT' AND tn.entity_type = 'PERSON'
        JOIN ${t('crosswalk')} h ON ${same('h', 'f')} AND h.role = 'RENTED_HOUSE' AND h.entity_type = 'HOUSE'
       WHERE ${LIVE_LEASE('f')} AND f.category = 'LIVING' AND ${s.entity('PERSON', 'tn.entity_key')}
         AND NOT EXISTS (
           SELECT 1 FROM ${t('crosswalk')} r JOIN ${t('source_fact')} rf ON ${same('rf', 'r')}
            WHERE r.entity_type = 'HOUSE' AND r.entity_key = h.entity_key AND r.role IN ('RESIDENCE', 'CURRENT_HOUSE')
              AND rf.subject_key = tn.entity_key AND ${LIVE_REGISTRATION('rf')})`,
  },
  {
    name: 'STALE_REGISTRATION',
    label: '租约到期未注销居住登记',
    needs: ['housing', 'police'],
    param: (p) => p.staleAfterDays,
    answers: ['PERSON'],
    // Set-based: every open registration and every lease of the same person at the same house are
    // joined once, not looked up per registration (which cost seconds at 200,000 persons).
    sql: (t, s) => `
      WITH reg AS (
        SELECT f.department, f.record_type, f.source_id, f.subject_key AS person, h.entity_key AS house
          FROM ${t('source_fact')} f
          JOIN ${t('crosswalk')} h ON ${same('h', 'f')} AND h.role = 'RESIDENCE' AND h.entity_type = 'HOUSE'
         WHERE f.kind = 'RESIDENCE_REGISTRATION' AND f.valid_to IS NULL AND f.subject_key IS NOT NULL
           AND ${s.entity('PERSON', 'f.subject_key')}
      ), lease AS (
        SELECT lh.entity_key AS house, lf.department, lf.record_type, lf.source_id,
               coalesce(lf.valid_to, 'infinity'::date) AS ends
          FROM ${t('source_fact')} lf
          JOIN ${t('crosswalk')} lh ON ${same('lh', 'lf')} AND lh.role = 'RENTED_HOUSE' AND lh.entity_type = 'HOUSE'
         WHERE lf.kind = 'RENTAL' AND lh.entity_key IN (SELECT house FROM reg)
      ), tenancy AS (
        SELECT r.department, r.record_type, r.source_id, r.person, r.house, l.ends, l.source_id AS lease
          FROM reg r JOIN lease l ON l.house = r.house
          JOIN ${t('crosswalk')} lt ON ${same('lt', 'l')} AND lt.role = 'TENANT' AND lt.entity_key = r.person
        UNION ALL
        SELECT r.department, r.record_type, r.source_id, r.person, r.house, l.ends, l.source_id
          FROM reg r JOIN lease l ON l.house = r.house
          JOIN ${t('person_claim')} c ON ${same('c', 'l')} AND c.role = 'TENANT' AND ${MISTYPED_ID('c', 'r.person')}
      ), ended AS (
        SELECT department, record_type, source_id, person, house, max(ends) AS last_end, max(lease) AS lease
          FROM tenancy GROUP BY department, record_type, source_id, person, house
      )
      SELECT 'PERSON', e.person, e.department, e.record_type, e.source_id, e.house,
             jsonb_build_object('leaseEnded', e.last_end, 'lease', e.lease), NULL::text
        FROM ended e
       WHERE e.last_end < $1::date - $2::int
         AND NOT EXISTS (
           SELECT 1 FROM ${t('crosswalk')} o JOIN ${t('source_fact')} hf ON ${same('hf', 'o')} AND hf.kind = 'HOUSE'
            WHERE o.role = 'OWNER' AND o.entity_type = 'PERSON' AND o.entity_key = e.person
              AND hf.subject_key = e.house)`,
  },
  {
    name: 'RESIDENCE_MISMATCH',
    label: '登记住址与租住房屋不符',
    needs: ['housing', 'police'],
    answers: ['PERSON'],
    sql: (t, s) => `
      WITH leased AS (
        SELECT tn.entity_key AS person, min(lh.entity_key) AS house, count(DISTINCT lh.entity_key) AS houses,
               min(lf.source_id) AS lease
          FROM ${t('source_fact')} lf
          JOIN ${t('crosswalk')} tn ON ${same('tn', 'lf')} AND tn.role = 'TENANT' AND tn.entity_type = 'PERSON'
          JOIN ${t('crosswalk')} lh ON ${same('lh', 'lf')} AND lh.role = 'RENTED_HOUSE' AND lh.entity_type = 'HOUSE'
         WHERE ${LIVE_LEASE('lf')} AND lf.category = 'LIVING' AND ${s.entity('PERSON', 'tn.entity_key')}
         GROUP BY tn.entity_key
      )
      SELECT 'PERSON', f.subject_key, f.department, f.record_type, f.source_id, h.entity_key,
             jsonb_build_object('registeredHouse', h.entity_key, 'leasedHouse', l.house, 'lease', l.lease), NULL::text
        FROM ${t('source_fact')} f
        JOIN ${t('crosswalk')} h ON ${same('h', 'f')} AND h.role = 'RESIDENCE' AND h.entity_type = 'HOUSE'
        JOIN leased l ON l.person = f.subject_key AND l.houses = 1 AND l.house <> h.entity_key
       WHERE f.kind = 'RESIDENCE_REGISTRATION' AND (f.valid_to IS NULL OR f.valid_to >= $1::date)`,
  },
  {
    name: 'WELFARE_WITH_BUSINESS',
    label: '低保对象经营大额企业',
    needs: ['civil', 'market'],
    param: (p) => p.registeredCapitalAbove,
    answers: ['PERSON'],
    sql: (t, s) => `
      SELECT DISTINCT ON (a.department, a.record_type, a.source_id)
             'PERSON', a.subject_key, a.department, a.record_type, a.source_id, ${houseOf(t, 'a')},
             jsonb_build_object('entity', coalesce(e.subject_key, e.source_id), 'role', m.role,
                                'registeredCapital', e.measure), NULL::text
        FROM ${t('source_fact')} a
        JOIN ${t('crosswalk')} m ON m.entity_type = 'PERSON' AND m.entity_key = a.subject_key
                                AND m.role IN ('LEGAL_REP', 'OPERATOR', 'SHAREHOLDER')
        JOIN ${t('source_fact')} e ON ${same('e', 'm')} AND e.kind = 'LEGAL_ENTITY' AND e.status = 'ACTIVE'
       WHERE a.kind = 'ALLOWANCE' AND a.category = 'SUBSISTENCE' AND a.status = 'ACTIVE' AND e.measure > $2
         AND ${s.entity('PERSON', 'a.subject_key')}
       ORDER BY a.department, a.record_type, a.source_id, e.measure DESC, e.source_id`,
  },
  {
    name: 'ENTITY_ADDRESS_UNMATCHED',
    label: '法人住所无法匹配房屋',
    needs: ['market', 'civil'],
    answers: ['RECORD'],
    sql: (t, s) => `
      SELECT 'LEGAL_ENTITY', coalesce(e.subject_key, e.source_id), e.department, e.record_type, e.source_id, NULL,
             jsonb_build_object('address', u.raw_value, 'reason', u.reason), NULL::text
        FROM ${t('source_fact')} e
        JOIN ${t('unresolved_reference')} u ON ${same('u', 'e')} AND u.role = 'REGISTERED_HOUSE'
       WHERE e.kind = 'LEGAL_ENTITY' AND e.status = 'ACTIVE' AND u.decision = 'UNMATCHED' AND ${s.record('e')}`,
  },
  {
    name: 'ENTITY_AT_RESIDENTIAL',
    label: '法人登记于住宅且无经营租赁',
    needs: ['market', 'housing'],
    answers: ['TASK_HOUSE', 'RECORD'],
    sql: (t, s) => `
      SELECT 'LEGAL_ENTITY', coalesce(e.subject_key, e.source_id), e.department, e.record_type, e.source_id,
             e.house, jsonb_build_object('houseUse', hf.category), NULL::text
        FROM ${anyOf(
          s,
          // Business premises (经营场所) concern market entities; social organisations are non-profit.
          `SELECT e.department, e.record_type, e.source_id, e.subject_key, r.entity_key AS house
             FROM ${t('source_fact')} e
             JOIN ${t('crosswalk')} r ON ${same('r', 'e')} AND r.role = 'REGISTERED_HOUSE' AND r.entity_type = 'HOUSE'
            WHERE e.kind = 'LEGAL_ENTITY' AND e.status = 'ACTIVE' AND e.department = 'market'`,
          [s.record('e'), s.entity('HOUSE', 'r.entity_key')],
        )} e
        JOIN ${t('source_fact')} hf ON hf.subject_key = e.house AND hf.kind = 'HOUSE' AND hf.category = 'RESIDENTIAL'
       WHERE NOT EXISTS (
           SELECT 1 FROM ${t('crosswalk')} bh
             JOIN ${t('source_fact')} bf ON ${same('bf', 'bh')} AND bf.kind = 'RENTAL' AND bf.category = 'BUSINESS'
            WHERE bh.entity_type = 'HOUSE' AND bh.entity_key = e.house AND bh.role = 'RENTED_HOUSE')`,
  },
  {
    name: 'OVERCROWDED_HOUSE',
    label: '房屋登记人数超标（群租风险）',
    needs: ['housing', 'police'],
    param: (p) => p.maxResidentsPerSquareMetre,
    answers: ['HOUSE'],
    sql: (t, s) => `
      WITH residents AS (
        SELECT x.entity_key AS house, count(DISTINCT f.subject_key) AS n
          FROM ${t('crosswalk')} x JOIN ${t('source_fact')} f ON ${same('f', 'x')}
         WHERE x.entity_type = 'HOUSE' AND x.role IN ('RESIDENCE', 'CURRENT_HOUSE') AND f.subject_key IS NOT NULL
           AND ${LIVE_REGISTRATION('f')} AND ${s.entity('HOUSE', 'x.entity_key')}
         GROUP BY x.entity_key
      )
      SELECT 'HOUSE', h.subject_key, h.department, h.record_type, h.source_id, h.subject_key,
             jsonb_build_object('residents', r.n, 'area', h.measure, 'perSquareMetre', round(r.n / h.measure, 3)),
             NULL::text
        FROM residents r JOIN ${t('source_fact')} h ON h.subject_key = r.house AND h.kind = 'HOUSE'
       WHERE h.measure > 0 AND r.n / h.measure > $2`,
  },
  {
    name: 'IDENTITY_CONFLICT',
    label: '身份信息不一致',
    needs: ['police'],
    answers: ['PERSON', 'RECORD'],
    sql: (t, s) => `
      WITH names AS (
        SELECT person_key, name, count(*) AS n, bool_or(department = 'police' AND role = 'SUBJECT') AS police
          FROM ${t('person_claim')}
         WHERE person_key IS NOT NULL AND name IS NOT NULL AND ${s.entity('PERSON', 'person_key')}
         GROUP BY person_key, name
      ), multi AS (
        SELECT person_key FROM names GROUP BY person_key HAVING count(*) > 1
      ), reference AS (
        SELECT DISTINCT ON (n.person_key) n.person_key, n.name
          FROM names n JOIN multi USING (person_key)
         ORDER BY n.person_key, n.police DESC, n.n DESC, n.name
      ), found AS (
        SELECT c.department, c.record_type, c.source_id, c.person_key AS person, c.role,
               jsonb_build_object('field', 'name', 'value', c.name, 'expected', r.name) AS problem
          FROM reference r JOIN ${t('person_claim')} c ON c.person_key = r.person_key AND c.name <> r.name
        UNION ALL
        SELECT c.department, c.record_type, c.source_id, c.person_key, c.role,
               jsonb_build_object('field', 'birthDate', 'value', c.birth_date,
                                  'expected', to_date(substr(c.person_key, 7, 8), 'YYYYMMDD'))
          FROM ${t('person_claim')} c
         WHERE c.birth_date IS NOT NULL AND c.person_key IS NOT NULL
           AND c.birth_date <> to_date(substr(c.person_key, 7, 8), 'YYYYMMDD')
           AND ${s.entity('PERSON', 'c.person_key')}
        UNION ALL
        SELECT c.department, c.record_type, c.source_id, c.raw_key, c.role,
               jsonb_build_object('field', 'idNumber', 'value', c.raw_key, 'problem', c.key_problem)
          FROM ${t('person_claim')} c WHERE c.key_problem = 'BAD_CHECK_CHARACTER' AND ${s.record('c')}
      )
      SELECT 'PERSON', f.person, f.department, f.record_type, f.source_id, ${houseOf(t, 'f')},
             jsonb_build_object('roles', jsonb_agg(DISTINCT f.role), 'problems', jsonb_agg(f.problem)), NULL::text
        FROM found f
       GROUP BY f.person, f.department, f.record_type, f.source_id`,
  },
  {
    name: 'UNKNOWN_HOUSE_CODE',
    label: '房屋编码不在房屋库',
    needs: ['housing'],
    answers: ['HOUSE_RECORD', 'RECORD'],
    sql: (t, s) => `
      SELECT 'HOUSE', f.house_claim, f.department, f.record_type, f.source_id, ${houseOf(t, 'f')},
             jsonb_build_object('claimed', f.house_claim), left(f.house_claim, 14)
        FROM ${anyOf(
          s,
          `SELECT f.department, f.record_type, f.source_id, f.house_claim FROM ${t('source_fact')} f
            WHERE f.kind <> 'HOUSE' AND f.house_claim ~ '^[0-9]{25}$'`,
          [s.record('f'), s.entity('HOUSE_RECORD', 'f.house_claim')],
        )} f
       WHERE NOT EXISTS (
           SELECT 1 FROM ${t('source_fact')} h WHERE h.subject_key = f.house_claim AND h.kind = 'HOUSE')`,
  },
];
