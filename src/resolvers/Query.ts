import type { RequestContext } from '../graphql/context';
import { dateArg, firstArg, gridCodeArg, houseCodeArg, idNumberArg, usccArg } from '../graphql/arguments';
import { connection, decodeCursor } from '../graphql/connections';
import { searchLegalEntities, searchPersons, type LegalEntityFilter } from '../services/search';
import { lookup } from './entityField';
import { gridHouses } from './Grid';

interface Page {
  first?: number | null;
  after?: string | null;
}

export const Query = {
  person: (_: unknown, a: { idNumber: string }, ctx: RequestContext) =>
    lookup(ctx, 'PERSON', idNumberArg(a.idNumber)),
  house: (_: unknown, a: { houseCode: string }, ctx: RequestContext) =>
    lookup(ctx, 'HOUSE', houseCodeArg(a.houseCode)),
  legalEntity: (_: unknown, a: { uscc: string }, ctx: RequestContext) =>
    lookup(ctx, 'LEGAL_ENTITY', usccArg(a.uscc)),
  grid: (_: unknown, a: { code: string }, ctx: RequestContext) =>
    ctx.loaders.grids.load(gridCodeArg(a.code, 'code')),
  grids: async (_: unknown, a: Page & { codePrefix?: string | null }, ctx: RequestContext) => {
    const first = firstArg(a.first);
    const rows = await ctx.hub.store.listGrids(decodeCursor('grid', a.after), first, a.codePrefix ?? null);
    return connection('grid', rows, first, (g) => g.gridCode);
  },
  housesInGrid: (_: unknown, a: Page & { gridCode: string }, ctx: RequestContext) =>
    gridHouses(ctx, gridCodeArg(a.gridCode), a.first, a.after),
  searchPersons: async (
    _: unknown,
    a: Page & { name: string; birthDate?: string | null },
    ctx: RequestContext,
  ) => {
    const first = firstArg(a.first);
    const birthDate = a.birthDate ? dateArg(a.birthDate, 'birthDate') : null;
    const refs = await searchPersons(ctx, a.name.trim(), birthDate, decodeCursor('person', a.after), first);
    return connection('person', refs, first, (r) => r.key);
  },
  legalEntities: async (_: unknown, a: Page & { filter?: LegalEntityFilter | null }, ctx: RequestContext) => {
    const first = firstArg(a.first);
    const refs = await searchLegalEntities(ctx, a.filter ?? {}, decodeCursor('entity', a.after), first);
    return connection('entity', refs, first, (r) => r.key);
  },
  health: (_: unknown, _a: unknown, ctx: RequestContext) =>
    Promise.all(Object.values(ctx.hub.connectors).map((c) => c.health())).then((hs) =>
      hs.map((h) => ({ ...h, department: h.department.toUpperCase() })),
    ),
};
