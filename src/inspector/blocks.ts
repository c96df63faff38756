// Small pure helpers over AttentionBlock: slicing, and where a captured row's query sits.
import { headMatrix } from '../engine/attention';
import type { AttentionBlock } from '../engine/types';

/**
 * The given layer and head positions (indices into block.layers / block.heads, not model numbers)
 * of a block, all rows, in a copy that owns its buffers (it may be posted or transferred).
 * in: layerData each [heads, rows, keys] → out: layerData each [headIdx.length, rows, keys]
 */
export function sliceBlock(block: AttentionBlock, layerIdx: readonly number[], headIdx: readonly number[]): AttentionBlock {
  const cells = block.rows.length * block.keys;
  const layerData = layerIdx.map((li) => {
    const data = new Float32Array(headIdx.length * cells); // [headIdx.length, rows, keys]
    headIdx.forEach((hi, i) => data.set(headMatrix(block, li, hi), i * cells));
    return data;
  });
  return {
    layers: layerIdx.map((i) => block.layers[i]!),
    heads: headIdx.map((i) => block.heads[i]!),
    rows: block.rows,
    keys: block.keys,
    layerData,
  };
}

/**
 * For causal attention captured during generation, the query position of each row is the last key
 * the row can see (softmax of a masked key is exactly 0, of a visible one never is). Taking it from
 * the data keeps the inspector right whichever step convention the engine uses.
 * out: one key position per row of the block
 */
export function queryPositionsFromMask(block: AttentionBlock): number[] {
  const { rows, keys } = block;
  const heads = block.heads.length;
  // first layer is enough: the mask is the same in every layer and head
  const data = block.layerData[0] ?? new Float32Array(0); // [heads, rows, keys]
  const positions: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    let last = 0;
    for (let h = 0; h < heads; h++) {
      const base = (h * rows.length + r) * keys;
      for (let k = keys - 1; k > last; k--) {
        if (data[base + k]! > 0) {
          last = k;
          break;
        }
      }
    }
    positions.push(last);
  }
  return positions;
}

/** Rounding for JSON export: float32 has ~7 significant digits. */
export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
