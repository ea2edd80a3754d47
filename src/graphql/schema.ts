import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { withPermissions } from '../auth/permissions';
import type { EntityType } from '../config/types';
import { SourceUnavailableError } from '../errors';
import { isAttributed, isAttributedObject } from '../model/attributed';
import type { EntityRef } from '../model/EntityView';
import { resolvers } from '../resolvers';
import type { RequestContext } from './context';

const SCHEMA_DIR = join(__dirname, '..', 'schema');

export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(SCHEMA_DIR, f), 'utf8'));
}

const ENTITY_TYPENAMES: Record<string, EntityType> = {
  Person: 'PERSON',
  House: 'HOUSE',
  LegalEntity: 'LEGAL_ENTITY',
};

const isEntityRef = (v: unknown): v is EntityRef =>
  typeof v === 'object' && v !== null && 'type' in v && 'key' in v && !('attributes' in v);

const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof (v as Promise<unknown> | null)?.then === 'function';

/**
 * Reads every field through one place: an attributed value is unwrapped, its departments are recorded
 * as the field's provenance, and a value whose department is down becomes SOURCE_UNAVAILABLE on that
 * path. Entity fields without a resolver read the merged entity view, so resolvers stay thin.
 */
function withAttribution(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const inner = fieldConfig.resolve;
      const entityType = ENTITY_TYPENAMES[typeName];
      const resolve: GraphQLFieldResolver<unknown, RequestContext> = (source, args, ctx, info) => {
        const finish = (result: unknown): unknown => {
          if (!isAttributed(result)) return result;
          if (result.unavailable)
            throw new SourceUnavailableError(result.unavailable.department, result.unavailable.reason);
          if (result.value !== null) ctx.provenance?.record(info.path, result.origins);
          return result.value;
        };
        let result: unknown;
        if (inner) result = inner(source, args, ctx, info);
        else if (entityType && isEntityRef(source)) {
          result = ctx.loaders.views[source.type]
            .load(source.key)
            .then((view) => view?.attributes[fieldName] ?? null);
        } else if (isAttributedObject(source)) result = source.attributes[fieldName] ?? null;
        else result = defaultFieldResolver(source, args, ctx, info);
        return isPromise(result) ? result.then(finish) : finish(result);
      };
      return { ...fieldConfig, resolve };
    },
  });
}

/**
 * The hub's schema. With `permissions` (the default, and the only way the server builds it) every
 * field is read through the permission layer; without it only tests and the cost benchmark use it.
 */
export function buildSchema(options: { permissions: boolean } = { permissions: true }): GraphQLSchema {
  const schema = withAttribution(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers }));
  return options.permissions ? withPermissions(schema) : schema;
}
