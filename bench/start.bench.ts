/**
 * Cold and warm start of `zhiwang start` on embedded defaults, as a user runs it: the cold start
 * begins with an empty data directory (embedded Postgres and MongoDB, demo seed, crosswalk), the warm
 * start reuses it. Time is measured until the process prints that GraphQL is ready and answers.
 * The hub requires a bearer token and a declared purpose: the first query is sent as the grid worker,
 * with the demo token start prints (`export ZW_TOKEN_GRID_WORKER=…`), for GRID_VERIFICATION.
 *
 *   npm run bench:start
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeSection } from './lib/report';

const ROOT = join(__dirname, '..');
/** The demo token start prints for the grid worker, and a purpose that role may declare. */
const TOKEN_VARIABLE = 'ZW_TOKEN_GRID_WORKER';
const PURPOSE = 'GRID_VERIFICATION';

interface StartRun {
  readonly seconds: number;
  readonly firstQueryMs: number;
  readonly lines: string[];
}

async function startOnce(dataDir: string, port: number): Promise<StartRun> {
  const t0 = Date.now();
  const child = spawn(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    [join(ROOT, 'src/cli/zhiwang.ts'), 'start'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ZHIWANG_DATA_DIR: dataDir,
        ZHIWANG_PORT: String(port),
        ZHIWANG_PG_PORT: String(port + 1),
        ZHIWANG_MONGO_PORT: String(port + 2),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  /** `export ZW_TOKEN_<ROLE>=<JWT>` lines start prints on stdout, one per role, before it is ready. */
  const tokens = new Map<string, string>();
  const ready = new Promise<string>((resolve, reject) => {
    // Whole lines (a token line can be split across chunks).
    const onLine = (line: string): void => {
      if (line === '') return;
      const token = /^export (ZW_TOKEN_[A-Z0-9_]+)=(\S+)$/.exec(line);
      if (token) {
        tokens.set(token[1]!, token[2]!);
        lines.push(`export ${token[1]}=…`);
        return;
      }
      lines.push(line);
      const m = /GraphQL ready at (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    };
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine);
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`zhiwang exited with ${code}:\n${lines.join('\n')}`)));
  });
  const url = await ready;
  const seconds = (Date.now() - t0) / 1000;
  const token = tokens.get(TOKEN_VARIABLE);
  if (token === undefined) {
    child.kill('SIGTERM');
    throw new Error(`start printed no ${TOKEN_VARIABLE} before it was ready:\n${lines.join('\n')}`);
  }
  const q0 = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-zhiwang-purpose': PURPOSE,
    },
    body: JSON.stringify({
      query:
        '{ grids(first: 1) { edges { node { code houses(first: 5) { edges { node { address residents { name } } } } } } } }',
    }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  const firstQueryMs = Date.now() - q0;
  if (!body.data || body.errors) {
    child.kill('SIGTERM');
    throw new Error(`first query (HTTP ${res.status}) failed: ${JSON.stringify(body)}`);
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { seconds, firstQueryMs, lines };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zhiwang-bench-start-'));
  const port = 4400;
  try {
    console.log(`cold start with an empty data directory ${dataDir} ...`);
    const cold = await startOnce(dataDir, port);
    console.log(`  ready after ${cold.seconds.toFixed(1)} s`);
    console.log('warm start on the same data ...');
    const warm = await startOnce(dataDir, port);
    console.log(`  ready after ${warm.seconds.toFixed(1)} s`);
    const seeded = cold.lines.find((l) => /seeded in/.test(l)) ?? '';
    const crosswalk = cold.lines.find((l) => /crosswalk: \d+ links/.test(l)) ?? '';
    const table = [
      '| start | until GraphQL ready | first query | notes |',
      '|---|---:|---:|---|',
      `| cold (empty ./data: embedded servers, demo seed, crosswalk) | ${cold.seconds.toFixed(1)} s | ${cold.firstQueryMs} ms | ${seeded.replace('[zhiwang] ', '')}; ${crosswalk.replace('[zhiwang] ', '')} |`,
      `| warm (data reused) | ${warm.seconds.toFixed(1)} s | ${warm.firstQueryMs} ms | |`,
    ].join('\n');
    console.log(table);
    writeSection(
      'Start (`npm run bench:start`)',
      `Measured ${new Date().toISOString().slice(0, 10)}: \`zhiwang start\` on embedded defaults, from process start until it prints that GraphQL is ready; then one nested query over HTTP, as the grid worker (the demo token start prints, purpose ${PURPOSE}).\n\n${table}`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
