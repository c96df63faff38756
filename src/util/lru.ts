// A least-recently-used map whose entries each weigh something (1 by default, so the capacity is a
// count; bytes for caches of tensors), evicting the oldest until the total fits. Pure: no vscode.
// A Map iterates in insertion order, so re-inserting on access keeps the oldest entry first.

export class LruCache<K, V> {
  private readonly map = new Map<K, { readonly value: V; readonly weight: number }>();
  private total = 0;

  constructor(
    private maxWeight: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {
    LruCache.check(maxWeight);
  }

  private static check(maxWeight: number): void {
    if (!Number.isFinite(maxWeight) || maxWeight < 0) throw new RangeError(`LRU capacity must be ≥ 0, got ${maxWeight}`);
  }

  get capacity(): number {
    return this.maxWeight;
  }

  get size(): number {
    return this.map.size;
  }

  /** Sum of the entries' weights. */
  get weight(): number {
    return this.total;
  }

  /** The value, marked as most recently used. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** The value without changing its recency. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Stores the value as most recently used; one heavier than the capacity is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    this.map.set(key, { value, weight });
    this.total += weight;
    this.evict();
  }

  /** A new capacity: entries are evicted, oldest first, until the rest fits. */
  resize(maxWeight: number): void {
    LruCache.check(maxWeight);
    this.maxWeight = maxWeight;
    this.evict();
  }

  private evict(): void {
    while (this.total > this.maxWeight) {
      const oldest = this.map.keys().next().value as K;
      this.delete(oldest);
    }
  }

  delete(key: K): boolean {
    const entry = this.map.get(key);
    if (!entry) return false;
    this.map.delete(key);
    this.total -= entry.weight;
    return true;
  }

  /** Removes every entry whose key matches. */
  deleteWhere(matches: (key: K) => boolean): void {
    for (const key of [...this.map.keys()]) if (matches(key)) this.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  /** Keys from least to most recently used. */
  keys(): K[] {
    return [...this.map.keys()];
  }
}
