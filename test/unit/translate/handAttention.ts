// Hand-made cross-attention for the placeholder-repair tests: one token per whitespace-separated
// word, and each target word attends only to the source words it is aligned with.
import type { TokenSpan, TranslationAttention } from '../../../src/engine/types';

/** Tokens: one per whitespace-separated word of `text`, with their spans. */
export function words(text: string): TokenSpan[] {
  return [...text.matchAll(/\S+/g)].map((m, id) => ({ id, text: m[0], start: m.index, end: m.index + m[0].length }));
}

/**
 * Cross-attention of `target` over `>>de<< source` where target word i attends only to the source
 * words named in `alignment[i]` (equally); one layer, one head.
 */
export function handAttention(source: string, target: string, alignment: readonly (readonly string[])[]): TranslationAttention {
  const sourceText = `>>de<< ${source}`;
  const sourceTokens = words(sourceText);
  const targetTokens = words(target);
  const data = new Float32Array(targetTokens.length * sourceTokens.length); // [rows, keys]
  targetTokens.forEach((_, row) => {
    const keys = sourceTokens.map((t, i) => ((alignment[row] ?? []).includes(t.text) ? i : -1)).filter((i) => i >= 0);
    for (const key of keys) data[row * sourceTokens.length + key] = 1 / keys.length;
  });
  const block = { layers: [0], heads: [0], rows: targetTokens.map((_, i) => i), keys: sourceTokens.length, layerData: [data] };
  return { id: 1, sourceTokens, targetTokens, sourceText, targetText: target, cross: block, totalLayers: 1, totalHeads: 1 };
}
