/**
 * The sharing policy (config/policy.yaml): which role may read which `Type.field` of the GraphQL
 * schema, in full, masked or not at all, optionally per declared purpose. It is validated against the
 * schema at startup, so a policy naming an unknown type, field, role or purpose stops the hub, and
 * anything it does not grant is denied.
 */
import {
  getNamedType,
  getNullableType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { keepMask, MASKERS, MASKS } from './masking';
import { PRINCIPAL_DEPARTMENTS } from './principal';

export const MODES = ['FULL', 'MASKED', 'DENY'] as const;
export type Mode = (typeof MODES)[number];
const RANK: Readonly<Record<Mode, number>> = { DENY: 0, MASKED: 1, FULL: 2 };

export const SCOPES = ['jurisdiction', 'all'] as const;
export type Scope = (typeof SCOPES)[number];

const PURPOSE = /^[A-Z][A-Z_]*$/;
const COORDINATE = /^[A-Z][A-Za-z]*\.([a-z][A-Za-z]*|\*)$/;

const maskSpec = z.union([
  z.enum(MASKS),
  z
    .object({
      /** Characters kept at the start and at the end; the rest become `fill`. */
      keepStart: z.number().int().min(0),
      keepEnd: z.number().int().min(0),
      fill: z.string().length(1).default('*'),
    })
    .strict(),
]);

/** A mode, or modes by purpose with a `default` for the purposes not named. */
const grant = z.union([
  z.enum(MODES),
  z.record(z.string(), z.enum(MODES)).refine((m) => Object.keys(m).length > 0, 'name at least one purpose'),
]);

export const policySchema = z
  .object({
    /** Purpose codes a request may declare, with their labels. */
    purposes: z.record(
      z.string().regex(PURPOSE, 'an upper-case purpose code, e.g. GRID_VERIFICATION'),
      z.string(),
    ),
    /** Masked forms by field; a field without one is shown whole even where its group is MASKED. */
    masks: z.record(z.string().regex(COORDINATE, 'Type.field'), maskSpec),
    /** Field groups, the unit of the README's role × group table. `Type.*` is every field of a type. */
    groups: z.record(
      z.string().regex(/^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)*$/, 'a dotted lower-case group name'),
      z
        .object({
          label: z.string().min(1),
          fields: z.array(z.string().regex(COORDINATE, 'Type.field or Type.*')).min(1),
        })
        .strict(),
    ),
    roles: z.record(
      z.string().regex(/^[a-z][a-z_]*$/, 'a snake_case role name'),
      z
        .object({
          label: z.string().min(1),
          /** The department a token for this role belongs to. */
          department: z.enum(PRINCIPAL_DEPARTMENTS),
          /** jurisdiction: rows only under the token's code prefixes; all: the whole hub. */
          scope: z.enum(SCOPES),
          purposes: z.array(z.string().regex(PURPOSE)).min(1),
          /** Group names or `Type.field` coordinates; a coordinate overrides its group. */
          grants: z.record(z.string(), grant),
        })
        .strict(),
    ),
  })
  .strict();

export type PolicyFile = z.infer<typeof policySchema>;

export interface FieldRule {
  readonly mode: Mode;
  /** Set where the mode is MASKED and the field has a mask format. */
  readonly mask: ((value: string) => string) | null;
}

export const DENY_RULE: FieldRule = { mode: 'DENY', mask: null };
const FULL_RULE: FieldRule = { mode: 'FULL', mask: null };

/** What one set of roles may read for one purpose, by `Type.field`. */
export type FieldRules = ReadonlyMap<string, FieldRule>;

export interface RolePolicy {
  readonly name: string;
  readonly label: string;
  readonly department: (typeof PRINCIPAL_DEPARTMENTS)[number];
  readonly scope: Scope;
  readonly purposes: readonly string[];
  /** Mode by purpose, by coordinate: the grants expanded to fields. */
  readonly modes: ReadonlyMap<string, ReadonlyMap<string, Mode>>;
}

export interface PolicyGroup {
  readonly name: string;
  readonly label: string;
  readonly fields: readonly string[];
}

/** A policy checked against the schema, ready to answer "what may these roles read for this purpose". */
export class CompiledPolicy {
  private readonly cache = new Map<string, FieldRules>();

  constructor(
    readonly purposes: ReadonlyMap<string, string>,
    readonly roles: ReadonlyMap<string, RolePolicy>,
    readonly groups: readonly PolicyGroup[],
    private readonly masks: ReadonlyMap<string, (value: string) => string>,
  ) {}

  /** The roles among `roles` that the policy knows and that may act for `purpose`. */
  rolesFor(roles: readonly string[], purpose: string): RolePolicy[] {
    return roles
      .map((r) => this.roles.get(r))
      .filter((r): r is RolePolicy => r !== undefined && r.purposes.includes(purpose));
  }

  /** Per field, the most permissive mode any of the roles has for the purpose (memoised). */
  rules(roles: readonly RolePolicy[], purpose: string): FieldRules {
    const key = `${roles
      .map((r) => r.name)
      .sort()
      .join(',')}|${purpose}`;
    let rules = this.cache.get(key);
    if (rules) return rules;
    const merged = new Map<string, FieldRule>();
    for (const role of roles) {
      for (const [coordinate, mode] of role.modes.get(purpose) ?? []) {
        const prev = merged.get(coordinate);
        if (prev && RANK[prev.mode] >= RANK[mode]) continue;
        const mask = mode === 'MASKED' ? (this.masks.get(coordinate) ?? null) : null;
        merged.set(coordinate, mode === 'MASKED' && mask === null ? FULL_RULE : { mode, mask });
      }
    }
    rules = merged;
    this.cache.set(key, rules);
    return rules;
  }
}

