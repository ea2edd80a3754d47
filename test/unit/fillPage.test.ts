import { fillPage, MAX_SCAN } from '../../src/auth/permissions';

/** Rows 0..n-1 in pages; the jurisdiction admits the even ones. */
function rows(n: number) {
  const page = (from: number, size: number) => {
    const edges = [];
    for (let i = from; i < Math.min(n, from + size); i++) edges.push({ cursor: `c${i}`, node: i });
    return { edges, pageInfo: { hasNextPage: from + size < n, endCursor: edges.at(-1)?.cursor ?? null } };
  };
  const calls: string[] = [];
  const next = async (after: string) => {
    calls.push(after);
    return page(Number(after.slice(1)) + 1, 200);
  };
  return { page, next, calls };
}
const even = (node: unknown) => (node as number) % 2 === 0;
const never = () => false;

describe('a connection filled for a scoped caller', () => {
  it('pages on past rows outside until the page is full, and knows whether one more exists', async () => {
    const { page, next } = rows(30);
    const got = await fillPage(page(0, 5), 5, even, never, next);
    expect(got.edges.map((e) => e.node)).toEqual([0, 2, 4, 6, 8]);
    expect(got.pageInfo).toEqual({ hasNextPage: true, endCursor: 'c8' });
  });

  it('says there is no next page when the rows after the last one kept are all outside', async () => {
    const { page, next } = rows(12);
    const got = await fillPage(page(0, 5), 6, even, never, next);
    expect(got.edges.map((e) => e.node)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(got.pageInfo).toEqual({ hasNextPage: false, endCursor: 'c10' });
    const empty = await fillPage(page(0, 5), 5, () => false, never, next);
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it(`stops after skipping ${MAX_SCAN} rows and hands back a cursor past them`, async () => {
    const { page, next, calls } = rows(MAX_SCAN * 3);
    const got = await fillPage(page(0, 20), 20, (n) => n === MAX_SCAN * 2, never, next);
    expect(got.edges).toEqual([]);
    expect(got.pageInfo.hasNextPage).toBe(true);
    const resumeAt = Number(got.pageInfo.endCursor!.slice(1));
    expect(resumeAt).toBeGreaterThanOrEqual(MAX_SCAN - 1);
    expect(resumeAt).toBeLessThan(MAX_SCAN * 2);
    expect(calls.length).toBeLessThan(MAX_SCAN / 100);
  });

  it('checks a scope code once: wholly inside as it is, outside empty', async () => {
    const { page, next, calls } = rows(30);
    const first = { ...page(0, 5), scopeCode: '44030500100101' };
    const covers = (code: string) => code.startsWith('440305001');
    expect(await fillPage(first, 5, never, covers, next)).toBe(first);
    const outside = await fillPage(first, 5, even, () => false, next);
    expect(outside.edges).toEqual([]);
    expect(outside.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    expect(calls).toEqual([]);
  });
});
