import type { RequestContext } from '../graphql/context';
import { HOUSE_COMPONENTS, type EntityRef } from '../model/EntityView';
import * as rel from '../model/relations';
import { entityCommon, hubValue } from './common';
import { fromView, partyTypeName } from './entityField';

export const House = {
  houseCode: entityCommon.key,
  sources: entityCommon.sources,
  conflicts: entityCommon.conflicts,
  buildingCode: (ref: EntityRef) => hubValue(ref.key.slice(0, 19)),
  grid: async (ref: EntityRef, _args: unknown, ctx: RequestContext) => {
    const grid = await ctx.loaders.grids.load(ref.key.slice(0, 14));
    return grid ? hubValue(grid) : null;
  },
  components: fromView((v) => ({
    attributes: Object.fromEntries(HOUSE_COMPONENTS.map((c) => [c, v.attributes[c]!])),
  })),
  owner: fromView((v) => rel.owner(v)),
  residents: fromView((v, ctx) => rel.residents(v, ctx.today)),
  rentals: fromView((v, ctx) => rel.houseRentals(v, ctx.today)),
  legalEntities: fromView((v) => rel.houseLegalEntities(v)),
};

export const Party = { __resolveType: partyTypeName };
