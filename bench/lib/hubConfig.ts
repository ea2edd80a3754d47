import type { ZhiwangConfig } from '../../src/config/configSchema';
import { loadConfig, type LoadedConfig } from '../../src/config/loadConfig';
import type { BenchDatabases } from './database';

/** Demo signing is only automatic when everything is embedded; benches mint tokens with this key. */
export const BENCH_DEMO_SECRET = 'zhiwang-bench-demo-signing-secret-0123456789';

/** The shipped config with every database pointed at the bench's own, and demo signing on. */
export function benchConfig(db: BenchDatabases, mongoUrl: string): LoadedConfig {
  const loaded = loadConfig(undefined, {});
  const c: ZhiwangConfig = structuredClone(loaded.config);
  c.embedded.enabled = false;
  c.store.url = db.url;
  for (const d of ['police', 'housing', 'civil'] as const) c.departments[d].url = db.url;
  c.departments.market.url = mongoUrl;
  c.departments.market.database = db.name;
  c.auth.demoSigning = { enabled: true, secret: BENCH_DEMO_SECRET };
  return { ...loaded, config: c };
}
