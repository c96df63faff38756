// Shrinking attention for transport (engine → extension host → webview): per-row Uint8
// quantization, and thumbnails from mean-pooled heads. Pure functions, so the engine (a streamed
// pass quantizes its rows as they come), the inspector, the CLI and the tests share one definition.
import type { PooledHeads } from './pool';

/**
 * Row-quantised attention for transport: one byte per cell, scaled by its row's maximum.
 *   p ≈ data[m, r, k] · scales[m, r] / 255
 * Rounding to the nearest step bounds the error per cell by scales[m, r] / 510 ≤ 1/510 ≈ 0.002
 * (absolute, in probability), far below one colour step of a 256-entry scale, which is all drawing
 * needs. A 1,024-token head travels as 1 MiB instead of 4 MiB.
 */
export interface QuantizedMatrices {
  readonly count: number;
  readonly rows: number;
  readonly keys: number;
  /** [count, rows, keys]: round(value × 255 / row max) */
  readonly data: Uint8Array;
  /** [count, rows]: each row's maximum */
  readonly scales: Float32Array;
}

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
  for (let r = 0; r < count * rows; r++) scales[r] = quantizeRow(src, r * keys, keys, data, r * keys);
  return { count, rows, keys, data, scales };
}

/**
 * One row of `length` values from src[from…] to bytes at data[to…]; returns the row's maximum (its
 * scale). Values past `length` in data stay as they are (0 for a fresh array: a causal row's
 * future keys).
 */
export function quantizeRow(src: Float32Array, from: number, length: number, data: Uint8Array, to: number): number {
  let max = 0;
  for (let k = 0; k < length; k++) if (src[from + k]! > max) max = src[from + k]!;
  if (max <= 0) return max;
  const f = 255 / max;
  for (let k = 0; k < length; k++) {
    const v = src[from + k]!;
    data[to + k] = v > 0 ? Math.round(v * f) : 0;
  }
  return max;
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
