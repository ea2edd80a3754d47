/**
 * Re-walks every writer's hash chain: each record's hash is recomputed from its canonical form, its
 * seq must follow the previous one without a gap, and its prev_hash must be the previous record's
 * hash. A chain starts at its genesis hash, or where retention dropped its older partitions (the
 * dropped head is kept in audit_retention). Checkpoints pin chain heads: a head a checkpoint names
 * must still be there, so removing a chain's newest records is caught too.
 *
 * With a time range, records in the range are checked against each other; the first record of each
 * chain in the range is taken as anchored by its prev_hash.
 */
import type { Pool } from 'pg';
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical';
import { genesisHash, recordHash, type AuditRecord } from './record';

export interface ChainBreak {
  readonly writer: string;
  readonly seq: number;
  readonly at: string | null;
  readonly reason: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly chains: number;
  readonly records: number;
  /** The first broken record of each broken chain, earliest first. */
  readonly breaks: readonly ChainBreak[];
  readonly checkpoints: number;
  readonly durationMs: number;
}

export interface VerifyOptions {
  readonly from?: Date;
  readonly to?: Date;
  readonly batchSize?: number;
  /**
   * Checkpoints kept outside the database (`zhiwang audit checkpoints`): trusted instead of the
   * stored ones, and each must still be stored unchanged. Someone able to rewrite the chains and the
   * stored checkpoints consistently cannot rewrite these.
   */
  readonly checkpoints?: readonly Checkpoint[];
}

interface Row {
  writer: string;
  seq: string;
  at: Date;
  kind: string;
  subject: string | null;
  roles: string[];
  department: string | null;
  purpose: string | null;
  client_ip: string | null;
  user_agent: string | null;
  operation: string | null;
  query_hash: string | null;
  query_text: string | null;
  variables: unknown;
  outcome: string;
  duration_ms: number | null;
  error_codes: string[];
  entities: AuditRecord['entities'];
  fields: AuditRecord['fields'];
  detail: unknown;
  prev_hash: string;
  hash: string;
}