const fail = (key: string, message: string): never => {
  throw new ConfigError(`policy.${key}`, message);
};

function fieldsOf(schema: GraphQLSchema, coordinate: string, key: string): string[] {
  const [typeName, fieldName] = coordinate.split('.') as [string, string];
  const type = schema.getType(typeName);
  if (!isObjectType(type) || typeName.startsWith('__'))
    return fail(key, `${coordinate}: the schema has no object type ${typeName}`);
  const fields = type.getFields();
  if (fieldName === '*') return Object.keys(fields).map((f) => `${typeName}.${f}`);
  if (!fields[fieldName]) return fail(key, `${coordinate}: ${typeName} has no field ${fieldName}`);
  return [coordinate];
}

function fieldAt(schema: GraphQLSchema, coordinate: string): GraphQLField<unknown, unknown> {
  const [typeName, fieldName] = coordinate.split('.') as [string, string];
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`no object type ${typeName}`);
  return type.getFields()[fieldName]!;
}

function isStringField(field: GraphQLField<unknown, unknown>): boolean {
  let type = getNullableType(field.type);
  if (isListType(type)) type = getNullableType(type.ofType);
  return getNamedType(type).name === 'String';
}

/**
 * Checks a parsed policy against the schema and expands groups into fields. Fails with a ConfigError
 * naming the policy key on an unknown type, field, group, role or purpose, on a field listed in two
 * groups, on a mask for a non-string field, and on a field some role may be denied that the schema
 * declares non-null (a denied field must be able to be null).
 */
export function compilePolicy(raw: unknown, schema: GraphQLSchema): CompiledPolicy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(issue.path.map(String).join('.') || '(root)', issue.message);
  }
  const p = parsed.data;
  const purposes = new Map(Object.entries(p.purposes));

  // Groups: explicit fields win over a wildcard of their type; a field may sit in one group only.
  const explicit = new Map<string, string>();
  const wildcard = new Map<string, string>();
  for (const [name, g] of Object.entries(p.groups)) {
    for (const [i, entry] of g.fields.entries()) {
      const key = `groups.${name}.fields.${i}`;
      const expanded = fieldsOf(schema, entry, key);
      const target = entry.endsWith('.*') ? wildcard : explicit;
      for (const f of expanded) {
        const other = target.get(f);
        if (other !== undefined && other !== name) fail(key, `${f} is already in group ${other}`);
        target.set(f, name);
      }
    }
  }
  const groupOf = new Map(wildcard);
  for (const [f, g] of explicit) groupOf.set(f, g);
  const groups: PolicyGroup[] = Object.entries(p.groups).map(([name, g]) => ({
    name,
    label: g.label,
    fields: [...groupOf].filter(([, n]) => n === name).map(([f]) => f),
  }));

  const masks = new Map<string, (value: string) => string>();
  for (const [coordinate, spec] of Object.entries(p.masks)) {
    const key = `masks.${coordinate}`;
    if (coordinate.endsWith('.*')) fail(key, 'a mask names one field, not Type.*');
    fieldsOf(schema, coordinate, key);
    if (!isStringField(fieldAt(schema, coordinate)))
      fail(key, `${coordinate} is not a String field and cannot be masked`);
    masks.set(coordinate, typeof spec === 'string' ? MASKERS[spec] : keepMask(spec));
  }

  const roles = new Map<string, RolePolicy>();
  for (const [name, r] of Object.entries(p.roles)) {
    for (const [i, purpose] of r.purposes.entries())
      if (!purposes.has(purpose)) fail(`roles.${name}.purposes.${i}`, `unknown purpose ${purpose}`);
    const modes = new Map(r.purposes.map((purpose) => [purpose, new Map<string, Mode>()]));
    // Groups first, then coordinates, so that a coordinate overrides the group it belongs to.
    const grants = Object.entries(r.grants);
    const ordered = [...grants.filter(([t]) => p.groups[t]), ...grants.filter(([t]) => !p.groups[t])];
    for (const [target, g] of ordered) {
      const key = `roles.${name}.grants.${target}`;
      const fields = p.groups[target]
        ? groups.find((x) => x.name === target)!.fields
        : COORDINATE.test(target)
          ? fieldsOf(schema, target, key)
          : fail(key, `${target} is neither a group nor a Type.field`);
      const byPurpose = typeof g === 'string' ? { default: g } : g;
      for (const purpose of Object.keys(byPurpose)) {
        if (purpose !== 'default' && !r.purposes.includes(purpose))
          fail(key, `purpose ${purpose} is not one of the role's purposes (${r.purposes.join(', ')})`);
      }
      for (const purpose of r.purposes) {
        const mode = byPurpose[purpose] ?? byPurpose.default;
        if (mode === undefined) continue;
        for (const f of fields) modes.get(purpose)!.set(f, mode);
      }
    }
    roles.set(name, {
      name,
      label: r.label,
      department: r.department,
      scope: r.scope,
      purposes: r.purposes,
      modes,
    });
  }

  // A field that some role, for some purpose, may not read must be nullable: it answers null then.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isNonNullType(field.type)) continue;
      const coordinate = `${type.name}.${field.name}`;
      for (const role of roles.values()) {
        for (const [purpose, modes] of role.modes) {
          if ((modes.get(coordinate) ?? 'DENY') === 'DENY')
            fail(
              `roles.${role.name}`,
              `${coordinate} is non-null in the schema, but ${role.name} is denied it for ${purpose}; make it nullable or grant it`,
            );
        }
      }
    }
  }
  return new CompiledPolicy(purposes, roles, groups, masks);
}
