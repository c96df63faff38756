// Shrinking attention for transport to the webview: per-row Uint8 quantization and mean-pooled
// thumbnails. Pure functions (no vscode) so the CLI, the bench and the tests use them directly.
import type { QuantizedMatrices } from '../protocol/inspector';

/** Thumbnails of the model view are at most this many cells on each side. */
export const THUMBNAIL_SIZE = 32;

/**
 * Quantizes `count` matrices of [rows, keys] to one byte per cell, scaled by each row's maximum.
 * Error per cell ≤ rowMax / 510 (round to nearest of 255 steps); a row of zeros stays exact.
 * The outputs own fresh buffers: VS Code posts a typed array's whole underlying ArrayBuffer, so a
 * subarray view of a large tensor must never be posted.
 * src: [count, rows, keys]
 */
export function quantizeRows(src: Float32Array, count: number, rows: number, keys: number): QuantizedMatrices {
  if (src.length !== count * rows * keys) {
    throw new RangeError(`quantizeRows: ${src.length} values, expected ${count} × ${rows} × ${keys}`);
  }
  const data = new Uint8Array(count * rows * keys); // [count, rows, keys]
  const scales = new Float32Array(count * rows); // [count, rows]
  for (let r = 0; r < count * rows; r++) {
    const base = r * keys;
    let max = 0;
    for (let k = 0; k < keys; k++) if (src[base + k]! > max) max = src[base + k]!;
    scales[r] = max;
    if (max <= 0) continue;
    const f = 255 / max;
    for (let k = 0; k < keys; k++) {
      const v = src[base + k]!;
      data[base + k] = v > 0 ? Math.round(v * f) : 0;
    }
  }
  return { count, rows, keys, data, scales };
}

/** Inverse of quantizeRows (for tests, export and the CLI). out: [count, rows, keys] */
export function dequantize(m: QuantizedMatrices): Float32Array {
  const out = new Float32Array(m.count * m.rows * m.keys);
  for (let r = 0; r < m.count * m.rows; r++) {
    const s = m.scales[r]! / 255;
    const base = r * m.keys;
    for (let k = 0; k < m.keys; k++) out[base + k] = m.data[base + k]! * s;
  }
  return out;
}

/**
 * Bin boundaries that split n items into `bins` contiguous groups as evenly as possible:
 * group b covers [edges[b], edges[b + 1]). With n ≤ bins every item is its own group.
 */
export function binEdges(n: number, bins: number): number[] {
  const groups = Math.min(n, Math.max(1, bins));
  const edges: number[] = [];
  if (groups <= 0) return [0];
  for (let b = 0; b <= groups; b++) edges.push(Math.floor((b * n) / groups));
  return edges;
}

/**
 * Mean-pools one [rows, keys] matrix to at most size × size cells: each output cell is the exact
 * mean of its block (blocks differ by at most one row/key when sizes do not divide).
 * With `causal`, row r is known to be zero after key r (self-attention over all positions with a
 * causal mask, where softmax gives exactly 0), and those cells are not read: half the work.
 * src: [rows, keys] at `offset`; out: [outRows, outKeys]
 */
export function meanPool(
  src: Float32Array,
  offset: number,
  rows: number,
  keys: number,
  size: number,
  causal = false,
): { data: Float32Array; rows: number; keys: number } {
  const rowEdges = binEdges(rows, size);
  const keyEdges = binEdges(keys, size);
  const outRows = rowEdges.length - 1;
  const outKeys = keyEdges.length - 1;
  const data = new Float32Array(outRows * outKeys); // [outRows, outKeys]
  const acc = new Float64Array(outKeys); // block sums of one output row
  for (let rb = 0; rb < outRows; rb++) {
    acc.fill(0);
    for (let r = rowEdges[rb]!; r < rowEdges[rb + 1]!; r++) {
      const base = offset + r * keys;
      const rowEnd = base + (causal ? Math.min(keys, r + 1) : keys);
      // contiguous key ranges per bin: one add per input cell, no index indirection
      for (let kb = 0; kb < outKeys; kb++) {
        const start = base + keyEdges[kb]!;
        if (start >= rowEnd) break;
        const end = Math.min(base + keyEdges[kb + 1]!, rowEnd);
        let sum = 0;
        for (let i = start; i < end; i++) sum += src[i]!;
        acc[kb] += sum;
      }
    }
    const rowCount = rowEdges[rb + 1]! - rowEdges[rb]!;
    for (let kb = 0; kb < outKeys; kb++) {
      data[rb * outKeys + kb] = acc[kb]! / (rowCount * (keyEdges[kb + 1]! - keyEdges[kb]!));
    }
  }
  return { data, rows: outRows, keys: outKeys };
}

/**
 * Thumbnails of heads, quantized per row (error ≤ row max / 510 of the pooled mean). A
 * 1,024-token, 6 × 8-head model travels as 48 × 32 × 32 bytes = 48 KiB.
 * heads: each [rows, keys]; out: [heads.length, thumbRows, thumbKeys]
 */
export function thumbnails(heads: readonly Float32Array[], rows: number, keys: number, options: { size?: number; causal?: boolean } = {}): QuantizedMatrices {
  const size = options.size ?? THUMBNAIL_SIZE;
  const outRows = binEdges(rows, size).length - 1;
  const outKeys = binEdges(keys, size).length - 1;
  const pooled = new Float32Array(heads.length * outRows * outKeys); // [heads, outRows, outKeys]
  heads.forEach((head, m) => {
    if (head.length !== rows * keys) throw new RangeError(`thumbnails: head ${m} has ${head.length} values, expected ${rows} × ${keys}`);
    pooled.set(meanPool(head, 0, rows, keys, size, options.causal).data, m * outRows * outKeys);
  });
  return quantizeRows(pooled, heads.length, outRows, outKeys);
}
