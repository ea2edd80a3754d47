/**
 * A set of non-negative integer keys (below 2^53) in one typed array, open addressing with linear
 * probing. The generator keeps every issued ID number in it to avoid duplicates: at a million
 * persons that is a few tens of megabytes instead of the hundreds a Set<string> would take.
 */
export class IntegerKeySet {
  private table: Float64Array;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.table = new Float64Array(cap);
  }

  get size(): number {
    return this.count;
  }

  private static slot(key: number, mask: number): number {
    // Mix the high and low 32-bit halves; ToUint32 keeps the low half of large integers.
    let h = (key >>> 0) ^ Math.imul(Math.floor(key / 4294967296), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    return (h >>> 0) & mask;
  }

  has(key: number): boolean {
    const stored = key + 1; // 0 marks an empty slot
    const mask = this.table.length - 1;
    for (let i = IntegerKeySet.slot(key, mask); ; i = (i + 1) & mask) {
      const v = this.table[i]!;
      if (v === 0) return false;
      if (v === stored) return true;
    }
  }

  /** Adds the key; false if it was already present. */
  add(key: number): boolean {
    if ((this.count + 1) * 2 > this.table.length) this.grow();
    const stored = key + 1;
    const mask = this.table.length - 1;
    for (let i = IntegerKeySet.slot(key, mask); ; i = (i + 1) & mask) {
      const v = this.table[i]!;
      if (v === stored) return false;
      if (v === 0) {
        this.table[i] = stored;
        this.count++;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    const mask = this.table.length - 1;
    for (const v of old) {
      if (v === 0) continue;
      let i = IntegerKeySet.slot(v - 1, mask);
      while (this.table[i] !== 0) i = (i + 1) & mask;
      this.table[i] = v;
    }
  }
}
