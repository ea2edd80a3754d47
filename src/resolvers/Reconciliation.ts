/**
 * Verification tasks, grid reports and reconciliation runs. Reading is scoped by the permission
 * layer (a Discrepancy and a GridReport are scoped by their code); the mutations check the caller's
 * jurisdiction themselves, inside the transaction and before anything changes.
 */
import DataLoader from 'dataloader';
import { BadUserInputError, ForbiddenError } from '../errors';
import { firstArg, gridCodeArg } from '../graphql/arguments';
import { connection, decodeCursor } from '../graphql/connections';
import type { RequestContext } from '../graphql/context';
import { RULES, type RuleName } from '../reconcile/rules';
import { RunStore } from '../reconcile/run';
import {
  TaskStore,
  TransitionError,
  type DiscrepancyEvent,
  type DiscrepancyRow,
  type TaskAction,
  type TaskState,
} from '../reconcile/tasks';
import { Grid } from './Grid';

const LABELS = new Map<string, string>(RULES.map((r) => [r.name, r.label]));

/** What a Discrepancy resolves from: the row, with the code the permission layer scopes it by. */
type DiscrepancyNode = DiscrepancyRow & { readonly gridCode: string };

const node = (row: DiscrepancyRow): DiscrepancyNode => ({ ...row, gridCode: row.scopeCode });

const tasks = (ctx: RequestContext): TaskStore => new TaskStore(ctx.hub.store);

interface GridReportNode {
  readonly gridCode: string;
  counts(): ReturnType<TaskStore['report']>;
}

/** Each request's batch loader of task events: one query for every task of a page. */
const eventLoaders = new WeakMap<RequestContext, DataLoader<string, DiscrepancyEvent[]>>();
const eventsOf = (ctx: RequestContext): DataLoader<string, DiscrepancyEvent[]> => {
  let loader = eventLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const byId = await tasks(ctx).events(ids);
      return ids.map((id) => byId.get(id) ?? []);
    });
    eventLoaders.set(ctx, loader);
  }
  return loader;
};

/** A code prefix (grid, community, street or district): digits, 6 to 14 of them. */
function scopeArg(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value.length === 14) return gridCodeArg(value);
  if (!/^\d{6,14}$/.test(value))
    throw new BadUserInputError(
      'gridCode',
      `gridCode "${value}" is not a grid code or a code prefix`,
      'a 14-digit grid code, or a 6-, 9- or 12-digit district, street or community code',
    );
  return value;
}

function idArg(value: string): string {
  if (!/^\d{1,18}$/.test(value))
    throw new BadUserInputError(
      'id',
      `id "${value}" is not a discrepancy id`,
      'the digits of a Discrepancy.id',
    );
  return value;
}

async function transition(
  ctx: RequestContext,
  action: TaskAction,
  id: string,
  note: string | null,
  assignee: string | null = null,
): Promise<DiscrepancyNode> {
  const actor = ctx.access?.principal.subject ?? 'unknown';
  try {
    const row = await tasks(ctx).transition(
      idArg(id),
      action,
      actor,
      note,
      (scope) => ctx.scope === null || ctx.scope.covers(scope),
      assignee,
    );
    return node(row);
  } catch (err) {
    if (!(err instanceof TransitionError)) throw err;
    if (err.code === 'OUTSIDE_JURISDICTION') {
      const refused = new ForbiddenError(err.message);
      refused.extensions.reason = 'OUTSIDE_JURISDICTION';
      throw refused;
    }
    throw new BadUserInputError(
      'id',
      err.message,
      err.code === 'NOT_FOUND' ? 'the id of an existing discrepancy' : undefined,
    );
  }
}

