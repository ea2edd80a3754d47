import type { EntityType } from '../config/types';
import { attributed } from '../model/attributed';
import { HOUSE_COMPONENTS } from '../model/EntityView';
import { sourceView } from '../model/relations';
import { fromView } from './entityField';

const TYPENAMES: Readonly<Record<EntityType, string>> = {
  PERSON: 'Person',
  HOUSE: 'House',
  LEGAL_ENTITY: 'LegalEntity',
};

/** The schema field a conflicting attribute shows in: the policy holds its values to that field's rule. */
function governingField(type: EntityType, field: string): string {
  if (type === 'HOUSE' && (HOUSE_COMPONENTS as readonly string[]).includes(field))
    return `AddressComponents.${field}`;
  return `${TYPENAMES[type]}.${field}`;
}

/** Fields every entity type has: its key, its sources and its conflicts. */
export const entityCommon = {
  key: fromView((v) => v.attributes.key!),
  sources: fromView((v) => v.records.map(sourceView)),
  conflicts: fromView((v) =>
    v.conflicts.map((c) => ({
      field: c.field,
      values: c.values.map((x) => ({
        ...x,
        department: x.department.toUpperCase(),
        governedBy: governingField(v.type, c.field),
      })),
    })),
  ),
};

export const hubValue = (value: unknown) => attributed(value, ['hub']);
