/**
 * Seeding benchmark: the demo scale, then the bench scale (default 1,000,000 persons), against a
 * real PostgreSQL server and the embedded MongoDB-compatible server. Each run gets a fresh database
 * that is dropped at the end. Prints a Markdown table and writes it as the "## Seeding" section of
 * docs/benchmarks.md (other sections are kept).
 *
 *   npx tsx bench/seed.bench.ts [--persons N] [--pg-url URL] [--mongo-url URL] [--skip-demo]
 *
 * The embedded Mongo server runs in a child process, so that the peak RSS reported is the
 * generator's own (the in-memory document store would otherwise count against it).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { Client, Pool } from 'pg';
import { startEmbeddedMongo } from '../src/embedded/mongo';
import { SEEDED_TABLE_KEYS, seedDepartments } from '../src/seed';
import type { SeedOptions, SeedReport } from '../src/seed';
import { migrateHubStore } from '../src/store/migrate';
import { BENCHMARKS_MD, writeSection } from './lib/report';

interface Args {
  persons: number;
  pgUrl: string;
  mongoUrl: string | null;
  skipDemo: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    persons: 1_000_000,
    pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    mongoUrl: null,
    skipDemo: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--persons') args.persons = Number(value().replace(/_/g, ''));
    else if (a === '--pg-url') args.pgUrl = value();
    else if (a === '--mongo-url') args.mongoUrl = value();
    else if (a === '--skip-demo') args.skipDemo = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(args.persons) || args.persons < 100)
    throw new Error('--persons must be an integer >= 100');
  return args;
}

/** Child-process mode: serve the embedded Mongo and report its URL to the parent. */
async function serveMongo(): Promise<void> {
  const server = await startEmbeddedMongo({ port: 0 });
  process.send?.({ url: server.url });
  process.on('message', (msg: unknown) => {
    if (msg === 'peak') process.send?.({ peakRssBytes: readPeakRss() });
    if (msg === 'stop') void server.close().then(() => process.exit(0));
  });
}

/** VmHWM (the kernel's peak RSS) of this process, in bytes; 0 where /proc is unavailable. */
function readPeakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface MongoServer {
  url: string;
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

function startMongoChild(): Promise<MongoServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(__filename, ['--mongo-server'], { execArgv: process.execArgv });
    child.once('error', reject);
    child.once('message', (msg) => {
      const url = (msg as { url: string }).url;
      resolve({
        url,
        peakRss: () =>
          new Promise((res) => {
            child.once('message', (m) => res((m as { peakRssBytes: number }).peakRssBytes));
            child.send('peak');
          }),
        stop: () =>
          new Promise((res) => {
            child.once('exit', () => res());
            child.send('stop');
          }),
      });
    });
  });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

interface RunResult {
  readonly label: string;
  readonly options: SeedOptions;
  readonly report: SeedReport;
  readonly wallMs: number;
  readonly sampledPeakRss: number;
}

