import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

const MIGRATIONS_DIR = join(__dirname, 'migrations');

export interface AppliedMigration {
  readonly name: string;
  readonly appliedNow: boolean;
}

/**
 * Applies the hub store's SQL migrations in file-name order, each in its own transaction, recording
 * them in `<schema>.schema_migrations`. Safe to run on every start; an applied migration is skipped.
 */
export async function migrateHubStore(pool: Pool, schema: string): Promise<AppliedMigration[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const client = await pool.connect();
  const result: AppliedMigration[] = [];
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ name: string }>(`SELECT name FROM "${schema}".schema_migrations`)).rows.map(
        (r) => r.name,
      ),
    );
    for (const file of files) {
      if (done.has(file)) {
        result.push({ name: file, appliedNow: false });
        continue;
      }
      const sql = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO "${schema}", public`);
        await client.query(sql);
        await client.query(`INSERT INTO "${schema}".schema_migrations (name) VALUES ($1)`, [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      result.push({ name: file, appliedNow: true });
    }
  } finally {
    client.release();
  }
  return result;
}
