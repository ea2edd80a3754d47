import type { RequestContext } from '../graphql/context';
import { connection, decodeCursor } from '../graphql/connections';
import { firstArg } from '../graphql/arguments';
import type { EntityRef } from '../model/EntityView';
import type { GridRow } from '../store/HubStore';
import { hubValue } from './common';

/** Houses of a grid as a connection, in house-code order. */
export async function gridHouses(
  ctx: RequestContext,
  gridCode: string,
  firstIn: number | null | undefined,
  after: string | null | undefined,
) {
  const first = firstArg(firstIn);
  const keys = await ctx.hub.store.housesInGrid(gridCode, decodeCursor('house', after), first);
  const refs: EntityRef[] = keys.map((key) => ({ type: 'HOUSE', key }));
  // scopeCode: every row lies under the grid code, so the permission layer checks the grid once.
  return { ...connection('house', refs, first, (r) => r.key), gridCode, scopeCode: gridCode };
}

export const Grid = {
  code: (g: GridRow) => hubValue(g.gridCode),
  name: (g: GridRow) => hubValue(g.name),
  community: (g: GridRow) => hubValue(g.communityName),
  communityCode: (g: GridRow) => hubValue(g.communityCode),
  street: (g: GridRow) => hubValue(g.streetName),
  streetCode: (g: GridRow) => hubValue(g.streetCode),
  houses: (g: GridRow, args: { first?: number | null; after?: string | null }, ctx: RequestContext) =>
    gridHouses(ctx, g.gridCode, args.first, args.after),
  stats: async (g: GridRow, _args: unknown, ctx: RequestContext) => {
    const s = await ctx.loaders.gridStats.load(g.gridCode);
    return { attributes: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, hubValue(v)])) };
  },
};

export const HouseConnection = {
  // A connection the permission layer emptied (a grid outside the caller's jurisdiction) has no grid.
  totalCount: (c: { gridCode?: string }, _args: unknown, ctx: RequestContext) =>
    c.gridCode === undefined ? hubValue(0) : ctx.loaders.gridHouseCounts.load(c.gridCode).then(hubValue),
};
