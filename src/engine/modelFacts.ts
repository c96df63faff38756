// A model's facts in words, for `check-model` and the inspector's header.
import type { ModelInfo } from './types';

export type AttentionKind = 'MHA' | 'MQA' | 'GQA';

/** Multi-head (as many key/value heads as query heads), multi-query (one) or grouped-query. */
export function attentionKind(heads: number, kvHeads: number): AttentionKind {
  if (kvHeads === heads) return 'MHA';
  return kvHeads === 1 ? 'MQA' : 'GQA';
}

/** Parameters as people write them: 494M, 1.5B, 121k. */
export function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e10 ? 0 : 1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(count >= 1e8 ? 0 : 1)}M`;
  return `${Math.round(count / 1e3)}k`;
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
