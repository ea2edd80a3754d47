/**
 * An audit record and its place in a hash chain. The hash is SHA-256 over the record's canonical
 * JSON (RFC 8785, so that any auditor's tool can recompute it from an export) including the previous
 * record's hash; each writer's first record chains to a genesis hash derived from the writer's id.
 */
import { createHash } from 'node:crypto';
import { canonicalMembers } from './canonical';

export const AUDIT_KINDS = ['GRAPHQL', 'CLI', 'JOB', 'HUB'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_OUTCOMES = [
  'SUCCESS',
  'PARTIAL',
  'DENIED',
  'UNAUTHENTICATED',
  'INVALID',
  'ERROR',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export type AccessMode = 'FULL' | 'MASKED' | 'DENIED';

/** What a caller hands the writer: everything but the chain fields. */
export interface AuditEntry {
  readonly at: Date;
  readonly kind: AuditKind;
  readonly subject: string | null;
  readonly roles: readonly string[];
  readonly department: string | null;
  readonly purpose: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  readonly operation: string | null;
  readonly queryHash: string | null;
  readonly queryText: string | null;
  readonly variables: unknown;
  readonly outcome: AuditOutcome;
  readonly durationMs: number | null;
  readonly errorCodes: readonly string[];
  /** Each entity the response returned. */
  readonly entities: ReadonlyArray<{ readonly type: string; readonly key: string }>;
  /** Each `Type.field` the operation touched, with the mode it was served in. */
  readonly fields: Readonly<Record<string, AccessMode>>;
  /** For CLI and job actions: what was done. */
  readonly detail: unknown;
}

export interface AuditRecord extends AuditEntry {
  readonly writer: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const genesisHash = (writer: string): string =>
  createHash('sha256').update(`zhiwang-audit-genesis:${writer}`).digest('hex');

/**
 * A record as plain JSON: the AuditRecord field names, `at` as an ISO string; the hash when it has one.
 * (Built as one literal: a spread followed by more members costs V8 some 6 µs per record here, which
 * the audit writer cannot afford.)
 */
export function recordObject(r: Omit<AuditRecord, 'hash'> & { hash?: string }): Record<string, unknown> {
  const object: Record<string, unknown> = {
    writer: r.writer,
    seq: r.seq,
    at: r.at.toISOString(),
    kind: r.kind,
    subject: r.subject,
    roles: r.roles,
    department: r.department,
    purpose: r.purpose,
    clientIp: r.clientIp,
    userAgent: r.userAgent,
    operation: r.operation,
    queryHash: r.queryHash,
    queryText: r.queryText,
    variables: r.variables ?? null,
    outcome: r.outcome,
    durationMs: r.durationMs,
    errorCodes: r.errorCodes,
    entities: r.entities,
    fields: r.fields,
    detail: r.detail ?? null,
    prevHash: r.prevHash,
    hash: r.hash,
  };
  if (r.hash === undefined) delete object.hash;
  return object;
}

/** Every member of a record but its hash, in canonical (sorted) order: computed once, not per record. */
const HASHED_KEYS = Object.keys(recordObject({ at: new Date(0) } as Omit<AuditRecord, 'hash'>)).sort();

/** The canonical text a record's hash covers: every field but the hash itself. */
export const canonicalText = (r: Omit<AuditRecord, 'hash'>): string =>
  canonicalMembers(recordObject(r), HASHED_KEYS);

export const recordHash = (r: Omit<AuditRecord, 'hash'>): string =>
  createHash('sha256').update(canonicalText(r)).digest('hex');

/** Chains an entry after (writer, seq - 1, prevHash): the record, and the canonical text its hash covers. */
export function chainWithText(
  e: AuditEntry,
  writer: string,
  seq: number,
  prevHash: string,
): { record: AuditRecord; text: string } {
  const record = {
    at: e.at,
    kind: e.kind,
    subject: e.subject,
    roles: e.roles,
    department: e.department,
    purpose: e.purpose,
    clientIp: e.clientIp,
    userAgent: e.userAgent,
    operation: e.operation,
    queryHash: e.queryHash,
    queryText: e.queryText,
    variables: e.variables,
    outcome: e.outcome,
    durationMs: e.durationMs,
    errorCodes: e.errorCodes,
    entities: e.entities,
    fields: e.fields,
    detail: e.detail,
    writer,
    seq,
    prevHash,
    hash: '',
  };
  const text = canonicalText(record);
  record.hash = createHash('sha256').update(text).digest('hex');
  return { record, text };
}

export const chain = (entry: AuditEntry, writer: string, seq: number, prevHash: string): AuditRecord =>
  chainWithText(entry, writer, seq, prevHash).record;

/** An entry for a CLI or job action, with no request behind it. */
export function actionEntry(
  kind: Exclude<AuditKind, 'GRAPHQL'>,
  operation: string,
  detail: unknown,
  options: { subject?: string | null; outcome?: AuditOutcome; durationMs?: number | null } = {},
): AuditEntry {
  return {
    at: new Date(),
    kind,
    subject: options.subject ?? null,
    roles: [],
    department: null,
    purpose: null,
    clientIp: null,
    userAgent: null,
    operation,
    queryHash: null,
    queryText: null,
    variables: null,
    outcome: options.outcome ?? 'SUCCESS',
    durationMs: options.durationMs ?? null,
    errorCodes: [],
    entities: [],
    fields: {},
    detail,
  };
}
