// The inspector's settings (contributed in package.json under tealeaf.inspector.*), read and
// clamped in one place. Pure apart from the reader passed in.

import { DEFAULT_MEMORY_BUDGET_MB } from './viewCache';

export interface InspectorSettings {
  /** Re-inspect when the selection changes while the panel is open. */
  readonly followSelection: boolean;
  /** Tokens of preceding context added before the selection. */
  readonly contextTokens: number;
  /** Longest inspected text, in tokens; longer selections are cut from the start with a notice. */
  readonly maxTokens: number;
  /** Bytes of quantized views (layers, heads, aggregates) kept for the panel, in MiB. */
  readonly memoryBudgetMB: number;
}

export const INSPECTOR_DEFAULTS: InspectorSettings = { followSelection: false, contextTokens: 64, maxTokens: 1024, memoryBudgetMB: DEFAULT_MEMORY_BUDGET_MB };

export const INSPECTOR_LIMITS = {
  contextTokens: { min: 0, max: 2048 },
  maxTokens: { min: 2, max: 4096 },
  memoryBudgetMB: { min: 0, max: 4096 },
} as const;

/** Debounce of follow-selection, so dragging a selection does not start a forward per event. */
export const FOLLOW_SELECTION_DEBOUNCE_MS = 400;

export function readInspectorSettings(read: (key: string) => unknown): InspectorSettings {
  return {
    followSelection: typeof read('followSelection') === 'boolean' ? (read('followSelection') as boolean) : INSPECTOR_DEFAULTS.followSelection,
    contextTokens: clampInt(read('contextTokens'), INSPECTOR_DEFAULTS.contextTokens, INSPECTOR_LIMITS.contextTokens),
    maxTokens: clampInt(read('maxTokens'), INSPECTOR_DEFAULTS.maxTokens, INSPECTOR_LIMITS.maxTokens),
    memoryBudgetMB: clampInt(read('memoryBudgetMB'), INSPECTOR_DEFAULTS.memoryBudgetMB, INSPECTOR_LIMITS.memoryBudgetMB),
  };
}

function clampInt(value: unknown, fallback: number, limits: { readonly min: number; readonly max: number }): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(limits.max, Math.max(limits.min, Math.round(value)));
}
