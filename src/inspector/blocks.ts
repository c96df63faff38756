// Small pure helpers over AttentionBlock: slicing, and where a captured row's query sits.
import type { AttentionBlock } from '../engine/types';

/**
 * Copies the given layer and head positions (indices into block.layers / block.heads, not model
 * numbers) out of a block, all rows. The copy owns its buffer.
 * in: [layers, heads, rows, keys] → out: [layerIdx.length, headIdx.length, rows, keys]
 */
export function sliceBlock(block: AttentionBlock, layerIdx: readonly number[], headIdx: readonly number[]): AttentionBlock {
  const cells = block.rows.length * block.keys;
  const heads = block.heads.length;
  const data = new Float32Array(layerIdx.length * headIdx.length * cells);
  let offset = 0;
  for (const li of layerIdx) {
    for (const hi of headIdx) {
      if (li < 0 || li >= block.layers.length || hi < 0 || hi >= heads) {
        throw new RangeError(`layer position ${li} / head position ${hi} is outside the block`);
      }
      const from = (li * heads + hi) * cells;
      data.set(block.data.subarray(from, from + cells), offset);
      offset += cells;
    }
  }
  return {
    layers: layerIdx.map((i) => block.layers[i]!),
    heads: headIdx.map((i) => block.heads[i]!),
    rows: block.rows,
    keys: block.keys,
    data,
  };
}

/**
 * For causal attention captured during generation, the query position of each row is the last key
 * the row can see (softmax of a masked key is exactly 0, of a visible one never is). Taking it from
 * the data keeps the inspector right whichever step convention the engine uses.
 * out: one key position per row of the block
 */
export function queryPositionsFromMask(block: AttentionBlock): number[] {
  const { rows, keys, data } = block;
  const heads = block.heads.length;
  const positions: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    let last = 0;
    // first layer is enough: the mask is the same in every layer and head
    for (let h = 0; h < Math.max(1, heads); h++) {
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
