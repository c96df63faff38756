// Suggestions keyed by their context, so that typing the characters of a shown suggestion keeps
// showing its rest without a new generation. Pure: no vscode.
import { LruCache } from '../util/lru';

/** Where a suggestion was asked for: the cursor and the text around it. */
export interface CacheContext {
  /** Model and output settings the suggestion was made with (a change means a miss). */
  readonly variant: string;
  readonly documentKey: string;
  /** Offset of the cursor in the document (UTF-16 code units). */
  readonly offset: number;
  /** Text before the cursor (any window of it that ends at the cursor). */
  readonly before: string;
  /** Text after the cursor (any window of it that starts at the cursor). */
  readonly after: string;
}

export interface CacheHit<T> {
  readonly value: T;
  /** Characters of the suggestion the user has typed since it was made. */
  readonly typed: string;
  /** What is left to show: value.text without `typed`. */
  readonly rest: string;
}

interface Entry<T> {
  readonly beforeTail: string;
  readonly afterHead: string;
  readonly value: T;
}

/** Context kept per entry: enough to cover the longest prompt, short enough to compare per keystroke. */
const BEFORE_CHARS = 8192;
const AFTER_CHARS = 2048;

export class CompletionCache<T extends { readonly text: string }> {
  private readonly lru: LruCache<string, Entry<T>>;
  private longest = 0;

  constructor(capacity = 64) {
    this.lru = new LruCache(capacity);
  }

  get size(): number {
    return this.lru.size;
  }

  put(context: CacheContext, value: T): void {
    if (value.text.length === 0) return;
    this.longest = Math.max(this.longest, value.text.length);
    this.lru.set(key(context.variant, context.documentKey, context.offset), {
      beforeTail: context.before.slice(-BEFORE_CHARS),
      afterHead: context.after.slice(0, AFTER_CHARS),
      value,
    });
  }

  /**
   * A suggestion made at `offset - typed.length` whose first characters are exactly what was typed
   * since, with the same text before it and the same text after the cursor.
   */
  lookup(context: CacheContext): CacheHit<T> | undefined {
    const afterHead = context.after.slice(0, AFTER_CHARS);
    const maxTyped = Math.min(this.longest - 1, context.offset, context.before.length);
    for (let typedLength = 0; typedLength <= maxTyped; typedLength++) {
      const k = key(context.variant, context.documentKey, context.offset - typedLength);
      const entry = this.lru.peek(k);
      if (!entry) continue;
      const cut = context.before.length - typedLength;
      const typed = context.before.slice(cut);
      const text = entry.value.text;
      if (typed.length >= text.length || !text.startsWith(typed)) continue;
      if (entry.afterHead !== afterHead) continue;
      // Windows may start at different places: compare the part both have (thousands of characters).
      const overlap = Math.min(entry.beforeTail.length, cut);
      if (context.before.slice(cut - overlap, cut) !== entry.beforeTail.slice(entry.beforeTail.length - overlap)) continue;
      this.lru.get(k); // mark as recently used
      return { value: entry.value, typed, rest: text.slice(typed.length) };
    }
    return undefined;
  }

  clear(): void {
    this.lru.clear();
    this.longest = 0;
  }
}

function key(variant: string, documentKey: string, offset: number): string {
  return `${variant}\u0000${documentKey}\u0000${offset}`;
}
