// A memo for a pure function of a string, bounded in size: a repeated input (the same bearer token on every
// request of a kubectl session) is answered from the map. When full it is emptied rather than kept in LRU
// order, so the hot path is one Map lookup and nothing else; inputs that keep changing just fill it again.

// Objects only: an undefined answer could not be told from a key never seen.
export class BoundedMemo<V extends object> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly compute: (key: string) => V,
    private readonly maxEntries: number,
  ) {}

  get(key: string): V {
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const value = this.compute(key);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
