import type { ApolloServer } from '@apollo/server';
import type { RequestContext } from '../../src/graphql/context';
import type { TestHub } from './testHub';

/** A GraphQL response as the tests read it. */
export interface GqlResult {
  data?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: ReadonlyArray<{
    message: string;
    path?: ReadonlyArray<string | number>;
    extensions?: Record<string, unknown>;
  }>;
  extensions?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Executes an operation in-process (no HTTP) with the given context. */
export async function execute(
  server: ApolloServer<RequestContext>,
  query: string,
  contextValue: RequestContext,
  variables?: Record<string, unknown>,
): Promise<GqlResult> {
  const res = await server.executeOperation({ query, variables }, { contextValue });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return res.body.singleResult as GqlResult;
}

/** The context of a request with a demo token for the role, its jurisdiction and a purpose. */
export const roleContext = (
  th: TestHub,
  role: string,
  purpose: string,
  jurisdiction: string[] = [],
): RequestContext =>
  th.contextFor({
    authorization: `Bearer ${th.token(role, { jurisdiction })}`,
    'x-zhiwang-purpose': purpose,
  });
