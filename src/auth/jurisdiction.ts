/**
 * Jurisdiction as row-level security. A principal scoped to code prefixes (a division, street,
 * community or grid code) sees a house when its house code starts with one of them, a grid when its
 * grid code does, and a person or legal entity when a record in force today places them in such a
 * house: a residence or household registration, an allowance, a house they own, a lease they are party
 * to, a registered or operating address.
 */
import type { Role } from '../config/types';
import type { EntityRef } from '../model/EntityView';
import type { EntityRecordLink } from '../store/HubStore';

/** The roles in which an entity's own records place it in a house; mentions (LEGAL_REP, SHAREHOLDER) do not. */
const TIE_ROLES: ReadonlySet<Role> = new Set<Role>(['SUBJECT', 'OWNER', 'TENANT', 'LESSOR']);

/** The house codes an entity's records place it in today. */
export function tiedHouses(links: readonly EntityRecordLink[], today: string): string[] {
  const houses = new Set<string>();
  for (const link of links) {
    if (!TIE_ROLES.has(link.role)) continue;
    for (const co of link.coLinks) {
      if (co.entityType === 'HOUSE' && (co.validTo === null || co.validTo >= today)) houses.add(co.entityKey);
    }
  }
  return [...houses];
}

const isEntityRef = (v: unknown): v is EntityRef =>
  typeof v === 'object' && v !== null && typeof (v as EntityRef).key === 'string' && 'type' in v;

export class Jurisdiction {
  constructor(
    readonly prefixes: readonly string[],
    /** The links of an entity, batched and cached per request (shared with the entity views). */
    private readonly linksOf: (ref: EntityRef) => Promise<readonly EntityRecordLink[]>,
    private readonly today: string,
  ) {}

  /** A house code, building code or grid code under one of the prefixes. */
  covers(code: string): boolean {
    for (const p of this.prefixes) if (code.startsWith(p)) return true;
    return false;
  }

  /**
   * Whether a value of a scoped type (an entity reference, or a grid row) is inside the jurisdiction.
   * A value of any other shape is refused: the layer fails closed.
   */
  admits(value: unknown): boolean | Promise<boolean> {
    if (isEntityRef(value)) {
      if (value.type === 'HOUSE') return this.covers(value.key);
      return this.linksOf(value).then((links) => tiedHouses(links, this.today).some((h) => this.covers(h)));
    }
    const grid = (value as { gridCode?: unknown } | null)?.gridCode;
    return typeof grid === 'string' && this.covers(grid);
  }
}
