/**
 * A second (or third) writer process for the audit tests: appends N records with its own chain to
 * the given store, concurrently with whatever else writes there, then prints its writer id.
 *
 *   tsx test/helpers/auditWriterChild.ts <pg url> <schema> <records>
 */
import { Pool } from 'pg';
import { AuditWriter } from '../../src/audit/AuditWriter';
import { actionEntry } from '../../src/audit/record';

async function main(): Promise<void> {
  const [url, schema, n] = process.argv.slice(2);
  const pool = new Pool({ connectionString: url, max: 4 });
  const writer = new AuditWriter(pool, schema!);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < Number(n); i++) {
    pending.push(writer.append(actionEntry('JOB', 'concurrency test', { i, pid: process.pid })));
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  await writer.drain();
  await pool.end();
  console.log(writer.writer);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
