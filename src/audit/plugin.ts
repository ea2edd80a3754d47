/**
 * Every GraphQL operation the hub answers leaves an audit record, and no answer leaves before its
 * record is committed: the record is appended in willSendResponse, which Apollo awaits before it
 * writes the response. If the append fails, the answer is replaced by AUDIT_UNAVAILABLE (HTTP 503)
 * and carries no data. Requests refused before they execute (no token, bad purpose) are recorded by
 * `auditRefusal`, called from the server's context function.
 */
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Kind, type GraphQLFormattedError } from 'graphql';
import type { Principal } from '../auth/principal';
import { OUTSIDE_JURISDICTION } from '../auth/permissions';
import type { ClientInfo, RequestContext } from '../graphql/context';
import { AuditUnavailableError, type AuditWriter } from './AuditWriter';
import type { AuditEntry, AuditOutcome } from './record';
import { normaliseQuery, redactValue } from './redact';

const INVALID_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'BAD_USER_INPUT',
]);

function codesOf(errors: readonly GraphQLFormattedError[]): string[] {
  const codes = new Set<string>();
  for (const e of errors) {
    const code = String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    codes.add(e.extensions?.reason === OUTSIDE_JURISDICTION ? `${code}/${OUTSIDE_JURISDICTION}` : code);
  }
  return [...codes].sort();
}

/** SUCCESS, PARTIAL (some fields refused or failed), DENIED (nothing but refusals), INVALID or ERROR. */
export function outcomeOf(
  data: Record<string, unknown> | null | undefined,
  errors: readonly GraphQLFormattedError[],
): AuditOutcome {
  if (errors.length === 0) return 'SUCCESS';
  const codes = errors.map((e) => String(e.extensions?.code ?? ''));
  if (data === undefined || data === null) {
    if (codes.every((c) => c === 'FORBIDDEN')) return 'DENIED';
    return codes.some((c) => INVALID_CODES.has(c)) ? 'INVALID' : 'ERROR';
  }
  const nothing = Object.values(data).every((v) => v === null);
  if (nothing && codes.every((c) => c === 'FORBIDDEN')) return 'DENIED';
  if (nothing && codes.every((c) => INVALID_CODES.has(c))) return 'INVALID';
  return 'PARTIAL';
}

function who(principal: Principal | null) {
  return {
    subject: principal?.subject ?? null,
    roles: principal?.roles ?? [],
    department: principal?.department ?? null,
  };
}

/** The operation's name, also for a document that failed validation (Apollo sets none then). */
function operationNameOf(rc: GraphQLRequestContextWillSendResponse<RequestContext>): string | null {
  if (rc.operationName) return rc.operationName;
  if (rc.request.operationName) return rc.request.operationName;
  for (const d of rc.document?.definitions ?? [])
    if (d.kind === Kind.OPERATION_DEFINITION && d.name) return d.name.value;
  return null;
}

export function auditPlugin(writer: AuditWriter): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const t0 = performance.now();
      return {
        async willSendResponse(rc: GraphQLRequestContextWillSendResponse<RequestContext>) {
          const body = rc.response.body;
          if (body.kind !== 'single') return;
          const ctx = rc.contextValue;
          const result = body.singleResult;
          const errors = result.errors ?? [];
          const query = normaliseQuery(rc.request.query, rc.document);
          const seen = ctx.accessSet;
          const entry: AuditEntry = {
            at: new Date(),
            kind: 'GRAPHQL',
            ...who(ctx.access?.principal ?? null),
            purpose: ctx.access?.purpose ?? null,
            clientIp: ctx.client.ip,
            userAgent: ctx.client.userAgent,
            operation: operationNameOf(rc),
            queryHash: query.hash,
            queryText: query.text,
            variables: rc.request.variables ? redactValue(rc.request.variables) : null,
            outcome: outcomeOf(result.data, errors),
            durationMs: Math.round(performance.now() - t0),
            errorCodes: codesOf(errors),
            entities: seen ? [...seen.entities.values()] : [],
            fields: seen ? Object.fromEntries(seen.fields) : {},
            detail: null,
          };
          try {
            await writer.append(entry);
          } catch (err) {
            const failure =
              err instanceof AuditUnavailableError ? err : new AuditUnavailableError(String(err));
            body.singleResult = {
              errors: [{ message: failure.message, extensions: { code: 'AUDIT_UNAVAILABLE' } }],
            };
            rc.response.http.status = 503;
          }
        },
      };
    },
  };
}

/**
 * Records a request refused before it executed: no or a bad token (UNAUTHENTICATED), a missing or
 * unknown purpose (INVALID), a purpose the caller may not use (DENIED). Throws AuditUnavailableError
 * when the record cannot be written; the caller then answers that instead.
 */
export async function auditRefusal(
  writer: AuditWriter,
  refusal: { code: string; message: string },
  request: { client: ClientInfo; principal: Principal | null; purpose: string | null; body: unknown },
): Promise<void> {
  const outcome: AuditOutcome =
    refusal.code === 'UNAUTHENTICATED'
      ? 'UNAUTHENTICATED'
      : refusal.code === 'FORBIDDEN'
        ? 'DENIED'
        : 'INVALID';
  const body = (request.body ?? {}) as { query?: unknown; operationName?: unknown; variables?: unknown };
  const query = normaliseQuery(typeof body.query === 'string' ? body.query : undefined);
  await writer.append({
    at: new Date(),
    kind: 'GRAPHQL',
    ...who(request.principal),
    purpose: request.purpose,
    clientIp: request.client.ip,
    userAgent: request.client.userAgent,
    operation: typeof body.operationName === 'string' ? body.operationName : null,
    queryHash: query.hash,
    queryText: query.text,
    variables: body.variables ? redactValue(body.variables) : null,
    outcome,
    durationMs: 0,
    errorCodes: [refusal.code],
    entities: [],
    fields: {},
    detail: { refused: refusal.message },
  });
}