export const ReconciliationQuery = {
  discrepancies: async (
    _: unknown,
    a: {
      gridCode?: string | null;
      kind?: RuleName | null;
      status?: TaskState | null;
      severity?: number | null;
      first?: number | null;
      after?: string | null;
    },
    ctx: RequestContext,
  ) => {
    const first = firstArg(a.first);
    if (a.severity !== null && a.severity !== undefined && ![1, 2, 3].includes(a.severity))
      throw new BadUserInputError('severity', `severity must be 1, 2 or 3, got ${a.severity}`);
    const { rows, total } = await tasks(ctx).list(
      {
        prefixes: ctx.scope ? ctx.scope.prefixes : null,
        gridCode: scopeArg(a.gridCode),
        rule: a.kind ?? null,
        status: a.status ?? null,
        severity: a.severity ?? null,
      },
      decodeCursor('discrepancy', a.after),
      first,
    );
    return { ...connection('discrepancy', rows.map(node), first, (r) => r.id), totalCount: total };
  },
  gridReport: (_: unknown, a: { gridCode: string }, ctx: RequestContext): GridReportNode => {
    const gridCode = gridCodeArg(a.gridCode);
    let counts: ReturnType<TaskStore['report']> | null = null;
    // One query for all of the report's counts, and none unless a count is asked for.
    return { gridCode, counts: () => (counts ??= tasks(ctx).report(gridCode)) };
  },
  reconciliationRuns: async (
    _: unknown,
    a: { first?: number | null; after?: string | null },
    ctx: RequestContext,
  ) => {
    const first = firstArg(a.first);
    const after = decodeCursor('run', a.after);
    const rows = await new RunStore(ctx.hub.store).list(after === null ? null : Number(after), first + 1);
    return connection('run', rows, first, (r) => String(r.id));
  },
};

export const ReconciliationMutation = {
  assignDiscrepancy: (
    _: unknown,
    a: { id: string; assignee: string; note?: string | null },
    ctx: RequestContext,
  ) => {
    if (a.assignee.trim() === '') throw new BadUserInputError('assignee', 'assignee is empty', 'a user name');
    return transition(ctx, 'assign', a.id, a.note ?? null, a.assignee.trim());
  },
  verifyDiscrepancy: (_: unknown, a: { id: string; note: string }, ctx: RequestContext) =>
    transition(ctx, 'verify', a.id, a.note),
  dismissDiscrepancy: (_: unknown, a: { id: string; note: string }, ctx: RequestContext) => {
    if (a.note.trim() === '')
      throw new BadUserInputError('note', 'a dismissal needs a note saying why', 'a non-empty note');
    return transition(ctx, 'dismiss', a.id, a.note);
  },
};

export const Discrepancy = {
  kind: (d: DiscrepancyNode) => d.rule,
  label: (d: DiscrepancyNode) => LABELS.get(d.rule) ?? d.rule,
  recordId: (d: DiscrepancyNode) => d.sourceId,
  detail: (d: DiscrepancyNode) => JSON.stringify(d.detail),
  overdue: (d: DiscrepancyNode) =>
    (d.status === 'OPEN' || d.status === 'ASSIGNED') && Date.parse(d.dueAt) < Date.now(),
  events: (d: DiscrepancyNode, _args: unknown, ctx: RequestContext) => eventsOf(ctx).load(d.id),
};

export const GridReport = {
  grid: (r: GridReportNode, _args: unknown, ctx: RequestContext) => ctx.loaders.grids.load(r.gridCode),
  byKind: async (r: GridReportNode) => (await r.counts()).byRule,
  byStatus: async (r: GridReportNode) => (await r.counts()).byStatus,
  bySeverity: async (r: GridReportNode) => (await r.counts()).bySeverity,
  open: async (r: GridReportNode) =>
    (await r.counts()).byStatus.filter((s) => s.key !== 'CLOSED').reduce((n, s) => n + s.count, 0),
  overdue: async (r: GridReportNode) => (await r.counts()).overdue,
  overdueTasks: async (r: GridReportNode, a: { first?: number | null }, ctx: RequestContext) =>
    (await tasks(ctx).overdue(r.gridCode, firstArg(a.first))).map(node),
  stats: (r: GridReportNode, args: unknown, ctx: RequestContext) => Grid.stats(r as never, args, ctx),
};

export const ReconciliationRun = {
  departments: (r: Record<string, unknown>) => r.departments,
  startedAt: (r: Record<string, unknown>) => (r.started_at as Date).toISOString(),
  finishedAt: (r: Record<string, unknown>) => (r.finished_at ? (r.finished_at as Date).toISOString() : null),
  stages: (r: Record<string, unknown>) => JSON.stringify(r.stages),
  errors: (r: Record<string, unknown>) => r.errors,
};
