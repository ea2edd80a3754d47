import { Pool } from 'pg';
import type { PgPlacement, StoreName } from './databases';

/** Direct SQL on a suite's databases, for reading expected values; `$s` is replaced by the schema. */
export class SuiteSql {
  private readonly pools = new Map<StoreName, Pool>();

  constructor(private readonly pg: PgPlacement) {}

  async rows<R = Record<string, unknown>>(
    store: StoreName,
    sql: string,
    params: unknown[] = [],
  ): Promise<R[]> {
    let pool = this.pools.get(store);
    if (!pool) this.pools.set(store, (pool = new Pool({ connectionString: this.pg.urls[store], max: 2 })));
    return (await pool.query(sql.replace(/\$s\./g, `"${this.pg.schemas[store]}".`), params)).rows as R[];
  }

  async one<R = Record<string, unknown>>(store: StoreName, sql: string, params: unknown[] = []): Promise<R> {
    const rows = await this.rows<R>(store, sql, params);
    if (rows.length === 0) throw new Error(`no row for: ${sql}`);
    return rows[0]!;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end()));
  }
}
