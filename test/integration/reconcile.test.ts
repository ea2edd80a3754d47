/**
 * Scheduled reconciliation end to end, on each PostgreSQL target: a full run, a run with nothing to
 * do, changes (updates, cancellations, deletions, new records) flowing into tasks, a department
 * down, a run killed with SIGKILL at several points and resumed, the run lock across processes,
 * the worker's schedule, and the tasks through GraphQL under the access policy.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { Pool } from 'pg';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import type { Connector, Watermark } from '../../src/connectors/Connector';
import type { SourceRecord } from '../../src/connectors/SourceRecord';
import { closeConnectors, createConnectors, openConnectors } from '../../src/connectors/createConnectors';
import type { RequestContext } from '../../src/graphql/context';
import { compileJobs, loadJobs, type JobsConfig } from '../../src/reconcile/jobsConfig';
import { RULE_NAMES } from '../../src/reconcile/rules';
import { reconcile, type RunOptions, type RunReport } from '../../src/reconcile/run';
import { describeRun, startWorker } from '../../src/reconcile/worker';
import { execute, roleContext } from '../helpers/graphql';
import { pgTargets } from '../helpers/databases';
import { cliConfigFile, createTestHub, quietLogger, TEST_TODAY, type TestHub } from '../helpers/testHub';

const ROOT = join(__dirname, '..', '..');

describe.each(pgTargets().map((t) => [t.label, t] as const))('reconciliation (%s)', (_label, target) => {
  let th: TestHub;
  let hub: Pool;
  let jobs: JobsConfig;
  let schema: string;
  const t = (table: string): string => `"${schema}".${table}`;
  const q = async <R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> =>
    (await hub.query(sql, params)).rows as R[];

  const run = async (mode: 'FULL' | 'INCREMENTAL', extra: Partial<RunOptions> = {}): Promise<RunReport> => {
    const r = await reconcile({
      hub: th.running.hub.store,
      connectors: th.running.hub.connectors,
      jobs,
      mode,
      trigger: 'test',
      today: TEST_TODAY,
      ...extra,
    });
    if (!('ran' in r)) throw new Error(`the lock is held: ${JSON.stringify(r.held)}`);
    return r.ran;
  };

  /**
   * A run once a killed process's lock is gone: the server ends a dead client's session (and its
   * advisory lock) when it notices the closed socket, a moment after the process exits.
   */
  const runAfterKill = async (mode: 'FULL' | 'INCREMENTAL'): Promise<RunReport> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await run(mode);
      } catch (err) {
        if (!(err as Error).message.startsWith('the lock is held') || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  /** The hub's reconciled state, comparable across runs (no timestamps of when it was written). */
  const snapshot = async () => {
    const digest = async (sql: string): Promise<string> =>
      (
        await q<{ d: string }>(
          `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS d FROM (${sql}) x`,
        )
      )[0]!.d;
    return {
      facts:
        await digest(`SELECT department, record_type, source_id, kind, subject_key, status, category, valid_from,
        valid_to, event_date, measure, house_claim, address, source_updated_at FROM ${t('source_fact')}`),
      claims: await digest(`SELECT * FROM ${t('person_claim')}`),
      links:
        await digest(`SELECT department, record_type, source_id, role, entity_type, entity_key, method, confidence,
        valid_from, valid_to FROM ${t('crosswalk')}`),
      unresolved:
        await digest(`SELECT department, record_type, source_id, role, entity_type, raw_value, reason, decision,
        claimed_key, linked_key FROM ${t('unresolved_reference')}`),
      tasks: (
        await q<{ id: string; fingerprint: string; status: string }>(
          `SELECT id, fingerprint, status FROM ${t('discrepancy')} WHERE status <> 'CLOSED' ORDER BY id`,
        )
      ).map((r) => `${r.id}:${r.fingerprint}:${r.status}`),
      counts: await q(`SELECT count(*)::int AS facts FROM ${t('source_fact')}`),
    };
  };

  /** Forgets everything reconciliation mirrored (not the tasks), as before a first run. */
  const resetMirror = async (): Promise<void> => {
    for (const table of [
      'source_fact',
      'person_claim',
      'sync_watermark',
      'registration_pair',
      'unresolved_reference',
    ])
      await hub.query(`DELETE FROM ${t(table)}`);
    await hub.query(`DELETE FROM ${t('crosswalk')} WHERE method <> 'MANUAL'`);
  };

  const department = (d: 'police' | 'housing' | 'civil') => ({
    query: async (sql: string, params: unknown[] = []) => {
      const pool = new Pool({ connectionString: th.pg.urls[d] });
      try {
        return (await pool.query(sql.replaceAll('$s', `"${th.pg.schemas[d]}"`), params)).rows;
      } finally {
        await pool.end();
      }
    },
  });

  const market = async <T>(work: (c: MongoClient) => Promise<T>): Promise<T> => {
    const c = new MongoClient(th.mongo.url, { serverMonitoringMode: 'poll' });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.close();
    }
  };

  /** `zhiwang reconcile` as a child process (node itself, so the pid is the run's holder). */
  const cli = (args: string[], batchSize: number): ChildProcess => {
    const config = cliConfigFile(th.pg, th.mongo, (c, dir) => {
      const j = parseYaml(readFileSync(join(ROOT, 'config/jobs.yaml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      j.reconciliation.batchSize = batchSize;
      j.reconciliation.leaseSeconds = 2;
      c.jobs = join(dir, 'jobs.yaml');
      writeFileSync(c.jobs, toYaml(j));
    });
    return spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/zhiwang.ts'), ...args, '--config', config],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  };

  /** Resolves once the child has printed `n` sync events (JSON lines); rejects if it exits first. */
  const afterSyncEvents = (child: ChildProcess, n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      let seen = 0;
      let buffer = '';
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) if (line.includes('"type":"sync"') && ++seen === n) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`the run exited (${code}) after ${seen} sync events: ${stderr}`)),
      );
    });

  const killed = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });

  beforeAll(async () => {
    th = await createTestHub(target);
    schema = th.loaded.config.store.schema;
    hub = new Pool({ connectionString: th.pg.urls.hub, max: 4 });
    jobs = { ...loadJobs(th.loaded), leaseSeconds: 2 };
  }, 600_000);

  afterAll(async () => {
    await hub?.end();
    await th?.close();
  });

  let first: RunReport;
  let reference: Awaited<ReturnType<typeof snapshot>>;

  it('a full run syncs every department, finds the discrepancies and opens one task for each', async () => {
    // As on a hub whose crosswalk was never built: the run registers what its links name.
    await hub.query(`DELETE FROM ${t('canonical_entity')}`);
    first = await run('FULL');
    expect(first.status).toBe('SUCCEEDED');
    expect(first.errors).toEqual([]);
    // Every source record is mirrored once.
    const sources = {
      police: (
        await department('police').query(
          `SELECT (SELECT count(*) FROM $s.rk_czrk) + (SELECT count(*) FROM $s.rk_ldrk) AS n`,
        )
      )[0].n,
      housing: (
        await department('housing').query(
          `SELECT (SELECT count(*) FROM $s.fw_jbxx) + (SELECT count(*) FROM $s.zl_htba) AS n`,
        )
      )[0].n,
    };
    for (const [d, n] of Object.entries(sources)) {
      expect(first.stages.sync![d as 'police']!.read).toBe(Number(n));
      const [m] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${t('source_fact')} WHERE department = $1`,
        [d],
      );
      expect(m!.n).toBe(Number(n));
    }
    const detected = Object.values(first.stages.rules!).reduce((n, o) => n + o.detected, 0);
    const opened = Object.values(first.stages.rules!).reduce((n, o) => n + o.opened, 0);
    for (const rule of RULE_NAMES) expect(first.stages.rules![rule]!.detected).toBeGreaterThan(0);
    const [tasks] = await q<{ n: number; fps: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT fingerprint)::int AS fps FROM ${t('discrepancy')} WHERE status = 'OPEN'`,
    );
    expect(tasks!.n).toBe(opened);
    expect(tasks!.fps).toBe(opened);
    expect(opened).toBeLessThanOrEqual(detected);
    // Each task starts with its OPEN event, by reconciliation, and is routed somewhere.
    const [events] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${t('discrepancy_event')} WHERE to_status = 'OPEN' AND actor = 'reconciliation'`,
    );
    expect(events!.n).toBe(opened);
    const [grid] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${t('discrepancy')} d JOIN ${t('grid')} g ON g.grid_code = left(d.house_code, 14)
        WHERE d.scope_code <> g.grid_code`,
    );
    expect(grid!.n).toBe(0);
    const [runRow] = await q<{ status: string; stages: Record<string, unknown> }>(
      `SELECT status, stages FROM ${t('reconciliation_run')} WHERE id = $1`,
      [first.runId],
    );
    expect(runRow!.status).toBe('SUCCEEDED');
    expect(Object.keys(runRow!.stages)).toEqual(
      expect.arrayContaining(['sync', 'statistics', 'pairs', 'rules', 'detection']),
    );
    expect(first.stages.detection).toMatchObject({ complete: true, reason: 'a full run' });
    // Every entity a link names is a canonical entity, houses with their grid.
    expect(
      await q(
        `SELECT c.entity_type, c.entity_key FROM ${t('crosswalk')} c
          WHERE NOT EXISTS (SELECT 1 FROM ${t('canonical_entity')} e
                             WHERE e.entity_type = c.entity_type AND e.entity_key = c.entity_key
                               AND e.grid_code IS NOT DISTINCT FROM
                                   CASE WHEN c.entity_type = 'HOUSE' THEN left(c.entity_key, 14) END)
          LIMIT 3`,
      ),
    ).toEqual([]);
    // The planner knows what the sync wrote: the row counts it plans with are the tables' own (the
    // run analysed them, or autovacuum did late enough in the sync).
    for (const table of ['source_fact', 'crosswalk', 'person_claim']) {
      const [planned] = await q<{ n: number }>(
        `SELECT reltuples::int AS n FROM pg_class WHERE oid = $1::regclass`,
        [t(table)],
      );
      const [actual] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${t(table)}`);
      expect([table, planned!.n]).toEqual([table, actual!.n]);
    }
    reference = await snapshot();
  });

  it('a second run with no changes reads nothing and changes nothing', async () => {
    const events = await q(`SELECT count(*)::int AS n FROM ${t('discrepancy_event')}`);
    const again = await run('INCREMENTAL');
    expect(again.status).toBe('SUCCEEDED');
    for (const d of Object.values(again.stages.sync!)) {
      expect(d!.read).toBe(0);
      expect(d!.deleted).toBe(0);
    }
    expect(again.stages.statistics!.tables).toEqual([]);
    for (const o of Object.values(again.stages.rules!)) {
      expect(o.opened).toBe(0);
      expect(o.closed).toBe(0);
    }
    expect(await snapshot()).toEqual(reference);
    expect(await q(`SELECT count(*)::int AS n FROM ${t('discrepancy_event')}`)).toEqual(events);
  });

  it('picks up updates, cancellations, deletions and new records, and moves the tasks with them', async () => {
    const task = async (rule: string) =>
      (
        await q<{
          id: string;
          department: string;
          record_type: string;
          source_id: string;
          entity_key: string;
        }>(
          `SELECT id, department, record_type, source_id, entity_key FROM ${t('discrepancy')}
            WHERE rule = $1 AND status = 'OPEN' ORDER BY id LIMIT 1`,
          [rule],
        )
      )[0]!;
    // A stale registration is cancelled (走有注销): its task closes.
    const stale = await task('STALE_REGISTRATION');
    await department('police').query(
      `UPDATE $s.rk_ldrk SET zxrq = '2026-10-20', zxyy = '搬离', gxsj = now() WHERE djbh = $1`,
      [stale.source_id],
    );
    // The lease of an unregistered tenant is deleted from the registry: its task closes.
    const unregistered = await task('UNREGISTERED_TENANT');
    await department('housing').query(`DELETE FROM $s.zl_htba WHERE htbh = $1`, [unregistered.source_id]);
    // A company at a residential house is deregistered (注销): its task closes.
    const residential = await task('ENTITY_AT_RESIDENTIAL');
    await market((c) =>
      c
        .db(th.mongo.database)
        .collection<{ _id: string }>('entities')
        .updateOne({ _id: residential.source_id }, { $set: { REGSTATE: '3', UPDATED_AT: new Date() } }),
    );
    // A living, registered person dies: the cremation record makes their registration a discrepancy.
    const [living] = await department('police').query(
      `SELECT gmsfhm, xm FROM $s.rk_czrk WHERE ryzt = '0' AND length(gmsfhm) = 18 AND gmsfhm = upper(gmsfhm)
        ORDER BY gmsfhm LIMIT 1`,
    );
    await department('civil').query(
      `INSERT INTO $s.bz_hhjl (id, sfzh, xm, swrq, hhrq, gxsj) VALUES (999001, $1, $2, '2026-10-25', '2026-10-28', now())`,
      [living.gmsfhm, living.xm],
    );

    const r = await run('INCREMENTAL');
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.stages.sync!.police!.read).toBe(1);
    expect(r.stages.sync!.civil!.read).toBe(1);
    expect(r.stages.sync!.market!.read).toBe(1);
    expect(r.stages.sync!.housing!.read).toBe(0);
    expect(r.stages.sync!.housing!.deleted).toBe(1);
    const statusOf = async (id: string) =>
      (
        await q<{ status: string; close_reason: string }>(
          `SELECT status, close_reason FROM ${t('discrepancy')} WHERE id = $1`,
          [id],
        )
      )[0]!;
    for (const gone of [stale, unregistered, residential]) {
      const s = await statusOf(gone.id);
      expect(s.status).toBe('CLOSED');
      expect(s.close_reason).toBe(`no longer found upstream by reconciliation run ${r.runId}`);
    }
    const [events] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${t('discrepancy_event')} WHERE discrepancy_id = ANY($1::bigint[])
          AND to_status = 'CLOSED' AND actor = 'reconciliation'`,
      [[stale.id, unregistered.id, residential.id]],
    );
    expect(events!.n).toBe(3);
    const dead = await q<{ record_type: string; status: string }>(
      `SELECT record_type, status FROM ${t('discrepancy')} WHERE rule = 'DECEASED_BUT_ACTIVE' AND entity_key = $1`,
      [living.gmsfhm],
    );
    expect(dead).toContainEqual({ record_type: 'registered_person', status: 'OPEN' });
    // What each record type's watermark says the mirror holds is what it holds, the deletion counted.
    expect(
      await q(
        `SELECT w.department, w.record_type, w.mirrored::int AS kept,
                (SELECT count(*)::int FROM ${t('source_fact')} f
                  WHERE f.department = w.department AND f.record_type = w.record_type) AS held
           FROM ${t('sync_watermark')} w WHERE w.mirrored IS DISTINCT FROM
                (SELECT count(*) FROM ${t('source_fact')} f
                  WHERE f.department = w.department AND f.record_type = w.record_type)`,
      ),
    ).toEqual([]);
    // The deleted lease is gone from the mirror and the crosswalk.
    expect(
      await q(`SELECT 1 FROM ${t('source_fact')} WHERE source_id = $1`, [unregistered.source_id]),
    ).toEqual([]);
    expect(await q(`SELECT 1 FROM ${t('crosswalk')} WHERE source_id = $1`, [unregistered.source_id])).toEqual(
      [],
    );
    reference = await snapshot();
  });

  it('an incremental run evaluates the rules over what changed only, and finds what a complete detection finds', async () => {
    const open = async (rule: string) =>
      (
        await q<{ id: string; house_code: string; entity_key: string }>(
          `SELECT id, house_code, entity_key FROM ${t('discrepancy')}
            WHERE rule = $1 AND status = 'OPEN' AND house_code IS NOT NULL ORDER BY id LIMIT 1`,
          [rule],
        )
      )[0]!;
    // Changes whose discrepancies sit on other records than the one changed: a business lease at the
    // house a company is registered at (ENTITY_AT_RESIDENTIAL, found through the house), more floor
    // area for an overcrowded house (OVERCROWDED_HOUSE, through the house record), and a new house
    // record with a code other records claimed while housing did not know it (UNKNOWN_HOUSE_CODE).
    const residential = await open('ENTITY_AT_RESIDENTIAL');
    await department('housing').query(
      `INSERT INTO $s.zl_htba (htbh, fwbm, fwzl, czrxm, czfxm, czfzjlx, czfzjhm, zlqsrq, zlzzrq, yzj, zlyt, gxsj)
       VALUES ('HT-TEST-BUSINESS-1', $1, NULL, NULL, '测试商贸有限公司', '20', NULL, '2026-01-01', '2027-12-31', 8000,
               '经营', now())`,
      [residential.house_code],
    );
    const crowded = await open('OVERCROWDED_HOUSE');
    const [{ jzmj: area }] = await department('housing').query(
      `SELECT jzmj FROM $s.fw_jbxx WHERE fwbm = $1`,
      [crowded.entity_key],
    );
    await department('housing').query(`UPDATE $s.fw_jbxx SET jzmj = 5000, gxsj = now() WHERE fwbm = $1`, [
      crowded.entity_key,
    ]);
    const [unknown] = await q<{ id: string; entity_key: string }>(
      `SELECT id, entity_key FROM ${t('discrepancy')} WHERE rule = 'UNKNOWN_HOUSE_CODE' AND status = 'OPEN'
        ORDER BY id LIMIT 1`,
    );
    await department('housing').query(
      `INSERT INTO $s.fw_jbxx (fwbm, qxmc, jdmc, sqmc, jlxmc, mph, xqmc, ldmc, dyh, lc, fh, bzdz, fwyt, jzmj, cqrxm,
                              cqrzjhm, zt, gxsj)
       SELECT $1, qxmc, jdmc, sqmc, jlxmc, mph, xqmc, ldmc, dyh, '99', '9901', bzdz || '（补录）', fwyt, jzmj, cqrxm,
              cqrzjhm, zt, now()
         FROM $s.fw_jbxx ORDER BY fwbm LIMIT 1`,
      [unknown!.entity_key],
    );
    const r = await run('INCREMENTAL');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.stages.sync!.housing!.read).toBe(3);
    // Restricted to the changes: the records read, and the entities they name before and after.
    expect(r.stages.detection).toMatchObject({ complete: false, records: 3 });
    expect(r.stages.detection!.entities).toBeGreaterThanOrEqual(3);
    // The log line says what the count of discrepancies is over.
    expect(describeRun({ ran: r })).toContain(
      `discrepancies found (over what changed: 3 records, ${r.stages.detection!.entities} entities)`,
    );
    const statusOf = async (id: string) =>
      (await q<{ status: string }>(`SELECT status FROM ${t('discrepancy')} WHERE id = $1`, [id]))[0]!.status;
    expect(await statusOf(residential.id)).toBe('CLOSED');
    expect(await statusOf(crowded.id)).toBe('CLOSED');
    expect(await statusOf(unknown!.id)).toBe('CLOSED');
    // The new house is a canonical entity now, in its grid.
    expect(
      await q(
        `SELECT grid_code FROM ${t('canonical_entity')} WHERE entity_type = 'HOUSE' AND entity_key = $1`,
        [unknown!.entity_key],
      ),
    ).toEqual([{ grid_code: unknown!.entity_key.slice(0, 14) }]);
    // Nothing the incremental detection left as it was is something a complete one would change.
    const before = await snapshot();
    await th.running.hub.store.needCompleteDetection('test: compare with a complete detection');
    const complete = await run('INCREMENTAL');
    expect(complete.stages.detection).toMatchObject({
      complete: true,
      reason: 'test: compare with a complete detection',
    });
    expect(describeRun({ ran: complete })).toContain(
      'discrepancies found (complete detection: test: compare with a complete detection)',
    );
    for (const [rule, o] of Object.entries(complete.stages.rules!))
      expect([rule, o.opened, o.closed]).toEqual([rule, 0, 0]);
    expect((await snapshot()).tasks).toEqual(before.tasks);
    // Undone (the house and the lease deleted, the area as it was): the three are found again, each
    // through what was deleted or changed, not through the record that carries the discrepancy.
    await department('housing').query(`DELETE FROM $s.zl_htba WHERE htbh = 'HT-TEST-BUSINESS-1'`);
    await department('housing').query(`DELETE FROM $s.fw_jbxx WHERE fwbm = $1`, [unknown!.entity_key]);
    await department('housing').query(`UPDATE $s.fw_jbxx SET jzmj = $2, gxsj = now() WHERE fwbm = $1`, [
      crowded.entity_key,
      area,
    ]);
    const undone = await run('INCREMENTAL');
    expect(undone.stages.detection).toMatchObject({ complete: false });
    for (const rule of ['ENTITY_AT_RESIDENTIAL', 'OVERCROWDED_HOUSE', 'UNKNOWN_HOUSE_CODE']) {
      expect(r.stages.rules![rule]!.closed).toBeGreaterThanOrEqual(1);
      expect([rule, undone.stages.rules![rule]!.opened]).toEqual([rule, r.stages.rules![rule]!.closed]);
    }
    reference = await snapshot();
  });

  it('a first sync skips the deletes, yet a record read again in the same scan replaces what it wrote', async () => {
    await resetMirror();
    // Nothing of police's is left to replace (no manual decisions on police's records either).
    expect(await q(`SELECT count(*)::int AS n FROM ${t('crosswalk')} WHERE department = 'police'`)).toEqual([
      { n: 0 },
    ]);
    // Police's scan reads the first record of its first page again after that page, changed,
    // as a scan does when the department updates a record while it runs.
    const police = th.running.hub.connectors.police;
    let again: { sourceId: string; recordType: string } | null = null;
    const rereading: Connector = Object.assign(Object.create(police) as Connector, {
      async *scan(recordType: string, after: Watermark | null, batchSize: number) {
        let pages = 0;
        let first: SourceRecord | null = null;
        for await (const page of police.scan(recordType, after, batchSize)) {
          first ??= page.records[0] ?? null;
          yield page;
          if (++pages === 1 && first !== null && again === null) {
            again = { sourceId: first.sourceId, recordType };
            yield {
              records: [{ ...first, values: { ...first.values, name: '重读测试' } }],
              watermark: page.watermark,
            };
          }
        }
      },
    });
    const r = await run('FULL', { connectors: { ...th.running.hub.connectors, police: rereading } });
    expect(r.errors).toEqual([]);
    expect(again).not.toBeNull();
    const { sourceId, recordType } = again!;
    expect(
      await q(
        `SELECT count(*)::int AS n FROM ${t('source_fact')} WHERE record_type = $1 AND source_id = $2`,
        [recordType, sourceId],
      ),
    ).toEqual([{ n: 1 }]);
    expect(
      await q(
        `SELECT name FROM ${t('person_claim')} WHERE record_type = $1 AND source_id = $2 AND role = 'SUBJECT'`,
        [recordType, sourceId],
      ),
    ).toEqual([{ name: '重读测试' }]);
    // Read again as the department has it, the mirror is as before.
    await run('FULL');
    reference = await snapshot();
  });

  it('a department that is down costs only its own sync: its watermark stays, the others go on', async () => {
    const watermarks = () =>
      q(
        `SELECT department, record_type, updated_at::text, source_id FROM ${t('sync_watermark')} ORDER BY 1, 2`,
      );
    const before = await watermarks();
    await department('police').query(
      `UPDATE $s.rk_czrk SET lxdh = '13800000000', gxsj = now() WHERE gmsfhm = (SELECT min(gmsfhm) FROM $s.rk_czrk)`,
    );
    await department('civil').query(
      `UPDATE $s.jz_dbdx SET yblje = yblje + 1, gxsj = now() WHERE id = (SELECT min(id) FROM $s.jz_dbdx)`,
    );
    const broken = createConnectors(th.loaded, {
      police: 'postgres://postgres@127.0.0.1:1/nowhere',
      housing: th.pg.urls.housing,
      civil: th.pg.urls.civil,
      market: th.mongo.url,
    });
    await openConnectors(broken);
    try {
      const r = await run('INCREMENTAL', { connectors: broken });
      expect(r.status).toBe('PARTIAL');
      expect(r.errors).toEqual([expect.objectContaining({ stage: 'sync', department: 'police' })]);
      expect(r.stages.sync!.civil!.read).toBe(1);
      // The rules still run, over civil's change; what police said before stays, so no task closes.
      expect(r.stages.detection).toMatchObject({ complete: false, records: 1 });
      for (const rule of RULE_NAMES) expect(r.stages.rules![rule]!.skipped).toBeUndefined();
      for (const o of Object.values(r.stages.rules!)) expect(o.closed).toBe(0);
      const after = await watermarks();
      const police = (rows: Array<Record<string, unknown>>) => rows.filter((w) => w.department === 'police');
      expect(police(after)).toEqual(police(before));
      expect(after.filter((w) => w.department === 'civil')).not.toEqual(
        before.filter((w) => w.department === 'civil'),
      );
    } finally {
      await closeConnectors(broken);
    }
    // Back up, police's change is read by the next run.
    const r = await run('INCREMENTAL');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.stages.sync!.police!.read).toBe(1);
    reference = await snapshot();
  });

  it.each([
    ['early, in the first department', 3],
    ['late, in a later department', 60],
  ])('a run killed with SIGKILL %s resumes: nothing lost, nothing duplicated', async (_when, events) => {
    await resetMirror();
    const child = cli(['reconcile', '--full'], 25);
    await afterSyncEvents(child, events);
    await killed(child);
    const [progress] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${t('source_fact')}`);
    // Killed part-way: some pages committed, not all.
    expect(progress!.n).toBeGreaterThan(0);
    expect(progress!.n).toBeLessThan(reference.counts[0]!.facts as number);
    const [interrupted] = await q<{ id: string; status: string }>(
      `SELECT id, status FROM ${t('reconciliation_run')} ORDER BY id DESC LIMIT 1`,
    );
    expect(interrupted!.status).toBe('RUNNING');
    const resumed = await runAfterKill('INCREMENTAL');
    expect(resumed.status).toBe('SUCCEEDED');
    const [was] = await q<{ status: string }>(`SELECT status FROM ${t('reconciliation_run')} WHERE id = $1`, [
      interrupted!.id,
    ]);
    expect(was!.status).toBe('INTERRUPTED');
    // The resumed run read only what the killed one had not committed.
    const read = Object.values(resumed.stages.sync!).reduce((n, d) => n + d!.read, 0);
    expect(read + progress!.n).toBe(reference.counts[0]!.facts);
    // Same mirror, same links, the same tasks (same ids: none closed and reopened, none duplicated).
    expect(await snapshot()).toEqual(reference);
  });

  it('runs one at a time across processes: a second start names the holder and exits cleanly', async () => {
    const child = cli(['reconcile', '--full'], 10);
    await afterSyncEvents(child, 2);
    try {
      const held = await reconcile({
        hub: th.running.hub.store,
        connectors: th.running.hub.connectors,
        jobs,
        mode: 'INCREMENTAL',
        trigger: 'test',
        today: TEST_TODAY,
      });
      expect(held).toEqual({ held: expect.objectContaining({ holder: `${hostname()}:${child.pid}` }) });
      const second = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(ROOT, 'src/cli/zhiwang.ts'),
          'reconcile',
          '--config',
          cliConfigFile(th.pg, th.mongo),
        ],
        { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
      );
      expect(second.status).toBe(0);
      expect(second.stderr).toContain(`another reconciliation run holds the lock`);
      expect(second.stderr).toContain(`${hostname()}:${child.pid}`);
    } finally {
      await killed(child);
    }
    const after = await runAfterKill('INCREMENTAL');
    expect(after.status).toBe('SUCCEEDED');
    expect(await snapshot()).toEqual(reference);
  });

  it('the worker runs its schedule and records each run in the audit log', async () => {
    const every = compileJobs({
      jobs: { tick: { schedule: '*/1 * * * * *', task: 'reconcile' } },
      reconciliation: {
        leaseSeconds: 2,
        rules: Object.fromEntries(RULE_NAMES.map((r) => [r, { severity: 2 }])),
      },
    });
    const before = await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${t('reconciliation_run')}`);
    const logged: string[] = [];
    const worker = startWorker({
      hub: th.running.hub.store,
      connectors: th.running.hub.connectors,
      jobs: every,
      audit: th.running.audit,
      log: { info: (m) => logged.push(m), error: quietLogger.error },
      today: () => TEST_TODAY,
    });
    try {
      const deadline = Date.now() + 60_000;
      while (logged.filter((m) => m.includes('SUCCEEDED')).length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
    } finally {
      await worker.stop();
    }
    expect(logged.filter((m) => m.startsWith('reconcile (tick): run ')).length).toBeGreaterThanOrEqual(2);
    const [after] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${t('reconciliation_run')}`);
    expect(after!.n).toBeGreaterThanOrEqual(before[0]!.n + 2);
    const audited = await q(
      `SELECT detail FROM ${t('audit_log')} WHERE kind = 'JOB' AND operation = 'reconcile' ORDER BY at DESC LIMIT 1`,
    );
    expect(audited[0]!.detail).toEqual(expect.objectContaining({ job: 'tick', status: 'SUCCEEDED' }));
  });

  describe('tasks through GraphQL', () => {
    let grid: string;
    let otherGrid: string;
    const ask = (query: string, contextValue: RequestContext, variables?: Record<string, unknown>) =>
      execute(th.guarded, query, contextValue, variables);
    const as = (role: string, purpose: string, jurisdiction: string[] = []): RequestContext =>
      roleContext(th, role, purpose, jurisdiction);
    const worker = () => as('grid_worker', 'GRID_VERIFICATION', [grid]);
    const LIST = `query($grid: String, $status: DiscrepancyStatus) {
      discrepancies(gridCode: $grid, status: $status, first: 200) {
        totalCount edges { node { id kind status scopeCode entityKey detail events { actor from to note } } }
      } }`;

    beforeAll(async () => {
      const grids = await q<{ scope_code: string }>(
        `SELECT scope_code FROM ${t('discrepancy')} WHERE length(scope_code) = 14 AND status = 'OPEN'
          GROUP BY 1 ORDER BY count(*) DESC, 1`,
      );
      grid = grids[0]!.scope_code;
      const others = await q<{ grid_code: string }>(
        `SELECT grid_code FROM ${t('grid')} WHERE grid_code <> $1 ORDER BY 1`,
        [grid],
      );
      otherGrid = others[0]!.grid_code;
    });

    it("lists a grid worker's own grid's tasks only, entity keys masked and details in full", async () => {
      const r = await ask(LIST, worker(), {});
      expect(r.errors).toBeUndefined();
      const nodes = r.data!.discrepancies.edges.map((e: any) => e.node); // eslint-disable-line @typescript-eslint/no-explicit-any
      const [expected] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${t('discrepancy')} WHERE scope_code LIKE $1 || '%'`,
        [grid],
      );
      expect(r.data!.discrepancies.totalCount).toBe(expected!.n);
      expect(nodes.length).toBe(Math.min(200, expected!.n));
      expect(nodes.every((n: { scopeCode: string }) => n.scopeCode.startsWith(grid))).toBe(true);
      const person = nodes.find(
        (n: { kind: string }) => n.kind === 'UNREGISTERED_TENANT' || n.kind === 'STALE_REGISTRATION',
      );
      if (person) expect(person.entityKey).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
      expect(JSON.parse(nodes[0].detail)).toEqual(expect.any(Object));
      // Another grid is outside: asking for it returns nothing of it.
      const other = await ask(LIST, worker(), { grid: otherGrid });
      expect(other.data!.discrepancies.totalCount).toBe(0);
    });

    it('assigns, verifies and dismisses within the jurisdiction, recording actor and note; refuses the rest', async () => {
      const [open] = await q<{ id: string }>(
        `SELECT id FROM ${t('discrepancy')} WHERE scope_code = $1 AND status = 'OPEN' ORDER BY id LIMIT 2`,
        [grid],
      );
      const id = open!.id;
      const assign = `mutation($id: ID!) { assignDiscrepancy(id: $id, assignee: "网格员王芳", note: "今日上门") { status assignee } }`;
      const verify = `mutation($id: ID!) { verifyDiscrepancy(id: $id, note: "上门核实属实") { status events { actor from to note } } }`;
      const dismiss = `mutation($id: ID!) { dismissDiscrepancy(id: $id, note: "误报") { status } }`;
      // Another grid's worker: refused before anything changes.
      const outsider = as('grid_worker', 'GRID_VERIFICATION', [otherGrid]);
      const refused = await ask(assign, outsider, { id });
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await q(`SELECT status FROM ${t('discrepancy')} WHERE id = $1`, [id]))[0]).toEqual({
        status: 'OPEN',
      });
      // Verify needs ASSIGNED first.
      const early = await ask(verify, worker(), { id });
      expect(early.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(early.errors?.[0]?.message).toContain('is OPEN; verify needs it ASSIGNED');
      // A police officer has no verification tasks at all.
      const police = await ask(assign, as('police_officer', 'CASE_INVESTIGATION'), { id });
      expect(police.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const a = await ask(assign, worker(), { id });
      expect(a.errors).toBeUndefined();
      expect(a.data!.assignDiscrepancy).toEqual({ status: 'ASSIGNED', assignee: '网格员王芳' });
      // The street officer of the grid's street may act on it too.
      const v = await ask(verify, as('street_officer', 'GRID_VERIFICATION', [grid.slice(0, 9)]), { id });
      expect(v.errors).toBeUndefined();
      expect(v.data!.verifyDiscrepancy.status).toBe('VERIFIED');
      expect(v.data!.verifyDiscrepancy.events.slice(1)).toEqual([
        { actor: 'demo-grid_worker', from: 'OPEN', to: 'ASSIGNED', note: '今日上门' },
        { actor: 'demo-street_officer', from: 'ASSIGNED', to: 'VERIFIED', note: '上门核实属实' },
      ]);
      const late = await ask(dismiss, worker(), { id });
      expect(late.errors?.[0]?.message).toContain('is VERIFIED; dismiss needs it OPEN or ASSIGNED');
      const missing = await ask(dismiss, worker(), { id: '999999999' });
      expect(missing.errors?.[0]?.extensions).toEqual(
        expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'id' }),
      );
    });

    it('a dismissed discrepancy found again stays dismissed: no second task; gone upstream, it closes', async () => {
      const [task] = await q<{ id: string; source_id: string }>(
        `SELECT id, source_id FROM ${t('discrepancy')} WHERE scope_code = $1 AND status = 'OPEN' AND rule = 'STALE_REGISTRATION'
          UNION ALL SELECT id, source_id FROM ${t('discrepancy')} WHERE status = 'OPEN' AND rule = 'STALE_REGISTRATION'
          LIMIT 1`,
        [grid],
      );
      const [row] = await q<{ scope_code: string }>(
        `SELECT scope_code FROM ${t('discrepancy')} WHERE id = $1`,
        [task!.id],
      );
      const ctx = as('grid_worker', 'GRID_VERIFICATION', [row!.scope_code]);
      const d = await ask(
        `mutation($id: ID!) { dismissDiscrepancy(id: $id, note: "租客已续租，合同未备案") { status } }`,
        ctx,
        {
          id: task!.id,
        },
      );
      expect(d.data!.dismissDiscrepancy.status).toBe('DISMISSED');
      await run('INCREMENTAL');
      const same = await q<{ id: string; status: string }>(
        `SELECT id, status FROM ${t('discrepancy')} WHERE rule = 'STALE_REGISTRATION' AND source_id = $1`,
        [task!.source_id],
      );
      expect(same).toEqual([{ id: task!.id, status: 'DISMISSED' }]);
      await department('police').query(
        `UPDATE $s.rk_ldrk SET zxrq = '2026-10-30', gxsj = now() WHERE djbh = $1`,
        [task!.source_id],
      );
      await run('INCREMENTAL');
      const closed = await q<{ status: string }>(`SELECT status FROM ${t('discrepancy')} WHERE id = $1`, [
        task!.id,
      ]);
      expect(closed).toEqual([{ status: 'CLOSED' }]);
    });

    it("reports a grid's tasks by kind, status and severity, with its statistics", async () => {
      const r = await ask(
        `query($g: String!) { gridReport(gridCode: $g) { gridCode open overdue byKind { key count } byStatus { key count }
           bySeverity { key count } stats { persons houses } grid { name } } }`,
        worker(),
        { g: grid },
      );
      expect(r.errors).toBeUndefined();
      const report = r.data!.gridReport;
      const byKind = await q<{ key: string; count: number }>(
        `SELECT rule AS key, count(*)::int AS count FROM ${t('discrepancy')} WHERE scope_code = $1 GROUP BY 1 ORDER BY 1`,
        [grid],
      );
      expect(report.byKind).toEqual(byKind);
      const [open] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${t('discrepancy')} WHERE scope_code = $1 AND status <> 'CLOSED'`,
        [grid],
      );
      expect(report.open).toBe(open!.n);
      expect(report.stats.houses).toBeGreaterThan(0);
      // Another grid's report is outside the worker's jurisdiction.
      const other = await ask(`query($g: String!) { gridReport(gridCode: $g) { open } }`, worker(), {
        g: otherGrid,
      });
      expect(other.data!.gridReport).toBeNull();
      expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('lists the runs for operations, and refuses a malformed grid code with the format expected', async () => {
      const r = await ask(
        `{ reconciliationRuns(first: 3) { edges { node { id mode status stages errors { department } } } } }`,
        as('ops', 'OPERATIONS'),
      );
      expect(r.errors).toBeUndefined();
      const runs = r.data!.reconciliationRuns.edges.map((e: any) => e.node); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(runs).toHaveLength(3);
      expect(JSON.parse(runs[0].stages)).toEqual(expect.objectContaining({ sync: expect.any(Object) }));
      const bad = await ask(LIST, worker(), { grid: '4403-05' });
      expect(bad.errors?.[0]?.extensions).toEqual(
        expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'gridCode' }),
      );
      expect(bad.errors?.[0]?.message).toContain('Expected format');
    });
  });
});
