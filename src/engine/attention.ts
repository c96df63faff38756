// Attention extraction: one forward pass with attentions.{i} fetched, then only the requested
// layers × heads × rows are kept, so callers never move more than they need.
import type { OrtTensor } from './onnx';
import type { AttentionBlock } from './types';

export interface BlockSelection {
  readonly layers?: readonly number[];
  readonly heads?: readonly number[];
  readonly rows?: readonly number[];
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The requested indices, each checked to lie in 0..n − 1; all of them when none are asked for. */
export function validIndices(requested: readonly number[] | undefined, n: number, what: string): number[] {
  if (!requested) return range(n);
  for (const i of requested) {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${what} ${i} is outside 0..${n - 1}`);
  }
  return [...requested];
}

/**
 * A selection out of per-layer attention tensors. A layer whose every head and row is selected is
 * taken as it is (no copy: the result shares the tensor's memory); others are copied.
 * attentions: per layer [1, heads, queries, keys]; result layerData[l]: [heads, rows, keys].
 */
export function selectBlock(attentions: readonly OrtTensor[], selection: BlockSelection): AttentionBlock {
  const first = attentions[0];
  if (!first) throw new Error('no attention tensors');
  const [, totalHeads, queries, keys] = first.dims as [number, number, number, number];
  const layers = validIndices(selection.layers, attentions.length, 'layer');
  const heads = validIndices(selection.heads, totalHeads, 'head');
  const rows = validIndices(selection.rows, queries, 'row');
  const isIdentity = (list: readonly number[], n: number) => list.length === n && list.every((v, i) => v === i);
  const whole = isIdentity(heads, totalHeads) && isIdentity(rows, queries);
  const layerData = layers.map((layer) => {
    const source = (attentions[layer] as OrtTensor).data as Float32Array; // [1, heads, queries, keys]
    if (whole) return source;
    const data = new Float32Array(heads.length * rows.length * keys); // [heads, rows, keys]
    let offset = 0;
    for (const head of heads) {
      for (const row of rows) {
        const from = (head * queries + row) * keys;
        data.set(source.subarray(from, from + keys), offset);
        offset += keys;
      }
    }
    return data;
  });
  return { layers, heads, rows, keys, layerData };
}

/** One head of a block as a view (no copy). out: [rows, keys] */
export function headMatrix(block: AttentionBlock, layerPosition: number, headPosition: number): Float32Array {
  const cells = block.rows.length * block.keys;
  const layer = block.layerData[layerPosition];
  if (!layer || headPosition < 0 || headPosition >= block.heads.length) {
    throw new RangeError(`layer position ${layerPosition} / head position ${headPosition} is outside the block`);
  }
  return layer.subarray(headPosition * cells, (headPosition + 1) * cells);
}

/** Throws unless every layer array holds heads × rows × keys values. */
export function checkBlock(block: AttentionBlock): void {
  const expected = block.heads.length * block.rows.length * block.keys;
  if (block.layerData.length !== block.layers.length) {
    throw new RangeError(`attention block has ${block.layerData.length} layer arrays for ${block.layers.length} layers`);
  }
  block.layerData.forEach((data, l) => {
    if (data.length !== expected) {
      throw new RangeError(
        `attention block layer ${block.layers[l]} has ${data.length} values, expected ${expected} = ` +
          `${block.heads.length} heads × ${block.rows.length} rows × ${block.keys} keys`,
      );
    }
  });
}

/** All of an attention block as nested arrays [layer][head][row][key] (for JSON output), values optionally mapped (rounded). */
export function blockToNested(block: AttentionBlock, map: (value: number) => number = (v) => v): number[][][][] {
  const { keys } = block;
  return block.layerData.map((data) => {
    let offset = 0;
    return block.heads.map(() =>
      block.rows.map(() => {
        const row = Array.from(data.subarray(offset, offset + keys), map);
        offset += keys;
        return row;
      }),
    );
  });
}

/**
 * Assembles attention rows captured one decode step at a time into a block of the given layers.
 * captured[row][l]: [heads, width] for layers[l], with width ≤ keys (keys a row could not see stay 0).
 * Result data: [layers, heads, rows, keys].
 */
export function blockFromCapturedRows(captured: readonly (readonly Float32Array[])[], layers: readonly number[], heads: number, keys: number): AttentionBlock {
  const rows = captured.length;
  const layerData = layers.map(() => new Float32Array(heads * rows * keys)); // each [heads, rows, keys]
  captured.forEach((perLayer, row) => {
    perLayer.forEach((headRows, layer) => {
      const width = headRows.length / heads;
      for (let head = 0; head < heads; head++) {
        layerData[layer]!.set(headRows.subarray(head * width, (head + 1) * width), (head * rows + row) * keys);
      }
    });
  });
  return { layers: [...layers], heads: range(heads), rows: range(rows), keys, layerData };
}

/**
 * One layer's tensor seen as a block, without copying. attention: [1, heads, queries, keys];
 * result layerData[0]: [heads, queries, keys] (the same memory).
 */
export function layerView(attention: OrtTensor, layer: number): AttentionBlock {
  const [, heads, queries, keys] = attention.dims as [number, number, number, number];
  return { layers: [layer], heads: range(heads), rows: range(queries), keys, layerData: [attention.data as Float32Array] };
}
