import { attributed } from '../model/attributed';
import { sourceView } from '../model/relations';
import { fromView } from './entityField';

/** Fields every entity type has: its key, its sources and its conflicts. */
export const entityCommon = {
  key: fromView((v) => v.attributes.key!),
  sources: fromView((v) => v.records.map(sourceView)),
  conflicts: fromView((v) =>
    v.conflicts.map((c) => ({
      field: c.field,
      values: c.values.map((x) => ({ ...x, department: x.department.toUpperCase() })),
    })),
  ),
};

export const hubValue = (value: unknown) => attributed(value, ['hub']);
