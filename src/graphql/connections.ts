import { BadUserInputError } from '../errors';

/** Opaque cursors: base64url of a kind and a sort key, so clients cannot depend on their shape. */
export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${kind}:`))
    throw new BadUserInputError(
      'after',
      `after is not a cursor from this list`,
      `a cursor returned in pageInfo.endCursor`,
    );
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
