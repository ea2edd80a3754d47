import { startEmbeddedPg } from '../../src/embedded/pg';

/**
 * Integration suites always run against embedded Postgres (PGlite), and also against a real server
 * when ZHIWANG_TEST_PG_URL is set. One embedded instance serves every suite; each suite works in
 * its own schemas and drops them.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.ZHIWANG_EMBEDDED_PG_URL) return;
  const pg = await startEmbeddedPg({ dataDir: 'memory://', port: 0 });
  process.env.ZHIWANG_EMBEDDED_PG_URL = pg.url;
  (globalThis as Record<string, unknown>).__zhiwangEmbeddedPg = pg;
}
