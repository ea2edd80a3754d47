/**
 * Cold and warm start of `zhiwang start` on embedded defaults, as a user runs it: the cold start
 * begins with an empty data directory (embedded Postgres and MongoDB, demo seed, crosswalk), the warm
 * start reuses it. Time is measured until the process prints that GraphQL is ready and answers.
 *
 *   npm run bench:start
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSection } from './lib/report';

const ROOT = join(__dirname, '..');

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
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        const m = /GraphQL ready at (\S+)/.exec(line);
        if (m) resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`zhiwang exited with ${code}:\n${lines.join('\n')}`)));
  });
  const url = await ready;
  const seconds = (Date.now() - t0) / 1000;
  const q0 = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        '{ grids(first: 1) { edges { node { code houses(first: 5) { edges { node { address residents { name } } } } } } } }',
    }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`first query failed: ${JSON.stringify(body)}`);
  const firstQueryMs = Date.now() - q0;
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
    const crosswalk = cold.lines.find((l) => /crosswalk:/.test(l)) ?? '';
    const table = [
      '| start | until GraphQL ready | first query | notes |',
      '|---|---:|---:|---|',
      `| cold (empty ./data: embedded servers, demo seed, crosswalk) | ${cold.seconds.toFixed(1)} s | ${cold.firstQueryMs} ms | ${seeded.replace('[zhiwang] ', '')}; ${crosswalk.replace('[zhiwang] ', '')} |`,
      `| warm (data reused) | ${warm.seconds.toFixed(1)} s | ${warm.firstQueryMs} ms | |`,
    ].join('\n');
    console.log(table);
    writeSection(
      'Start (`npm run bench:start`)',
      `Measured ${new Date().toISOString().slice(0, 10)}: \`zhiwang start\` on embedded defaults, from process start until it prints that GraphQL is ready; then one nested query over HTTP.\n\n${table}`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
