import type { EmbeddedPg } from '../../src/embedded/pg';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as Record<string, unknown>).__zhiwangEmbeddedPg as EmbeddedPg | undefined;
  await pg?.close();
}
