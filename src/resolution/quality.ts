/**
 * Scores house resolution against the demo generator's ground truth (truth_reference and
 * truth_problem in the hub store): precision = correct house codes among all references linked to a
 * house; recall = references with a true house that are linked to it. Reported overall, by method,
 * and by each planted perturbation: address forms, bad claimed codes, unmatched entity addresses.
 */
import type { DepartmentMapping } from '../config/mappingSchema';
import type { HubStore } from '../store/HubStore';

export interface QualityRow {
  /** `all`, `clean`, `method:ADDRESS_MATCH`, `ADDRESS_VARIANT`, `form:NO_ROAD`, `HOUSE_CODE_STALE`, … */
  readonly kind: string;
  readonly references: number;
  /** References whose true house is known. */
  readonly matchable: number;
  /** References linked to a house. */
  readonly linked: number;
  readonly correct: number;
  /** correct / linked; null when nothing was linked. */
  readonly precision: number | null;
  /** correct / matchable; null when nothing was matchable. */
  readonly recall: number | null;
  /** References sent to review, by decision. */
  readonly review: Readonly<Record<string, number>>;
}

export interface QualityReport {
  readonly rows: readonly QualityRow[];
}

/** Problems that concern which house a reference points to. */
const HOUSE_PROBLEMS = [
  'ADDRESS_VARIANT',
  'HOUSE_CODE_MISSING',
  'HOUSE_CODE_STALE',
  'HOUSE_CODE_WRONG',
  'HOUSE_CODE_UNKNOWN',
  'ENTITY_ADDRESS_UNMATCHED',
] as const;

interface Reference {
  truth: string | null;
  linked: string | null;
  method: string | null;
  review: string | null;
  kinds: Set<string>;
}

/** Source column → house reference role, per record type, from the mappings (key and address fields). */
function columnRoles(mappings: readonly DepartmentMapping[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of mappings) {
    for (const [recordType, rec] of Object.entries(m.records)) {
      for (const ref of rec.references) {
        if (ref.entity !== 'HOUSE') continue;
        for (const field of [ref.key, ref.address]) {
          const f = field === undefined ? undefined : rec.fields[field];
          if (f !== undefined && f.type !== 'list')
            out.set(`${m.department}|${recordType}|${f.from}`, ref.role);
        }
      }
    }
  }
  return out;
}

const key = (d: string, rt: string, sid: string, role: string): string => `${d}|${rt}|${sid}|${role}`;

export async function scoreHouseResolution(
  store: HubStore,
  mappings: readonly DepartmentMapping[],
): Promise<QualityReport> {
  const refs = new Map<string, Reference>();
  const at = (k: string): Reference => {
    let r = refs.get(k);
    if (r === undefined) {
      r = { truth: null, linked: null, method: null, review: null, kinds: new Set() };
      refs.set(k, r);
    }
    return r;
  };
  const s = store.schema.replace(/"/g, '""');
  const rows = async <R>(sql: string, params: unknown[] = []): Promise<R[]> =>
    (await store.pool.query(sql.replace(/\$s\./g, `"${s}".`), params)).rows as R[];
  type RefRow = {
    department: string;
    record_type: string;
    source_id: string;
    role: string;
    entity_key: string;
  };

  for (const r of await rows<RefRow>(
    `SELECT department, record_type, source_id, role, entity_key FROM $s.truth_reference
      WHERE entity_type = 'HOUSE' AND role NOT IN ('SUBJECT')`,
  ))
    at(key(r.department, r.record_type, r.source_id, r.role)).truth = r.entity_key;
  for (const r of await rows<RefRow & { method: string }>(
    `SELECT department, record_type, source_id, role, entity_key, method FROM $s.crosswalk
      WHERE entity_type = 'HOUSE' AND role <> 'SUBJECT'`,
  )) {
    const ref = at(key(r.department, r.record_type, r.source_id, r.role));
    ref.linked = r.entity_key;
    ref.method = r.method;
  }
  for (const r of await rows<Omit<RefRow, 'entity_key'> & { decision: string }>(
    `SELECT department, record_type, source_id, role, decision FROM $s.unresolved_reference WHERE entity_type = 'HOUSE'`,
  ))
    at(key(r.department, r.record_type, r.source_id, r.role)).review = r.decision;

  const roles = columnRoles(mappings);
  type ProblemRow = Omit<RefRow, 'role' | 'entity_key'> & {
    kind: string;
    field: string;
    forms: string[] | null;
  };
  for (const p of await rows<ProblemRow>(
    `SELECT kind, department, record_type, source_id, detail->>'field' AS field, detail->'forms' AS forms
       FROM $s.truth_problem WHERE kind = ANY($1) AND source_id IS NOT NULL`,
    [HOUSE_PROBLEMS],
  )) {
    const role = roles.get(`${p.department}|${p.record_type}|${p.field}`);
    if (role === undefined) continue;
    const ref = at(key(p.department, p.record_type, p.source_id, role));
    ref.kinds.add(p.kind);
    for (const form of p.forms ?? []) ref.kinds.add(`form:${form}`);
  }

  const groups = new Map<string, Reference[]>();
  const put = (kind: string, r: Reference): void => {
    const list = groups.get(kind);
    if (list === undefined) groups.set(kind, [r]);
    else list.push(r);
  };
  for (const r of refs.values()) {
    put('all', r);
    if (r.kinds.size === 0) put('clean', r);
    if (r.method !== null) put(`method:${r.method}`, r);
    for (const k of r.kinds) put(k, r);
  }
  const order = (k: string): string =>
    k === 'all'
      ? '0'
      : k === 'clean'
        ? '1'
        : k.startsWith('method:')
          ? `2${k}`
          : k.startsWith('form:')
            ? `4${k}`
            : `3${k}`;
  return {
    rows: [...groups.entries()]
      .sort(([a], [b]) => order(a).localeCompare(order(b)))
      .map(([kind, list]) => summarize(kind, list)),
  };
}

function summarize(kind: string, list: readonly Reference[]): QualityRow {
  let matchable = 0;
  let linked = 0;
  let correct = 0;
  const review: Record<string, number> = {};
  for (const r of list) {
    if (r.truth !== null) matchable++;
    if (r.linked !== null) linked++;
    if (r.linked !== null && r.linked === r.truth) correct++;
    if (r.review !== null) review[r.review] = (review[r.review] ?? 0) + 1;
  }
  return {
    kind,
    references: list.length,
    matchable,
    linked,
    correct,
    precision: linked === 0 ? null : correct / linked,
    recall: matchable === 0 ? null : correct / matchable,
    review,
  };
}

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);

/** The report as a Markdown table. */
export function qualityTable(report: QualityReport): string {
  const lines = [
    '| kind | references | matchable | linked | correct | precision | recall | sent to review |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of report.rows) {
    const review = Object.entries(r.review)
      .sort()
      .map(([d, n]) => `${d} ${n}`)
      .join(', ');
    lines.push(
      `| ${r.kind} | ${r.references} | ${r.matchable} | ${r.linked} | ${r.correct} | ${pct(r.precision)} | ${pct(r.recall)} | ${review} |`,
    );
  }
  return lines.join('\n');
}
