/**
 * The permission layer: one schema transform that wraps every field and is the only place where the
 * policy and the jurisdiction are applied. Resolvers stay unaware of both.
 *
 * - DENY: the field's resolver does not run; the field is null with a FORBIDDEN error on its path.
 * - MASKED: the value is masked before it leaves the field, and its path goes to extensions.masked.
 * - Jurisdiction (scoped callers): a field whose value is a house, person, legal entity or grid
 *   outside it is null with FORBIDDEN; lists drop such rows; connections drop them and page on until
 *   the page is full, so neither page sizes nor hasNextPage reveal them. Child fields of a refused
 *   object never run, so no nested path leads out of the jurisdiction.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { ForbiddenError } from '../errors';
import type { RequestContext } from '../graphql/context';
import { compactPath } from '../graphql/provenance';
import type { Access } from './access';
import { DENY_RULE, type FieldRule } from './policy';

/** Types whose values are subject to jurisdiction. */
const SCOPED_TYPES: ReadonlySet<string> = new Set([
  'House',
  'Person',
  'LegalEntity',
  'Party',
  'Grid',
  'GridReport',
  'Discrepancy',
]);

/**
 * Fields whose value is one department's copy of another field (a conflicting value): they are held
 * to the stricter of their own rule and that field's, and take its mask.
 */
const GOVERNED: Readonly<Record<string, (source: unknown) => string | undefined>> = {
  'DepartmentValue.value': (source) => (source as { governedBy?: string } | null)?.governedBy,
};

/** Rows a connection may skip while it fills a page for a scoped caller, before it hands back a cursor. */
export const MAX_SCAN = 5000;
const REFILL_PAGE = 200;

type Shape = 'single' | 'list' | 'connection' | null;

function scopeShape(type: GraphQLOutputType): Shape {
  const t = getNullableType(type);
  if (isListType(t)) return SCOPED_TYPES.has(getNamedType(t).name) ? 'list' : null;
  if (SCOPED_TYPES.has(t.name)) return 'single';
  if (isObjectType(t)) {
    const edges = t.getFields().edges;
    const edge = edges && getNamedType(edges.type);
    const node = edge && isObjectType(edge) ? edge.getFields().node : undefined;
    if (node && SCOPED_TYPES.has(getNamedType(node.type).name)) return 'connection';
  }
  return null;
}

const RANK = { DENY: 0, MASKED: 1, FULL: 2 } as const;

function stricter(own: FieldRule, governing: FieldRule): FieldRule {
  if (RANK[governing.mode] < RANK[own.mode]) return governing;
  if (RANK[own.mode] < RANK[governing.mode]) return own;
  return governing.mask ? governing : own;
}

const denied = (coordinate: string, access: Access): ForbiddenError =>
  new ForbiddenError(
    `${coordinate} is not granted to ${access.roles.map((r) => r.name).join(', ')} for purpose ${access.purpose}`,
  );

/** Marks a refusal as an attempt to leave the jurisdiction, for the audit log and its anomaly rules. */
export const OUTSIDE_JURISDICTION = 'OUTSIDE_JURISDICTION';

const outside = (coordinate: string): ForbiddenError => {
  const err = new ForbiddenError(`the ${coordinate} asked for is outside your jurisdiction`);
  err.extensions.reason = OUTSIDE_JURISDICTION;
  return err;
};

const isRef = (v: unknown): v is { type: string; key: string } =>
  typeof v === 'object' && v !== null && typeof (v as { key?: unknown }).key === 'string' && 'type' in v;

/** The entities a field's value holds (a reference, a list of them, a connection's nodes), for the audit. */
function noteEntities(
  value: unknown,
  shape: Shape,
  note: (ref: { type: string; key: string }) => void,
): void {
  if (value === null || value === undefined) return;
  if (shape === 'single') {
    if (isRef(value)) note(value);
  } else if (shape === 'list') {
    for (const v of value as unknown[]) if (isRef(v)) note(v);
  } else if (shape === 'connection') {
    for (const e of (value as Connection).edges) if (isRef(e.node)) note(e.node);
  }
}

const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof (v as Promise<unknown> | null)?.then === 'function';

function maskValue(value: unknown, mask: (v: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? mask(v) : v));
  return value;
}

