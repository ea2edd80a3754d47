/**
 * Anomaly rules over the audit log, each one SQL query over a time window, configured under
 * `audit.anomalies`: a subject reading many distinct persons in an hour, access outside working
 * hours (Asia/Shanghai), bursts of FORBIDDEN answers, attempts to leave the jurisdiction, and a
 * purpose a role does not usually act for.
 */
import type { Pool } from 'pg';
import type { ZhiwangConfig } from '../config/configSchema';

export interface Anomaly {
  readonly rule:
    'MANY_PERSONS' | 'OFF_HOURS' | 'REPEATED_FORBIDDEN' | 'JURISDICTION_ESCAPE' | 'UNUSUAL_PURPOSE';
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly detail: string;
}

type Rules = ZhiwangConfig['audit']['anomalies'];

interface Row {
  subject: string;
  w_from: Date;
  w_to: Date;
  n: string;
  detail: string | null;
}

export async function findAnomalies(
  pool: Pool,
  schema: string,
  rules: Rules,
  from: Date,
  to: Date,
): Promise<Anomaly[]> {
  const t = `"${schema}".audit_log`;
  const range = `a.at >= $1 AND a.at < $2 AND a.subject IS NOT NULL`;
  const run = async (rule: Anomaly['rule'], sql: string, params: unknown[], detail: (r: Row) => string) =>
    (await pool.query<Row>(sql, [from, to, ...params])).rows.map((r): Anomaly => ({
      rule,
      subject: r.subject,
      from: r.w_from.toISOString(),
      to: r.w_to.toISOString(),
      count: Number(r.n),
      detail: detail(r),
    }));
  const found = await Promise.all([
    run(
      'MANY_PERSONS',
      `SELECT a.subject, date_trunc('hour', a.at) AS w_from, date_trunc('hour', a.at) + interval '1 hour' AS w_to,
              count(DISTINCT e->>'key') AS n, NULL AS detail
         FROM ${t} a, jsonb_array_elements(a.entities) e
        WHERE ${range} AND e->>'type' = 'PERSON'
        GROUP BY 1, 2 HAVING count(DISTINCT e->>'key') > $3`,
      [rules.maxPersonsPerHour],
      (r) => `read ${r.n} distinct persons in one hour (limit ${rules.maxPersonsPerHour})`,
    ),
    run(
      'OFF_HOURS',
      `SELECT a.subject, min(a.at) AS w_from, max(a.at) AS w_to, count(*) AS n,
              string_agg(DISTINCT to_char(a.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), ', ') AS detail
         FROM ${t} a
        WHERE ${range} AND a.kind = 'GRAPHQL' AND a.outcome <> 'UNAUTHENTICATED'
          AND ((a.at AT TIME ZONE 'Asia/Shanghai')::time < $3::time OR (a.at AT TIME ZONE 'Asia/Shanghai')::time >= $4::time)
        GROUP BY a.subject, (a.at AT TIME ZONE 'Asia/Shanghai')::date`,
      [rules.workingHours.start, rules.workingHours.end],
      (r) =>
        `${r.n} operations outside working hours ${rules.workingHours.start}–${rules.workingHours.end}: ${(r.detail ?? '').slice(0, 200)}`,
    ),
    run(
      'REPEATED_FORBIDDEN',
      `SELECT a.subject, to_timestamp(floor(extract(epoch FROM a.at) / ($3 * 60)) * $3 * 60) AS w_from,
              to_timestamp(floor(extract(epoch FROM a.at) / ($3 * 60)) * $3 * 60 + $3 * 60) AS w_to,
              count(*) AS n, NULL AS detail
         FROM ${t} a
        WHERE ${range} AND EXISTS (SELECT 1 FROM unnest(a.error_codes) c WHERE c LIKE 'FORBIDDEN%')
        GROUP BY 1, 2, 3 HAVING count(*) >= $4`,
      [rules.forbiddenWindowMinutes, rules.forbiddenBurst],
      (r) => `${r.n} answers with FORBIDDEN within ${rules.forbiddenWindowMinutes} minutes`,
    ),
    run(
      'JURISDICTION_ESCAPE',
      `SELECT a.subject, min(a.at) AS w_from, max(a.at) AS w_to, count(*) AS n,
              string_agg(DISTINCT coalesce(a.operation, a.query_hash), ', ') AS detail
         FROM ${t} a
        WHERE ${range} AND 'FORBIDDEN/OUTSIDE_JURISDICTION' = ANY (a.error_codes)
        GROUP BY a.subject`,
      [],
      (r) => `${r.n} operations asked for houses, persons or entities outside the jurisdiction`,
    ),
    run(
      'UNUSUAL_PURPOSE',
      `SELECT a.subject, min(a.at) AS w_from, max(a.at) AS w_to, count(*) AS n,
              r.role || ' acting for ' || a.purpose AS detail
         FROM ${t} a, unnest(a.roles) AS r(role), jsonb_each(COALESCE($3::jsonb, '{}'::jsonb)) AS u(role, purposes)
        WHERE ${range} AND a.purpose IS NOT NULL AND u.role = r.role AND NOT (u.purposes ? a.purpose)
        GROUP BY a.subject, r.role, a.purpose`,
      [JSON.stringify(rules.usualPurposes)],
      (r) => `${r.detail}, not one of the role's usual purposes`,
    ),
  ]);
  return found.flat().sort((a, b) => a.from.localeCompare(b.from) || a.rule.localeCompare(b.rule));
}
