// Which editor ranges to shade, and how strongly, for one query token's attention. Pure.
import type { TokenLabel } from '../protocol/inspector';

/** Shading steps (one decoration type each): VS Code decorations have fixed colours. */
export const SHADE_LEVELS = 8;
/** Weights below this (relative to the row maximum) are not shaded: they are noise on the page. */
export const SHADE_MIN_WEIGHT = 0.02;

export interface ShadedRange {
  /** Document offsets. */
  readonly start: number;
  readonly end: number;
  /** 1..SHADE_LEVELS */
  readonly level: number;
}

/** 0 for no shade, else 1..SHADE_LEVELS; weight in 0..1 (scaled to the row's maximum). */
export function shadeLevel(weight: number): number {
  if (!(weight >= SHADE_MIN_WEIGHT)) return 0;
  return Math.min(SHADE_LEVELS, Math.max(1, Math.ceil(weight * SHADE_LEVELS)));
}

/**
 * Ranges for the key tokens that lie in the linked document text [base, base + length).
 * weights: [keys]
 */
export function shadedRanges(keyTokens: readonly TokenLabel[], weights: readonly number[], base: number, length: number): ShadedRange[] {
  const out: ShadedRange[] = [];
  const n = Math.min(keyTokens.length, weights.length);
  for (let k = 0; k < n; k++) {
    const t = keyTokens[k]!;
    if (t.end <= t.start || t.end > length) continue; // special token, or generated (not in the document)
    const level = shadeLevel(weights[k]!);
    if (level > 0) out.push({ start: base + t.start, end: base + t.end, level });
  }
  return out;
}

/** Alpha of the shade at a level: visible at level 1, never hiding the text at the top level. */
export function shadeAlpha(level: number): number {
  return Math.round((0.1 + (0.5 * level) / SHADE_LEVELS) * 100) / 100;
}
