/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a 31-character set,
 * authority code + type code + GB/T 2260 division code + 9-character organisation code + check.
 * Some early pilot codes fail the check and are still legal, so a failed check is a warning.
 */

export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

export const USCC_FORMAT =
  '18 characters from 0-9 A-H J-N P-R T U W X Y: authority and type codes, 6-digit division code, 9-character organisation code and a check character';

export const ENTITY_KINDS = {
  '11': 'STATE_ORGAN',
  '12': 'PUBLIC_INSTITUTION',
  '51': 'SOCIAL_GROUP',
  '52': 'PRIVATE_NON_ENTERPRISE',
  '53': 'FOUNDATION',
  '91': 'ENTERPRISE',
  '92': 'INDIVIDUAL_BUSINESS',
  '93': 'FARMERS_COOPERATIVE',
} as const;
export type EntityKind = (typeof ENTITY_KINDS)[keyof typeof ENTITY_KINDS] | 'OTHER';

export interface ParsedUscc {
  readonly normalized: string;
  readonly kind: EntityKind;
  readonly divisionCode: string;
  readonly organizationCode: string;
  /** Set when the check character fails: legal for some early codes, so only a warning. */
  readonly warning: string | null;
}

export type UsccResult =
  { readonly ok: true; readonly value: ParsedUscc } | { readonly ok: false; readonly explanation: string };

export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARSET.indexOf(first17[i]!) * WEIGHTS[i]!;
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

export function entityKindOf(uscc: string): EntityKind {
  return (ENTITY_KINDS as Record<string, EntityKind>)[uscc.slice(0, 2)] ?? 'OTHER';
}

export function parseUscc(input: string): UsccResult {
  const code = input.trim().toUpperCase();
  if (code.length !== 18) return { ok: false, explanation: `a USCC has 18 characters, got ${code.length}` };
  for (const ch of code) {
    if (!USCC_CHARSET.includes(ch)) {
      return {
        ok: false,
        explanation: `character ${ch} is not in the USCC character set (no I, O, S, V, Z)`,
      };
    }
  }
  if (!/^\d{6}$/.test(code.slice(2, 8))) {
    return {
      ok: false,
      explanation: `characters 3-8 must be a 6-digit division code, got ${code.slice(2, 8)}`,
    };
  }
  const expected = usccCheckChar(code.slice(0, 17));
  return {
    ok: true,
    value: {
      normalized: code,
      kind: entityKindOf(code),
      divisionCode: code.slice(2, 8),
      organizationCode: code.slice(8, 17),
      warning: code[17] === expected ? null : `check character is ${code[17]}, expected ${expected}`,
    },
  };
}

export function makeUscc(authorityType: string, divisionCode: string, organizationCode: string): string {
  const first17 = `${authorityType}${divisionCode}${organizationCode}`;
  return first17 + usccCheckChar(first17);
}
