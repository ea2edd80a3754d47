/**
 * Cost of the permission layer: the same nested query through the schema without the layer (policy
 * off) and through the hub's own guarded server (policy on: token verified, purpose checked, every
 * field read through its FULL / MASKED / DENY rule, jurisdiction scoping of houses, persons, legal
 * entities and grids). In-process with `executeOperation`, so the figures are the layer's, not the
 * network's. A fresh context per request, as the server makes one; authentication counts.
 *
 * The demo data (seed 42, demo scale) is seeded once into a fresh PostgreSQL database (and a Mongo
 * database on the embedded server, in a child process), both dropped at the end.
 *
 * Prints the table and writes it as the "Permission layer cost" section of docs/benchmarks.md.
 *
 *   npm run bench:permissions -- [--rounds 20] [--requests 16] [--warmup 48] [--concurrency 8] [--pg-url URL]
 */
import { isDeepStrictEqual } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ApolloServer, GraphQLResponse } from '@apollo/server';
import { seedDemo, startHub, startServices, type Logger, type RunningHub } from '../src/app';
import { mintDemoTokens, type DemoToken } from '../src/auth/demoTokens';
import { createContext, type RequestContext } from '../src/graphql/context';
import { buildSchema } from '../src/graphql/schema';
import { createApolloServer } from '../src/graphql/server';
import { HubStore } from '../src/store/HubStore';
import { migrateHubStore } from '../src/store/migrate';
import { machineLine, serverVersion } from './lib/machine';
import { parseBenchArgs } from './lib/args';
import { GRID_QUERY as QUERY } from './lib/gridQuery';
import { benchConfig } from './lib/hubConfig';
import { median, quantile } from './lib/stats';
import { createBenchDatabases, type BenchDatabases } from './lib/database';
import { startMongoChild } from './lib/mongoChild';
import { BENCHMARKS_MD, writeSection } from './lib/report';

const DEMO_SEED = 42;
const TARGET = 0.1;

interface Case {
  readonly role: string;
  readonly purpose: string;
  readonly note: string;
}

const CASES: readonly Case[] = [
  {
    role: 'police_officer',
    purpose: 'CASE_INVESTIGATION',
    note: 'reads the whole hub, every field of the query FULL: the layer only looks up rules',
  },
  {
    role: 'grid_worker',
    purpose: 'GRID_VERIFICATION',
    note: 'jurisdiction = the grid, checked on every house, person and legal entity; ID number, phone, birth date, tenant name MASKED',
  },
  {
    role: 'street_officer',
    purpose: 'GRID_VERIFICATION',
    note: "jurisdiction = the grid's street; every personal field of the query MASKED",
  },
];

