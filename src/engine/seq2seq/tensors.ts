// Batch-axis operations on ORT tensors for beam search: pick rows (reorder beams, or tile one row
// into many) and make empty caches. Shapes are [batch, …]; a row is everything after the batch axis.
import type { Ort, OrtTensor } from '../onnx';

type Data = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** Rows `rows` of `tensor` (any length, repeats allowed) as a new tensor [rows.length, …]. */
export function gatherRows(ort: Ort, tensor: OrtTensor, rows: readonly number[]): OrtTensor {
  const dims = tensor.dims;
  const batch = dims[0] as number;
  const source = tensor.data as Data;
  const rowSize = batch === 0 ? 0 : source.length / batch;
  const target = new (source.constructor as new (n: number) => Data)(rows.length * rowSize);
  rows.forEach((row, i) => {
    if (row < 0 || row >= batch) throw new RangeError(`row ${row} is outside 0..${batch - 1}`);
    // Typed-array set() with a subarray of the same kind: a memcpy per row.
    (target as Float32Array).set((source as Float32Array).subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
  });
  return new ort.Tensor(tensor.type as 'float32', target as Float32Array, [rows.length, ...dims.slice(1)]);
}

/** An empty cache tensor [batch, heads, 0, headDim]. */
export function emptyKv(ort: Ort, dtype: 'float32' | 'float16', batch: number, heads: number, headDim: number): OrtTensor {
  const data = dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0);
  return new ort.Tensor(dtype, data, [batch, heads, 0, headDim]);
}

/** The last query row of an attention output per batch row: [batch, heads, queries, keys] → [batch][heads * keys]. */
export function lastQueryRows(tensor: OrtTensor): Float32Array[] {
  const [batch, heads, queries, keys] = tensor.dims as [number, number, number, number];
  const data = tensor.data as Float32Array;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const rows = new Float32Array(heads * keys); // [heads, keys]
    for (let h = 0; h < heads; h++) {
      const from = ((b * heads + h) * queries + queries - 1) * keys;
      rows.set(data.subarray(from, from + keys), h * keys);
    }
    out.push(rows);
  }
  return out;
}
