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
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, m.keys);
  canvas.height = Math.max(1, m.rows);
  const ctx = canvas.getContext('2d');
  if (!ctx || m.rows === 0 || m.keys === 0) return canvas;
  const image = ctx.createImageData(m.keys, m.rows);
  const px = image.data;
  const cells = m.rows * m.keys;
  for (let r = 0; r < m.rows; r++) {
    const scale = m.scales[index * m.rows + r]!;
    const src = index * cells + r * m.keys;
    for (let k = 0; k < m.keys; k++) {
      const c = cellIndex(m.data[src + k]!, scale, normaliseRows) * 4;
      const o = (r * m.keys + k) * 4;
      px[o] = lut[c]!;
      px[o + 1] = lut[c + 1]!;
      px[o + 2] = lut[c + 2]!;
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** Truncates text to fit maxWidth with an ellipsis (measured, so proportional fonts work). */
export function fitText(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && ctx.measureText(`${chars.join('')}…`).width > maxWidth) chars.pop();
  return `${chars.join('')}…`;
}
