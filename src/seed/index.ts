/**
 * The demo-data generator for the four departmental stand-ins (police, housing, civil affairs,
 * market regulation) and the ground truth the hub is scored against.
 */
export { seedDepartments, DEFAULT_TODAY } from './generator';
export type {
  PgTarget,
  ProgressListener,
  SeedOptions,
  SeedReport,
  SeedScale,
  SeedTargets,
} from './generator';
export { PG_DEPARTMENT_DDL } from './departmentDdl';
export { SEEDED_TABLE_KEYS } from './tables';
export { ADDRESS_FORMS, randomAddressVariant, renderAddress, standardAddress } from './addressVariants';
export type { AddressForm, AddressParts, AddressVariant } from './addressVariants';
