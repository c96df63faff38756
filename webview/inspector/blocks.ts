// Client side of block requests: one request per scope, answers matched by requestId, a small
// LRU so flipping between layers does not ask the host again.
import type { BlockErrorMessage, BlockMessage, BlockScope, QuantizedMatrices, WebviewToHost } from '../../src/protocol/inspector';

/** Layers of a 1,024-token, 8-head model are 8 MiB each; 24 of them is the most kept. */
const MAX_CACHED = 24;

export function scopeKey(scope: BlockScope): string {
  switch (scope.kind) {
    case 'layer':
      return `layer:${scope.layer}`;
    case 'head':
      return `head:${scope.layer}:${scope.head}`;
    case 'aggregate':
      return `agg:${scope.reduction}:${scope.layer}`;
  }
}

interface Pending {
  readonly key: string;
  resolve(m: QuantizedMatrices): void;
  reject(e: Error): void;
}

export class BlockClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly cache = new Map<string, Promise<QuantizedMatrices>>();

  constructor(private readonly post: (m: WebviewToHost) => void) {}

  request(docId: number, sectionId: string, scope: BlockScope): Promise<QuantizedMatrices> {
    const key = `${docId}|${sectionId}|${scopeKey(scope)}`;
    const hit = this.cache.get(key);
    if (hit) {
      // refresh LRU position
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const requestId = this.nextId++;
    const promise = new Promise<QuantizedMatrices>((resolve, reject) => {
      this.pending.set(requestId, { key, resolve, reject });
    });
    this.cache.set(key, promise);
    promise.catch(() => this.cache.delete(key)); // errors are not cached
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.post({ type: 'requestBlock', requestId, docId, sectionId, scope });
    return promise;
  }

  receive(message: BlockMessage | BlockErrorMessage): void {
    const pending = this.pending.get(message.requestId);
    if (!pending) return;
    this.pending.delete(message.requestId);
    if (message.type === 'block') pending.resolve(message.matrices);
    else pending.reject(new Error(message.message));
  }

  /** A new document: older answers are useless. */
  reset(): void {
    for (const p of this.pending.values()) p.reject(new Error('superseded'));
    this.pending.clear();
    this.cache.clear();
  }
}