async function run(args: Args, mongoUrl: string, label: string, options: SeedOptions): Promise<RunResult> {
  const database = `zw_bench_seed_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: args.pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const pool = new Pool({ connectionString: withDatabase(args.pgUrl, database), max: 12 });
  // pool.end() resolves before the sockets close; DROP DATABASE … WITH (FORCE) then terminates
  // those backends, which surfaces as an error on an idle client. Expected, so not fatal.
  pool.on('error', () => undefined);
  const mongo = new MongoClient(mongoUrl);
  let sampledPeakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    sampledPeakRss = Math.max(sampledPeakRss, process.memoryUsage().rss);
  }, 100);
  try {
    await migrateHubStore(pool, 'hub');
    await mongo.connect();
    const started = process.hrtime.bigint();
    let lastShown = -1;
    const report = await seedDepartments(
      {
        police: { pool, schema: 'police' },
        housing: { pool, schema: 'housing' },
        civil: { pool, schema: 'civil' },
        hub: { pool, schema: 'hub' },
        market: mongo.db(database),
      },
      options,
      (stage, done, total) => {
        const pct = Math.floor((done / Math.max(1, total)) * 20) * 5;
        if (stage !== 'grids' || pct !== lastShown) {
          if (stage === 'grids') lastShown = pct;
          const secs = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
          process.stderr.write(
            `  [${label}] ${stage} ${done}/${total} (${secs}s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)\n`,
          );
        }
      },
    );
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { label, options, report, wallMs, sampledPeakRss };
  } finally {
    clearInterval(sampler);
    await mongo
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    await pool.end();
    const drop = new Client({ connectionString: args.pgUrl });
    await drop.connect();
    await drop.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await drop.end();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

function markdown(results: readonly RunResult[], env: string, mongoPeak: number | null): string {
  const lines: string[] = [];
  lines.push(
    'Generated by `npm run bench:seed` (demo data generator, `src/seed`): fresh PostgreSQL database per run,',
    'embedded MongoDB-compatible server in a child process, INSERT … SELECT FROM unnest batches of 2,000 rows',
    '(5,000 for the ground truth), Mongo insertMany batches of 1,000. Rows/s is rows written ÷ wall time of the whole',
    'run (tables are written concurrently).',
    '',
    env,
    '',
  );
  lines.push(
    '| run | persons | houses | market entities | wall time | rows written | rows/s | peak RSS (generator) |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const total = SEEDED_TABLE_KEYS.reduce((s, k) => s + (r.report.counts[k] ?? 0), 0);
    const secs = r.wallMs / 1000;
    lines.push(
      `| ${r.label} | ${fmt(r.report.counts.persons ?? 0)} | ${fmt(r.report.counts.houses ?? 0)} | ${fmt(r.report.counts['market.entities'] ?? 0)} | ${secs.toFixed(1)} s | ${fmt(total)} | ${fmt(total / secs)} | ${mib(Math.max(r.report.peakRssBytes, r.sampledPeakRss))} |`,
    );
  }
  lines.push('');
  for (const r of results) {
    const secs = r.wallMs / 1000;
    lines.push(`### ${r.label}: rows per table`, '');
    lines.push('| table | rows | rows/s |');
    lines.push('|---|---:|---:|');
    for (const k of SEEDED_TABLE_KEYS) {
      const n = r.report.counts[k] ?? 0;
      lines.push(`| ${k} | ${fmt(n)} | ${fmt(n / secs)} |`);
    }
    lines.push('');
    lines.push('| planted problem | count |');
    lines.push('|---|---:|');
    for (const [kind, n] of Object.entries(r.report.problems)) lines.push(`| ${kind} | ${fmt(n)} |`);
    lines.push('');
  }
  if (mongoPeak !== null && mongoPeak > 0) {
    lines.push(
      `Peak RSS of the embedded Mongo server process (holding every document in memory): ${mib(mongoPeak)}.`,
      '',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--mongo-server')) return serveMongo();
  const args = parseArgs(process.argv.slice(2));
  const server = args.mongoUrl ? null : await startMongoChild();
  const mongoUrl = args.mongoUrl ?? server!.url;
  const results: RunResult[] = [];
  try {
    const pgVersion = await (async () => {
      const c = new Client({ connectionString: args.pgUrl });
      await c.connect();
      const v = (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
      await c.end();
      return v;
    })();
    const cpu = cpus();
    const env = `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; Node ${process.version}; PostgreSQL ${pgVersion} on the same machine.`;
    if (!args.skipDemo) {
      process.stderr.write('seeding demo scale\n');
      results.push(await run(args, mongoUrl, 'demo', { seed: 20261101, scale: 'demo' }));
    }
    process.stderr.write(`seeding bench scale, ${fmt(args.persons)} persons\n`);
    results.push(
      await run(args, mongoUrl, `bench (${fmt(args.persons)} persons)`, {
        seed: 20261101,
        scale: 'bench',
        persons: args.persons,
      }),
    );
    const section = markdown(results, env, server ? await server.peakRss() : null);
    console.log(section);
    writeSection('Seeding (`npm run bench:seed`)', section);
    console.log(`\n(written to ${BENCHMARKS_MD})`);
  } finally {
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
