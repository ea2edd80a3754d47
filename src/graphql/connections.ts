import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { BadUserInputError } from '../errors';

/**
 * Opaque cursors. A cursor's sort key may be an ID number, which a caller shown masked IDs must not
 * read out of it, so cursors are encrypted (AES-256-GCM) with a key made at process start. The IV is
 * derived from the text, so the same row always gets the same cursor; a cursor is valid until restart.
 */
const CURSOR_KEY = randomBytes(32);
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function encodeCursor(kind: string, key: string): string {
  const text = Buffer.from(`${kind}:${key}`, 'utf8');
  const iv = createHmac('sha256', CURSOR_KEY).update(text).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', CURSOR_KEY, iv);
  const body = Buffer.concat([cipher.update(text), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

const notACursor = (): BadUserInputError =>
  new BadUserInputError(
    'after',
    `after is not a cursor from this list`,
    `a cursor returned in pageInfo.endCursor since the hub last started`,
  );

export function decodeCursor(kind: string, cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw notACursor();
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', CURSOR_KEY, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw notACursor();
  }
  if (!text.startsWith(`${kind}:`)) throw notACursor();
  return text.slice(kind.length + 1);
}

export interface Connection<T> {
  readonly edges: ReadonlyArray<{ cursor: string; node: T }>;
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a connection from rows fetched with one extra row, which tells whether there is a next page. */
export function connection<T>(
  kind: string,
  rows: readonly T[],
  first: number,
  keyOf: (row: T) => string,
): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(kind, keyOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges[edges.length - 1]?.cursor ?? null },
  };
}