export function fromRow(r: Row): AuditRecord {
  return {
    writer: r.writer,
    seq: Number(r.seq),
    at: r.at,
    kind: r.kind as AuditRecord['kind'],
    subject: r.subject,
    roles: r.roles,
    department: r.department,
    purpose: r.purpose,
    clientIp: r.client_ip,
    userAgent: r.user_agent,
    operation: r.operation,
    queryHash: r.query_hash,
    queryText: r.query_text,
    variables: r.variables,
    outcome: r.outcome as AuditRecord['outcome'],
    durationMs: r.duration_ms,
    errorCodes: r.error_codes,
    entities: r.entities,
    fields: r.fields,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export const CHECKPOINT_GENESIS = createHash('sha256')
  .update('zhiwang-audit-checkpoint-genesis')
  .digest('hex');

export interface Checkpoint {
  readonly id: number;
  readonly at: string;
  readonly heads: ReadonlyArray<{ writer: string; seq: number; hash: string }>;
  readonly records: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const checkpointHash = (c: Omit<Checkpoint, 'hash'>): string =>
  createHash('sha256')
    .update(canonicalJson({ id: c.id, at: c.at, heads: c.heads, records: c.records, prevHash: c.prevHash }))
    .digest('hex');

export async function readCheckpoints(pool: Pool, schema: string): Promise<Checkpoint[]> {
  const r = await pool.query<{
    id: string;
    at: Date;
    heads: Checkpoint['heads'];
    records: string;
    prev_hash: string;
    hash: string;
  }>(`SELECT id, at, heads, records, prev_hash, hash FROM "${schema}".audit_checkpoint ORDER BY id`);
  return r.rows.map((c) => ({
    id: Number(c.id),
    at: c.at.toISOString(),
    heads: c.heads,
    records: Number(c.records),
    prevHash: c.prev_hash,
    hash: c.hash,
  }));
}

/** Anchors every chain's current head in a new checkpoint, chained to the previous one. */
export async function writeCheckpoint(pool: Pool, schema: string): Promise<Checkpoint> {
  const heads = await pool.query<{ writer: string; seq: string; hash: string }>(
    `SELECT DISTINCT ON (writer) writer, seq, hash FROM "${schema}".audit_log ORDER BY writer, seq DESC`,
  );
  const count = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".audit_log`);
  const last = await pool.query<{ id: string; hash: string }>(
    `SELECT id, hash FROM "${schema}".audit_checkpoint ORDER BY id DESC LIMIT 1`,
  );
  const unhashed = {
    id: last.rows[0] ? Number(last.rows[0].id) + 1 : 1,
    at: new Date().toISOString(),
    heads: heads.rows.map((h) => ({ writer: h.writer, seq: Number(h.seq), hash: h.hash })),
    records: Number(count.rows[0]!.n),
    prevHash: last.rows[0]?.hash ?? CHECKPOINT_GENESIS,
  };
  const cp: Checkpoint = { ...unhashed, hash: checkpointHash(unhashed) };
  await pool.query(
    `INSERT INTO "${schema}".audit_checkpoint (id, at, heads, records, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)`,
    [cp.id, cp.at, JSON.stringify(cp.heads), cp.records, cp.prevHash, cp.hash],
  );
  return cp;
}

export async function verifyAudit(
  pool: Pool,
  schema: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const t0 = Date.now();
  const batch = options.batchSize ?? 5000;
  const ranged = options.from !== undefined || options.to !== undefined;
  const from = options.from ?? new Date(0);
  const to = options.to ?? new Date('9999-12-31T00:00:00Z');
  const writers = (
    await pool.query<{ writer: string }>(
      `SELECT DISTINCT writer FROM "${schema}".audit_log WHERE at >= $1 AND at < $2 ORDER BY writer`,
      [from, to],
    )
  ).rows.map((r) => r.writer);
  const retained = new Map(
    (
      await pool.query<{ writer: string; upto_seq: string; upto_hash: string }>(
        `SELECT DISTINCT ON (writer) writer, upto_seq, upto_hash FROM "${schema}".audit_retention ORDER BY writer, upto_seq DESC`,
      )
    ).rows.map((r) => [r.writer, { seq: Number(r.upto_seq), hash: r.upto_hash }]),
  );
  const stored = await readCheckpoints(pool, schema);
  const checkpoints = options.checkpoints ?? stored;
  // Only the records checkpoints name are remembered while walking, not every hash.
  const wanted = new Map<string, Set<number>>();
  for (const cp of checkpoints)
    for (const h of cp.heads) wanted.set(h.writer, (wanted.get(h.writer) ?? new Set()).add(h.seq));
  const breaks: ChainBreak[] = [];
  const heads = new Map<string, Map<number, string>>();
  let records = 0;
  for (const writer of writers) {
    let expected: { seq: number; hash: string } | null = ranged
      ? null
      : (retained.get(writer) ?? { seq: 0, hash: genesisHash(writer) });
    const seen = new Map<number, string>();
    heads.set(writer, seen);
    let after = -1;
    let broken: ChainBreak | null = null;
    for (;;) {
      const rows = await pool.query<Row>(
        `SELECT * FROM "${schema}".audit_log WHERE writer = $1 AND seq > $2 AND at >= $3 AND at < $4 ORDER BY seq LIMIT $5`,
        [writer, after, from, to, batch],
      );
      for (const row of rows.rows) {
        const r = fromRow(row);
        records++;
        if (!broken) {
          const at = r.at.toISOString();
          if (expected && r.seq !== expected.seq + 1)
            broken = {
              writer,
              seq: expected.seq + 1,
              at,
              reason:
                r.seq > expected.seq + 1
                  ? `records ${expected.seq + 1}–${r.seq - 1} are missing`
                  : `seq ${r.seq} appears twice`,
            };
          else if (expected && r.prevHash !== expected.hash)
            broken = { writer, seq: r.seq, at, reason: 'its prev_hash is not the previous record’s hash' };
          else if (recordHash(r) !== r.hash)
            broken = { writer, seq: r.seq, at, reason: 'its content does not match its hash' };
        }
        if (wanted.get(writer)?.has(r.seq)) seen.set(r.seq, r.hash);
        expected = { seq: r.seq, hash: r.hash };
        after = r.seq;
      }
      if (rows.rows.length < batch) break;
    }
    if (broken) breaks.push(broken);
  }
  if (options.checkpoints) {
    const byId = new Map(stored.map((c) => [c.id, c.hash]));
    const differ = options.checkpoints.find((c) => byId.get(c.id) !== c.hash);
    if (differ)
      breaks.push({
        writer: `checkpoint ${differ.id}`,
        seq: 0,
        at: differ.at,
        reason: `the stored checkpoint ${differ.id} is ${byId.has(differ.id) ? 'not the one kept outside' : 'gone'}`,
      });
  }
  let prev = CHECKPOINT_GENESIS;
  for (const cp of checkpoints) {
    const { hash, ...unhashed } = cp;
    if (cp.prevHash !== prev || checkpointHash(unhashed) !== hash) {
      breaks.push({
        writer: `checkpoint ${cp.id}`,
        seq: 0,
        at: cp.at,
        reason: 'the checkpoint chain is broken',
      });
      break;
    }
    prev = hash;
    if (ranged) continue;
    for (const h of cp.heads) {
      const stored = heads.get(h.writer)?.get(h.seq);
      const dropped = retained.get(h.writer);
      if (stored === h.hash || (dropped && h.seq <= dropped.seq)) continue;
      if (!breaks.some((b) => b.writer === h.writer))
        breaks.push({
          writer: h.writer,
          seq: h.seq,
          at: cp.at,
          reason: `checkpoint ${cp.id} names this record as the chain's head, and it is ${stored ? 'different' : 'gone'}`,
        });
    }
  }
  breaks.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  return {
    ok: breaks.length === 0,
    chains: writers.length,
    records,
    breaks,
    checkpoints: checkpoints.length,
    durationMs: Date.now() - t0,
  };
}
