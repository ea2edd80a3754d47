/**
 * The audit log end to end: every operation (answered, partly refused, denied, unauthenticated,
 * invalid) leaves a record with its access set; nothing is answered when the record cannot be
 * written, and the hub recovers; tampering of every kind makes verify name the first bad record;
 * concurrent writer processes keep verifiable chains; a hub killed with SIGKILL under load has a
 * record for every answer its clients received; the auditor sees keys masked and no other data.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import { AuditWriter, ensureAuditPartitions, partitionName } from '../../src/audit/AuditWriter';
import { actionEntry } from '../../src/audit/record';
import { findAnomalies } from '../../src/audit/anomalies';
import {
  checkpointHash,
  fromRow,
  readCheckpoints,
  verifyAudit,
  writeCheckpoint,
} from '../../src/audit/verify';
import { recordHash } from '../../src/audit/record';
import type { RequestContext } from '../../src/graphql/context';
import type { GqlResult as Result } from '../helpers/graphql';
import { pgTargets } from '../helpers/databases';
import { SuiteSql } from '../helpers/sql';
import { cliConfigFile, createTestHub, TEST_DEMO_SECRET, type TestHub } from '../helpers/testHub';

const ROOT = join(__dirname, '..', '..');
const targets = pgTargets();
const target = targets[targets.length - 1]!;

interface AuditRow {
  writer: string;
  seq: string;
  subject: string | null;
  purpose: string | null;
  operation: string | null;
  outcome: string;
  error_codes: string[];
  entities: Array<{ type: string; key: string }>;
  fields: Record<string, string>;
  query_text: string | null;
  variables: unknown;
}

describe('the audit log', () => {
  let th: TestHub;
  let sql: SuiteSql;
  let pool: Pool;
  let schema: string;
  let person: string;

  const as = (role: string, purpose: string): RequestContext =>
    th.contextFor({
      authorization: `Bearer ${th.token(role, { jurisdiction: [] })}`,
      'x-zhiwang-purpose': purpose,
    });
  const ask = async (query: string, ctx: RequestContext, variables?: Record<string, unknown>) => {
    const res = await th.guarded.executeOperation({ query, variables }, { contextValue: ctx });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return { status: res.http.status, result: res.body.singleResult as Result };
  };
  const recordOf = async (operation: string): Promise<AuditRow> => {
    const rows = await sql.rows<AuditRow>('hub', `SELECT * FROM $s.audit_log WHERE operation = $1`, [
      operation,
    ]);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    th = await createTestHub(target);
    sql = new SuiteSql(th.pg);
    schema = th.pg.schemas.hub;
    pool = new Pool({ connectionString: th.pg.urls.hub, max: 4 });
    const p = await sql.one<{ entity_key: string }>(
      'hub',
      `SELECT entity_key FROM $s.crosswalk WHERE entity_type = 'PERSON' AND role = 'SUBJECT' AND department = 'police'
        AND entity_key ~ '^[0-9]{17}[0-9X]$' ORDER BY entity_key LIMIT 1`,
    );
    person = p.entity_key;
  }, 900_000);

  afterAll(async () => {
    await pool?.end();
    await sql?.close();
    await th?.close();
  });

  describe('records every operation with its access set', () => {
    it('an answered query: who, purpose, each field with its mode, each entity, the query with its literal masked', async () => {
      const r = await ask(
        `query AuditA($id: String!) { person(idNumber: $id) { idNumber name phone currentHouse { houseCode } } }`,
        as('grid_worker', 'RESIDENT_SERVICE'),
        { id: person },
      );
      // A grid worker without jurisdiction: the person is refused, and so recorded.
      expect(r.result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const police = await ask(
        `query AuditB { person(idNumber: "${person}") { idNumber name phone currentHouse { houseCode } } }`,
        as('police_officer', 'RESIDENT_SERVICE'),
      );
      expect(police.result.errors).toBeUndefined();
      const rec = await recordOf('AuditB');
      expect(rec).toMatchObject({
        subject: 'demo-police_officer',
        purpose: 'RESIDENT_SERVICE',
        outcome: 'SUCCESS',
        error_codes: [],
      });
      expect(rec.fields).toMatchObject({
        'Query.person': 'FULL',
        'Person.idNumber': 'FULL',
        'Person.phone': 'MASKED',
        'Person.currentHouse': 'FULL',
        'House.houseCode': 'FULL',
      });
      expect(rec.entities).toEqual(
        expect.arrayContaining([
          { type: 'PERSON', key: person },
          { type: 'HOUSE', key: police.result.data!.person.currentHouse.houseCode },
        ]),
      );
      expect(rec.query_text).toContain(`"${person.slice(0, 6)}********${person.slice(14)}"`);
      expect(rec.query_text).not.toContain(person);

      const gw = await recordOf('AuditA');
      expect(gw).toMatchObject({ outcome: 'DENIED', error_codes: ['FORBIDDEN/OUTSIDE_JURISDICTION'] });
      expect(gw.variables).toEqual({ id: `${person.slice(0, 6)}********${person.slice(14)}` });
    });

    it('a partly refused query is PARTIAL with the DENIED fields; a wholly refused one DENIED; a malformed one INVALID', async () => {
      await ask(
        `query AuditC { person(idNumber: "${person}") { name welfare { amount } } }`,
        as('police_officer', 'RESIDENT_SERVICE'),
      );
      const c = await recordOf('AuditC');
      expect(c.outcome).toBe('PARTIAL');
      expect(c.fields['Person.welfare']).toBe('DENIED');
      await ask(`query AuditD { person(idNumber: "${person}") { name } }`, as('auditor', 'AUDIT'));
      expect(await recordOf('AuditD')).toMatchObject({ outcome: 'DENIED', subject: 'demo-auditor' });
      await ask(
        `query AuditE { person(idNumber: "4403") { name } }`,
        as('police_officer', 'RESIDENT_SERVICE'),
      );
      expect(await recordOf('AuditE')).toMatchObject({ outcome: 'INVALID', error_codes: ['BAD_USER_INPUT'] });
      await ask(
        `query AuditF { person(idNumber: "${person}") { nosuchfield } }`,
        as('police_officer', 'RESIDENT_SERVICE'),
      );
      expect(await recordOf('AuditF')).toMatchObject({
        outcome: 'INVALID',
        error_codes: ['GRAPHQL_VALIDATION_FAILED'],
      });
    });
  });

  describe('over HTTP', () => {
    let url: string;
    let stop: () => Promise<void>;

    beforeAll(async () => {
      const { startHub } = await import('../../src/app');
      const c = structuredClone(th.loaded.config);
      c.server.port = 0;
      const http = await startHub(
        { ...th.loaded, config: c },
        { info: () => undefined, error: () => undefined },
        { listen: true },
      );
      url = http.url!;
      stop = () => http.close();
    }, 120_000);
    afterAll(async () => stop?.());

    const post = (headers: Record<string, string>, query: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'audit-test/1', ...headers },
        body: JSON.stringify({ query }),
      });

    it('records refusals before anything runs: no token, a bad token, no purpose, a purpose not allowed', async () => {
      const before = Number(
        (
          await sql.one<{ n: string }>(
            'hub',
            `SELECT count(*) AS n FROM $s.audit_log WHERE user_agent = 'audit-test/1'`,
          )
        ).n,
      );
      const token = th.token('housing_officer');
      const cases: Array<[Record<string, string>, number, string, string | null]> = [
        [{}, 401, 'UNAUTHENTICATED', null],
        [{ authorization: 'Bearer nonsense' }, 401, 'UNAUTHENTICATED', null],
        [{ authorization: `Bearer ${token}` }, 400, 'INVALID', 'demo-housing_officer'],
        [
          { authorization: `Bearer ${token}`, 'x-zhiwang-purpose': 'AUDIT' },
          403,
          'DENIED',
          'demo-housing_officer',
        ],
      ];
      for (const [headers, status] of cases)
        expect((await post(headers, '{ health { ok } }')).status).toBe(status);
      const rows = await sql.rows<AuditRow & { client_ip: string }>(
        'hub',
        `SELECT * FROM $s.audit_log WHERE user_agent = 'audit-test/1' ORDER BY writer, seq`,
      );
      expect(rows.length - before).toBe(cases.length);
      expect(rows.slice(before).map((r) => [r.outcome, r.subject])).toEqual(
        cases.map(([, , o, s]) => [o, s]),
      );
      expect(rows.every((r) => /127\.0\.0\.1/.test(r.client_ip))).toBe(true);
    });

    it('fails closed with AUDIT_UNAVAILABLE while the audit store cannot be written, and recovers by itself', async () => {
      const token = th.token('police_officer');
      const headers = { authorization: `Bearer ${token}`, 'x-zhiwang-purpose': 'RESIDENT_SERVICE' };
      const q = `{ person(idNumber: "${person}") { name } }`;
      const part = partitionName(new Date());
      await pool.query(`ALTER TABLE "${schema}".audit_log DETACH PARTITION "${schema}"."${part}"`);
      try {
        const res = await post(headers, q);
        expect(res.status).toBe(503);
        const body = (await res.json()) as Result;
        expect(body.data).toBeUndefined();
        expect(body.errors!.map((e) => e.extensions!.code)).toEqual(['AUDIT_UNAVAILABLE']);
      } finally {
        const end = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
        const start = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
        await pool.query(
          `ALTER TABLE "${schema}".audit_log ATTACH PARTITION "${schema}"."${part}" FOR VALUES FROM ('${start.toISOString()}') TO ('${end.toISOString()}')`,
        );
      }
      const again = await post(headers, q);
      expect(again.status).toBe(200);
      expect(((await again.json()) as Result).data!.person.name).toEqual(expect.any(String));
      expect((await verifyAudit(pool, schema)).ok).toBe(true);
    });
  });

  describe('tamper evidence', () => {
    /** A fresh chain of n records, for one tampering scenario. */
    async function chainOf(n: number): Promise<string> {
      const w = new AuditWriter(pool, schema);
      await Promise.all(
        Array.from({ length: n }, (_, i) => w.append(actionEntry('JOB', 'tamper test', { i }))),
      );
      return w.writer;
    }
    const breakOf = async (writer: string) =>
      (await verifyAudit(pool, schema)).breaks.find((b) => b.writer === writer);
    const bypass = async (statement: string, params: unknown[]) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(`SET LOCAL session_replication_role = replica`); // a superuser switching triggers off
        await c.query(statement, params);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    };

    it('refuses UPDATE, DELETE and TRUNCATE from the hub’s own session', async () => {
      const w = await chainOf(3);
      for (const stmt of [
        `UPDATE "${schema}".audit_log SET outcome = 'SUCCESS' WHERE writer = $1`,
        `DELETE FROM "${schema}".audit_log WHERE writer = $1`,
      ])
        await expect(pool.query(stmt, [w])).rejects.toThrow(/append-only/);
      await expect(pool.query(`TRUNCATE "${schema}".audit_log`)).rejects.toThrow(/append-only/);
      await expect(pool.query(`TRUNCATE "${schema}"."${partitionName(new Date())}"`)).rejects.toThrow(
        /append-only/,
      );
      expect(await breakOf(w)).toBeUndefined();
    });

    (target.label === 'real' ? it : it.skip)(
      'takes UPDATE and DELETE away from a non-superuser hub role that owns the tables, before the trigger',
      async () => {
        const role = `zw_hub_${Date.now().toString(36)}`;
        const probeSchema = `${role}_store`;
        await pool.query(`CREATE ROLE ${role} NOLOGIN`);
        await pool.query(`GRANT ${role} TO CURRENT_USER`);
        const db = (await pool.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
        await pool.query(`GRANT CREATE ON DATABASE "${db}" TO ${role}`);
        await pool.query(`CREATE SCHEMA ${probeSchema} AUTHORIZATION ${role}`);
        const owner = new Pool({ connectionString: th.pg.urls.hub, max: 1, options: `-c role=${role}` });
        try {
          const { migrateHubStore } = await import('../../src/store/migrate');
          await migrateHubStore(owner, probeSchema);
          const w = new AuditWriter(owner, probeSchema);
          await w.append(actionEntry('JOB', 'privilege test', null));
          await expect(owner.query(`UPDATE ${probeSchema}.audit_log SET subject = 'x'`)).rejects.toThrow(
            /permission denied for (table|relation) audit_log/,
          );
          await expect(owner.query(`DELETE FROM ${probeSchema}.audit_log`)).rejects.toThrow(
            /permission denied/,
          );
          await expect(owner.query(`SET session_replication_role = replica`)).rejects.toThrow(
            /permission denied/,
          );
        } finally {
          await owner.end();
          await pool.query(`DROP SCHEMA ${probeSchema} CASCADE`);
          await pool.query(`DROP OWNED BY ${role}`);
          await pool.query(`DROP ROLE ${role}`);
        }
      },
    );

    it('names the first bad record after an UPDATE with the trigger bypassed', async () => {
      const w = await chainOf(20);
      await bypass(
        `UPDATE "${schema}".audit_log SET subject = 'someone-else' WHERE writer = $1 AND seq = 7`,
        [w],
      );
      expect(await breakOf(w)).toMatchObject({
        seq: 7,
        reason: expect.stringMatching(/content does not match/),
      });
    });

    it('names the first missing record after a DELETE', async () => {
      const w = await chainOf(20);
      await bypass(`DELETE FROM "${schema}".audit_log WHERE writer = $1 AND seq IN (11, 12)`, [w]);
      expect(await breakOf(w)).toMatchObject({ seq: 11, reason: 'records 11–12 are missing' });
    });

    it('names the first of two swapped records', async () => {
      const w = await chainOf(20);
      await bypass(
        `UPDATE "${schema}".audit_log a SET detail = b.detail, hash = b.hash, prev_hash = b.prev_hash
           FROM "${schema}".audit_log b
          WHERE a.writer = $1 AND b.writer = $1 AND ((a.seq = 4 AND b.seq = 5) OR (a.seq = 5 AND b.seq = 4))`,
        [w],
      );
      expect((await breakOf(w))?.seq).toBe(4);
    });

    it('catches the newest records removed, through the checkpoint that named the head', async () => {
      const w = await chainOf(10);
      const cp = await writeCheckpoint(pool, schema);
      expect(cp.heads).toContainEqual(expect.objectContaining({ writer: w, seq: 10 }));
      await bypass(`DELETE FROM "${schema}".audit_log WHERE writer = $1 AND seq >= 9`, [w]);
      expect(await breakOf(w)).toMatchObject({
        seq: 10,
        reason: expect.stringMatching(/checkpoint \d+ names this record/),
      });
    });

    it('catches a consistent rewrite of a record and the stored checkpoint, against checkpoints kept outside', async () => {
      const w = await chainOf(5);
      await writeCheckpoint(pool, schema);
      const kept = await readCheckpoints(pool, schema); // what `zhiwang audit checkpoints` exports
      const last = kept[kept.length - 1]!;
      // The attacker edits the chain's last record, re-hashes it, and rewrites the checkpoint to match.
      const row = (await pool.query(`SELECT * FROM "${schema}".audit_log WHERE writer = $1 AND seq = 5`, [w]))
        .rows[0];
      const forged = { ...fromRow(row), subject: 'nobody' };
      const hash = recordHash(forged);
      await bypass(
        `UPDATE "${schema}".audit_log SET subject = 'nobody', hash = $2 WHERE writer = $1 AND seq = 5`,
        [w, hash],
      );
      const heads = last.heads.map((h) => (h.writer === w ? { ...h, hash } : h));
      const cpHash = checkpointHash({ ...last, heads });
      await bypass(`UPDATE "${schema}".audit_checkpoint SET heads = $2, hash = $3 WHERE id = $1`, [
        last.id,
        JSON.stringify(heads),
        cpHash,
      ]);
      // Inside the database everything agrees again...
      expect(await breakOf(w)).toBeUndefined();
      // ...but not with the checkpoints kept outside.
      const report = await verifyAudit(pool, schema, { checkpoints: kept });
      expect(report.breaks).toContainEqual(
        expect.objectContaining({
          writer: `checkpoint ${last.id}`,
          reason: `the stored checkpoint ${last.id} is not the one kept outside`,
        }),
      );
      expect(report.breaks).toContainEqual(expect.objectContaining({ writer: w, seq: 5 }));
    });

    it('zhiwang audit verify exits 3 naming the first broken record', () => {
      const config = cliConfigFile(th.pg, th.mongo);
      const r = spawnSync(join(ROOT, 'bin/zhiwang'), ['audit', 'verify', '--config', config], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status).toBe(3);
      expect(r.stderr + r.stdout).toMatch(/BROKEN: writer \S+, seq \d+:/);
    });
  });

  it('exports a filter as CSV and the checkpoints as JSONL from the command line', async () => {
    await ask(`{ person(idNumber: "${person}") { name } }`, as('police_officer', 'RESIDENT_SERVICE'));
    await writeCheckpoint(pool, schema);
    const config = cliConfigFile(th.pg, th.mongo);
    const dir = dirname(config);
    const cli = (...args: string[]) =>
      spawnSync(join(ROOT, 'bin/zhiwang'), ['audit', ...args, '--config', config], {
        encoding: 'utf8',
        timeout: 120_000,
      });
    const out = join(dir, 'police.csv');
    const exp = cli('export', '--format', 'csv', '--subject', 'demo-police_officer', '--out', out);
    expect(exp.status).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^at,writer,seq,kind,subject,/);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.split(',')[4] === 'demo-police_officer')).toBe(true);
    const cps = cli('checkpoints');
    expect(cps.status).toBe(0);
    const parsed = cps.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; hash: string });
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.every((c) => /^[0-9a-f]{64}$/.test(c.hash))).toBe(true);
  });

  it('sets up a month’s partition once when many writers start together', async () => {
    const month = new Date(Date.UTC(2031, 4, 1));
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => ensureAuditPartitions(pool, schema, month, 1)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await expect(pool.query(`TRUNCATE "${schema}"."${partitionName(month)}"`)).rejects.toThrow(/append-only/);
  });

  it('keeps verifiable chains when two processes write at once', async () => {
    const child = () =>
      new Promise<string>((resolve, reject) => {
        const p = spawn(join(ROOT, 'node_modules/.bin/tsx'), [
          join(ROOT, 'test/helpers/auditWriterChild.ts'),
          th.pg.urls.hub,
          schema,
          '1500',
        ]);
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) =>
          code === 0 ? resolve(out.trim()) : reject(new Error(`writer exited ${code}`)),
        );
      });
    const [a, b] = await Promise.all([child(), child()]);
    const report = await verifyAudit(pool, schema);
    expect(report.breaks.filter((x) => x.writer === a || x.writer === b)).toEqual([]);
    const counts = await sql.rows<{ writer: string; n: string; max: string }>(
      'hub',
      `SELECT writer, count(*) AS n, max(seq) AS max FROM $s.audit_log WHERE writer = ANY($1) GROUP BY writer ORDER BY writer`,
      [[a, b]],
    );
    expect(counts.map((c) => [Number(c.n), Number(c.max)])).toEqual([
      [1500, 1500],
      [1500, 1500],
    ]);
  }, 120_000);

  it('has a record for every answer a client received, after the hub is killed with SIGKILL under load', async () => {
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const config = cliConfigFile(th.pg, th.mongo, (c) => {
      c.server.port = port;
      c.auth.demoSigning = { enabled: true, secret: TEST_DEMO_SECRET };
    });
    // node itself, with tsx as a loader: the pid killed is the server's, not a wrapper's.
    const hub = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/zhiwang.ts'), 'start', '--config', config],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('GraphQL ready')) resolve();
      };
      hub.stdout.on('data', onData);
      hub.stderr.on('data', onData);
      hub.on('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
    });
    const token = th.token('police_officer');
    const received: string[] = [];
    let n = 0;
    let running = true;
    const client = async () => {
      while (running) {
        const op = `Kill${n++}`;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'x-zhiwang-purpose': 'RESIDENT_SERVICE',
            },
            body: JSON.stringify({ query: `query ${op} { person(idNumber: "${person}") { name phone } }` }),
          });
          const body = (await res.json()) as Result;
          if (res.status === 200 && body.data?.person) received.push(op);
        } catch {
          // the hub is gone: the request was not answered
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise((r) => hub.once('exit', r));
    hub.kill('SIGKILL');
    await exited;
    running = false;
    await Promise.all(clients);
    // A statement the server had already sent still commits after its client died: let it land, so
    // that it cannot surprise a later test.
    await new Promise((r) => setTimeout(r, 1000));
    // The server is gone: nothing answers any more.
    await expect(fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST' })).rejects.toThrow();
    expect(received.length).toBeGreaterThan(20);
    const rows = await sql.rows<{ operation: string }>(
      'hub',
      `SELECT operation FROM $s.audit_log WHERE operation = ANY($1)`,
      [received],
    );
    expect(new Set(rows.map((r) => r.operation)).size).toBe(received.length);
  }, 180_000);

  it('shows the auditor who read a person, with keys masked and no other personal data', async () => {
    const auditor = as('auditor', 'AUDIT');
    const r = await ask(
      `query ($id: String!) { accessesToPerson(idNumber: $id, first: 50) { edges { node { subject purpose outcome at query variables entities { type key } fields { field mode } } } } }`,
      auditor,
      { id: person },
    );
    expect(r.result.errors).toBeUndefined();
    const nodes = r.result.data!.accessesToPerson.edges.map((e: { node: unknown }) => e.node);
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.map((n: { subject: string }) => n.subject)).toContain('demo-police_officer');
    const text = JSON.stringify(nodes);
    expect(text).not.toContain(person);
    expect(text).toContain(`${person.slice(0, 6)}********${person.slice(14)}`);
    const name = (
      await th.apollo.executeOperation(
        { query: `{ person(idNumber: "${person}") { name phone } }` },
        { contextValue: th.context() },
      )
    ).body as {
      singleResult: Result;
    };
    expect(text).not.toContain(name.singleResult.data!.person.name);
    // The auditor's own read is audited too.
    const own = await sql.rows<{ n: string }>(
      'hub',
      `SELECT count(*) AS n FROM $s.audit_log WHERE subject = 'demo-auditor' AND fields ? 'Query.accessesToPerson'`,
    );
    expect(Number(own[0]!.n)).toBeGreaterThan(0);
    const status = await ask(`{ auditChainStatus { ok chains records } }`, auditor);
    expect(status.result.data!.auditChainStatus.records).toBeGreaterThan(0);
  });

  describe('for the auditor', () => {
    it('flags each anomaly rule, and leaves ordinary work alone', async () => {
      const day = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 15));
      const at = (shanghaiHour: number, minute = 0) =>
        new Date(day.getTime() + ((shanghaiHour - 8) * 60 + minute) * 60_000);
      const base = (subject: string, when: Date, over: Partial<ReturnType<typeof actionEntry>> = {}) => ({
        ...actionEntry('JOB', 'anomaly test', null),
        kind: 'GRAPHQL' as const,
        at: when,
        subject,
        roles: ['police_officer'],
        purpose: 'CASE_INVESTIGATION',
        ...over,
      });
      const persons = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ type: 'PERSON', key: `11010519800101${String(1000 + i)}` }));
      const w = new AuditWriter(pool, schema);
      await Promise.all(
        [
          base('anomaly-normal', at(10), { entities: persons(3) }),
          base('anomaly-many', at(10, 5), { entities: persons(6) }),
          base('anomaly-night', at(23, 30)),
          ...[1, 2, 3].map((m) =>
            base('anomaly-forbidden', at(11, m), { outcome: 'DENIED' as const, errorCodes: ['FORBIDDEN'] }),
          ),
          base('anomaly-escape', at(12), {
            outcome: 'DENIED' as const,
            errorCodes: ['FORBIDDEN/OUTSIDE_JURISDICTION'],
          }),
          base('anomaly-purpose', at(14), { purpose: 'RESIDENT_SERVICE' }),
        ].map((e) => w.append(e)),
      );
      const rules = {
        maxPersonsPerHour: 5,
        workingHours: { start: '08:00', end: '20:00' },
        forbiddenBurst: 3,
        forbiddenWindowMinutes: 10,
        usualPurposes: { police_officer: ['CASE_INVESTIGATION'] },
      };
      const found = await findAnomalies(pool, schema, rules, at(0), at(24));
      const mine = found.filter((a) => a.subject.startsWith('anomaly-')).map((a) => `${a.rule} ${a.subject}`);
      expect(mine.sort()).toEqual([
        'JURISDICTION_ESCAPE anomaly-escape',
        'MANY_PERSONS anomaly-many',
        'OFF_HOURS anomaly-night',
        'REPEATED_FORBIDDEN anomaly-forbidden',
        // The escape was refused too, but once: no burst. Every test record is a police officer's;
        // only this one acted for a purpose outside the usual.
        'UNUSUAL_PURPOSE anomaly-purpose',
      ]);
      // Through GraphQL, with the shipped rules: the night access and the unusual purpose show.
      const r = await ask(
        `query ($from: String, $to: String) { anomalies(from: $from, to: $to) { rule subject count detail } }`,
        as('auditor', 'AUDIT'),
        { from: at(0).toISOString(), to: at(24).toISOString() },
      );
      expect(r.result.errors).toBeUndefined();
      const listed = r.result.data!.anomalies.map(
        (a: { rule: string; subject: string }) => `${a.rule} ${a.subject}`,
      );
      expect(listed).toEqual(
        expect.arrayContaining([
          'OFF_HOURS anomaly-night',
          'UNUSUAL_PURPOSE anomaly-purpose',
          'JURISDICTION_ESCAPE anomaly-escape',
        ]),
      );
    });

    it('pages through accessLogs for a filter, newest first, every record matching', async () => {
      for (let i = 0; i < 3; i++)
        await ask(`{ person(idNumber: "${person}") { phone } }`, as('police_officer', 'RESIDENT_SERVICE'));
      const expected = Number(
        (
          await sql.one<{ n: string }>(
            'hub',
            `SELECT count(*) AS n FROM $s.audit_log WHERE subject = 'demo-police_officer' AND fields ? 'Person.phone'`,
          )
        ).n,
      );
      expect(expected).toBeGreaterThan(2);
      const seen: Array<{ at: string; subject: string; fields: Array<{ field: string; mode: string }> }> = [];
      let after: string | null = null;
      for (let i = 0; i < 10_000; i++) {
        const page: { result: Result } = await ask(
          `query ($after: String) { accessLogs(filter: { subject: "demo-police_officer", field: "Person.phone" }, first: 7, after: $after) {
             edges { node { at subject fields { field mode } } } pageInfo { hasNextPage endCursor } } }`,
          as('auditor', 'AUDIT'),
          { after },
        );
        expect(page.result.errors).toBeUndefined();
        const conn = page.result.data!.accessLogs;
        seen.push(...conn.edges.map((e: { node: (typeof seen)[number] }) => e.node));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      // Records written while paging (the auditor's own reads) are newer, so they do not join the list.
      expect(seen).toHaveLength(expected);
      for (const n of seen) {
        expect(n.subject).toBe('demo-police_officer');
        expect(n.fields.map((f) => f.field)).toContain('Person.phone');
      }
      const ats = seen.map((n) => n.at);
      expect([...ats].sort().reverse()).toEqual(ats);
    });
  });
});
