import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../errors';
import type { RequestContext } from './context';
import { buildSchema } from './schema';

/**
 * Adds extensions.provenance (unless turned off), extensions.masked (paths whose values were masked)
 * and extensions.unavailableSources to every response.
 */
export const provenancePlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        const extensions: Record<string, unknown> = { ...(result.extensions ?? {}) };
        if (contextValue.provenance) extensions.provenance = contextValue.provenance.toJSON();
        if (contextValue.masked.size > 0) extensions.masked = [...contextValue.masked].sort();
        if (contextValue.unavailable.size > 0) {
          extensions.unavailableSources = [...contextValue.unavailable.keys()]
            .map((d) => d.toUpperCase())
            .sort();
        }
        result.extensions = extensions;
      },
    };
  },
};

export interface ServerLogger {
  error(message: string, err?: unknown): void;
}

/**
 * The one place errors are masked: errors thrown on purpose (GraphQLErrors with a code) reach the
 * client; anything else becomes INTERNAL_SERVER_ERROR, logged with its stack, shown without it.
 */
export function formatError(logger: ServerLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (original instanceof GraphQLError && original.extensions.code) {
      return { ...formatted, extensions: { ...formatted.extensions, stacktrace: undefined } };
    }
    if (code && code !== ErrorCode.Internal) return { ...formatted, extensions: { code } };
    logger.error(`unexpected error at ${formatted.path?.join('.') ?? '(request)'}`, original);
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.Internal },
    };
  };
}

export function createApolloServer(options: {
  logger: ServerLogger;
  introspection: boolean;
  /** Default: the schema with the permission layer. */
  schema?: GraphQLSchema;
  /** More plugins, e.g. the audit log's. */
  plugins?: ApolloServerPlugin<RequestContext>[];
}): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema: options.schema ?? buildSchema(),
    plugins: [provenancePlugin, ...(options.plugins ?? [])],
    introspection: options.introspection,
    includeStacktraceInErrorResponses: false,
    formatError: formatError(options.logger),
  });
}
