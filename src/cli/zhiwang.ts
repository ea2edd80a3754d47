#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { hasSeedRun, seedDemo, startHub, startServices, type Logger } from '../app';
import { actionEntry } from '../audit/record';
import { mintDemoTokens, tokenVariable } from '../auth/demoTokens';
import { policyTable } from '../auth/policyTable';
import { demoSecret, demoSigningEnabled, DemoSigner, loadPolicy, parseTtl } from '../auth/setup';
import { loadConfig, DEFAULT_CONFIG_PATH, type LoadedConfig } from '../config/loadConfig';
import { buildSchema } from '../graphql/schema';
import { closeConnectors, createConnectors, openConnectors } from '../connectors/createConnectors';
import { ConfigError } from '../errors';
import { auditCommand, openAuditStore } from './audit';
import { buildCrosswalk } from '../resolution/buildCrosswalk';
import { qualityTable, scoreHouseResolution } from '../resolution/quality';
import type { SeedScale } from '../seed';
import { HubStore } from '../store/HubStore';
import { AuditWriter } from '../audit/AuditWriter';
import { DEPARTMENTS, type Department } from '../config/types';
import { shanghaiToday } from '../graphql/Hub';
import { loadJobs } from '../reconcile/jobsConfig';
import { reconcile, type RunResult } from '../reconcile/run';
import { describeRun, runDetail, startWorker } from '../reconcile/worker';
import { jsonLinesReporter, progressBarReporter } from './progress';
import { migrateHubStore } from '../store/migrate';

const USAGE = `zhiwang — the 织网 data-integration hub

Usage:
  zhiwang start                      serve GraphQL (embedded databases unless URLs are configured)
  zhiwang seed [--scale demo|test|bench] [--seed 42] [--persons N] [--houses N] [--entities N]
                                     generate the departmental demo data, then build the crosswalk
  zhiwang crosswalk                  rebuild the crosswalk: exact keys, then addresses matched to houses
  zhiwang quality                    score house resolution against the demo's ground truth
  zhiwang health                     check every department
  zhiwang reconcile [--full] [--department police|market|civil|housing[,...]]
                                     run reconciliation once: sync changes since the watermarks (--full:
                                     everything), resolve them, find discrepancies, update the tasks;
                                     progress bars in a terminal, JSON lines otherwise. Exit 0 when it ran
                                     (or another run holds the lock), 3 when a department was down, 1 failed
  zhiwang worker                     run the schedules of config/jobs.yaml until stopped
  zhiwang config                     validate the config and print it
  zhiwang token --role ROLE [--jurisdiction CODE,...] [--purpose P,...] [--ttl 8h]
                                     mint an HS256 demo token (demo signing must be enabled)
  zhiwang policy                     check the sharing policy and print the role × field group table
  zhiwang audit verify [--from T] [--to T] [--checkpoints FILE]
                                     re-walk the audit hash chains; exit 3 naming the first broken record;
                                     FILE: checkpoints kept outside, to trust instead of the stored ones
  zhiwang audit checkpoint           anchor every chain's head in a new checkpoint
  zhiwang audit checkpoints          print the checkpoints as JSONL, to keep outside the database
  zhiwang audit export [--format csv|jsonl] [--out FILE] [--subject S] [--purpose P]
                       [--entity TYPE:KEY] [--field Type.field] [--outcome O] [--from T] [--to T]
  zhiwang audit retention            archive and drop the monthly partitions past audit.retentionDays

Options:
  --config PATH                      config file (default config/zhiwang.yaml; env ZHIWANG_CONFIG)
`;

const DEMO_TOKEN_TTL_SEC = 8 * 3600;

const log: Logger = {
  info: (m) => console.log(`[zhiwang] ${m}`),
  error: (m, err) => console.error(`[zhiwang] ${m}${err ? `: ${(err as Error).stack ?? String(err)}` : ''}`),
};

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new ConfigError(`--${name}`, `expected a positive integer, got ${value}`);
  return n;
}

async function withStore<T>(
  loaded: LoadedConfig,
  fn: (ctx: Awaited<ReturnType<typeof open>>) => Promise<T>,
): Promise<T> {
  const ctx = await open(loaded);
  try {
    return await fn(ctx);
  } finally {
    await ctx.store.close();
    await ctx.services.close();
  }
}

async function open(loaded: LoadedConfig) {
  const services = await startServices(loaded, log);
  const store = new HubStore(services.storeUrl, loaded.config.store.schema);
  await migrateHubStore(store.pool, loaded.config.store.schema);
  return { services, store };
}

async function rebuildCrosswalk(
  loaded: LoadedConfig,
  services: Awaited<ReturnType<typeof open>>['services'],
  store: HubStore,
) {
  const connectors = createConnectors(loaded, services.urls);
  try {
    const down = await openConnectors(connectors);
    for (const [d, err] of down) log.error(`department ${d} is unavailable`, err);
    const report = await buildCrosswalk(connectors, store);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await closeConnectors(connectors);
  }
}

