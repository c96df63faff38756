// Colour scales for the inspector's canvases. Pure (no DOM): the page reads the theme's CSS
// variables and passes the strings in; tests check the arithmetic.

export type Rgb = readonly [number, number, number];

/** Parses #rgb, #rgba, #rrggbb, #rrggbbaa and rgb()/rgba() (alpha is dropped). */
export function parseColour(css: string): Rgb | undefined {
  const s = css.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4})$/.exec(s);
  if (m) {
    const h = m[1]!;
    return [parseInt(h[0]! + h[0]!, 16), parseInt(h[1]! + h[1]!, 16), parseInt(h[2]! + h[2]!, 16)];
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) {
    const h = m[1]!;
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (m) return [clampByte(Number(m[1])), clampByte(Number(m[2])), clampByte(Number(m[3]))];
  return undefined;
}

function clampByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const u = Math.max(0, Math.min(1, t));
  return [clampByte(a[0] + (b[0] - a[0]) * u), clampByte(a[1] + (b[1] - a[1]) * u), clampByte(a[2] + (b[2] - a[2]) * u)];
}

export function rgbCss(c: Rgb, alpha = 1): string {
  return alpha >= 1 ? `rgb(${c[0]}, ${c[1]}, ${c[2]})` : `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
}

/**
 * A 256-entry RGBA lookup table from background (index 0) to heat (index 255), with t = (i/255)^gamma.
 * gamma < 1 lifts small probabilities: with 0.5, p = 0.01 gets 10 % of the colour instead of 1 %.
 * out: [256, 4]
 */
export function heatLut(background: Rgb, heat: Rgb, gamma: number): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const c = mix(background, heat, Math.pow(i / 255, gamma));
    lut[i * 4] = c[0];
    lut[i * 4 + 1] = c[1];
    lut[i * 4 + 2] = c[2];
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/** WCAG relative luminance, 0 (black) … 1 (white). */
export function luminance(c: Rgb): number {
  const lin = (v: number): number => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export function isDark(background: Rgb): boolean {
  return luminance(background) < 0.2;
}

export function hslToRgb(h: number, s: number, l: number): Rgb {
  const hue = ((h % 360) + 360) % 360;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] =
    hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
  return [clampByte((r + m) * 255), clampByte((g + m) * 255), clampByte((b + m) * 255)];
}

/** WCAG's minimum contrast for graphics (lines, swatches) against their background. */
export const MIN_GRAPHIC_CONTRAST = 3;

/**
 * Categorical colour of head i of n (bertviz colours heads the same way): hues spread evenly
 * around the wheel, then lightened (dark backgrounds) or darkened (light ones) until the colour has
 * at least 3:1 contrast with the background: yellow at the same lightness as blue is unreadable on
 * white.
 */
export function headColour(i: number, n: number, background: Rgb): Rgb {
  const hue = (i * 360) / Math.max(1, n) + 15;
  const dark = isDark(background);
  let l = dark ? 0.62 : 0.42;
  let c = hslToRgb(hue, 0.75, l);
  while (contrastRatio(c, background) < MIN_GRAPHIC_CONTRAST && l > 0.05 && l < 0.95) {
    l += dark ? 0.03 : -0.03;
    c = hslToRgb(hue, 0.75, l);
  }
  return c;
}

/**
 * The colour-table index of a quantized cell. byte·scale/255 is the probability; absolute mode
 * maps probability p to index 255·p, row mode uses the byte (p / row max) directly.
 */
export function cellIndex(byte: number, rowScale: number, normaliseRows: boolean): number {
  if (normaliseRows) return byte;
  return Math.max(0, Math.min(255, Math.round(byte * rowScale)));
}
