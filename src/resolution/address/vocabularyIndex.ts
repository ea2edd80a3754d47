/**
 * Spelling correction of road and compound names against a vocabulary: a name one edit away
 * (one character wrong, missing or extra) from exactly one entry is taken to mean that entry.
 * Candidates come from a deletion-neighbourhood index (symmetric delete), so a lookup touches only
 * the few entries sharing a one-deletion form with the query instead of scanning the vocabulary.
 */

export interface VocabularyIndex {
  readonly entries: ReadonlySet<string>;
  /** Every entry and every one-deletion form of it, to the entries it came from. */
  readonly neighbours: ReadonlyMap<string, readonly string[]>;
}

function deletions(word: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push([...word.slice(0, i), ...word.slice(i + 1)].join(''));
  return out;
}

function addTo(map: Map<string, string[]>, key: string, entry: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else if (!list.includes(entry)) list.push(entry);
}

export function buildVocabularyIndex(names: readonly string[]): VocabularyIndex {
  const neighbours = new Map<string, string[]>();
  const entries = new Set<string>();
  for (const name of names) {
    if (name === '' || entries.has(name)) continue;
    entries.add(name);
    addTo(neighbours, name, name);
    for (const d of deletions(Array.from(name))) addTo(neighbours, d, name);
  }
  return { entries, neighbours };
}

/** Levenshtein distance at most 1, on code points. */
export function withinOneEdit(a: string, b: string): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  if (x.length === y.length) return x.slice(i + 1).join('') === y.slice(i + 1).join('');
  const [long, short] = x.length > y.length ? [x, y] : [y, x];
  return long.slice(i + 1).join('') === short.slice(i).join('');
}

export type Correction =
  | { readonly kind: 'exact' }
  | { readonly kind: 'corrected'; readonly to: string }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'unknown' };

/** How the name relates to the vocabulary: in it, one edit from a single entry, or neither. */
export function correctName(index: VocabularyIndex, name: string): Correction {
  if (index.entries.has(name)) return { kind: 'exact' };
  const candidates = new Set<string>();
  const keys = [name, ...deletions(Array.from(name))];
  for (const key of keys) {
    for (const entry of index.neighbours.get(key) ?? []) {
      if (withinOneEdit(name, entry)) candidates.add(entry);
    }
  }
  if (candidates.size === 1) return { kind: 'corrected', to: [...candidates][0]! };
  if (candidates.size > 1) return { kind: 'ambiguous', candidates: [...candidates].sort() };
  return { kind: 'unknown' };
}
