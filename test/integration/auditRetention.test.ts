/**
 * Audit retention and export against embedded Postgres, and the real server when ZHIWANG_TEST_PG_URL
 * is set. Records are written with AuditWriter at past dates (February to June 2026, and November):
 * retention at 180 days archives, verifies and drops January to April, the archives re-verify, and the
 * hash chains still verify from audit_retention. Tampered archives are caught, a partition whose chain
 * does not link to the previously dropped head is not dropped, and exports return exactly the records
 * a filter matches, in CSV and JSONL.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Pool } from 'pg';
import { AuditWriter, ensureAuditPartitions } from '../../src/audit/AuditWriter';
import { AUDIT_CSV_COLUMNS, exportAudit, type AuditFilter } from '../../src/audit/export';
import { actionEntry, recordHash, type AuditEntry, type AuditRecord } from '../../src/audit/record';
import {
  applyRetention,
  ArchiveVerificationError,
  RetentionRefusedError,
  verifyArchive,
} from '../../src/audit/retention';
import { verifyAudit, writeCheckpoint } from '../../src/audit/verify';
import { migrateHubStore } from '../../src/store/migrate';
import { pgTargets, type PgPlacement } from '../helpers/databases';

const NOW = new Date('2026-11-15T06:00:00Z');
const CLERK = 'Zhang, "the clerk"';

/** Deterministic entries for one writer: `count` records from `start`, one hour apart. */
function entries(start: string, count: number, tag: string): AuditEntry[] {
  return Array.from({ length: count }, (_, i): AuditEntry => {
    const base = actionEntry(i % 4 === 3 ? 'CLI' : 'JOB', `${tag}-op${i}`, { tag, i });
    return {
      ...base,
      at: new Date(new Date(start).getTime() + i * 3_600_000),
      subject: i % 3 === 0 ? CLERK : `user${i % 2}`,
      roles: i % 2 === 0 ? ['grid_worker', 'auditor'] : [],
      department: i % 2 === 0 ? 'police' : 'housing',
      purpose: i % 5 === 0 ? 'CASE' : 'GRID',
      operation: i === 1 ? 'two\r\nlines' : base.operation,
      outcome: i % 4 === 2 ? 'DENIED' : 'SUCCESS',
      errorCodes: i % 4 === 2 ? ['FORBIDDEN', 'X'] : [],
      entities:
        i % 2 === 0
          ? [
              { type: 'PERSON', key: `K${i % 3}` },
              { type: 'HOUSE', key: `H${i}` },
            ]
          : [{ type: 'PERSON', key: 'K9' }],
      fields: (i % 2 === 0
        ? { 'Person.name': 'MASKED', 'Person.idNumber': 'FULL' }
        : { 'House.code': 'FULL' }) as AuditEntry['fields'],
      durationMs: i % 2 === 0 ? i * 10 : null,
    };
  });
}

async function write(pool: Pool, schema: string, writer: string, list: AuditEntry[]): Promise<AuditRecord[]> {
  const w = new AuditWriter(pool, schema, { writer });
  const records = await Promise.all(list.map((e) => w.append(e)));
  await w.drain();
  return records;
}

const byTime = (a: AuditRecord, b: AuditRecord): number =>
  a.at.getTime() - b.at.getTime() ||
  (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0) ||
  a.seq - b.seq;

function matches(r: AuditRecord, f: AuditFilter): boolean {
  return (
    (f.subject === undefined || r.subject === f.subject) &&
    (f.department === undefined || r.department === f.department) &&
    (f.purpose === undefined || r.purpose === f.purpose) &&
    (f.outcome === undefined || r.outcome === f.outcome) &&
    (f.kind === undefined || r.kind === f.kind) &&
    (f.entityType === undefined && f.entityKey === undefined
      ? true
      : r.entities.some(
          (e) =>
            (f.entityType === undefined || e.type === f.entityType) &&
            (f.entityKey === undefined || e.key === f.entityKey),
        )) &&
    (f.field === undefined || f.field in r.fields) &&
    (f.from === undefined || r.at >= f.from) &&
    (f.to === undefined || r.at < f.to)
  );
}

