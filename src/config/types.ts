/**
 * The shared vocabulary of Zhiwang: departments, the record types each one holds, the roles in which a
 * record refers to a canonical entity, and the data-quality problems the demo generator plants.
 * Mappings in config/, the crosswalk and the ground truth all use these names.
 */

export const DEPARTMENTS = ['police', 'market', 'civil', 'housing'] as const;
export type Department = (typeof DEPARTMENTS)[number];

export const PG_DEPARTMENTS = ['police', 'housing', 'civil'] as const;
export type PgDepartment = (typeof PG_DEPARTMENTS)[number];

/** Chinese labels, as users see them. */
export const DEPARTMENT_LABELS: Record<Department, string> = {
  police: '公安',
  market: '市场监管',
  civil: '民政',
  housing: '住房和建设',
};

export const ENTITY_TYPES = ['PERSON', 'HOUSE', 'LEGAL_ENTITY'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Record types, one per source table or collection. */
export const RECORD_TYPES = {
  police: ['registered_person', 'residence_registration'],
  housing: ['house', 'rental_contract'],
  civil: ['subsistence_allowance', 'elderly_allowance', 'cremation_record', 'social_organization'],
  market: ['market_entity'],
} as const satisfies Record<Department, readonly string[]>;
export type RecordType = (typeof RECORD_TYPES)[Department][number];

/**
 * Roles in which a source record refers to a canonical entity. SUBJECT: the record is about it.
 * The others are mentions: e.g. a rental contract's TENANT, a market entity's LEGAL_REP.
 */
export const ROLES = [
  'SUBJECT',
  'CURRENT_HOUSE',
  'RESIDENCE',
  'OWNER',
  'RENTED_HOUSE',
  'TENANT',
  'LESSOR',
  'ADDRESS',
  'LEGAL_REP',
  'OPERATOR',
  'SHAREHOLDER',
  'REGISTERED_HOUSE',
  'OPERATING_HOUSE',
] as const;
export type Role = (typeof ROLES)[number];

/** Problems the demo generator plants and records in truth_problem. */
export const PROBLEM_KINDS = [
  'ADDRESS_VARIANT',
  'HOUSE_CODE_MISSING',
  'HOUSE_CODE_STALE',
  'HOUSE_CODE_WRONG',
  'HOUSE_CODE_UNKNOWN',
  'ID_LEGACY_15',
  'ID_LOWERCASE_X',
  'ID_BAD_CHECK',
  'IDENTITY_MISMATCH',
  'DECEASED_BUT_ACTIVE',
  'UNREGISTERED_TENANT',
  'STALE_REGISTRATION',
  'RESIDENCE_MISMATCH',
  'WELFARE_WITH_BUSINESS',
  'ENTITY_ADDRESS_UNMATCHED',
  'ENTITY_AT_RESIDENTIAL',
  'OVERCROWDED_HOUSE',
  'LEGACY_REGNO_ONLY',
  'USCC_BAD_CHECK',
  'BAD_VALUE',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];
