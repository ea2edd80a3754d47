import type { LoadedConfig } from '../config/loadConfig';
import type { PG_DEPARTMENTS, Department } from '../config/types';
import type { Connector } from './Connector';
import { MongoConnector } from './mongo/MongoConnector';
import { PgConnector } from './pg/PgConnector';

export type Connectors = Readonly<Record<Department, Connector>>;

/** Resolved connection URLs: from config in server mode, from the embedded servers otherwise. */
export type DepartmentUrls = Readonly<Record<Department, string>>;

export function createConnectors(loaded: LoadedConfig, urls: DepartmentUrls): Connectors {
  const { config, mappings } = loaded;
  const pg = (d: (typeof PG_DEPARTMENTS)[number]): Connector => {
    const c = config.departments[d];
    return new PgConnector({
      department: d,
      mapping: mappings[d],
      url: urls[d],
      schema: c.schema,
      timeoutMs: c.timeoutMs,
      poolSize: c.poolSize,
    });
  };
  const m = config.departments.market;
  return {
    police: pg('police'),
    housing: pg('housing'),
    civil: pg('civil'),
    market: new MongoConnector({
      mapping: mappings.market,
      url: urls.market,
      database: m.database,
      timeoutMs: m.timeoutMs,
      poolSize: m.poolSize,
    }),
  };
}

/**
 * Opens every connector. A department that cannot be reached at startup is not fatal: the hub serves
 * the others and reports SOURCE_UNAVAILABLE for its fields. A mapping that does not fit the
 * department's tables is fatal, because every answer from it would be wrong.
 */
export async function openConnectors(connectors: Connectors): Promise<Map<Department, Error>> {
  const failures = new Map<Department, Error>();
  await Promise.all(
    Object.values(connectors).map(async (c) => {
      try {
        await c.open();
      } catch (err) {
        if (/does not exist/.test((err as Error).message)) throw err;
        failures.set(c.department, err as Error);
      }
    }),
  );
  return failures;
}

export async function closeConnectors(connectors: Connectors): Promise<void> {
  await Promise.all(Object.values(connectors).map((c) => c.close()));
}
