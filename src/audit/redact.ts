/**
 * What of a request goes into its audit record: the query normalised (comments and layout gone) with
 * its string literals redacted, a hash of its shape (literals blanked, so the same query with other
 * arguments hashes alike), and the variables with personal values masked the way the policy masks
 * them. The entities a response returned are recorded by key separately, so nothing is lost to the
 * auditor by masking what a caller typed.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, print, visit, type DocumentNode } from 'graphql';
import { maskAddress, maskIdNumber, maskName, maskPhone } from '../auth/masking';

const ID_NUMBER = /^\d{6}(18|19|20)\d{2}(0[1-9]|1[0-2])\d{2}\d{3}[\dXx]$|^\d{15}$/;
const PHONE = /^1\d{10}$/;
const CJK = /[\u3400-\u9fff]/;
/** Past this, a typed text is cut before masking: an audit record is not a place to store documents. */
const MAX_TEXT = 200;

/** A string a caller typed, masked like the personal datum it looks like; codes and enums stay. */
export function redactString(value: string): string {
  const v = value.split(String.fromCharCode(0)).join('').slice(0, MAX_TEXT);
  if (ID_NUMBER.test(v)) return maskIdNumber(v);
  if (PHONE.test(v)) return maskPhone(v);
  if (CJK.test(v)) return Array.from(v).length > 6 ? maskAddress(v) : maskName(v);
  return v;
}

export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
  return value;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface NormalisedQuery {
  /** Printed with string literals redacted; null for text that does not parse. */
  readonly text: string | null;
  /** SHA-256 of the printed query with every string literal blanked (of the raw text if it does not parse). */
  readonly hash: string;
}

export function normaliseQuery(source: string | undefined, document?: DocumentNode): NormalisedQuery {
  if (!source && !document) return { text: null, hash: sha256('') };
  let doc: DocumentNode;
  try {
    doc = document ?? parse(source!);
  } catch {
    return { text: null, hash: sha256(source ?? '') };
  }
  const withStrings = (replace: (v: string) => string): string =>
    print(
      visit(doc, {
        [Kind.STRING]: (node) => ({ ...node, value: replace(node.value), block: false }),
      }),
    );
  return { text: withStrings(redactString), hash: sha256(withStrings(() => '')) };
}
