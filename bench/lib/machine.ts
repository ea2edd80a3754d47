/** What every benchmark report says about where it ran. */
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';

/** The PostgreSQL server's version, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
export async function serverVersion(pgUrl: string): Promise<string> {
  const c = new Client({ connectionString: pgUrl });
  await c.connect();
  try {
    return (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  } finally {
    await c.end();
  }
}

/** `Machine: 2 × <cpu>, 24 GiB RAM; Node v20…; PostgreSQL <version> on the same machine` (no full stop). */
export function machineLine(pgVersion: string): string {
  const cpu = cpus();
  return `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; Node ${process.version}; PostgreSQL ${pgVersion} on the same machine`;
}