function departmentsOption(value: string | undefined): Department[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((d) => d.trim());
  for (const d of list)
    if (!(DEPARTMENTS as readonly string[]).includes(d))
      throw new ConfigError('--department', `expected ${DEPARTMENTS.join(', ')} (comma-separated), got ${d}`);
  return list as Department[];
}

/** `zhiwang reconcile` (one run) and `zhiwang worker` (the schedules), next to a running hub or alone. */
async function reconcileCommand(
  command: 'reconcile' | 'worker',
  loaded: LoadedConfig,
  options: { full: boolean; departments: Department[] | undefined },
): Promise<number> {
  // stdout carries the JSON lines of a run; messages go to stderr.
  const log: Logger = {
    info: (m) => console.error(`[zhiwang] ${m}`),
    error: (m, err) => console.error(`[zhiwang] ${m}${err ? `: ${(err as Error).message}` : ''}`),
  };
  const jobs = loadJobs(loaded);
  const services = await startServices(loaded, log, { attach: true });
  const store = new HubStore(services.storeUrl, loaded.config.store.schema);
  const connectors = createConnectors(loaded, services.urls);
  const audit = new AuditWriter(store.pool, loaded.config.store.schema, {
    writer: `${command}:${process.pid}:${Date.now().toString(36)}`,
  });
  try {
    await migrateHubStore(store.pool, loaded.config.store.schema);
    const down = await openConnectors(connectors);
    for (const [d, err] of down)
      log.error(`department ${d} is unavailable; its watermark stays where it is`, err);
    if (command === 'worker') {
      const worker = startWorker({ hub: store, connectors, jobs, audit, log, today: shanghaiToday });
      log.info(
        `worker: ${jobs.jobs.map((j) => `${j.name} (${j.schedule}${j.full ? ', full' : ''})`).join(', ')} in ${jobs.timezone}; Ctrl-C stops`,
      );
      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      });
      log.info('stopping the worker');
      await worker.stop();
      return 0;
    }
    const reporter = process.stdout.isTTY ? progressBarReporter() : jsonLinesReporter();
    const t0 = Date.now();
    let result: RunResult;
    try {
      result = await reconcile({
        hub: store,
        connectors,
        jobs,
        mode: options.full ? 'FULL' : 'INCREMENTAL',
        departments: options.departments,
        trigger: 'cli',
        today: shanghaiToday(),
        onEvent: (e) => reporter.onEvent(e),
      });
    } finally {
      reporter.stop();
    }
    await audit.append(
      actionEntry('CLI', 'reconcile', runDetail('cli', result), {
        subject: process.env.USER ?? null,
        outcome: 'ran' in result && result.ran.status === 'FAILED' ? 'ERROR' : 'SUCCESS',
        durationMs: Date.now() - t0,
      }),
    );
    log.info(describeRun(result));
    if ('held' in result) return 0;
    return result.ran.status === 'FAILED' ? 1 : result.ran.status === 'PARTIAL' ? 3 : 0;
  } finally {
    await audit.drain();
    await closeConnectors(connectors);
    await store.close();
    await services.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      scale: { type: 'string', default: 'demo' },
      seed: { type: 'string', default: '42' },
      persons: { type: 'string' },
      houses: { type: 'string' },
      entities: { type: 'string' },
      role: { type: 'string' },
      jurisdiction: { type: 'string' },
      purpose: { type: 'string' },
      ttl: { type: 'string', default: '8h' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      subject: { type: 'string' },
      entity: { type: 'string' },
      field: { type: 'string' },
      outcome: { type: 'string' },
      checkpoints: { type: 'string' },
      full: { type: 'boolean', default: false },
      department: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const loaded = loadConfig(values.config ?? process.env.ZHIWANG_CONFIG ?? DEFAULT_CONFIG_PATH);
  switch (command) {
    case 'config':
      console.log(JSON.stringify(loaded.config, null, 2));
      return 0;
    case 'audit':
      // Messages to stderr: stdout carries the JSON or CSV the command prints.
      return auditCommand(loaded, positionals[1], values, (m) => console.error(`[zhiwang] ${m}`));
    case 'policy':
      console.log(policyTable(loadPolicy(loaded, buildSchema({ permissions: false }))));
      return 0;
    case 'token': {
      // The token goes to stdout alone, so that TOKEN=$(npx zhiwang token ...) works.
      const policy = loadPolicy(loaded, buildSchema({ permissions: false }));
      if (!demoSigningEnabled(loaded))
        throw new ConfigError(
          'auth.demoSigning.enabled',
          'demo signing is off (server mode); set it to true to mint demo tokens',
        );
      const role = policy.roles.get(values.role ?? '');
      if (!role) throw new ConfigError('--role', `expected one of ${[...policy.roles.keys()].join(', ')}`);
      const list = (v: string | undefined): string[] | undefined =>
        v === undefined
          ? undefined
          : v
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean);
      const jurisdiction = list(values.jurisdiction) ?? [];
      if (role.scope === 'jurisdiction' && jurisdiction.length === 0)
        throw new ConfigError(
          '--jurisdiction',
          `${role.name} sees only its jurisdiction: give a grid, community or street code`,
        );
      const signer = new DemoSigner(
        demoSecret(loaded),
        loaded.config.auth.issuer,
        loaded.config.auth.audience,
      );
      const purposes = list(values.purpose);
      const token = signer.sign({ role, jurisdiction, purposes, ttlSec: parseTtl(values.ttl!) });
      // Minting is audited like any other access: the record commits before the token is printed.
      const store = await openAuditStore(loaded, () => undefined);
      try {
        await store.record(
          actionEntry(
            'CLI',
            'token',
            { role: role.name, jurisdiction, purposes: purposes ?? role.purposes, ttl: values.ttl },
            { subject: process.env.USER ?? null },
          ),
        );
      } finally {
        await store.close();
      }
      console.log(token);
      return 0;
    }
    case 'start': {
      const running = await startHub(loaded, log, { listen: true });
      const tokens = await mintDemoTokens(running.auth, running.hub.store, DEMO_TOKEN_TTL_SEC);
      if (tokens.length > 0) {
        await running.audit.append(
          actionEntry('HUB', 'demo tokens', {
            ttlSec: DEMO_TOKEN_TTL_SEC,
            tokens: tokens.map((t) => ({ role: t.role.name, jurisdiction: t.jurisdiction })),
          }),
        );
        log.info(
          `demo tokens, valid ${DEMO_TOKEN_TTL_SEC / 3600} h (HS256 demo signing; off in server mode):`,
        );
        for (const t of tokens) {
          log.info(
            `  ${t.role.name} (${t.role.label}) · jurisdiction ${t.jurisdiction.join(', ') || '-'} ${t.place}${t.role.scope === 'all' ? ' (reads the whole hub)' : ''} · purposes ${t.role.purposes.join(', ')}`,
          );
          console.log(`export ${tokenVariable(t.role.name)}=${t.token}`);
        }
      }
      log.info(`GraphQL ready at ${running.url}`);
      log.info(
        `try: curl -s ${running.url} -H "authorization: Bearer $${tokenVariable('grid_worker')}" -H 'x-zhiwang-purpose: GRID_VERIFICATION' -H 'content-type: application/json' -d '{"query":"{ grids(first: 3) { edges { node { code name houses(first: 2) { edges { node { address owner { ... on Person { name idNumber phone } } } } } } } } }"}'`,
      );
      log.info('or open the URL in a browser for Apollo Sandbox; Ctrl-C stops');
      await new Promise<void>((resolveStop) => {
        const stop = (): void => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      log.info('stopping');
      await running.close();
      return 0;
    }
    case 'seed': {
      const scale = values.scale as SeedScale;
      if (!['demo', 'test', 'bench'].includes(scale))
        throw new ConfigError('--scale', 'expected demo, test or bench');
      const seed = Number(values.seed);
      if (!Number.isInteger(seed)) throw new ConfigError('--seed', `expected an integer, got ${values.seed}`);
      return withStore(loaded, async ({ services, store }) => {
        if (await hasSeedRun(store)) {
          log.error('the departments already hold seeded data; drop them (or ./data in embedded mode) first');
          return 1;
        }
        const report = await seedDemo(
          loaded,
          services,
          store,
          {
            seed,
            scale,
            persons: intOption(values.persons, 'persons'),
            houses: intOption(values.houses, 'houses'),
            entities: intOption(values.entities, 'entities'),
          },
          (stage, done, total) => {
            if (process.stdout.isTTY) process.stdout.write(`\r  ${stage}: ${done}/${total}      `);
          },
        );
        if (process.stdout.isTTY) process.stdout.write('\n');
        console.log(JSON.stringify(report, null, 2));
        await rebuildCrosswalk(loaded, services, store);
        return 0;
      });
    }
    case 'crosswalk':
      return withStore(loaded, async ({ services, store }) => {
        await rebuildCrosswalk(loaded, services, store);
        return 0;
      });
    case 'quality':
      return withStore(loaded, async ({ store }) => {
        const report = await scoreHouseResolution(store, Object.values(loaded.mappings));
        console.log(qualityTable(report));
        return 0;
      });
    case 'reconcile':
    case 'worker':
      return reconcileCommand(command, loaded, {
        full: values.full === true,
        departments: departmentsOption(values.department),
      });
    case 'health':
      return withStore(loaded, async ({ services }) => {
        const connectors = createConnectors(loaded, services.urls);
        await openConnectors(connectors);
        const hs = await Promise.all(Object.values(connectors).map((c) => c.health()));
        await closeConnectors(connectors);
        console.log(JSON.stringify(hs, null, 2));
        return hs.every((h) => h.ok) ? 0 : 1;
      });
    default:
      console.error(`unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) console.error(`[zhiwang] ${err.message}`);
    else console.error('[zhiwang] failed:', err);
    process.exit(1);
  },
);
