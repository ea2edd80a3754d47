import type { GraphQLResolveInfo } from 'graphql';
import type { Origin } from '../model/attributed';

type Path = GraphQLResolveInfo['path'];

/** `person.residences[].house.address`: response keys, list indexes collapsed to `[]`. */
export function compactPath(path: Path): string {
  const keys: Array<string | number> = [];
  for (let p: Path | undefined = path; p; p = p.prev) keys.unshift(p.key);
  let out = '';
  for (const k of keys) out += typeof k === 'number' ? '[]' : out === '' ? k : `.${k}`;
  return out;
}

/**
 * Collects, per request, which department's data each response path shows. Paths are grouped by
 * department with list indexes collapsed, so the extension stays small however long the lists are.
 */
export class ProvenanceCollector {
  private readonly byOrigin = new Map<Origin, Set<string>>();

  record(path: Path, origins: readonly Origin[]): void {
    if (origins.length === 0) return;
    const p = compactPath(path);
    for (const o of origins) {
      let set = this.byOrigin.get(o);
      if (!set) this.byOrigin.set(o, (set = new Set()));
      set.add(p);
    }
  }

  toJSON(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.byOrigin.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([o, s]) => [o, [...s].sort()]),
    );
  }
}
