/**
 * Cost of the audit log, against the issue's three targets:
 *
 * 1. Gateway throughput with audit on ≥ 0.9 × audit off: the nested query of
 *    bench/permissions.bench.ts through the hub's own server (permission layer and audit plugin:
 *    every response waits for its record's commit) and through a server on the same guarded schema
 *    without the audit plugin, alternating rounds, 1 and N in flight, medians.
 * 2. Audit writes ≥ 10,000 records/s: `--records` realistic GRAPHQL entries appended to an
 *    AuditWriter of its own, with several numbers of appends in flight and two flush delays, in
 *    `--write-rounds` interleaved rounds; committed records/s until every promise has resolved
 *    (median over the rounds), and the batches the writer formed.
 * 3. Verify ≥ 1,000,000 records/min: the store is filled to `--verify-records` by `--writers`
 *    AuditWriters in parallel, then `verifyAudit` re-walks every chain; records/min and RSS.
 *
 * The demo data (seed 42, demo scale) is seeded once into a fresh PostgreSQL database (and a Mongo
 * database on the embedded server, in a child process), both dropped at the end.
 *
 * Prints the results and writes them as the "Audit log" section of docs/benchmarks.md (not with
 * --skip-gateway, which only runs 2 and 3, nor with --cpu-prof, whose profiler slows the runs).
 *
 *   npm run bench:audit -- [--rounds 20] [--requests 16] [--warmup 48] [--concurrency 8]
 *     [--records 100000] [--in-flight 1,64,1000,all] [--flush-ms default,0,2] [--write-rounds 3]
 *     [--verify-records 1000000] [--writers 4] [--verify-runs 2] [--pg-url URL] [--skip-gateway]
 *     [--cpu-prof DIR]   (DIR/gateway, writes, verifyN .cpuprofile: one per phase)
 */
import { isDeepStrictEqual } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ApolloServer, GraphQLResponse } from '@apollo/server';
import { Client, type Pool } from 'pg';
import { seedDemo, startHub, startServices, type Logger, type RunningHub } from '../src/app';
import { AuditWriter } from '../src/audit/AuditWriter';
import { canonicalText, chain, type AuditEntry } from '../src/audit/record';
import { normaliseQuery } from '../src/audit/redact';
import { verifyAudit, type VerifyReport } from '../src/audit/verify';
import { maskIdNumber } from '../src/auth/masking';
import { mintDemoTokens, type DemoToken } from '../src/auth/demoTokens';
import type { LoadedConfig } from '../src/config/loadConfig';
import { createContext, type RequestContext } from '../src/graphql/context';
import { buildSchema } from '../src/graphql/schema';
import { createApolloServer } from '../src/graphql/server';
import { HubStore } from '../src/store/HubStore';
import { migrateHubStore } from '../src/store/migrate';
import { machineLine } from './lib/machine';
import { parseBenchArgs } from './lib/args';
import { GRID_QUERY as QUERY } from './lib/gridQuery';
import { benchConfig } from './lib/hubConfig';
import { median, quantile } from './lib/stats';
import { createBenchDatabases, type BenchDatabases } from './lib/database';
import { startMongoChild } from './lib/mongoChild';
import { BENCHMARKS_MD, writeSection } from './lib/report';

const DEMO_SEED = 42;
const TARGET_RATIO = 0.9;
const TARGET_WRITES = 10_000;
const TARGET_VERIFY = 1_000_000;

const CASES = [
  { role: 'police_officer', purpose: 'CASE_INVESTIGATION' },
  { role: 'grid_worker', purpose: 'GRID_VERIFICATION' },
] as const;
type Case = (typeof CASES)[number];

interface Args {
  rounds: number;
  requests: number;
  warmup: number;
  concurrency: number;
  records: number;
  inFlight: string;
  flushMs: string;
  writeRounds: number;
  verifyRecords: number;
  writers: number;
  verifyRuns: number;
  pgUrl: string;
  skipGateway: boolean;
  cpuProf: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args = parseBenchArgs(argv, {
    rounds: 20,
    requests: 16,
    warmup: 48,
    concurrency: 8,
    records: 100_000,
    inFlight: '1,64,1000,all',
    flushMs: 'default,0,2',
    writeRounds: 3,
    verifyRecords: 1_000_000,
    writers: 4,
    verifyRuns: 2,
    pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    skipGateway: false,
    cpuProf: '',
  });
  for (const k of [
    'rounds',
    'requests',
    'warmup',
    'concurrency',
    'records',
    'writeRounds',
    'verifyRecords',
    'writers',
    'verifyRuns',
  ] as const)
    if (!Number.isInteger(args[k]) || args[k] < 1) throw new Error(`--${k} must be a positive integer`);
  return args;
}

