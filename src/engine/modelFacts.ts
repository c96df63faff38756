// A model's facts in words, for `check-model` and the inspector's header.
import type { ModelInfo } from './types';

export type AttentionKind = 'MHA' | 'MQA' | 'GQA';

/** Multi-head (as many key/value heads as query heads), multi-query (one) or grouped-query. */
export function attentionKind(heads: number, kvHeads: number): AttentionKind {
  if (kvHeads === heads) return 'MHA';
  return kvHeads === 1 ? 'MQA' : 'GQA';
}

/**
 * Parameters as people write them: 494M, 1.5B, 121k. Each unit is tried from the smallest, on the
 * rounded figure, so a count just under a boundary reads as what it rounds to: 999,999 is 1.0M
 * (not 1000k), 99,960,000 is 100M (not 100.0M).
 */
export function formatParameters(count: number): string {
  const thousands = Math.round(count / 1e3);
  if (thousands < 1000) return `${thousands}k`;
  const millions = count / 1e6;
  if (Math.round(millions * 10) < 1000) return `${millions.toFixed(1)}M`;
  if (Math.round(millions) < 1000) return `${Math.round(millions)}M`;
  const billions = count / 1e9;
  return Math.round(billions * 10) < 100 ? `${billions.toFixed(1)}B` : `${Math.round(billions)}B`;
}

/** How the inspector reads attention, in a few words. */
const ATTENTION_SOURCE: Readonly<Record<ModelInfo['attentionSource'], string>> = {
  outputs: 'attention from the export',
  surgery: 'attention by graph surgery',
  'fused-surgery': 'attention recomputed beside fused ops',
  none: 'no attention',
};

/** One line: architecture, parameters, attention, positions, context, the file in use, and where attention comes from. */
export function describeModel(info: ModelInfo): string {
  const attention = attentionKind(info.heads, info.kvHeads);
  const heads = attention === 'MHA' ? `${info.heads} heads` : `${info.heads} heads / ${info.kvHeads} KV (${attention})`;
  return [
    info.architecture ?? info.modelType,
    `${formatParameters(info.parameters)} parameters`,
    `${info.layers} layers × ${heads}`,
    `${info.positions} positions`,
    `context ${info.maxPositions}`,
    `${info.dtype} (${info.onnxFiles.join(' + ')})`,
    ATTENTION_SOURCE[info.attentionSource],
  ].join(' · ');
}
