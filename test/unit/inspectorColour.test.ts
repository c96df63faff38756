import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_GRAPHIC_CONTRAST, cellIndex, contrastRatio, headColour, heatLut, hslToRgb, isDark, luminance, mix, parseColour, rgbCss } from '../../webview/inspector/colour';
import { badgeText, displayToken, formatStat } from '../../webview/inspector/labels';

test('parseColour reads the forms VS Code themes use', () => {
  assert.deepEqual(parseColour('#1e1e1e'), [30, 30, 30]);
  assert.deepEqual(parseColour(' #FFF '), [255, 255, 255]);
  assert.deepEqual(parseColour('#0000ff80'), [0, 0, 255]);
  assert.deepEqual(parseColour('#f008'), [255, 0, 0]);
  assert.deepEqual(parseColour('rgba(10, 20, 30, 0.5)'), [10, 20, 30]);
  assert.deepEqual(parseColour('rgb(300 0 0)'), [255, 0, 0]);
  assert.equal(parseColour('var(--x)'), undefined);
  assert.equal(parseColour(''), undefined);
});

test('heatLut runs from background to heat with the gamma curve', () => {
  const lut = heatLut([0, 0, 0], [200, 100, 0], 0.5);
  assert.equal(lut.length, 1024);
  assert.deepEqual(Array.from(lut.subarray(0, 4)), [0, 0, 0, 255]);
  assert.deepEqual(Array.from(lut.subarray(1020, 1024)), [200, 100, 0, 255]);
  // index 64 → t = sqrt(64/255) = 0.501 → 100.2, 50.1
  assert.deepEqual(Array.from(lut.subarray(256, 259)), [100, 50, 0]);
  // monotone in each channel that grows
  for (let i = 1; i < 256; i++) assert.ok(lut[i * 4]! >= lut[(i - 1) * 4]!);
  const linear = heatLut([255, 255, 255], [0, 0, 0], 1);
  assert.equal(linear[128 * 4], Math.round(255 - (255 * 128) / 255));
});

test('mix, rgbCss, luminance and contrast are the textbook formulas', () => {
  assert.deepEqual(mix([0, 0, 0], [255, 255, 255], 0.5), [128, 128, 128]);
  assert.deepEqual(mix([0, 0, 0], [10, 10, 10], 2), [10, 10, 10]);
  assert.equal(rgbCss([1, 2, 3]), 'rgb(1, 2, 3)');
  assert.equal(rgbCss([1, 2, 3], 0.5), 'rgba(1, 2, 3, 0.5)');
  assert.equal(luminance([0, 0, 0]), 0);
  assert.ok(Math.abs(luminance([255, 255, 255]) - 1) < 1e-12);
  assert.ok(Math.abs(contrastRatio([0, 0, 0], [255, 255, 255]) - 21) < 1e-9);
  assert.ok(isDark([30, 30, 30]) && !isDark([255, 255, 255]));
});

test('hslToRgb hits the primaries; head colours are distinct and readable on their background', () => {
  assert.deepEqual(hslToRgb(0, 1, 0.5), [255, 0, 0]);
  assert.deepEqual(hslToRgb(120, 1, 0.5), [0, 255, 0]);
  assert.deepEqual(hslToRgb(240, 1, 0.5), [0, 0, 255]);
  assert.deepEqual(hslToRgb(-120, 1, 0.5), [0, 0, 255]);
  const backgrounds: [number, number, number][] = [[30, 30, 30], [255, 255, 255], [0, 0, 0], [243, 243, 243]];
  for (const bg of backgrounds) {
    const colours = Array.from({ length: 12 }, (_, i) => headColour(i, 12, bg));
    assert.equal(new Set(colours.map((c) => c.join())).size, 12);
    for (const c of colours) assert.ok(contrastRatio(c, bg) >= MIN_GRAPHIC_CONTRAST, `${c} on ${bg}: ${contrastRatio(c, bg)}`);
  }
});

test('cellIndex: absolute probability or row-normalised byte', () => {
  // p = 128 · 0.5 / 255 ≈ 0.251 → index 64
  assert.equal(cellIndex(128, 0.5, false), 64);
  assert.equal(cellIndex(128, 0.5, true), 128);
  assert.equal(cellIndex(255, 1, false), 255);
  assert.equal(cellIndex(0, 1, false), 0);
});

test('token labels show whitespace and cut long tokens by code point', () => {
  assert.equal(displayToken(' foo'), '·foo');
  assert.equal(displayToken('\r\n\t'), '␍↵→');
  assert.equal(displayToken(''), '∅');
  assert.equal(displayToken('abcdefghijklmnopqrstuvwxyz'), 'abcdefghijklmno…');
  assert.equal(displayToken('😀😀😀', 2), '😀…');
  assert.equal(formatStat(1 / 3), '0.333');
  assert.equal(formatStat(Number.NaN), '–');
  assert.equal(badgeText('previous-token'), 'prev');
  assert.equal(badgeText('sink'), 'sink');
});
