// What one forward pass's per-layer attention becomes for a caller of Engine.attention: the
// requested block, head statistics over all rows when asked, pooled heads when asked. Shared by
// the decoder (self-attention) and the encoder of an encoder-decoder model.
import { layerView, selectBlock } from './attention';
import type { FittedText } from './fitText';
import { computeHeadStats } from './headStats';
import type { OrtTensor } from './onnx';
import { poolBlock } from './pool';
import type { AttentionPreview, AttentionRequest, AttentionResult, HeadStats } from './types';

export interface AttentionPass {
  readonly kind: 'self' | 'encoder';
  readonly fitted: FittedText;
  /** Per layer [1, heads, tokens, tokens] */
  readonly attentions: readonly OrtTensor[];
  readonly totalLayers: number;
  readonly totalHeads: number;
  readonly forwardMs: number;
}

export function attentionResult(pass: AttentionPass, request: AttentionRequest): AttentionResult {
  // decoder self-attention is causal; an encoder sees every token
  const causal = pass.kind === 'self';
  const stats: HeadStats[] = [];
  if (request.withStats ?? true) {
    pass.attentions.forEach((tensor, layer) => stats.push(...computeHeadStats(layerView(tensor, layer), { causal })));
  }
  const attention = selectBlock(pass.attentions, request);
  return {
    kind: pass.kind,
    tokens: pass.fitted.tokens,
    truncatedTokens: pass.fitted.droppedTokens,
    textOffset: pass.fitted.offset,
    totalLayers: pass.totalLayers,
    totalHeads: pass.totalHeads,
    attention,
    stats,
    ...(request.pool !== undefined ? { pooled: poolBlock(attention, request.pool, causal) } : {}),
    forwardMs: pass.forwardMs,
  };
}

/** The preview of a result that has pooled heads (see AttentionPreview); undefined without them. */
export function attentionPreview(result: AttentionResult): AttentionPreview | undefined {
  const { attention, stats: _stats, pooled, ...rest } = result;
  if (!pooled) return undefined;
  const { layerData: _values, ...shape } = attention;
  return { ...rest, shape, pooled };
}
