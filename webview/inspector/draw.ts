// Canvas helpers: device-pixel-ratio sizing and heatmap bitmaps from quantized matrices.
import type { QuantizedMatrices } from '../../src/protocol/inspector';
import { cellIndex } from './colour';

/** Sizes a canvas's backing store to CSS size × devicePixelRatio; returns a context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/**
 * One matrix of a quantized set as a bitmap, one pixel per cell (drawn scaled, without smoothing).
 * m: [count, rows, keys]; lut: [256, 4]
 */
export function matrixBitmap(m: QuantizedMatrices, index: number, lut: Uint8ClampedArray, normaliseRows: boolean): HTMLCanvasElement {
  return matrixAtlas(m, lut, normaliseRows, [index]).canvas;
}

/** Where matrix i of an atlas lies on its canvas, in pixels. */
export interface AtlasCell {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/**
 * Matrices of a quantized set as one bitmap, tiled in a row (one pixel per cell): a single canvas
 * and one putImageData, where a canvas per matrix cost about 10 ms for 48 thumbnails.
 * m: [count, rows, keys]; lut: [256, 4]; indices: which matrices, default all
 */
export function matrixAtlas(
  m: QuantizedMatrices,
  lut: Uint8ClampedArray,
  normaliseRows: boolean,
  indices: readonly number[] = Array.from({ length: m.count }, (_, i) => i),
): { canvas: HTMLCanvasElement; cells: AtlasCell[] } {
  const canvas = document.createElement('canvas');
  const width = Math.max(1, m.keys * indices.length);
  canvas.width = width;
  canvas.height = Math.max(1, m.rows);
  const cells = indices.map((_, t) => ({ x: t * m.keys, y: 0, w: m.keys, h: m.rows }));
  const ctx = canvas.getContext('2d');
  if (!ctx || m.rows === 0 || m.keys === 0 || indices.length === 0) return { canvas, cells };
  const image = ctx.createImageData(width, m.rows);
  const px = image.data; // [rows, width, 4]
  const matrixCells = m.rows * m.keys;
  indices.forEach((index, t) => {
    for (let r = 0; r < m.rows; r++) {
      const scale = m.scales[index * m.rows + r]!;
      const src = index * matrixCells + r * m.keys;
      const dst = (r * width + t * m.keys) * 4;
      for (let k = 0; k < m.keys; k++) {
        const c = cellIndex(m.data[src + k]!, scale, normaliseRows) * 4;
        const o = dst + k * 4;
        px[o] = lut[c]!;
        px[o + 1] = lut[c + 1]!;
        px[o + 2] = lut[c + 2]!;
        px[o + 3] = 255;
      }
    }
  });
  ctx.putImageData(image, 0, 0);
  return { canvas, cells };
}

/** Truncates text to fit maxWidth with an ellipsis (measured, so proportional fonts work). */
export function fitText(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && ctx.measureText(`${chars.join('')}…`).width > maxWidth) chars.pop();
  return `${chars.join('')}…`;
}