interface Connection {
  readonly edges: ReadonlyArray<{ cursor: string; node: unknown }>;
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** A code every row of the connection lies under (a grid's houses): checked once for all rows. */
  readonly scopeCode?: string;
}

export function withPermissions(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`;
      const inner: GraphQLFieldResolver<unknown, RequestContext> =
        fieldConfig.resolve ?? defaultFieldResolver;
      const shape = scopeShape(fieldConfig.type);
      const governedBy = GOVERNED[coordinate];
      // Paging structure is not worth an audit entry; every other field is recorded with its mode.
      const audited = typeName !== 'PageInfo' && !/(Connection|Edge)$/.test(typeName);
      const resolve: GraphQLFieldResolver<unknown, RequestContext> = (source, args, ctx, info) => {
        const access = ctx.access;
        // A context without access can only come from a bug: refuse rather than serve.
        if (access === null) throw new ForbiddenError('the request carries no access decision');
        let rule = access.rules.get(coordinate) ?? DENY_RULE;
        if (governedBy) {
          const governing = governedBy(source);
          rule = stricter(rule, (governing && access.rules.get(governing)) || DENY_RULE);
        }
        const seen = ctx.accessSet;
        if (rule.mode === 'DENY') {
          seen?.fields.set(coordinate, 'DENIED');
          throw denied(coordinate, access);
        }
        if (seen && audited) seen.fields.set(coordinate, rule.mask ? 'MASKED' : 'FULL');

        const scope = shape === null ? null : ctx.scope;
        const finish = (value: unknown): unknown => {
          if (seen && shape !== null) noteEntities(value, shape, seen.note);
          if (rule.mask && value !== null && value !== undefined) {
            ctx.masked.add(compactPath(info.path));
            return maskValue(value, rule.mask);
          }
          return value;
        };
        const result = inner(source, args, ctx, info);
        if (scope === null) return isPromise(result) ? result.then(finish) : finish(result);

        const restrict = async (value: unknown): Promise<unknown> => {
          if (value === null || value === undefined) return value;
          if (shape === 'single') {
            if (!(await scope.admits(value))) throw outside(getNamedType(fieldConfig.type).name);
            return value;
          }
          if (shape === 'list') {
            const rows = value as unknown[];
            const ok = await Promise.all(rows.map((r) => scope.admits(r)));
            return rows.filter((_, i) => ok[i]);
          }
          const want = (args as { first?: number | null }).first ?? 20;
          return fillPage(
            value as Connection,
            want,
            (row) => scope.admits(row),
            scope.covers.bind(scope),
            (after) =>
              Promise.resolve(
                inner(source, { ...args, after, first: REFILL_PAGE }, ctx, info),
              ) as Promise<Connection>,
          );
        };
        return Promise.resolve(result).then(restrict).then(finish);
      };
      return { ...fieldConfig, resolve };
    },
  });
}

/**
 * Keeps the connection's rows inside the jurisdiction and pages on past the others until it holds
 * `want` rows and knows whether one more exists, or has skipped MAX_SCAN rows; then its cursor points
 * past the skipped rows, so the client can go on.
 */
export async function fillPage(
  first: Connection,
  want: number,
  admits: (row: unknown) => boolean | Promise<boolean>,
  covers: (code: string) => boolean,
  next: (after: string) => Promise<Connection>,
): Promise<Connection> {
  if (first.scopeCode !== undefined) {
    // Every row lies under the scope code: all of them are inside, or none is.
    if (covers(first.scopeCode)) return first;
    return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, scopeCode: first.scopeCode };
  }
  const kept: Array<Connection['edges'][number]> = [];
  let page = first;
  let scanned = 0;
  for (;;) {
    const ok = await Promise.all(page.edges.map((e) => admits(e.node)));
    page.edges.forEach((e, i) => ok[i] && kept.push(e));
    scanned += page.edges.length;
    if (kept.length > want || !page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) break;
    if (scanned >= MAX_SCAN) break;
    page = await next(page.pageInfo.endCursor);
  }
  const edges = kept.slice(0, want);
  const capped = kept.length <= want && page.pageInfo.hasNextPage;
  return {
    ...first,
    edges,
    pageInfo: {
      hasNextPage: kept.length > want || capped,
      endCursor: capped ? page.pageInfo.endCursor : (edges[edges.length - 1]?.cursor ?? null),
    },
  };
}
