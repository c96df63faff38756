// Aggregates of attention over heads and across layers. Pure TypeScript (no vscode, no DOM).
import { checkBlock, headMatrix } from './attention';
import type { AttentionBlock } from './types';

export type HeadReduction = 'mean' | 'max';

/**
 * Mean or max over the heads of a block, per layer.
 * in:  block.layerData, each [heads, rows, keys]
 * out: [layers, rows, keys]
 */
export function reduceHeads(block: AttentionBlock, reduction: HeadReduction): Float32Array {
  checkBlock(block);
  const layers = block.layers.length;
  const heads = block.heads.length;
  const cells = block.rows.length * block.keys; // one head's [rows, keys]
  const out = new Float32Array(layers * cells); // [layers, rows, keys]
  for (let l = 0; l < layers; l++) {
    const dst = out.subarray(l * cells, (l + 1) * cells);
    for (let h = 0; h < heads; h++) {
      const src = headMatrix(block, l, h);
      if (reduction === 'max') {
        if (h === 0) dst.set(src);
        else for (let i = 0; i < cells; i++) if (src[i]! > dst[i]!) dst[i] = src[i]!;
      } else {
        for (let i = 0; i < cells; i++) dst[i] = dst[i]! + src[i]!;
      }
    }
    if (reduction === 'mean' && heads > 0) for (let i = 0; i < cells; i++) dst[i] = dst[i]! / heads;
  }
  return out;
}

/** The share of the attention that flows through the residual connection in rollout. */
export const RESIDUAL_WEIGHT = 0.5;

/**
 * Attention rollout (Abnar & Zuidema, 2020): the residual connection is modelled as identity,
 * Ã_l = normalise(0.5·A_l + 0.5·I), with A_l the mean over heads of layer l, and attention flows
 * through the layers by matrix product: R_0 = Ã_0, R_l = Ã_l · R_{l−1}.
 * Row i of R_l says how much of token i's representation after layer l comes from each input token.
 *
 * in:  perLayer [layers, tokens, tokens] (all query rows 0..tokens−1, mean over heads)
 * out: [layers, tokens, tokens], R_l for every l (the last one is the full rollout)
 *
 * Causal (lower-triangular) input is detected and the product skips the zero upper triangle
 * (about a sixth of the dense work), which keeps 1,024 tokens under a second per layer in JS.
 */
export function rollout(perLayer: Float32Array, layers: number, tokens: number): Float32Array {
  const steps = rolloutSteps(perLayer, layers, tokens);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The same computation as rollout(), one output row per step, so a caller on a busy thread (the
 * extension host) can yield between steps: 1,024 tokens take seconds in JS.
 */
export function* rolloutSteps(perLayer: Float32Array, layers: number, tokens: number): Generator<void, Float32Array> {
  const cells = tokens * tokens;
  checkSize(perLayer.length, layers * cells, 'per-layer attention');
  const out = new Float32Array(layers * cells); // [layers, tokens, tokens]
  const causal = isLowerTriangular(perLayer, layers, tokens);
  const mixed = new Float32Array(cells); // Ã_l: [tokens, tokens]
  for (let l = 0; l < layers; l++) {
    withResidual(perLayer.subarray(l * cells, (l + 1) * cells), tokens, mixed);
    const dst = out.subarray(l * cells, (l + 1) * cells);
    if (l === 0) {
      dst.set(mixed);
      continue;
    }
    const prev = out.subarray((l - 1) * cells, l * cells);
    for (let i = 0; i < tokens; i++) {
      multiplyRow(mixed, prev, dst, tokens, i, causal);
      yield;
    }
  }
  return out;
}

/**
 * dst[i, :] = Σ_k a[i, k] · b[k, :]   (row times matrix: streams rows of b, cache-friendly).
 * a, b, dst: [tokens, tokens]. With causal, a and b are lower-triangular: k ≤ i and j ≤ k.
 */
export function multiplyRow(a: Float32Array, b: Float32Array, dst: Float32Array, tokens: number, i: number, causal: boolean): void {
  const di = i * tokens;
  const kEnd = causal ? i : tokens - 1;
  for (let k = 0; k <= kEnd; k++) {
    const w = a[di + k]!;
    if (w === 0) continue;
    const pk = k * tokens;
    const jEnd = causal ? k : tokens - 1;
    for (let j = 0; j <= jEnd; j++) dst[di + j] += w * b[pk + j]!;
  }
}

/** Ã = normalise_rows(0.5·A + 0.5·I). a, out: [tokens, tokens] */
export function withResidual(a: Float32Array, tokens: number, out: Float32Array): void {
  for (let i = 0; i < tokens; i++) {
    let sum = 0;
    const base = i * tokens;
    for (let k = 0; k < tokens; k++) {
      const v = (1 - RESIDUAL_WEIGHT) * a[base + k]! + (k === i ? RESIDUAL_WEIGHT : 0);
      out[base + k] = v;
      sum += v;
    }
    // attention rows already sum to 1; renormalising absorbs float error and dropped mass
    if (sum > 0) for (let k = 0; k < tokens; k++) out[base + k] = out[base + k]! / sum;
  }
}

/** True when every [tokens, tokens] layer has zeros above the diagonal (causal attention). */
export function isLowerTriangular(perLayer: Float32Array, layers: number, tokens: number): boolean {
  for (let l = 0; l < layers; l++) {
    const base = l * tokens * tokens;
    for (let i = 0; i < tokens; i++) {
      for (let k = i + 1; k < tokens; k++) if (perLayer[base + i * tokens + k] !== 0) return false;
    }
  }
  return true;
}

function checkSize(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new RangeError(`${what} has ${actual} values, expected ${expected}`);
}
