/**
 * Scores the conflict rules against the demo generator's ground truth (truth_problem): a discrepancy
 * is a hit when the generator planted that kind of problem on that very source record. Precision =
 * hits / discrepancies found (tasks not CLOSED); recall = hits / problems planted.
 */
import type { HubStore } from '../store/HubStore';
import { RULE_NAMES, type RuleName } from './rules';

/** The planted problem kinds each rule answers for. */
export const RULE_TRUTH: Readonly<Record<RuleName, readonly string[]>> = {
  DECEASED_BUT_ACTIVE: ['DECEASED_BUT_ACTIVE'],
  UNREGISTERED_TENANT: ['UNREGISTERED_TENANT'],
  STALE_REGISTRATION: ['STALE_REGISTRATION'],
  RESIDENCE_MISMATCH: ['RESIDENCE_MISMATCH'],
  WELFARE_WITH_BUSINESS: ['WELFARE_WITH_BUSINESS'],
  ENTITY_ADDRESS_UNMATCHED: ['ENTITY_ADDRESS_UNMATCHED'],
  ENTITY_AT_RESIDENTIAL: ['ENTITY_AT_RESIDENTIAL'],
  OVERCROWDED_HOUSE: ['OVERCROWDED_HOUSE'],
  IDENTITY_CONFLICT: ['IDENTITY_MISMATCH', 'ID_BAD_CHECK'],
  UNKNOWN_HOUSE_CODE: ['HOUSE_CODE_UNKNOWN'],
};

export interface RuleQuality {
  readonly rule: RuleName;
  readonly planted: number;
  readonly found: number;
  readonly hits: number;
  readonly precision: number | null;
  readonly recall: number | null;
}

export async function scoreRules(hub: HubStore): Promise<RuleQuality[]> {
  const s = `"${hub.schema}"`;
  const pairs = RULE_NAMES.flatMap((rule) => RULE_TRUTH[rule].map((kind) => [rule, kind]));
  const r = await hub.pool.query<{ rule: RuleName; planted: string; found: string; hits: string }>(
    `WITH kinds AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(rule, kind)),
     truth AS (
       SELECT DISTINCT k.rule, t.department, t.record_type, t.source_id
         FROM ${s}.truth_problem t JOIN kinds k ON k.kind = t.kind
     ), found AS (
       SELECT DISTINCT rule, department, record_type, source_id FROM ${s}.discrepancy WHERE status <> 'CLOSED'
     )
     SELECT coalesce(t.rule, f.rule) AS rule,
            count(t.rule) AS planted, count(f.rule) AS found, count(t.rule) FILTER (WHERE f.rule IS NOT NULL) AS hits
       FROM truth t FULL JOIN found f USING (rule, department, record_type, source_id)
      GROUP BY 1`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  const byRule = new Map(r.rows.map((x) => [x.rule, x]));
  return RULE_NAMES.map((rule) => {
    const x = byRule.get(rule);
    const [planted, found, hits] = [Number(x?.planted ?? 0), Number(x?.found ?? 0), Number(x?.hits ?? 0)];
    return {
      rule,
      planted,
      found,
      hits,
      precision: found === 0 ? null : hits / found,
      recall: planted === 0 ? null : hits / planted,
    };
  });
}

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);

/** The per-rule table, as Markdown. */
export function ruleQualityTable(rows: readonly RuleQuality[]): string {
  return [
    '| rule | planted | found | hits | precision | recall |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (q) => `| ${q.rule} | ${q.planted} | ${q.found} | ${q.hits} | ${pct(q.precision)} | ${pct(q.recall)} |`,
    ),
  ].join('\n');
}