/** A sink that takes a while and holds little, so the export has to wait for 'drain'. */
function slowSink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** RFC 4180 parsing, for checking the export. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

async function partitions(pool: Pool, schema: string): Promise<string[]> {
  const r = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = 'audit_log' ORDER BY 1`,
    [schema],
  );
  return r.rows.map((x) => x.name);
}

const archiveLines = async (file: string): Promise<string[]> =>
  gunzipSync(await readFile(file))
    .toString('utf8')
    .split('\n')
    .slice(0, -1);

describe.each(pgTargets().map((t) => [t.label, t] as const))(
  'audit retention and export (%s)',
  (_label, target) => {
    let placement: PgPlacement;
    let pool: Pool;
    let schema: string;
    let archiveDir: string;
    let all: AuditRecord[] = [];
    const logged: string[] = [];

    beforeAll(async () => {
      placement = await target.create();
      schema = placement.schemas.hub;
      pool = new Pool({ connectionString: placement.urls.hub, max: 4 });
      await migrateHubStore(pool, schema);
      await ensureAuditPartitions(pool, schema, new Date('2026-01-01T00:00:00Z'), 12);
      archiveDir = await mkdtemp(join(tmpdir(), 'zw-audit-archive-'));
      // Writer a: February to June and November; b: March (at the same instants as a) and June;
      // c: May only.
      const a = await write(pool, schema, 'w-a', [
        ...entries('2026-02-03T00:00:00Z', 10, 'a-feb'),
        ...entries('2026-03-05T00:00:00Z', 10, 'a-mar'),
        ...entries('2026-04-30T22:00:00Z', 4, 'a-apr'), // the last two hours of April, then May
        ...entries('2026-05-10T00:00:00Z', 5, 'a-may'),
        ...entries('2026-06-10T00:00:00Z', 5, 'a-jun'),
        ...entries('2026-11-02T00:00:00Z', 3, 'a-nov'),
      ]);
      const b = await write(pool, schema, 'w-b', [
        ...entries('2026-03-05T00:00:00Z', 8, 'b-mar'),
        ...entries('2026-06-01T00:00:00Z', 4, 'b-jun'),
      ]);
      const c = await write(pool, schema, 'w-c', entries('2026-05-20T00:00:00Z', 4, 'c-may'));
      all = [...a, ...b, ...c].sort(byTime);
    });

    afterAll(async () => {
      await pool?.end();
      await placement?.drop();
      if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
    });

    it('refuses to keep audit records less than 180 days', async () => {
      const before = await partitions(pool, schema);
      for (const retentionDays of [90, 179, Number.NaN])
        await expect(applyRetention(pool, schema, { retentionDays, archiveDir, now: NOW })).rejects.toThrow(
          /audit\.retentionDays/,
        );
      expect(await partitions(pool, schema)).toEqual(before);
    });

    it('exports exactly the records a filter matches as JSONL, ordered by (at, writer, seq)', async () => {
      const filters: AuditFilter[] = [
        {},
        { subject: CLERK },
        { entityType: 'PERSON', entityKey: 'K1' },
        { entityType: 'HOUSE' },
        { entityKey: 'K9', subject: 'user1' },
        { field: 'Person.idNumber', outcome: 'DENIED' },
        { department: 'housing', kind: 'CLI' },
        { purpose: 'CASE', from: new Date('2026-03-05T02:00:00Z'), to: new Date('2026-06-01T00:00:00Z') },
        { subject: 'nobody' },
      ];
      for (const filter of filters) {
        const sink = slowSink();
        const n = await exportAudit(pool, schema, filter, 'jsonl', sink.stream, { batchSize: 3 });
        const lines = sink.text().split('\n');
        expect(lines.pop()).toBe('');
        const expected = all.filter((r) => matches(r, filter));
        expect(n).toBe(expected.length);
        const got = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(got.map((r) => `${String(r.writer)}#${String(r.seq)}`)).toEqual(
          expected.map((r) => `${r.writer}#${r.seq}`),
        );
        // Each line is the full record: its hash recomputes.
        for (const r of got) {
          const record = { ...(r as unknown as AuditRecord), at: new Date(r.at as string) };
          expect(recordHash(record)).toBe(r.hash);
        }
      }
      expect(all.filter((r) => matches(r, { subject: CLERK })).length).toBeGreaterThan(5);
      expect(all.filter((r) => matches(r, { entityType: 'PERSON', entityKey: 'K1' })).length).toBeGreaterThan(
        2,
      );
    });

    it('exports CSV with a header, one row per record and RFC 4180 quoting', async () => {
      const filter: AuditFilter = { subject: CLERK, entityType: 'PERSON', entityKey: 'K0' };
      const sink = slowSink();
      const n = await exportAudit(pool, schema, filter, 'csv', sink.stream, { batchSize: 2 });
      const text = sink.text();
      const expected = all.filter((r) => matches(r, filter));
      expect(expected.length).toBeGreaterThan(2);
      expect(n).toBe(expected.length);
      const rows = parseCsv(text);
      expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
      expect(rows.length).toBe(expected.length + 1);
      expect(text).toContain(',"Zhang, ""the clerk""",');
      rows.slice(1).forEach((row, i) => {
        const r = expected[i]!;
        const cell = Object.fromEntries(AUDIT_CSV_COLUMNS.map((c, j) => [c, row[j]]));
        expect(cell).toEqual({
          at: r.at.toISOString(),
          writer: r.writer,
          seq: String(r.seq),
          kind: r.kind,
          subject: CLERK,
          roles: r.roles.join(';'),
          department: r.department,
          purpose: r.purpose,
          client_ip: '',
          operation: r.operation,
          outcome: r.outcome,
          duration_ms: r.durationMs === null ? '' : String(r.durationMs),
          error_codes: r.errorCodes.join(';'),
          entities: `PERSON:K0;HOUSE:H${r.operation!.replace(/.*op/, '')}`,
          fields: 'Person.name=MASKED;Person.idNumber=FULL',
          query_hash: '',
          hash: r.hash,
        });
      });
      // A value holding CR LF is quoted, and the row still parses.
      const lines = slowSink();
      await exportAudit(pool, schema, { subject: 'user1', department: 'housing' }, 'csv', lines.stream);
      expect(lines.text()).toContain(',"two\r\nlines",');
      expect(parseCsv(lines.text()).every((row) => row.length === AUDIT_CSV_COLUMNS.length)).toBe(true);
    });

    it('archives, verifies and drops the partitions past 180 days; the chains still verify', async () => {
      const checkpoint = await writeCheckpoint(pool, schema);
      expect(checkpoint.heads.length).toBe(3);
      const report = await applyRetention(pool, schema, {
        retentionDays: 180,
        archiveDir,
        now: NOW,
        batchSize: 4,
        log: (m) => logged.push(m),
      });
      // The cut-off is 2026-05-19: January (empty) to April end before it, May does not.
      const cutOff = new Date('2026-05-01T00:00:00Z');
      const old = all.filter((r) => r.at < cutOff);
      const name = (m: number) => `audit_log_y2026m${String(m).padStart(2, '0')}`;
      expect(report.dropped.map((d) => [d.partition, d.records])).toEqual([
        [name(1), 0],
        [name(2), 10],
        [name(3), 18],
        [name(4), 2],
      ]);
      expect(report.kept).toEqual([5, 6, 7, 8, 9, 10, 11, 12].map(name));
      expect(await partitions(pool, schema)).toEqual(report.kept);
      expect(logged.some((m) => m.includes(`dropped ${name(3)}`))).toBe(true);

      // Each archive re-verifies, its SHA-256 is the one recorded, and together they hold the old records.
      const archived: string[] = [];
      for (const d of report.dropped) {
        expect(d.file).toBe(join(archiveDir, `${d.partition}.jsonl.gz`));
        const summary = await verifyArchive(d.file);
        expect(summary).toMatchObject({ partition: d.partition, records: d.records, sha256: d.sha256 });
        const lines = await archiveLines(d.file);
        expect(lines.length).toBe(d.records + 1);
        for (const l of lines.slice(0, -1)) {
          const r = JSON.parse(l) as AuditRecord;
          archived.push(`${r.writer}#${r.seq}`);
        }
        expect(JSON.parse(lines[lines.length - 1]!)).toEqual({
          partition: d.partition,
          records: d.records,
          heads: summary.heads,
        });
      }
      expect(archived.sort()).toEqual(old.map((r) => `${r.writer}#${r.seq}`).sort());
      const m3 = await verifyArchive(join(archiveDir, `${name(3)}.jsonl.gz`));
      expect(m3.heads).toEqual([
        expect.objectContaining({ writer: 'w-a', firstSeq: 11, lastSeq: 20, records: 10 }),
        expect.objectContaining({ writer: 'w-b', firstSeq: 1, lastSeq: 8, records: 8 }),
      ]);

      const retained = await pool.query(
        `SELECT partition, writer, upto_seq, records, export_file, export_sha256 FROM "${schema}".audit_retention
        ORDER BY partition, writer`,
      );
      expect(
        retained.rows.map((r) => [r.partition, r.writer, Number(r.upto_seq), Number(r.records)]),
      ).toEqual([
        [name(2), 'w-a', 10, 10],
        [name(3), 'w-a', 20, 10],
        [name(3), 'w-b', 8, 8],
        [name(4), 'w-a', 22, 2],
      ]);
      expect(
        retained.rows.every(
          (r: { partition: string; export_file: string; export_sha256: string }) =>
            r.export_file === join(archiveDir, `${r.partition}.jsonl.gz`) &&
            r.export_sha256 === report.dropped.find((d) => d.partition === r.partition)!.sha256,
        ),
      ).toBe(true);

      // What is newer than the cut-off stays, and every chain verifies from where retention left it.
      const left = await pool.query<{ n: string; min: Date }>(
        `SELECT count(*) AS n, min(at) AS min FROM "${schema}".audit_log`,
      );
      expect(Number(left.rows[0]!.n)).toBe(all.length - old.length);
      expect(left.rows[0]!.min.getTime()).toBeGreaterThanOrEqual(cutOff.getTime());
      const verified = await verifyAudit(pool, schema);
      expect(verified).toMatchObject({
        ok: true,
        chains: 3,
        records: all.length - old.length,
        checkpoints: 1,
      });

      // Run again: nothing more has expired.
      const again = await applyRetention(pool, schema, { retentionDays: 180, archiveDir, now: NOW });
      expect(again.dropped).toEqual([]);
    });

    it('catches a tampered archive', async () => {
      const file = join(archiveDir, 'audit_log_y2026m03.jsonl.gz');
      const lines = await archiveLines(file);
      const tampered = join(archiveDir, 'tampered.jsonl.gz');
      const attempt = async (edit: (ls: string[]) => string[], reason: RegExp) => {
        await writeFile(tampered, gzipSync(edit([...lines]).join('\n') + '\n'));
        await expect(verifyArchive(tampered)).rejects.toThrow(reason);
        await expect(verifyArchive(tampered)).rejects.toBeInstanceOf(ArchiveVerificationError);
      };
      const edit = (i: number, change: (r: Record<string, unknown>) => void) => (ls: string[]) => {
        const r = JSON.parse(ls[i]!) as Record<string, unknown>;
        change(r);
        ls[i] = JSON.stringify(r);
        return ls;
      };
      // One record's subject changed.
      await attempt(
        edit(2, (r) => (r.subject = 'someone else')),
        /line 3: writer w-a seq 13: its content does not match its hash/,
      );
      // Changed, and its hash recomputed: the next record no longer links to it.
      await attempt(
        edit(2, (r) => {
          r.subject = 'someone else';
          r.hash = recordHash({ ...(r as unknown as AuditRecord), at: new Date(r.at as string) });
        }),
        /seq 14: its prev_hash is not the previous record’s hash/,
      );
      // A record removed.
      await attempt((ls) => ls.filter((_, i) => i !== 4), /records 15–15 are missing/);
      // The last records and the heads line cut off.
      await attempt((ls) => ls.slice(0, 5), /truncated/);
      // A record removed at the end of a chain, and the heads line made to match it.
      await attempt((ls) => {
        const trailer = JSON.parse(ls[ls.length - 1]!) as { records: number };
        ls.splice(9, 1);
        ls[ls.length - 1] = JSON.stringify({ ...trailer, records: trailer.records - 1 });
        return ls;
      }, /does not match the records of writer w-a/);
      // A byte of the compressed file flipped.
      const bytes = await readFile(file);
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = bytes[middle]! ^ 0x01;
      await writeFile(tampered, bytes);
      await expect(verifyArchive(tampered)).rejects.toBeInstanceOf(ArchiveVerificationError);
      // The original is untouched and verifies.
      await expect(verifyArchive(file)).resolves.toMatchObject({ records: 18 });
      await rm(tampered);
    });

    it('drops nothing when the chain after a partition does not follow on from it', async () => {
      // w-d writes seq 1 and 2 in May; seq 4 turns up in July, chained to seq 2: seq 3 is missing.
      const d = await write(pool, schema, 'w-d', entries('2026-05-25T00:00:00Z', 2, 'd-may'));
      all = [...all, ...d].sort(byTime);
      const gap = { ...d[1]!, at: new Date('2026-07-01T00:00:00Z'), seq: 4, prevHash: d[1]!.hash };
      await pool.query(
        `INSERT INTO "${schema}".audit_log (writer, seq, at, kind, outcome, prev_hash, hash)
         VALUES ('w-d', 4, $1, 'JOB', 'SUCCESS', $2, $3)`,
        [gap.at, gap.prevHash, recordHash(gap)],
      );
      const run = applyRetention(pool, schema, {
        retentionDays: 180,
        archiveDir,
        now: new Date('2026-12-15T00:00:00Z'),
      });
      await expect(run).rejects.toThrow(
        /w-d: its chain continues elsewhere in the log at seq 4, which does not follow this partition's head \(seq 2\)/,
      );
      expect(await partitions(pool, schema)).toContain('audit_log_y2026m05');
      const verified = await verifyAudit(pool, schema);
      expect(verified.breaks.map((b) => [b.writer, b.reason])).toEqual([['w-d', 'records 3–3 are missing']]);
    });

    it('drops nothing when a partition’s chain does not link to the head dropped before', async () => {
      // A forged retention row claims w-c's chain went up to seq 3 in a dropped partition; w-c's first
      // record in May (seq 1) does not follow it.
      await pool.query(
        `INSERT INTO "${schema}".audit_retention (partition, writer, upto_seq, upto_hash, records, export_file, export_sha256)
       VALUES ('audit_log_y2025m12', 'w-c', 3, $1, 3, 'nowhere', $1)`,
        ['f'.repeat(64)],
      );
      const may = 'audit_log_y2026m05';
      const countMay = async () =>
        Number(
          (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${may}"`)).rows[0]!.n,
        );
      const before = await countMay();
      expect(before).toBe(all.filter((r) => r.at.toISOString().startsWith('2026-05')).length);
      // At 2026-12-15 the cut-off is 2026-06-18: only May has expired.
      const run = applyRetention(pool, schema, {
        retentionDays: 180,
        archiveDir,
        now: new Date('2026-12-15T00:00:00Z'),
      });
      await expect(run).rejects.toBeInstanceOf(RetentionRefusedError);
      await expect(run).rejects.toThrow(/w-c: its first record here \(seq 1\) does not link/);
      expect(await partitions(pool, schema)).toContain(may);
      expect(await countMay()).toBe(before);
      const rows = await pool.query(`SELECT 1 FROM "${schema}".audit_retention WHERE partition = $1`, [may]);
      expect(rows.rows).toEqual([]);
      // verifyAudit sees the same break (and w-d's from the test before), and only those.
      const verified = await verifyAudit(pool, schema);
      expect(verified.ok).toBe(false);
      expect(verified.breaks.map((b) => b.writer).sort()).toEqual(['w-c', 'w-d']);
    });
  },
);
