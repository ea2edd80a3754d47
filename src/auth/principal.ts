import { z } from 'zod';

/** Departments a principal may belong to: the four data owners, plus grid, audit and operations staff. */
export const PRINCIPAL_DEPARTMENTS = [
  'police',
  'market',
  'civil',
  'housing',
  'grid',
  'audit',
  'ops',
] as const;

/** Who is asking: built from a verified token's claims, never from anything the client sends unsigned. */
export interface Principal {
  readonly subject: string;
  readonly displayName: string;
  readonly department: (typeof PRINCIPAL_DEPARTMENTS)[number];
  readonly roles: readonly string[];
  /** Division, street, community or grid code prefixes (6 to 14 digits). */
  readonly jurisdiction: readonly string[];
  readonly purposes: readonly string[];
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

/** The claims Zhiwang reads, beyond the registered ones jsonwebtoken checks. */
export const zhiwangClaims = z
  .object({
    sub: z.string().min(1),
    name: z.string().min(1),
    dept: z.enum(PRINCIPAL_DEPARTMENTS),
    roles: z.array(z.string().min(1)).min(1),
    jurisdiction: z.array(
      z.string().regex(/^\d{6,14}$/, 'a division, street, community or grid code prefix'),
    ),
    purposes: z.array(z.string().regex(/^[A-Z][A-Z_]*$/)).min(1),
    exp: z.number().int(),
  })
  .loose();

export function principalFromClaims(claims: z.infer<typeof zhiwangClaims>): Principal {
  return {
    subject: claims.sub,
    displayName: claims.name,
    department: claims.dept,
    roles: claims.roles,
    jurisdiction: claims.jurisdiction,
    purposes: claims.purposes,
    expiresAt: claims.exp,
  };
}
