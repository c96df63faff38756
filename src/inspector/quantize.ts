// Shrinking attention for transport to the webview: per-row Uint8 quantization, and thumbnails
// from mean-pooled heads. Pure functions (no vscode) so the CLI, the bench and the tests use them.
import type { PooledHeads } from '../engine/pool';
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
 * Thumbnails for the model view: pooled heads quantized per row (error ≤ row max / 510 of the
 * pooled mean). A 1,024-token, 6 × 8-head model travels as 48 × 32 × 32 bytes = 48 KiB.
 * out: [count, rows, keys] as bytes
 */
export function thumbnails(pooled: PooledHeads): QuantizedMatrices {
  return quantizeRows(pooled.data, pooled.count, pooled.rows, pooled.keys);
}
