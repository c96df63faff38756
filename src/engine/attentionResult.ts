// What one forward pass's attention becomes for a caller of Engine.attention: the requested block,
// head statistics over all rows when asked, pooled heads and head reductions when asked. The pass
// streams its rows to sinks (attentionStream.ts) that keep only those. Shared by the decoder
// (self-attention) and the encoder of an encoder-decoder model.
import { range, validIndices } from './attention';
import { type AttentionChunk, BlockSink, type ChunkSink, HeadReductionSink, HeadStatsSink, type PassShape, PoolSink, QuantizedBlockSink } from './attentionStream';
import type { HiddenLayers } from './attentionSurgery';
import { ModelError } from './errors';
import type { FittedText } from './fitText';
import type { AttentionRequest, AttentionResult } from './types';

export interface AttentionPass {
  readonly kind: 'self' | 'encoder';
  readonly fitted: FittedText;
  readonly totalLayers: number;
  readonly totalHeads: number;
  /** Layers whose attention cannot be shown (fused operators not reproduced): never fetched. */
  readonly hidden?: HiddenLayers;
  /** Runs the forward pass, fetching only `layers`, and hands each chunk of rows to onChunk. */
  run(layers: readonly number[], onChunk: (chunk: AttentionChunk) => void): Promise<void>;
}

export async function attentionResult(pass: AttentionPass, request: AttentionRequest): Promise<AttentionResult> {
  // decoder self-attention is causal; an encoder sees every token
  const causal = pass.kind === 'self';
  const tokens = pass.fitted.tokens.length;
  const shape: PassShape = { rows: tokens, keys: tokens, heads: pass.totalHeads };
  // What a request without layers gets, and what statistics read: every layer that can be shown.
  const shown = range(pass.totalLayers).filter((layer) => !pass.hidden?.layers.includes(layer));
  const layers = request.layers ? validIndices(request.layers, pass.totalLayers, 'layer') : shown;
  const hiddenAsked = layers.find((layer) => !shown.includes(layer));
  if (hiddenAsked !== undefined) throw new ModelError(`layer ${hiddenAsked}'s attention cannot be shown: ${pass.hidden?.why ?? ''}`);
  const heads = validIndices(request.heads, pass.totalHeads, 'head');
  const rows = validIndices(request.rows, tokens, 'row');
  const withStats = request.withStats ?? true;
  const values = request.values ?? true;
  const block = values === true ? new BlockSink(shape, layers, heads, rows) : undefined;
  const quantized = values === 'quantized' ? new QuantizedBlockSink(shape, layers, heads, rows) : undefined;
  const reduction = request.reduceHeads ? new HeadReductionSink(shape, layers, heads, rows, request.reduceHeads) : undefined;
  const pool = request.pool !== undefined ? new PoolSink(shape, layers, heads, rows, request.pool, causal) : undefined;
  const stats = withStats ? new HeadStatsSink(shape, shown, causal) : undefined;
  const sinks: ChunkSink[] = [block, quantized, reduction, pool, stats].filter((s): s is NonNullable<typeof s> => s !== undefined);
  // Statistics read every layer; otherwise only the selected ones are fetched.
  const fetched = withStats ? shown : [...new Set(layers)].sort((a, b) => a - b);
  const start = performance.now();
  if (sinks.length > 0) await pass.run(fetched, (chunk) => sinks.forEach((sink) => sink.add(chunk)));
  const forwardMs = performance.now() - start;
  return {
    kind: pass.kind,
    tokens: pass.fitted.tokens,
    truncatedTokens: pass.fitted.droppedTokens,
    textOffset: pass.fitted.offset,
    totalLayers: pass.totalLayers,
    totalHeads: pass.totalHeads,
    attention: block ? block.block() : { layers, heads, rows, keys: tokens, layerData: [] },
    stats: stats ? stats.stats() : [],
    ...(quantized ? { quantized: quantized.quantized() } : {}),
    ...(pool ? { pooled: pool.pooled() } : {}),
    ...(reduction ? { reduced: reduction.reduced() } : {}),
    ...(pass.hidden ? { hiddenLayers: pass.hidden } : {}),
    forwardMs,
  };
}
