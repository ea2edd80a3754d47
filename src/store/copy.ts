/**
 * Bulk writes with `COPY … FROM STDIN` in text format: rows are encoded here, in chunks of some
 * 64 K characters, and streamed to the server, which parses COPY text for far less than it spends
 * reading the same rows out of a jsonb array. One COPY is one statement: outside a transaction its
 * rows commit together or not at all.
 *
 * PGlite's wire server cannot serve COPY FROM STDIN (the protocol falls out of step), so a caller
 * asks `supportsCopy` first and keeps another write path for the embedded store.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

/**
 * How a column's values are written; null and undefined are NULL in every kind.
 * - `value`: a string, number, bigint, boolean (`t`/`f`) or Date (its ISO string);
 * - `array`: a JS array (of such values, NULLs or arrays) as a PostgreSQL array literal, for `text[]`;
 * - `json`: any value as JSON.stringify writes it, for `json` and `jsonb`.
 */
export type CopyKind = 'value' | 'array' | 'json';

/** A column by name, its values of kind `value`; or a name with the kind of its values. */
export type CopyColumn = string | { readonly name: string; readonly kind: CopyKind };

/** Characters gathered before a chunk goes to the stream: one write per chunk, not one per row. */
const CHUNK_CHARS = 64 * 1024;

/** Anything a text field may need escaped, or checked: backslash, tab, newline, CR, a surrogate. */
const SPECIAL = /[\\\t\n\r\uD800-\uDFFF]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/** With the `u` flag a paired surrogate is one code point: only a lone one matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** A string as a COPY text field. */
function escapeText(s: string): string {
  if (!SPECIAL.test(s)) return s;
  // Encoded as UTF-8 it would silently become U+FFFD, and the stored text would differ from the
  // one the caller holds (and, for the audit log, hashed): refused instead, as jsonb refuses it.
  if (LONE_SURROGATE.test(s))
    throw new RangeError('a string with a lone surrogate cannot be stored as it is');
  return s.replace(ESCAPED, (c) => ESCAPES[c]!);
}

/** A scalar's text, before COPY escaping. */
function scalarText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    default:
      if (value instanceof Date) return value.toISOString();
      throw new TypeError(`cannot COPY a ${typeof value} as a scalar; declare the column's kind`);
  }
}

/** `{"a","b\"c",NULL}`: every element quoted, so that none is read as NULL, trimmed or split. */
export function arrayLiteral(items: readonly unknown[]): string {
  let text = '{';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ',';
    const item = items[i];
    if (item === null || item === undefined) text += 'NULL';
    else if (Array.isArray(item)) text += arrayLiteral(item);
    else text += `"${scalarText(item).replace(/["\\]/g, '\\$&')}"`;
  }
  return `${text}}`;
}

function field(value: unknown, kind: CopyKind): string {
  if (value === null || value === undefined) return '\\N';
  switch (kind) {
    case 'value':
      return typeof value === 'string' ? escapeText(value) : scalarText(value);
    case 'array':
      if (!Array.isArray(value)) throw new TypeError(`an array column was given a ${typeof value}`);
      return escapeText(arrayLiteral(value));
    case 'json': {
      const json = JSON.stringify(value) as string | undefined;
      return json === undefined ? '\\N' : escapeText(json);
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown COPY column kind ${String(never)}`);
    }
  }
}

const kindOf = (c: CopyColumn): CopyKind => (typeof c === 'string' ? 'value' : c.kind);
const nameOf = (c: CopyColumn): string => (typeof c === 'string' ? c : c.name);

/**
 * COPY text built row by row, one line a row, cut into chunks of about `chunkChars` characters
 * (default 64 K): for a caller that encodes its rows ahead of sending them (`copyEncoded`).
 */
export class CopyEncoder {
  private readonly kinds: readonly CopyKind[];
  private chunk = '';
  private full: string[] = [];

  constructor(
    readonly columns: readonly CopyColumn[],
    private readonly chunkChars = CHUNK_CHARS,
  ) {
    this.kinds = columns.map(kindOf);
  }

  add(row: readonly unknown[]): void {
    const kinds = this.kinds;
    if (row.length !== kinds.length)
      throw new Error(`a row of ${row.length} values for ${kinds.length} columns`);
    let line = '';
    for (let i = 0; i < kinds.length; i++) {
      if (i > 0) line += '\t';
      line += field(row[i], kinds[i]!);
    }
    this.chunk += `${line}\n`;
    if (this.chunk.length >= this.chunkChars) {
      this.full.push(this.chunk);
      this.chunk = '';
    }
  }

  /** The chunks completed since the last take; with `all`, the one being filled too. */
  take(all = false): string[] {
    const chunks = this.full;
    this.full = [];
    if (all && this.chunk.length > 0) {
      chunks.push(this.chunk);
      this.chunk = '';
    }
    return chunks;
  }
}

/** The rows as COPY text, one line a row, in chunks of about `chunkChars` characters. */
export function* copyChunks(
  columns: readonly CopyColumn[],
  rows: Iterable<readonly unknown[]>,
  chunkChars = CHUNK_CHARS,
): Generator<string> {
  const encoder = new CopyEncoder(columns, chunkChars);
  for (const row of rows) {
    encoder.add(row);
    yield* encoder.take();
  }
  yield* encoder.take(true);
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const copyStream = (client: PoolClient, table: string, columns: readonly CopyColumn[]): CopyStreamQuery =>
  client.query(
    copyFrom(`COPY ${table} (${columns.map((c) => quoteIdent(nameOf(c))).join(', ')}) FROM STDIN`),
  );

/**
 * Streams `rows` into `table` (already quoted and qualified) with one COPY, and resolves with the
 * number of rows the server took. On any failure (a row that cannot be encoded, the server refusing
 * a row, the connection lost) it rejects and nothing of the COPY is kept; the client stays usable
 * after an error the server reported, but a caller unsure of its state should release it with the
 * error.
 */
export async function copyRows(
  client: PoolClient,
  table: string,
  columns: readonly CopyColumn[],
  rows: Iterable<readonly unknown[]>,
): Promise<number> {
  const stream = copyStream(client, table, columns);
  // Backpressure from the socket paces the encoding; a row that cannot be encoded destroys the
  // stream, which sends CopyFail: the COPY is undone.
  await pipeline(Readable.from(copyChunks(columns, rows)), stream);
  return stream.rowCount;
}

/**
 * As copyRows, for the rows an encoder holds (all of them: the encoder is left empty). They are in
 * memory already, so they are written at once, without the stream machinery of a pipeline, which
 * costs a small batch more than its encoding.
 */
export async function copyEncoded(client: PoolClient, table: string, encoder: CopyEncoder): Promise<number> {
  const stream = copyStream(client, table, encoder.columns);
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  for (const chunk of encoder.take(true)) stream.write(chunk);
  stream.end();
  await done;
  return stream.rowCount;
}

/**
 * Whether the store behind `pool` can take COPY FROM STDIN: any PostgreSQL server (the hub's schema
 * needs 11 or later, which also COPYs into partitioned tables), but not PGlite, whose `version()`
 * names it. Decided from that string alone: a COPY sent to PGlite to find out would break its wire
 * server.
 */
export async function supportsCopy(pool: Pool): Promise<boolean> {
  const r = await pool.query<{ version: string }>('SELECT version() AS version');
  return !/\bPGlite\b/i.test(r.rows[0]!.version);
}
