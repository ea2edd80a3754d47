import { findAnomalies } from '../audit/anomalies';
import { auditFilterSql, type AuditFilter } from '../audit/export';
import type { AuditRecord } from '../audit/record';
import { fromRow, verifyAudit } from '../audit/verify';
import { BadUserInputError } from '../errors';
import { firstArg, idNumberArg } from '../graphql/arguments';
import { connection, decodeCursor } from '../graphql/connections';
import type { RequestContext } from '../graphql/context';

const ISO_FORMAT = 'an ISO 8601 timestamp, e.g. 2026-11-23T08:00:00+08:00';

function timeArg(value: string | null | undefined, name: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new BadUserInputError(name, `${name} is not a timestamp: ${value}`, ISO_FORMAT);
  return d;
}

interface FilterInput {
  subject?: string | null;
  department?: string | null;
  entityType?: string | null;
  entityKey?: string | null;
  field?: string | null;
  purpose?: string | null;
  outcome?: string | null;
  kind?: string | null;
  from?: string | null;
  to?: string | null;
}

function filterOf(f: FilterInput | null | undefined): AuditFilter {
  const clean = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
  return {
    subject: clean(f?.subject),
    department: clean(f?.department),
    entityType: clean(f?.entityType),
    entityKey:
      f?.entityKey && f.entityType === 'PERSON'
        ? idNumberArg(f.entityKey, 'filter.entityKey')
        : clean(f?.entityKey),
    field: clean(f?.field),
    purpose: clean(f?.purpose),
    outcome: clean(f?.outcome),
    kind: clean(f?.kind),
    from: timeArg(f?.from, 'filter.from'),
    to: timeArg(f?.to, 'filter.to'),
  };
}

const cursorKey = (r: AuditRecord): string => `${r.at.toISOString()}|${r.writer}|${r.seq}`;

/** Audit records for a filter, newest first, keyset-paged on (at, writer, seq). */
async function page(
  ctx: RequestContext,
  filter: AuditFilter,
  firstIn: number | null | undefined,
  after: string | null | undefined,
) {
  const first = firstArg(firstIn);
  const { where, params } = auditFilterSql(filter, 1);
  const conditions = [where];
  const key = decodeCursor('audit', after);
  if (key !== null) {
    const [at, writer, seq] = key.split('|');
    params.push(at, writer, Number(seq));
    const n = params.length;
    conditions.push(`(at, writer, seq) < ($${n - 2}::timestamptz, $${n - 1}::text, $${n}::bigint)`);
  }
  params.push(first + 1);
  const { store } = ctx.hub;
  const rows = await store.pool.query(
    `SELECT * FROM "${store.schema}".audit_log WHERE ${conditions.join(' AND ')}
      ORDER BY at DESC, writer DESC, seq DESC LIMIT $${params.length}`,
    params,
  );
  return connection('audit', rows.rows.map(fromRow), first, cursorKey);
}

/** The GraphQL AccessLog of a record; entity keys are masked by the permission layer. */
export const AccessLog = {
  operationName: (r: AuditRecord) => r.operation,
  query: (r: AuditRecord) => r.queryText,
  at: (r: AuditRecord) => r.at.toISOString(),
  variables: (r: AuditRecord) => (r.variables === null ? null : JSON.stringify(r.variables)),
  detail: (r: AuditRecord) => (r.detail === null ? null : JSON.stringify(r.detail)),
  fields: (r: AuditRecord) => Object.entries(r.fields).map(([field, mode]) => ({ field, mode })),
};

export const AuditQuery = {
  accessLogs: (
    _: unknown,
    a: { filter?: FilterInput | null; first?: number | null; after?: string | null },
    ctx: RequestContext,
  ) => page(ctx, filterOf(a.filter), a.first, a.after),
  accessesToPerson: (
    _: unknown,
    a: { idNumber: string; first?: number | null; after?: string | null },
    ctx: RequestContext,
  ) => page(ctx, { entityType: 'PERSON', entityKey: idNumberArg(a.idNumber) }, a.first, a.after),
  anomalies: (_: unknown, a: { from?: string | null; to?: string | null }, ctx: RequestContext) => {
    const to = timeArg(a.to, 'to') ?? new Date();
    const from = timeArg(a.from, 'from') ?? new Date(to.getTime() - 86_400_000);
    const { store, loaded } = ctx.hub;
    return findAnomalies(store.pool, store.schema, loaded.config.audit.anomalies, from, to);
  },
  auditChainStatus: (_: unknown, a: { from?: string | null; to?: string | null }, ctx: RequestContext) =>
    verifyAudit(ctx.hub.store.pool, ctx.hub.store.schema, {
      from: timeArg(a.from, 'from'),
      to: timeArg(a.to, 'to'),
    }),
};