/** `64,1000,all` → [64, 1000, records]. */
const inFlightLevels = (args: Args): number[] =>
  args.inFlight.split(',').map((s) => {
    const n = s.trim() === 'all' ? args.records : Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--in-flight: ${s} is not a positive integer or all`);
    return n;
  });
/** `default,0,2` → the delays, `default` being the writer's own, each once. */
const flushLevels = (args: Args, writerDefault: number): number[] => [
  ...new Set(
    args.flushMs.split(',').map((s) => {
      const n = s.trim() === 'default' ? writerDefault : Number(s);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--flush-ms: ${s} is not a delay in ms or default`);
      return n;
    }),
  ),
];

/** The flush delay an AuditWriter gets when none is given (a private field: read, not assumed). */
function defaultFlushMs(pool: Pool, schema: string): number {
  const v: unknown = Reflect.get(new AuditWriter(pool, schema), 'flushMs');
  if (typeof v !== 'number') throw new Error('cannot read the default flushMs of AuditWriter');
  return v;
}

const log = (m: string): boolean => process.stderr.write(`${m}\n`);
const logger: Logger = {
  info: (m) => log(`  [hub] ${m}`),
  error: (m, err) => log(`  [hub] ${m}${err ? `: ${(err as Error).stack ?? String(err)}` : ''}`),
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const mib = (bytes: number): string => `${fmt(bytes / 2 ** 20)} MiB`;
const met = (ok: boolean): string => (ok ? '**Met**' : '**Not met**');

setFlagsFromString('--expose-gc');
/** A full garbage collection, so that one phase's garbage is not counted (or collected) in the next. */
const collectGarbage = runInNewContext('gc') as () => void;

/** Busy and total jiffies of the whole machine (every core, every process), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = f[3]! + f[4]!;
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
/** Share of the machine's CPU (all cores) busy since `t0`; NaN where /proc is unavailable. */
const machineBusy = (t0: { busy: number; total: number }): number => {
  const t = machineTicks();
  return (t.busy - t0.busy) / (t.total - t0.total);
};

// ---------------------------------------------------------------------------------------------
// 1. Gateway throughput, audit off and on

type Result = GraphQLResponse<Record<string, unknown>>;
type Run = () => Promise<Result>;

function dataOf(r: Result): Record<string, unknown> {
  if (r.body.kind !== 'single') throw new Error('expected a single result');
  const { data, errors } = r.body.singleResult;
  if (!data || (errors ?? []).some((e) => e.extensions?.code !== 'FORBIDDEN'))
    throw new Error(`a request failed: ${JSON.stringify(errors)}`);
  return data;
}

interface Sample {
  readonly qps: number;
  /** CPU time of this process (the hub; not the databases) per request, ms. */
  readonly cpuMs: number;
}

/** `count` requests back to back, `concurrency` in flight. */
async function throughput(run: Run, count: number, concurrency: number): Promise<Sample> {
  let started = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (started < count) {
        started++;
        dataOf(await run());
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { qps: count / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

interface GatewayRow {
  readonly c: Case;
  readonly concurrency: number;
  readonly offQps: number;
  readonly onQps: number;
  /** on ÷ off of the medians, and of each round's own pair (median, quartiles). */
  readonly ratio: number;
  readonly paired: { readonly median: number; readonly q1: number; readonly q3: number };
  readonly offCpuMs: number;
  readonly onCpuMs: number;
}

async function measureGateway(
  c: Case,
  off: Run,
  on: Run,
  args: Args,
  concurrency: number,
): Promise<GatewayRow> {
  const offs: Sample[] = [];
  const ons: Sample[] = [];
  for (let round = 0; round < args.rounds; round++) {
    // Alternate which goes first, so that a drift over the round does not favour one side.
    const first = round % 2 === 0 ? off : on;
    const a = await throughput(first, args.requests, concurrency);
    const b = await throughput(first === off ? on : off, args.requests, concurrency);
    offs.push(first === off ? a : b);
    ons.push(first === off ? b : a);
  }
  const offQps = median(offs.map((x) => x.qps));
  const onQps = median(ons.map((x) => x.qps));
  const perRound = offs.map((x, i) => ons[i]!.qps / x.qps);
  const row: GatewayRow = {
    c,
    concurrency,
    offQps,
    onQps,
    ratio: onQps / offQps,
    paired: { median: median(perRound), q1: quantile(perRound, 0.25), q3: quantile(perRound, 0.75) },
    offCpuMs: median(offs.map((x) => x.cpuMs)),
    onCpuMs: median(ons.map((x) => x.cpuMs)),
  };
  const q = (xs: Sample[]): string => xs.map((x) => x.qps.toFixed(1)).join(' ');
  log(
    `  ${c.role} ×${concurrency}: off ${q(offs)} | on ${q(ons)} q/s → on/off ${row.ratio.toFixed(3)}, paired ${row.paired.median.toFixed(3)}; cpu ${row.offCpuMs.toFixed(1)} → ${row.onCpuMs.toFixed(1)} ms/request`,
  );
  return row;
}

interface GatewayResult {
  readonly gridCode: string;
  /** The hub's writer's flush delay, ms. */
  readonly defaultFlush?: number;
  readonly rows: readonly GatewayRow[];
  /** Records the hub's writer committed for the measured "on" requests, and those requests. */
  readonly recorded: number;
  readonly onRequests: number;
}

async function runGateway(running: RunningHub, loaded: LoadedConfig, args: Args): Promise<GatewayResult> {
  const { hub, auth } = running;
  // Audit off: the same guarded schema and permission layer, the provenance plugin, no audit plugin.
  const unaudited: ApolloServer<RequestContext> = createApolloServer({
    logger,
    introspection: false,
    schema: buildSchema(),
  });
  await unaudited.start();
  try {
    const tokens = new Map<string, DemoToken>(
      (await mintDemoTokens(auth, hub.store, 3600)).map((t) => [t.role.name, t]),
    );
    const gridWorker = tokens.get('grid_worker');
    if (!gridWorker || gridWorker.jurisdiction.length !== 1) throw new Error('no grid_worker demo token');
    const gridCode = gridWorker.jurisdiction[0]!;
    const request = { query: QUERY, variables: { code: gridCode } };
    const purposeHeader = loaded.config.auth.purposeHeader.toLowerCase();
    const runFor = (server: ApolloServer<RequestContext>, c: Case): Run => {
      const token = tokens.get(c.role);
      if (!token) throw new Error(`no demo token for ${c.role}`);
      const headers = new Map([
        ['authorization', `Bearer ${token.token}`],
        [purposeHeader, c.purpose],
      ]);
      return () =>
        server.executeOperation<Record<string, unknown>>(request, {
          contextValue: createContext(hub, { provenance: true, access: auth.access.authenticate(headers) }),
        });
    };
    const runs = CASES.map((c) => ({ c, off: runFor(unaudited, c), on: runFor(running.apollo, c) }));

    // Both sides answer the same, and the on side leaves one record per request.
    for (const { c, off, on } of runs) {
      const before = running.audit.count;
      const [a, b] = [dataOf(await off()), dataOf(await on())];
      if (!isDeepStrictEqual(a, b)) throw new Error(`${c.role}: audit on and off answer differently`);
      if (running.audit.count !== before + 1) throw new Error(`${c.role}: no audit record was committed`);
    }

    log(`warming up (${args.warmup} requests each side and role)`);
    for (const { off, on } of runs) {
      await throughput(off, args.warmup, args.concurrency);
      await throughput(on, args.warmup, args.concurrency);
    }
    const before = running.audit.count;
    const rows: GatewayRow[] = [];
    for (const concurrency of [1, args.concurrency]) {
      log(`measuring: ${args.rounds} rounds × ${args.requests} requests per side, ${concurrency} in flight`);
      for (const { c, off, on } of runs) rows.push(await measureGateway(c, off, on, args, concurrency));
    }
    return {
      gridCode,
      rows,
      recorded: running.audit.count - before,
      onRequests: 2 * CASES.length * args.rounds * args.requests,
    };
  } finally {
    await unaudited.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Audit writes

/** What the plugin records for a small person query by a grid worker: 10 fields, 3 entities. */
const ENTRY_QUERY = `query Person($id: String!) {
  person(idNumber: $id) {
    idNumber name birthDate phone householdAddress
    currentHouse { houseCode address }
    ownedHouses { houseCode }
  }
}`;
const ENTRY_FIELDS = {
  'Query.person': 'FULL',
  'Person.idNumber': 'MASKED',
  'Person.name': 'FULL',
  'Person.birthDate': 'MASKED',
  'Person.phone': 'MASKED',
  'Person.householdAddress': 'FULL',
  'Person.currentHouse': 'FULL',
  'Person.ownedHouses': 'FULL',
  'House.houseCode': 'FULL',
  'House.address': 'FULL',
} as const;
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36 zhiwang-grid-app/2.4';
const normalised = normaliseQuery(ENTRY_QUERY);

/** The i-th entry: its own caller, person, houses, time and duration. */
function entryOf(i: number): AuditEntry {
  const idNumber = `4403051980${String(i % 1e8).padStart(8, '0')}`;
  const house = (k: number): string => `44030500100101${String((i * 3 + k) % 1e11).padStart(11, '0')}`;
  return {
    at: new Date(),
    kind: 'GRAPHQL',
    subject: `gw${String(i % 500).padStart(4, '0')}`,
    roles: ['grid_worker'],
    department: 'civil',
    purpose: 'GRID_VERIFICATION',
    clientIp: `10.12.${(i >> 8) % 256}.${i % 256}`,
    userAgent: USER_AGENT,
    operation: 'Person',
    queryHash: normalised.hash,
    queryText: normalised.text,
    variables: { id: maskIdNumber(idNumber) },
    outcome: 'SUCCESS',
    durationMs: 5 + (i % 40),
    errorCodes: [],
    entities: [
      { type: 'PERSON', key: idNumber },
      { type: 'HOUSE', key: house(0) },
      { type: 'HOUSE', key: house(1) },
    ],
    fields: ENTRY_FIELDS,
    detail: null,
  };
}

/**
 * Each batch's statement the writer sent (COPY or INSERT): records committed before it (so batch
 * sizes) and its duration.
 */
interface Insert {
  readonly before: number;
  readonly ms: number;
}

/**
 * The pool, with every batch's statement timed: an INSERT, or a COPY from taking its client to
 * releasing it. The writer's other statements and clients pass through.
 */
function tracedPool(pool: Pool, committed: () => number, inserts: Insert[]): Pool {
  const query = async (text: string, values?: unknown[]) => {
    if (!text.trimStart().startsWith('INSERT')) return pool.query(text, values);
    const before = committed();
    const t0 = performance.now();
    const r = await pool.query(text, values);
    inserts.push({ before, ms: performance.now() - t0 });
    return r;
  };
  const connect = async () => {
    const before = committed();
    const t0 = performance.now();
    const client = await pool.connect();
    let copy = false;
    const submit = client.query.bind(client) as (...args: unknown[]) => unknown;
    const release = client.release.bind(client);
    // The pool gives each checkout its own release; the query wrapper is taken off again at release,
    // so that the next checkout of the same client finds the driver's own.
    return Object.assign(client, {
      query: (...args: unknown[]) => {
        copy ||= String((args[0] as { text?: unknown }).text ?? args[0]).startsWith('COPY');
        return submit(...args);
      },
      release: (err?: Error | boolean) => {
        if (copy) inserts.push({ before, ms: performance.now() - t0 });
        Reflect.deleteProperty(client, 'query');
        release(err);
      },
    });
  };
  return Object.assign(Object.create(pool) as Pool, { query, connect });
}

interface WriteRow {
  readonly flushMs: number;
  readonly inFlight: number;
  /** Writers (chains) appended to at once, as by that many hub processes. */
  readonly writers: number;
  readonly records: number;
  readonly perSecond: number;
  readonly batches: number;
  readonly batch: { readonly median: number; readonly p90: number; readonly max: number };
  /** How the writer sent its batches. */
  readonly path: string;
  readonly insertMs: number;
  /** Share of the wall time a batch's statement was running (per writer). */
  readonly inInsert: number;
  /** CPU of this process (chaining, hashing, JSON) per record, µs. */
  readonly cpuUs: number;
  /** Share of the whole machine's CPU busy (this process, PostgreSQL, anything else). */
  readonly machine: number;
  /** From append to its promise resolving, ms. */
  readonly latency: { readonly median: number; readonly p99: number };
}

/** A configuration's runs: the median run's figures, and every run's records/s. */
interface WriteSummary extends WriteRow {
  readonly runs: readonly number[];
}

function summarise(runs: readonly WriteRow[]): WriteSummary {
  const byRate = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  const mid = byRate[Math.floor((byRate.length - 1) / 2)]!;
  return { ...mid, perSecond: median(runs.map((r) => r.perSecond)), runs: runs.map((r) => r.perSecond) };
}

/** Sequential appends per caller are capped, so that the 1-in-flight runs stay short. */
const recordsFor = (args: Args, inFlight: number): number => Math.min(args.records, inFlight * 1000);

/**
 * `count` entries through `writers` new writers (each its own chain, as each hub process has),
 * `inFlight` appends outstanding at any time in all (each caller appends, waits for its commit,
 * appends again, as a request does; caller k uses writer k mod `writers`).
 */
async function writeRun(
  pool: Pool,
  schema: string,
  count: number,
  inFlight: number,
  flushMs: number,
  writers = 1,
): Promise<WriteRow> {
  const traced = Array.from({ length: writers }, () => {
    const inserts: Insert[] = [];
    let writer: AuditWriter | null = null;
    writer = new AuditWriter(
      tracedPool(pool, () => writer?.count ?? 0, inserts),
      schema,
      { flushMs },
    );
    return { writer, inserts };
  });
  const ws = traced.map((t) => t.writer);
  // Creates the partitions and reads the head: not part of the run. One writer at a time: see fill().
  for (const w of ws) await w.append(entryOf(0));
  for (const t of traced) t.inserts.length = 0;
  collectGarbage();
  const start = ws.reduce((n, w) => n + w.count, 0);
  const latencies = new Float64Array(count);
  let next = 0;
  const ticks = machineTicks();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async (_, k) => {
      const w = ws[k % writers]!;
      while (next < count) {
        const i = next++;
        const a = performance.now();
        await w.append(entryOf(i + 1));
        latencies[i] = performance.now() - a;
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const written = ws.reduce((n, w) => n + w.count, 0) - start;
  if (written !== count) throw new Error(`wrote ${written} records, not ${count}`);
  // A writer's batch size: its count at the next INSERT (or at the end) less its count at this one.
  const sizes = traced.flatMap(({ writer, inserts }) =>
    inserts.map((x, i) => (inserts[i + 1]?.before ?? writer.count) - x.before),
  );
  const inserts = traced.flatMap((t) => t.inserts);
  const lat = [...latencies];
  const row: WriteRow = {
    flushMs,
    inFlight,
    writers,
    records: count,
    perSecond: count / (wall / 1000),
    batches: inserts.length,
    batch: { median: median(sizes), p90: quantile(sizes, 0.9), max: Math.max(...sizes) },
    path: ws[0]!.path ?? '?',
    insertMs: median(inserts.map((x) => x.ms)),
    inInsert: inserts.reduce((s, x) => s + x.ms, 0) / wall / writers,
    cpuUs: (cpu.user + cpu.system) / count,
    machine: machineBusy(ticks),
    latency: { median: median(lat), p99: quantile(lat, 0.99) },
  };
  log(
    `  flush ${flushMs} ms, ${writers} writer(s), ${fmt(inFlight)} in flight: ${fmt(row.perSecond)} records/s; ${row.batches} batches (median ${fmt(row.batch.median)}, max ${fmt(row.batch.max)}), ${row.path} median ${row.insertMs.toFixed(1)} ms, ${pct(row.inInsert)} of the time in ${row.path}; CPU ${row.cpuUs.toFixed(0)} µs/record, machine ${pct(row.machine)} busy; latency median ${row.latency.median.toFixed(1)} ms, p99 ${row.latency.p99.toFixed(1)} ms`,
  );
  return row;
}

// ---------------------------------------------------------------------------------------------
// 3. Verify

interface FillResult {
  readonly records: number;
  readonly writers: number;
  readonly perSecond: number;
}

/** Adds `count` records through `writers` writers in parallel, 1,000 appends in flight each. */
async function fill(pool: Pool, schema: string, count: number, writers: number): Promise<FillResult> {
  const ws = Array.from({ length: writers }, () => new AuditWriter(pool, schema));
  // One writer at a time for the first batch: first batches of writers that start together run the
  // partition DDL (CREATE TRIGGER, REVOKE) at once, which PostgreSQL can refuse with "tuple
  // concurrently updated".
  for (const w of ws) await w.append(entryOf(count));
  let next = 0;
  let reported = 0;
  const t0 = performance.now();
  await Promise.all(
    ws.flatMap((w) =>
      Array.from({ length: 1000 }, async () => {
        while (next < count) {
          const i = next++;
          await w.append(entryOf(i));
          if (i - reported >= 100_000) {
            reported = i;
            log(`    ${fmt(i)} records`);
          }
        }
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { records: count, writers, perSecond: count / seconds };
}

interface VerifyRun {
  readonly report: VerifyReport;
  readonly perMinute: number;
  readonly rssBefore: number;
  readonly rssPeak: number;
  readonly heapPeak: number;
  /** CPU of this process over the wall time (1 = one core busy all along). */
  readonly cpuShare: number;
  /** Share of the whole machine's CPU busy. */
  readonly machine: number;
}

async function verifyRun(pool: Pool, schema: string): Promise<VerifyRun> {
  collectGarbage();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let heapPeak = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  }, 50);
  const ticks = machineTicks();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let report: VerifyReport;
  try {
    report = await verifyAudit(pool, schema);
  } finally {
    clearInterval(sampler);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const run: VerifyRun = {
    report,
    perMinute: report.records / (wall / 60_000),
    rssBefore,
    rssPeak,
    heapPeak,
    cpuShare: (cpu.user + cpu.system) / 1000 / wall,
    machine: machineBusy(ticks),
  };
  log(
    `  verify: ${fmt(report.records)} records in ${report.chains} chains, ${report.ok ? 'ok' : `BROKEN ${JSON.stringify(report.breaks)}`}, ${(wall / 1000).toFixed(1)} s → ${fmt(run.perMinute)} records/min; RSS ${mib(rssBefore)} → peak ${mib(rssPeak)}; CPU ${pct(run.cpuShare)} of the wall time, machine ${pct(run.machine)} busy`,
  );
  return run;
}

// ---------------------------------------------------------------------------------------------

/** Runs `fn` under the V8 CPU profiler and writes `dir/name.cpuprofile`; just runs it without a dir. */
async function profiled<T>(dir: string, name: string, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
    log(`  CPU profile: ${join(dir, `${name}.cpuprofile`)}`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const levels = inFlightLevels(args);
  const t0 = Date.now();
  const loadBefore = loadavg()[0]!;
  const mongo = await startMongoChild();
  let db: BenchDatabases | null = null;
  let running: RunningHub | null = null;
  try {
    const c = new Client({ connectionString: args.pgUrl });
    await c.connect();
    const setting = async (name: string): Promise<string> =>
      (await c.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v;
    const pg = {
      version: await setting('server_version'),
      fsync: await setting('fsync'),
      synchronousCommit: await setting('synchronous_commit'),
      sharedBuffers: await setting('shared_buffers'),
    };
    await c.end();

    db = await createBenchDatabases(args.pgUrl, mongo.url, 'zw_bench_audit');
    const loaded = benchConfig(db, mongo.url);
    const schema = loaded.config.store.schema;
    const defaultFlush = defaultFlushMs(db.pool, schema);
    const flushes = flushLevels(args, defaultFlush);
    const flushLabel = (ms: number): string => `${ms} ms${ms === defaultFlush ? ' (default)' : ''}`;

    let gateway: GatewayResult | null = null;
    if (args.skipGateway) {
      await migrateHubStore(db.pool, schema);
    } else {
      log(`seeding the demo data (seed ${DEMO_SEED}, demo scale) into ${db.name}`);
      const services = await startServices(loaded, logger);
      const store = new HubStore(services.storeUrl, schema);
      try {
        await migrateHubStore(store.pool, schema);
        const seed = await seedDemo(loaded, services, store, { seed: DEMO_SEED, scale: 'demo' });
        log(`  seeded in ${(seed.durationMs / 1000).toFixed(1)} s`);
      } finally {
        await store.close();
      }
      await db.pool.query('VACUUM ANALYZE');
      log('starting the hub in-process (crosswalk build)');
      running = await startHub(loaded, logger, { listen: false });
      await db.pool.query('VACUUM ANALYZE');
      const r = running;
      gateway = await profiled(args.cpuProf, 'gateway', () => runGateway(r, loaded, args));
      gateway = { ...gateway, defaultFlush };
      // The rest needs only the store: the hub's caches would otherwise count in the RSS.
      running = null;
      await r.close();
    }

    log(`audit writes: ${fmt(args.records)} records per run, ${args.writeRounds} rounds`);
    const configs = [
      ...flushes.flatMap((flushMs) => levels.map((inFlight) => ({ flushMs, inFlight, writers: 1 }))),
      // As by several hub processes: each writer its own chain, 1,000 appends in flight each.
      ...(args.writers > 1
        ? [{ flushMs: defaultFlush, inFlight: 1000 * args.writers, writers: args.writers }]
        : []),
    ];
    const runs = new Map(configs.map((c) => [c, [] as WriteRow[]]));
    const pool = db.pool;
    await profiled(args.cpuProf, 'writes', async () => {
      for (let round = 0; round < args.writeRounds; round++) {
        // Reversed every other round: the log grows run by run, and no configuration should always
        // write to the smaller one.
        for (const c of round % 2 === 0 ? configs : [...configs].reverse())
          runs
            .get(c)!
            .push(
              await writeRun(pool, schema, recordsFor(args, c.inFlight), c.inFlight, c.flushMs, c.writers),
            );
      }
    });
    const writes = configs.map((c) => summarise(runs.get(c)!));

    const total = async (): Promise<number> =>
      Number(
        (await db!.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".audit_log`)).rows[0]!.n,
      );
    const have = await total();
    let filled: FillResult | null = null;
    if (have < args.verifyRecords) {
      log(
        `filling the store from ${fmt(have)} to ${fmt(args.verifyRecords)} records, ${args.writers} writers`,
      );
      filled = await fill(db.pool, schema, args.verifyRecords - have, args.writers);
      log(`  ${fmt(filled.perSecond)} records/s`);
    }
    const stored = await total();
    await db.pool.query(`VACUUM ANALYZE "${schema}".audit_log`);
    const size = (
      await db.pool.query<{ bytes: string; rows: string }>(
        `SELECT sum(pg_total_relation_size(relid)) AS bytes, sum(pg_relation_size(relid)) AS rows
           FROM pg_partition_tree('"${schema}".audit_log') WHERE isleaf`,
      )
    ).rows[0]!;
    const sample = chain(entryOf(1), 'host:12345:0123abcd', 1, '0'.repeat(64));
    const canonicalBytes = Buffer.byteLength(canonicalText(sample));

    log(`verify: ${fmt(stored)} records, ${args.verifyRuns} runs`);
    const verifies: VerifyRun[] = [];
    for (let i = 0; i < args.verifyRuns; i++) {
      const v = await profiled(args.cpuProf, `verify${i + 1}`, () => verifyRun(pool, schema));
      if (!v.report.ok) throw new Error(`verify found breaks: ${JSON.stringify(v.report.breaks)}`);
      if (v.report.records !== stored)
        throw new Error(`verify walked ${v.report.records} of ${stored} records`);
      verifies.push(v);
    }

    // ---- report
    const cpu = cpus();
    const machine = [
      machineLine(pg.version),
      `(fsync ${pg.fsync}, synchronous_commit ${pg.synchronousCommit}, shared_buffers ${pg.sharedBuffers}; benchmark, hub and databases share the ${cpu.length} cores);`,
      `1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0]!.toFixed(1)} after it. Whole run ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
    ];
    const worstGateway = gateway?.rows.reduce((a, b) => (b.ratio < a.ratio ? b : a)) ?? null;
    // The target is about throughput under load: the 1-in-flight runs measure latency.
    // One writer is one hub process; several writers stand for several processes.
    const underLoad = writes.filter((w) => w.inFlight > 1 && w.writers === 1);
    const parallel = writes.find((w) => w.writers > 1);
    const atDefault = underLoad.filter((w) => w.flushMs === defaultFlush);
    const judged = atDefault.length > 0 ? atDefault : underLoad.length > 0 ? underLoad : writes;
    const bestWrite = judged.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const lone = (flushMs: number): WriteSummary | undefined =>
      writes.find((w) => w.inFlight === 1 && w.flushMs === flushMs);
    const verifyMedian = median(verifies.map((v) => v.perMinute));
    // A closed loop with few appends in flight is bound by commit latency: say where the target is missed.
    const shortOf = (rows: readonly WriteSummary[]): string => {
      const short = rows.filter((w) => w.perSecond < TARGET_WRITES);
      return short.length === 0 || short.length === rows.length
        ? ''
        : `, not with ${short.map((w) => fmt(w.inFlight)).join(' or ')} in flight, where each batch waits for the commit of the one before`;
    };
    const lines: string[] = [
      `Generated by \`npm run bench:audit\` on ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '### Targets',
      '',
      '| target | measured | |',
      '|---|---|---|',
      ...(gateway && worstGateway
        ? [
            `| gateway throughput with audit on ≥ ${TARGET_RATIO} × audit off | lowest on/off ${worstGateway.ratio.toFixed(3)} (${worstGateway.c.role}, ${worstGateway.concurrency} in flight) | ${met(worstGateway.ratio >= TARGET_RATIO)} |`,
          ]
        : []),
      `| audit writes ≥ ${fmt(TARGET_WRITES)} records/s | flush ${flushLabel(bestWrite.flushMs)}: ${judged.map((w) => `${fmt(w.perSecond)} records/s with ${fmt(w.inFlight)} in flight`).join(', ')} (medians of ${args.writeRounds} runs)${parallel ? `; ${parallel.writers} writers in parallel (as ${parallel.writers} hub processes): ${fmt(parallel.perSecond)} records/s` : ''} | ${met(bestWrite.perSecond >= TARGET_WRITES)} by one writer (one hub process)${shortOf(judged)}${parallel ? `; ${parallel.perSecond >= TARGET_WRITES ? 'met' : 'not met'} by ${parallel.writers}` : ''} |`,
      `| verify ≥ ${fmt(TARGET_VERIFY)} records/min | ${fmt(verifyMedian)} records/min over ${fmt(stored)} records | ${met(verifyMedian >= TARGET_VERIFY)} |`,
      '',
    ];
    if (gateway) {
      lines.push(
        '### Gateway throughput, audit on and off',
        '',
        `The demo data (seed ${DEMO_SEED}, demo scale) in a fresh PostgreSQL database and the embedded MongoDB-compatible`,
        'server (child process), crosswalk built, hub started in-process. Every request runs through `executeOperation`',
        '(no HTTP) with a fresh context from `access.authenticate()` of the demo token and purpose header:',
        '',
        "- **audit on**: the hub's own server: permission layer, provenance and audit plugins; every response waits in",
        `  \`willSendResponse\` until its record is committed by the hub's AuditWriter (flush ${gateway.defaultFlush ?? '?'} ms, the default, on the hub's pool);`,
        '- **audit off**: `createApolloServer` on `buildSchema()` (the same guarded schema and permission layer), no audit plugin.',
        '',
        `Query: the nested grid query of the permission benchmark (20 houses with owners, residents, rentals, legal entities) on`,
        `grid ${gateway.gridCode}, provenance on. The on side committed ${fmt(gateway.recorded)} records for its ${fmt(gateway.onRequests)} measured requests.`,
        `Method: warm-up, then per role ${args.rounds} rounds of ${args.requests} requests per side, off and on alternating (which goes first`,
        `alternates too), back to back with 1 and with ${args.concurrency} in flight. q/s = requests ÷ wall time, median over the rounds;`,
        "on/off = ratio of those medians; paired = on/off of each round's own pair (median and middle half of the rounds).",
        'ms/request = in flight × 1,000 ÷ q/s (the latency of one request). Hub CPU = user + system time of this process',
        'per request (the databases run in other processes).',
        '',
        '| role | purpose | in flight | audit off q/s | audit on q/s | on/off | paired: median (middle half) | ms/request off → on | hub CPU ms/request off → on |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|',
        ...gateway.rows.map(
          (r) =>
            `| ${r.c.role} | ${r.c.purpose} | ${r.concurrency} | ${r.offQps.toFixed(1)} | ${r.onQps.toFixed(1)} | **${r.ratio.toFixed(3)}** | ${r.paired.median.toFixed(3)} (${r.paired.q1.toFixed(3)} … ${r.paired.q3.toFixed(3)}) | ${((r.concurrency * 1000) / r.offQps).toFixed(1)} → ${((r.concurrency * 1000) / r.onQps).toFixed(1)} | ${r.offCpuMs.toFixed(1)} → ${r.onCpuMs.toFixed(1)} |`,
        ),
        '',
      );
      const waits = [defaultFlush, ...flushes.filter((f) => f !== defaultFlush)]
        .map((f) => [f, lone(f)] as const)
        .filter((x): x is readonly [number, WriteSummary] => x[1] !== undefined)
        .map(([f, w]) => `${w.latency.median.toFixed(1)} ms with flush ${flushLabel(f)}`);
      if (waits.length > 0)
        lines.push(
          `A lone append waits for its commit (median, 1 in flight, table below) ${waits.join(', ')}: with 1 request in flight,`,
          'every request waits that long in `willSendResponse`, on top of the CPU the plugin spends.',
          '',
        );
    }
    lines.push(
      '### Audit writes',
      '',
      `GRAPHQL entries, each as the plugin makes it for a grid worker's person query: 10 fields (3 MASKED), 3 entities,`,
      `the normalised query text (${normalised.text?.length ?? 0} characters), masked variables, a user agent; ${fmt(canonicalBytes)} bytes of canonical JSON`,
      'hashed per record. Each run has a new AuditWriter (its own chain) on the bench pool; N callers each append, wait',
      `for the commit, append again (N in flight; "all" = every append at once). ${fmt(args.records)} records per run (1,000 per`,
      `caller at most, so fewer with 1 in flight), ${args.writeRounds} rounds over all configurations, every other round in reverse order`,
      '(the log grows run by run). records/s = records ÷ wall time until the last promise resolved, median of the rounds',
      "(each round's in brackets); the other columns are of the median run. Batches and statement times are read off the",
      `writer's statements (one per batch, ${writes[0]?.path ?? '?'} on this server); CPU is this process's per record (chaining, SHA-256, JSON, the pg client);`,
      `machine = share of all ${cpus().length} cores busy (this process, PostgreSQL, anything else; /proc/stat); latency is append → commit.`,
      'With several writers (each its own chain, as several hub processes; one process here), callers are spread over',
      'them round-robin, 1,000 in flight each, and "time in statement" is per writer.',
      '',
      '| flush delay | writers | in flight | records per run | records/s (rounds) | batches | batch size median / p90 / max | statement ms (median) | time in statement | CPU µs/record | machine busy | latency median / p99 ms |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...writes.map(
        (w) =>
          `| ${flushLabel(w.flushMs)} | ${w.writers} | ${fmt(w.inFlight)} | ${fmt(w.records)} | **${fmt(w.perSecond)}** (${w.runs.map(fmt).join(', ')}) | ${fmt(w.batches)} | ${fmt(w.batch.median)} / ${fmt(w.batch.p90)} / ${fmt(w.batch.max)} | ${w.insertMs.toFixed(1)} | ${pct(w.inInsert)} | ${w.cpuUs.toFixed(0)} | ${pct(w.machine)} | ${w.latency.median.toFixed(1)} / ${w.latency.p99.toFixed(1)} |`,
      ),
      '',
      '### Verify',
      '',
      `The store held ${fmt(stored)} records (${mib(Number(size.bytes))} with indexes, ${mib(Number(size.rows))} of table),`,
      filled
        ? `${fmt(filled.records)} of them added by ${filled.writers} AuditWriters in parallel (1,000 in flight each) at ${fmt(filled.perSecond)} records/s;`
        : 'all written by the runs above;',
      `then \`VACUUM ANALYZE\` of the log, and \`verifyAudit\` (whole log, default batch of 5,000 rows per query) ${args.verifyRuns} times.`,
      'RSS is of this process after a full GC (the hub was closed before; the Mongo server runs in a child).',
      '',
      '| run | records | chains | ok | seconds | records/min | RSS before → peak | heap peak | process CPU / wall | machine busy |',
      '|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
      ...verifies.map(
        (v, i) =>
          `| ${i + 1} | ${fmt(v.report.records)} | ${v.report.chains} | ${v.report.ok ? 'yes' : 'no'} | ${(v.report.durationMs / 1000).toFixed(1)} | **${fmt(v.perMinute)}** | ${mib(v.rssBefore)} → ${mib(v.rssPeak)} | ${mib(v.heapPeak)} | ${pct(v.cpuShare)} | ${pct(v.machine)} |`,
      ),
      '',
      ...machine,
    );
    const body = lines.join('\n');
    console.log(body);
    if (gateway && !args.cpuProf) {
      writeSection('Audit log (`npm run bench:audit`)', body);
      console.log(`\n(written to ${BENCHMARKS_MD})`);
    } else {
      console.log('\n(--skip-gateway or --cpu-prof: not written to docs/benchmarks.md)');
    }
  } finally {
    await running?.close().catch(() => undefined);
    await db?.drop().catch((err: unknown) => log(`could not drop ${db?.name}: ${String(err)}`));
    await mongo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
