import { z } from 'zod';
import { DEPARTMENTS, ENTITY_TYPES, ROLES } from './types';

/**
 * The declarative mapping of one department: which tables or collections it has, how each source
 * field maps to a canonical field, the code tables used to decode values, and which canonical
 * entities each record refers to. Validated once at startup; an invalid mapping stops the process.
 */

export const FIELD_TYPES = [
  'string',
  'integer',
  'number',
  'date',
  'timestamp',
  'idNumber',
  'uscc',
  'houseCode',
  'registrationNumber',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Date layouts found in department data. `iso` is a real date column (or YYYY-MM-DD text). */
export const DATE_FORMATS = ['iso', 'YYYYMMDD', 'YYYYMM'] as const;

const scalarField = z
  .object({
    /** Source column, or dotted path inside a MongoDB document. */
    from: z.string().min(1),
    /** Conversion, default `string`. */
    type: z.enum(FIELD_TYPES).default('string'),
    /** Date layout, default `iso`. */
    format: z.enum(DATE_FORMATS).default('iso'),
    /** Name of a code table in `codeTables`; an unknown code is reported, never dropped. */
    code: z.string().optional(),
  })
  .strict();
export type ScalarFieldMapping = z.infer<typeof scalarField>;

const listField = z
  .object({
    from: z.string().min(1),
    type: z.literal('list'),
    fields: z.record(z.string(), scalarField),
  })
  .strict();
export type ListFieldMapping = z.infer<typeof listField>;

const fieldMapping = z.union([listField, scalarField]);
export type FieldMapping = z.infer<typeof fieldMapping>;

/** Chooses the entity type of a reference from a field's value, e.g. a tenant's certificate type. */
const entityBy = z.object({ field: z.string(), map: z.record(z.string(), z.enum(ENTITY_TYPES)) }).strict();

const reference = z
  .object({
    role: z.enum(ROLES),
    entity: z.enum(ENTITY_TYPES).optional(),
    entityBy: entityBy.optional(),
    /** The mapped field holding the referenced entity's key (for a house: the claimed house code). */
    key: z.string().optional(),
    /** For a house: the mapped field holding the free-text address the house is matched by. */
    address: z.string().optional(),
    /** A mapped field holding a fallback key (a legacy registration number) when `key` is empty. */
    fallbackKey: z.string().optional(),
    /** For a reference inside a list field: the list's canonical name. */
    list: z.string().optional(),
    /** Canonical attributes of the referenced entity this record states: attribute → mapped field. */
    attributes: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .refine((r) => (r.entity === undefined) !== (r.entityBy === undefined), {
    message: 'a reference names exactly one of entity or entityBy',
  })
  .refine((r) => r.key !== undefined || r.address !== undefined, {
    message: 'a reference names a key, an address, or both',
  })
  .refine((r) => r.address === undefined || (r.entity === 'HOUSE' && r.list === undefined), {
    message: 'only a house reference outside a list may name an address',
  });
export type ReferenceMapping = z.infer<typeof reference>;

/** What a record is, canonically; the GraphQL layer builds relations from this, not from table names. */
export const RECORD_KINDS = [
  'PERSON_REGISTRATION',
  'RESIDENCE_REGISTRATION',
  'HOUSE',
  'RENTAL',
  'ALLOWANCE',
  'DEATH',
  'LEGAL_ENTITY',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

const recordMapping = z
  .object({
    kind: z.enum(RECORD_KINDS),
    /** Source table (PostgreSQL) or collection (MongoDB). */
    source: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain table or collection name'),
    /** The source's primary key column or field. */
    key: z.string(),
    /** The change watermark column or field (gxsj / UPDATED_AT). */
    updatedAt: z.string(),
    fields: z.record(z.string(), fieldMapping),
    /** Canonical values every record of this type has, e.g. registrationType: REGISTERED. */
    constants: z.record(z.string(), z.string()).default({}),
    /** The entity this record is about, and which of its canonical attributes it states. */
    subject: z
      .object({
        entity: z.enum(ENTITY_TYPES),
        key: z.string(),
        fallbackKey: z.string().optional(),
        attributes: z.array(z.string()),
      })
      .strict()
      .optional(),
    references: z.array(reference).default([]),
  })
  .strict();
export type RecordMapping = z.infer<typeof recordMapping>;

export const departmentMappingSchema = z
  .object({
    department: z.enum(DEPARTMENTS),
    codeTables: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    records: z.record(z.string(), recordMapping),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const [recordType, rec] of Object.entries(m.records)) {
      const fieldNames = new Set([...Object.keys(rec.fields), ...Object.keys(rec.constants)]);
      const listNames = new Set(
        Object.entries(rec.fields).flatMap(([n, f]) => (f.type === 'list' ? [n] : [])),
      );
      const need = (name: string, path: (string | number)[]): void => {
        if (!fieldNames.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['records', recordType, ...path],
            message: `unknown field ${name}`,
          });
        }
      };
      for (const [name, f] of Object.entries(rec.fields)) {
        const scalars = f.type === 'list' ? Object.entries(f.fields) : [[name, f] as const];
        for (const [sub, sf] of scalars) {
          if (sf.code !== undefined && !(sf.code in m.codeTables)) {
            ctx.addIssue({
              code: 'custom',
              path: [
                'records',
                recordType,
                'fields',
                name,
                ...(f.type === 'list' ? ['fields', sub] : []),
                'code',
              ],
              message: `unknown code table ${sf.code}`,
            });
          }
        }
      }
      if (rec.subject) {
        need(rec.subject.key, ['subject', 'key']);
        rec.subject.attributes.forEach((a, i) => need(a, ['subject', 'attributes', i]));
      }
      rec.references.forEach((r, i) => {
        if (r.list !== undefined) {
          const list = rec.fields[r.list];
          if (!listNames.has(r.list) || list?.type !== 'list') {
            ctx.addIssue({
              code: 'custom',
              path: ['records', recordType, 'references', i, 'list'],
              message: `unknown list ${r.list}`,
            });
            return;
          }
          for (const f of [
            ...(r.key === undefined ? [] : [r.key]),
            ...Object.values(r.attributes),
            ...(r.entityBy ? [r.entityBy.field] : []),
          ]) {
            if (!(f in list.fields)) {
              ctx.addIssue({
                code: 'custom',
                path: ['records', recordType, 'references', i],
                message: `unknown field ${r.list}.${f}`,
              });
            }
          }
          return;
        }
        if (r.key !== undefined) need(r.key, ['references', i, 'key']);
        if (r.address !== undefined) need(r.address, ['references', i, 'address']);
        if (r.fallbackKey) need(r.fallbackKey, ['references', i, 'fallbackKey']);
        if (r.entityBy) need(r.entityBy.field, ['references', i, 'entityBy', 'field']);
        Object.values(r.attributes).forEach((a) => need(a, ['references', i, 'attributes']));
      });
    }
  });
export type DepartmentMapping = z.infer<typeof departmentMappingSchema>;