interface Args {
  rounds: number;
  requests: number;
  warmup: number;
  concurrency: number;
  pgUrl: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args = parseBenchArgs(argv, {
    rounds: 20,
    requests: 16,
    warmup: 48,
    concurrency: 8,
    pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  for (const k of ['rounds', 'requests', 'warmup', 'concurrency'] as const)
    if (!Number.isInteger(args[k]) || args[k] < 1) throw new Error(`--${k} must be a positive integer`);
  return args;
}

const log = (m: string): boolean => process.stderr.write(`${m}\n`);
const logger: Logger = {
  info: (m) => log(`  [hub] ${m}`),
  error: (m, err) => log(`  [hub] ${m}${err ? `: ${(err as Error).stack ?? String(err)}` : ''}`),
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

type Result = GraphQLResponse<Record<string, unknown>>;
type Run = () => Promise<Result>;

function single(r: Result): {
  data: Record<string, unknown> | null;
  errors: readonly { extensions?: { code?: unknown } }[];
} {
  if (r.body.kind !== 'single') throw new Error('expected a single result');
  const { data, errors } = r.body.singleResult;
  return { data: data ?? null, errors: errors ?? [] };
}

interface Shape {
  readonly houses: number;
  readonly residents: number;
  readonly bytes: number;
  readonly errors: Record<string, number>;
  readonly masked: number;
}

/** What one response holds: rows, size, errors by code, masked paths. */
function shapeOf(r: Result): Shape {
  const { data, errors } = single(r);
  const grid = (data?.grid ?? null) as {
    houses: { edges: Array<{ node: { residents: unknown[] | null } }> } | null;
  } | null;
  const edges = grid?.houses?.edges ?? [];
  const byCode: Record<string, number> = {};
  for (const e of errors) {
    const code = String(e.extensions?.code ?? 'NONE');
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  const extensions = r.body.kind === 'single' ? r.body.singleResult.extensions : undefined;
  return {
    houses: edges.length,
    residents: edges.reduce((n, e) => n + (e.node.residents?.length ?? 0), 0),
    bytes: JSON.stringify(data).length,
    errors: byCode,
    masked: ((extensions?.masked as unknown[] | undefined) ?? []).length,
  };
}

interface Sample {
  /** Completed requests per second. */
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
        const r = await run();
        // Cheap enough not to matter, and a failing run must not pass for a fast one.
        if (r.body.kind !== 'single' || !r.body.singleResult.data) throw new Error('a request failed');
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { qps: count / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

interface Row {
  readonly c: Case;
  readonly concurrency: number;
  readonly off: Sample[];
  readonly on: Sample[];
  /** Median queries/s over the rounds. */
  readonly offQps: number;
  readonly onQps: number;
  /** 1 − on ÷ off of the medians. */
  readonly overhead: number;
  /** 1 − on ÷ off of each round's pair: median, first and third quartile. */
  readonly paired: { readonly median: number; readonly q1: number; readonly q3: number };
  /** Median CPU ms per request of this process. */
  readonly offCpuMs: number;
  readonly onCpuMs: number;
}

async function measure(c: Case, off: Run, on: Run, args: Args, concurrency: number): Promise<Row> {
  const offs: Sample[] = [];
  const ons: Sample[] = [];
  for (let round = 0; round < args.rounds; round++) {
    // Alternate which goes first, so that a drift over the round does not favour one side.
    if (round % 2 === 0) {
      offs.push(await throughput(off, args.requests, concurrency));
      ons.push(await throughput(on, args.requests, concurrency));
    } else {
      ons.push(await throughput(on, args.requests, concurrency));
      offs.push(await throughput(off, args.requests, concurrency));
    }
  }
  const offQps = median(offs.map((x) => x.qps));
  const onQps = median(ons.map((x) => x.qps));
  const perRound = offs.map((x, i) => 1 - ons[i]!.qps / x.qps);
  const row: Row = {
    c,
    concurrency,
    off: offs,
    on: ons,
    offQps,
    onQps,
    overhead: 1 - onQps / offQps,
    paired: { median: median(perRound), q1: quantile(perRound, 0.25), q3: quantile(perRound, 0.75) },
    offCpuMs: median(offs.map((x) => x.cpuMs)),
    onCpuMs: median(ons.map((x) => x.cpuMs)),
  };
  const q = (xs: Sample[]): string => xs.map((x) => x.qps.toFixed(1)).join(' ');
  log(
    `  ${c.role} ${c.purpose} ×${concurrency}: off ${q(offs)} | on ${q(ons)} q/s → overhead ${pct(row.overhead)}, paired ${pct(row.paired.median)}; cpu ${row.offCpuMs.toFixed(1)} → ${row.onCpuMs.toFixed(1)} ms/request`,
  );
  return row;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const loadBefore = loadavg()[0]!;
  const mongo = await startMongoChild();
  let db: BenchDatabases | null = null;
  let running: RunningHub | null = null;
  let open: ApolloServer<RequestContext> | null = null;
  try {
    const pgVersion = await serverVersion(args.pgUrl);

    db = await createBenchDatabases(args.pgUrl, mongo.url, 'zw_bench_perm');
    const loaded = benchConfig(db, mongo.url);
    log(`seeding the demo data (seed ${DEMO_SEED}, demo scale) into ${db.name}`);
    const services = await startServices(loaded, logger);
    const store = new HubStore(services.storeUrl, loaded.config.store.schema);
    try {
      await migrateHubStore(store.pool, loaded.config.store.schema);
      const seed = await seedDemo(loaded, services, store, { seed: DEMO_SEED, scale: 'demo' });
      log(`  seeded in ${(seed.durationMs / 1000).toFixed(1)} s`);
    } finally {
      await store.close();
    }
    await db.pool.query('VACUUM ANALYZE');
    log('starting the hub in-process (crosswalk build)');
    running = await startHub(loaded, logger, { listen: false });
    const { hub, auth } = running;
    await db.pool.query('VACUUM ANALYZE');

    open = createApolloServer({ logger, introspection: false, schema: buildSchema({ permissions: false }) });
    await open.start();
    const guarded = running.apollo;

    const tokens = new Map<string, DemoToken>(
      (await mintDemoTokens(auth, hub.store, 3600)).map((t) => [t.role.name, t]),
    );
    const gridWorker = tokens.get('grid_worker');
    if (!gridWorker || gridWorker.jurisdiction.length !== 1) throw new Error('no grid_worker demo token');
    const gridCode = gridWorker.jurisdiction[0]!;
    const request = { query: QUERY, variables: { code: gridCode } };
    const purposeHeader = loaded.config.auth.purposeHeader.toLowerCase();

    const off: Run = () =>
      open!.executeOperation<Record<string, unknown>>(request, {
        contextValue: createContext(hub, { provenance: true }),
      });
    const onFor = (kase: Case): Run => {
      const token = tokens.get(kase.role);
      if (!token) throw new Error(`no demo token for ${kase.role}`);
      const headers = new Map([
        ['authorization', `Bearer ${token.token}`],
        [purposeHeader, kase.purpose],
      ]);
      return () =>
        guarded.executeOperation<Record<string, unknown>>(request, {
          contextValue: createContext(hub, { provenance: true, access: auth.access.authenticate(headers) }),
        });
    };

    // What each side answers: the off side must be clean and non-empty, each on side free of errors
    // other than the FORBIDDEN ones the policy produces by design.
    const offResult = await off();
    const offShape = shapeOf(offResult);
    if (Object.keys(offShape.errors).length > 0)
      throw new Error(`policy off: errors ${JSON.stringify(single(offResult).errors)}`);
    if (offShape.houses === 0 || offShape.residents === 0)
      throw new Error(`grid ${gridCode} has no houses or no residents: pick another grid`);
    const shapes = new Map<Case, Shape>();
    for (const kase of CASES) {
      const r = await onFor(kase)();
      const shape = shapeOf(r);
      const unexpected = single(r).errors.filter((e) => e.extensions?.code !== 'FORBIDDEN');
      if (unexpected.length > 0)
        throw new Error(`${kase.role}: unexpected errors ${JSON.stringify(unexpected)}`);
      if (shape.houses === 0) throw new Error(`${kase.role}: no houses in the answer`);
      // Unscoped and all FULL: the layer must not change a thing.
      if (kase.role === 'police_officer' && !isDeepStrictEqual(single(r).data, single(offResult).data))
        throw new Error('police_officer (all FULL, unscoped) does not get the same data as policy off');
      shapes.set(kase, shape);
      log(
        `  ${kase.role} ${kase.purpose}: ${shape.houses} houses, ${shape.residents} residents, ${fmt(shape.bytes)} B of data, ${shape.masked} masked paths, errors ${JSON.stringify(shape.errors)}`,
      );
    }
    log(
      `  policy off: ${offShape.houses} houses, ${offShape.residents} residents, ${fmt(offShape.bytes)} B of data`,
    );

    log(`warming up (${args.warmup} requests each side and role)`);
    for (const kase of CASES) {
      await throughput(off, args.warmup, args.concurrency);
      await throughput(onFor(kase), args.warmup, args.concurrency);
    }

    const rows: Row[] = [];
    for (const concurrency of [1, args.concurrency]) {
      log(`measuring: ${args.rounds} rounds × ${args.requests} requests per side, ${concurrency} in flight`);
      for (const kase of CASES) rows.push(await measure(kase, off, onFor(kase), args, concurrency));
    }

    const met = rows.every((r) => r.overhead <= TARGET);
    const worst = rows.reduce((a, b) => (b.overhead > a.overhead ? b : a));
    const errorsText = (e: Record<string, number>): string =>
      Object.keys(e).length === 0
        ? 'none'
        : Object.entries(e)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ');
    const body = [
      `Generated by \`npm run bench:permissions\` on ${new Date().toISOString().slice(0, 10)}. The demo data (seed ${DEMO_SEED}, demo scale) in a fresh`,
      'PostgreSQL database and the embedded MongoDB-compatible server (child process), crosswalk built, hub started',
      'in-process. Every request runs through `executeOperation` (no HTTP), with a fresh request context as the',
      'server makes one:',
      '',
      '- **policy off**: the schema built with `buildSchema({ permissions: false })`, context without access;',
      "- **policy on**: the hub's own server (every field wrapped by `withPermissions`), context from",
      '  `access.authenticate()` of the demo token and purpose header (token verification cached by token hash).',
      '',
      `Query, on grid ${gridCode} (the demo grid worker's jurisdiction), provenance on:`,
      '',
      '```graphql',
      QUERY,
      '```',
      '',
      `Policy off answers ${offShape.houses} houses, ${offShape.residents} residents, ${fmt(offShape.bytes)} bytes of data. Per role (policy on):`,
      '',
      '| role | purpose | what the layer does | houses | residents | data bytes | masked paths | errors |',
      '|---|---|---|---:|---:|---:|---:|---|',
      ...CASES.map((k) => {
        const s = shapes.get(k)!;
        return `| ${k.role} | ${k.purpose} | ${k.note} | ${s.houses} | ${s.residents} | ${fmt(s.bytes)} | ${s.masked} | ${errorsText(s.errors)} |`;
      }),
      '',
      `Method: warm-up, then per role ${args.rounds} rounds of ${args.requests} requests per side, off and on alternating (which goes first`,
      `alternates too), requests back to back with 1 and with ${args.concurrency} in flight (DataLoader batching works within a request;`,
      'concurrency fills the waits on the databases). q/s = requests ÷ wall time, median over the rounds; overhead = 1 − on ÷ off',
      "of those medians. The paired column is 1 − on ÷ off of each round's own pair (median, and the middle half of the",
      'rounds), which cancels load that drifts over the run. Hub CPU is user + system time of the process running the hub',
      '(the databases run in other processes) per request, median over the rounds.',
      '',
      '| role | purpose | in flight | policy off q/s | policy on q/s | overhead | paired rounds: median (middle half) | hub CPU ms/request off → on |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.c.role} | ${r.c.purpose} | ${r.concurrency} | ${r.offQps.toFixed(1)} | ${r.onQps.toFixed(1)} | **${pct(r.overhead)}** | ${pct(r.paired.median)} (${pct(r.paired.q1)} … ${pct(r.paired.q3)}) | ${r.offCpuMs.toFixed(1)} → ${r.onCpuMs.toFixed(1)} (${pct(r.onCpuMs / r.offCpuMs - 1)}) |`,
      ),
      '',
      `Target: the layer costs at most ${pct(TARGET)} of throughput. ${
        met
          ? `**Met**: the largest overhead is ${pct(worst.overhead)} (${worst.c.role}, ${worst.concurrency} in flight).`
          : `**Not met**: ${worst.c.role} ${worst.c.purpose} with ${worst.concurrency} in flight costs ${pct(worst.overhead)}.`
      } A negative overhead is noise (or, for a scoped role, rows outside the jurisdiction that`,
      'the layer drops and nothing then loads).',
      '',
      'Roles with DENY fields in the query (e.g. `civil_affairs_clerk` for `RESIDENT_SERVICE`: owner, rentals and legal',
      'entities denied) are left out: their resolvers never run, so such a run measures less work, not the cost of the layer.',
      '',
      `${machineLine(pgVersion)}`,
      `(benchmark, hub and databases share the ${cpus().length} cores); 1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0]!.toFixed(1)} after it.`,
      `Whole run ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
    ].join('\n');
    console.log(body);
    writeSection('Permission layer cost (`npm run bench:permissions`)', body);
    console.log(`\n(written to ${BENCHMARKS_MD})`);
  } finally {
    await open?.stop().catch(() => undefined);
    await running?.close().catch(() => undefined);
    await db?.drop().catch((err: unknown) => log(`could not drop ${db?.name}: ${String(err)}`));
    await mongo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
