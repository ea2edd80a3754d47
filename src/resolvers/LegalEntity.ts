import type { EntityRef } from '../model/EntityView';
import * as rel from '../model/relations';
import { entityKindOf } from '../resolution/identifiers/uscc';
import { entityCommon, hubValue } from './common';
import { fromView } from './entityField';

export const LegalEntity = {
  uscc: entityCommon.key,
  sources: entityCommon.sources,
  conflicts: entityCommon.conflicts,
  kind: (ref: EntityRef) => hubValue(entityKindOf(ref.key)),
  legalRepresentative: fromView((v) => rel.legalRepresentative(v)),
  shareholders: fromView((v) => rel.shareholders(v)),
  registeredHouse: fromView((v) => rel.registeredHouse(v)),
  operatingHouse: fromView((v) => rel.operatingHouse(v)),
};
