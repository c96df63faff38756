// The inspector's views, quantized for the webview (a layer's heads, one head, an aggregate), kept
// in one least-recently-used cache with a byte budget (tealeaf.inspector.memoryBudgetMB) across
// the sections of the document the panel shows: what the panel shows again comes back at once, the
// rest is computed again by the engine on demand.
import type { QuantizedMatrices } from '../protocol/inspector';
import { LruCache } from '../util/lru';

export type ViewCache = LruCache<string, QuantizedMatrices>;

/** The budget when the setting is absent: a 6 × 8-head model's every layer at 1,024 tokens is 48 MiB. */
export const DEFAULT_MEMORY_BUDGET_MB = 256;

export function viewBytes(m: QuantizedMatrices): number {
  return m.data.byteLength + m.scales.byteLength;
}

export function createViewCache(budgetMB = DEFAULT_MEMORY_BUDGET_MB): ViewCache {
  return new LruCache<string, QuantizedMatrices>(budgetMB * 1024 * 1024, viewBytes);
}

/** Keys of a document's views start with its id (EngineSection's viewKey). */
export function viewKeyPrefix(docId: number): string {
  return `${docId}/`;
}

/** Drops the views of every document but `docId`: the panel shows one document at a time. */
export function keepOnlyDocument(views: ViewCache, docId: number): void {
  const prefix = viewKeyPrefix(docId);
  views.deleteWhere((key) => !key.startsWith(prefix));
}
