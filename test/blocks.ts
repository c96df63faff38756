// Tests write attention as one flat [layers, heads, rows, keys] array; blocks hold one array per
// layer. These two convert between them.
import type { AttentionBlock } from '../src/engine/types';

export interface FlatBlock {
  readonly layers: readonly number[];
  readonly heads: readonly number[];
  readonly rows: readonly number[];
  readonly keys: number;
  /** [layers, heads, rows, keys] */
  readonly data: Float32Array;
}

/** A block whose layer arrays are views of the flat data (a short array gives short layers). */
export function flatBlock({ layers, heads, rows, keys, data }: FlatBlock): AttentionBlock {
  const size = heads.length * rows.length * keys;
  const layerData = layers.map((_, l) => data.subarray(l * size, (l + 1) * size));
  return { layers, heads, rows, keys, layerData };
}

/** A block's values as one flat [layers, heads, rows, keys] copy. */
export function flatData(block: AttentionBlock): Float32Array {
  const out = new Float32Array(block.layerData.reduce((n, d) => n + d.length, 0));
  let offset = 0;
  for (const d of block.layerData) {
    out.set(d, offset);
    offset += d.length;
  }
  return out;
}
