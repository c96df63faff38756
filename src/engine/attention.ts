// Attention extraction: one forward pass with attentions.{i} fetched, then only the requested
// layers × heads × rows are copied out, so callers never move more than they need.
import type { OrtTensor } from './onnx';
import type { AttentionBlock } from './types';

export interface BlockSelection {
  readonly layers?: readonly number[];
  readonly heads?: readonly number[];
  readonly rows?: readonly number[];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function validIndices(requested: readonly number[] | undefined, n: number, what: string): number[] {
  if (!requested) return range(n);
  for (const i of requested) {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${what} ${i} is outside 0..${n - 1}`);
  }
  return [...requested];
}

/**
 * Copies a selection out of per-layer attention tensors.
 * attentions: per layer [1, heads, queries, keys]; result data: [layers, heads, rows, keys].
 */
export function selectBlock(attentions: readonly OrtTensor[], selection: BlockSelection): AttentionBlock {
  const first = attentions[0];
  if (!first) throw new Error('no attention tensors');
  const [, totalHeads, queries, keys] = first.dims as [number, number, number, number];
  const layers = validIndices(selection.layers, attentions.length, 'layer');
  const heads = validIndices(selection.heads, totalHeads, 'head');
  const rows = validIndices(selection.rows, queries, 'row');
  const data = new Float32Array(layers.length * heads.length * rows.length * keys);
  const isIdentity = (list: readonly number[], n: number) => list.length === n && list.every((v, i) => v === i);
  let offset = 0;
  for (const layer of layers) {
    const source = (attentions[layer] as OrtTensor).data as Float32Array; // [1, heads, queries, keys]
    if (isIdentity(heads, totalHeads) && isIdentity(rows, queries)) {
      data.set(source, offset); // the whole layer: one copy
      offset += source.length;
      continue;
    }
    for (const head of heads) {
      for (const row of rows) {
        const from = (head * queries + row) * keys;
        data.set(source.subarray(from, from + keys), offset);
        offset += keys;
      }
    }
  }
  return { layers, heads, rows, keys, data };
}

/** All of an attention block as nested arrays [layer][head][row][key] (for JSON output), values optionally mapped (rounded). */
export function blockToNested(block: AttentionBlock, map: (value: number) => number = (v) => v): number[][][][] {
  const { keys } = block;
  let offset = 0;
  return block.layers.map(() =>
    block.heads.map(() =>
      block.rows.map(() => {
        const row = Array.from(block.data.subarray(offset, offset + keys), map);
        offset += keys;
        return row;
      }),
    ),
  );
}

/**
 * Assembles attention rows captured one decode step at a time into a block.
 * captured[row][layer]: [heads, width] with width ≤ keys (keys a row could not see stay 0).
 * Result data: [layers, heads, rows, keys].
 */
export function blockFromCapturedRows(captured: readonly (readonly Float32Array[])[], layers: number, heads: number, keys: number): AttentionBlock {
  const rows = captured.length;
  const data = new Float32Array(layers * heads * rows * keys);
  captured.forEach((perLayer, row) => {
    perLayer.forEach((headRows, layer) => {
      const width = headRows.length / heads;
      for (let head = 0; head < heads; head++) {
        data.set(headRows.subarray(head * width, (head + 1) * width), ((layer * heads + head) * rows + row) * keys);
      }
    });
  });
  return { layers: range(layers), heads: range(heads), rows: range(rows), keys, data };
}

/**
 * One layer's tensor seen as a block, without copying. attention: [1, heads, queries, keys];
 * result data: [1 layer, heads, queries, keys] (the same memory).
 */
export function layerView(attention: OrtTensor, layer: number): AttentionBlock {
  const [, heads, queries, keys] = attention.dims as [number, number, number, number];
  return { layers: [layer], heads: range(heads), rows: range(queries), keys, data: attention.data as Float32Array };
}
