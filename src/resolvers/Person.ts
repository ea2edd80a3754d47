import * as rel from '../model/relations';
import { entityCommon } from './common';
import { fromView } from './entityField';

export const Person = {
  idNumber: entityCommon.key,
  sources: entityCommon.sources,
  conflicts: entityCommon.conflicts,
  residences: fromView((v, ctx) => rel.residences(v, ctx.today)),
  currentHouse: fromView((v, ctx) => rel.currentHouse(v, ctx.today)),
  rentals: fromView((v, ctx) => rel.personRentals(v, ctx.today)),
  ownedHouses: fromView((v) => rel.ownedHouses(v)),
  welfare: fromView((v) => rel.welfare(v)),
  legalRoles: fromView((v) => rel.legalRoles(v)),
  death: fromView((v) => rel.death(v)),
};
