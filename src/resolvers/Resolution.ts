import { DEPARTMENT_LABELS, DEPARTMENTS, ROLES, type Department, type EntityType } from '../config/types';
import { BadUserInputError } from '../errors';
import { firstArg, houseCodeArg, idNumberArg, usccArg } from '../graphql/arguments';
import { connection, decodeCursor } from '../graphql/connections';
import type { RequestContext } from '../graphql/context';
import { REVIEW_DECISIONS } from '../resolution/matcher/houseResolver';
import type { MatchCandidate } from '../resolution/matcher/matchAddress';
import {
  ADDRESS_MATCHER_VERSION,
  addressInputProblem,
  MAX_ADDRESS_LENGTH,
  matchAddress,
} from '../resolution/matcher/matchAddress';
import type { ManualDecisionRow, ReviewKey, ReviewRow } from '../store/HubStore';

const ADDRESS_FORMAT = `a Chinese address of 1 to ${MAX_ADDRESS_LENGTH} characters, e.g. 南山区科技南路18号海岸花园3栋502`;
const MAX_CANDIDATES = 20;

const candidateView = (c: MatchCandidate) => ({ ...c, standardAddress: c.address });

const departmentArg = (value: string): Department => {
  const d = value.toLowerCase() as Department;
  if (!DEPARTMENTS.includes(d))
    throw new BadUserInputError('department', `unknown department ${value}`, DEPARTMENTS.join(', '));
  return d;
};

function reviewView(r: ReviewRow) {
  const [department, recordType, recordId, role, entityType] = r.key;
  return {
    department: department.toUpperCase(),
    departmentLabel: DEPARTMENT_LABELS[department as Department],
    recordType,
    recordId,
    role,
    entityType,
    decision: r.decision,
    rawValue: r.rawValue,
    claimedKey: r.claimedKey,
    linkedKey: r.linkedKey,
    reason: r.reason,
    candidates: r.candidates.map(candidateView),
    notedAt: r.notedAt,
  };
}

const decisionView = (d: ManualDecisionRow) => ({
  ...d,
  department: d.department.toUpperCase(),
  recordId: d.sourceId,
});

function reviewCursor(after: string | null | undefined): ReviewKey | null {
  const text = decodeCursor('review', after);
  if (text === null) return null;
  let key: unknown = null;
  try {
    key = JSON.parse(text);
  } catch {
    // falls through to the error below
  }
  if (!Array.isArray(key) || key.length !== 5 || !key.every((k) => typeof k === 'string'))
    throw new BadUserInputError(
      'after',
      'after is not a cursor from this list',
      'a cursor returned in pageInfo.endCursor',
    );
  return key as ReviewKey;
}

interface ResolveRecordInput {
  department: string;
  recordType: string;
  recordId: string;
  role: string;
  entityType: EntityType;
  entityKey?: string | null;
  note?: string | null;
}

/** The entity key normalised and checked: a house must be in the standard address base. */
async function entityKeyArg(ctx: RequestContext, type: EntityType, raw: string): Promise<string> {
  switch (type) {
    case 'PERSON':
      return idNumberArg(raw, 'input.entityKey');
    case 'LEGAL_ENTITY':
      return usccArg(raw, 'input.entityKey');
    case 'HOUSE': {
      const code = houseCodeArg(raw, 'input.entityKey');
      const base = await ctx.hub.addressBase.get();
      if (!base.houses.has(code))
        throw new BadUserInputError(
          'input.entityKey',
          `house code ${code} is not in the standard address base`,
          'the house code of a house in fw_jbxx (see matchAddress candidates)',
        );
      return code;
    }
  }
}

export const ResolutionQuery = {
  matchAddress: async (_: unknown, a: { text: string; limit?: number | null }, ctx: RequestContext) => {
    const problem = addressInputProblem(a.text);
    if (problem !== null && (a.text.trim() === '' || a.text.length > MAX_ADDRESS_LENGTH))
      throw new BadUserInputError('text', problem, ADDRESS_FORMAT);
    const limit = a.limit ?? 5;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CANDIDATES)
      throw new BadUserInputError('limit', `limit must be between 1 and ${MAX_CANDIDATES}, got ${limit}`);
    const m = matchAddress(await ctx.hub.addressBase.get(), a.text, limit);
    return {
      ...m,
      input: a.text,
      candidates: m.candidates.map(candidateView),
      parsed:
        m.parsed === null
          ? null
          : {
              province: m.parsed.components.province,
              city: m.parsed.components.city,
              components: m.parsed.components,
              normalized: m.parsed.normalized,
              notes: m.parsed.notes,
            },
      matcherVersion: ADDRESS_MATCHER_VERSION,
    };
  },
  unresolvedRecords: async (
    _: unknown,
    a: {
      department?: string | null;
      decisions?: string[] | null;
      first?: number | null;
      after?: string | null;
    },
    ctx: RequestContext,
  ) => {
    const first = firstArg(a.first);
    const decisions = a.decisions ?? null;
    for (const d of decisions ?? [])
      if (!(REVIEW_DECISIONS as readonly string[]).includes(d))
        throw new BadUserInputError('decisions', `unknown decision ${d}`, REVIEW_DECISIONS.join(', '));
    const { rows, total } = await ctx.hub.store.reviewQueue(
      { department: a.department ? departmentArg(a.department) : null, decisions },
      reviewCursor(a.after),
      first,
    );
    return {
      ...connection('review', rows.map(reviewView), first, (r) =>
        JSON.stringify([r.department.toLowerCase(), r.recordType, r.recordId, r.role, r.entityType]),
      ),
      totalCount: total,
    };
  },
};

export const Mutation = {
  resolveRecord: async (_: unknown, { input }: { input: ResolveRecordInput }, ctx: RequestContext) => {
    const department = departmentArg(input.department);
    const mapping = ctx.hub.loaded.mappings[department];
    if (!(input.recordType in mapping.records))
      throw new BadUserInputError(
        'input.recordType',
        `${department} has no record type ${input.recordType}`,
        Object.keys(mapping.records).join(', '),
      );
    if (!(ROLES as readonly string[]).includes(input.role))
      throw new BadUserInputError('input.role', `unknown role ${input.role}`, ROLES.join(', '));
    const entityKey =
      input.entityKey === null || input.entityKey === undefined || input.entityKey.trim() === ''
        ? null
        : await entityKeyArg(ctx, input.entityType, input.entityKey.trim());
    const record = await ctx.loaders.records[department].load({
      recordType: input.recordType,
      sourceId: input.recordId,
    });
    if (record === null)
      throw new BadUserInputError(
        'input.recordId',
        `${department} has no ${input.recordType} record ${input.recordId}`,
        `the recordId of an unresolvedRecords entry or a SourceRecord`,
      );
    const saved = await ctx.hub.store.recordManualDecision({
      department,
      recordType: input.recordType,
      sourceId: input.recordId,
      role: input.role,
      entityType: input.entityType,
      entityKey,
      // The verified subject of the caller's token (null only on the schema without the layer).
      decidedBy: ctx.access?.principal.subject ?? null,
      note: input.note ?? null,
    });
    return decisionView(saved);
  },
};
