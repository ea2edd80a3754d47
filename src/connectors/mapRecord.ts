import type { DepartmentMapping, RecordMapping, ScalarFieldMapping } from '../config/mappingSchema';
import { isHouseCode } from '../resolution/identifiers/houseCode';
import { parseIdNumber } from '../resolution/identifiers/idNumber';
import { isValidRegistrationNumber } from '../resolution/identifiers/registrationNumber';
import { parseUscc } from '../resolution/identifiers/uscc';
import type { MappedValue, MappingIssue, SourceRecord } from './SourceRecord';

type Converted = { value: string | number | null; problem?: string };

/** Reads a column, or a dotted path inside a document. */
const pathParts = new Map<string, readonly string[]>();

export function readPath(row: Readonly<Record<string, unknown>>, path: string): unknown {
  // Most paths are plain column names; dotted ones (MongoDB sub-documents) are split once.
  if (!path.includes('.')) return row[path];
  let parts = pathParts.get(path);
  if (parts === undefined) pathParts.set(path, (parts = path.split('.')));
  let cur: unknown = row;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function rawText(raw: unknown): string {
  if (raw instanceof Date) return raw.toISOString();
  return typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const DATE_PATTERNS = {
  iso: /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/,
  YYYYMMDD: /^(\d{4})(\d{2})(\d{2})$/,
  YYYYMM: /^(\d{4})(\d{2})$/,
} as const;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** Date.prototype.toISOString for years 1000–9999, at half its cost: every record has two timestamps. */
export function isoUtc(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${pad3(d.getUTCMilliseconds())}Z`;
}

/** A timestamp column's value as an ISO string in UTC, or null when it is not one. */
function toTimestamp(raw: unknown): string | null {
  const t = raw instanceof Date ? raw : new Date(String(raw));
  const ms = t.getTime();
  if (Number.isNaN(ms)) return null;
  const y = t.getUTCFullYear();
  return y >= 1000 && y <= 9999 ? isoUtc(t) : t.toISOString();
}

function toDate(raw: unknown, format: ScalarFieldMapping['format']): Converted {
  if (raw instanceof Date) {
    return Number.isNaN(raw.getTime())
      ? { value: null, problem: 'invalid date' }
      : { value: raw.toISOString().slice(0, 10) };
  }
  const s = String(raw).trim();
  const m = DATE_PATTERNS[format].exec(s);
  if (!m)
    return { value: null, problem: `not a date in the ${format === 'iso' ? 'YYYY-MM-DD' : format} layout` };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
  if (!isCalendarDate(y, mo, d)) return { value: null, problem: 'not a calendar date' };
  return { value: `${m[1]}-${m[2]}-${m[3] ?? '01'}` };
}

function convert(
  raw: unknown,
  field: ScalarFieldMapping,
  codeTables: DepartmentMapping['codeTables'],
): Converted {
  if (raw === null || raw === undefined || raw === '') return { value: null };
  if (field.code !== undefined) {
    const decoded = codeTables[field.code]![String(raw).trim()];
    return decoded === undefined
      ? { value: null, problem: `unknown code in ${field.code}` }
      : { value: decoded };
  }
  switch (field.type) {
    case 'string':
      return { value: rawText(raw) };
    case 'integer':
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n)) return { value: null, problem: 'not a number' };
      if (field.type === 'integer' && !Number.isInteger(n)) return { value: null, problem: 'not an integer' };
      return { value: n };
    }
    case 'date':
      return toDate(raw, field.format);
    case 'timestamp': {
      const t = toTimestamp(raw);
      return t === null ? { value: null, problem: 'not a timestamp' } : { value: t };
    }
    case 'idNumber': {
      // Kept as stored: normalisation belongs to the crosswalk, which records why a number fails.
      const r = parseIdNumber(String(raw));
      return r.ok ? { value: String(raw).trim() } : { value: String(raw).trim(), problem: r.explanation };
    }
    case 'uscc': {
      const r = parseUscc(String(raw));
      if (!r.ok) return { value: String(raw).trim(), problem: r.explanation };
      return { value: r.value.normalized };
    }
    case 'registrationNumber':
      return isValidRegistrationNumber(String(raw))
        ? { value: String(raw).trim() }
        : { value: String(raw).trim(), problem: 'fails the MOD 11,10 check' };
    case 'houseCode':
      return isHouseCode(String(raw))
        ? { value: String(raw).trim() }
        : { value: null, problem: 'not a 25-digit house code' };
    default: {
      const never: never = field.type;
      throw new Error(`unhandled field type ${String(never)}`);
    }
  }
}

/** One field's converted value; a failure is added to `issues`. Module-level: no closure per record. */
function applyField(
  mapping: DepartmentMapping,
  issues: MappingIssue[],
  name: string,
  f: ScalarFieldMapping,
  source: Readonly<Record<string, unknown>>,
  prefix: string,
): string | number | null {
  const raw = readPath(source, f.from);
  const out = convert(raw, f, mapping.codeTables);
  if (out.problem !== undefined) {
    issues.push({
      field: prefix + name,
      column: prefix + f.from,
      rawValue: rawText(raw),
      problem: out.problem,
    });
  }
  return out.value;
}

const watermarkFields = new WeakMap<RecordMapping, string | null>();

/** The mapped timestamp field read from the record's watermark column, if there is one. */
function watermarkField(rec: RecordMapping): string | null {
  let name = watermarkFields.get(rec);
  if (name === undefined) {
    const found = Object.entries(rec.fields).find(
      ([, f]) => f.type === 'timestamp' && f.from === rec.updatedAt,
    );
    name = found?.[0] ?? null;
    watermarkFields.set(rec, name);
  }
  return name;
}

/**
 * Maps one source row onto canonical field names. A value that fails (a bad date, an unknown code)
 * becomes null and is reported in `issues`; identifiers that fail their check keep their raw value
 * (the crosswalk decides what to do with them) and are reported too. Never throws on bad data.
 */
export function mapRecord(
  mapping: DepartmentMapping,
  recordType: string,
  row: Readonly<Record<string, unknown>>,
): SourceRecord {
  const rec: RecordMapping = mapping.records[recordType]!;
  // Filled by assignment, not spread from the mapping's constants: a spread of a record parsed by
  // zod gives a slow dictionary-mode object, and every later read of the values pays for it.
  const values: Record<string, MappedValue> = {};
  for (const name in rec.constants) values[name] = rec.constants[name]!;
  const issues: MappingIssue[] = [];
  for (const [name, f] of Object.entries(rec.fields)) {
    if (f.type === 'list') {
      const raw = readPath(row, f.from);
      const items = Array.isArray(raw) ? raw : [];
      values[name] = items.map((item, i) =>
        Object.fromEntries(
          Object.entries(f.fields).map(([sub, sf]) => [
            sub,
            applyField(mapping, issues, sub, sf, (item ?? {}) as Record<string, unknown>, `${name}[${i}].`),
          ]),
        ),
      );
    } else {
      values[name] = applyField(mapping, issues, name, f, row, '');
    }
  }
  // The watermark is usually also a mapped timestamp field: converted once.
  const updatedRaw = readPath(row, rec.updatedAt);
  const mappedWatermark = watermarkField(rec);
  const updatedAt =
    mappedWatermark !== null
      ? ((values[mappedWatermark] as string | null) ?? null)
      : updatedRaw == null
        ? null
        : toTimestamp(updatedRaw);
  return {
    department: mapping.department,
    recordType,
    kind: rec.kind,
    sourceId: rawText(readPath(row, rec.key)),
    updatedAt,
    values,
    issues,
  };
}
