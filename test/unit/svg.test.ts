import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, heatmapRects, renderModelViewSvg, SVG_LEVELS } from '../../src/inspector/svg';
import { computeHeadStats } from '../../src/engine/headStats';
import type { AttentionResult } from '../../src/engine/types';
import { flatBlock } from '../blocks';

function fixture(layers: number, heads: number, t: number): AttentionResult {
  const data = new Float32Array(layers * heads * t * t); // [layers, heads, t, t]
  for (let l = 0; l < layers; l++)
    for (let h = 0; h < heads; h++)
      for (let q = 0; q < t; q++) {
        const base = ((l * heads + h) * t + q) * t;
        if (h % 2 === 0) data[base + Math.max(0, q - 1)] = 1; // previous token
        else for (let k = 0; k <= q; k++) data[base + k] = 1 / (q + 1); // uniform
      }
  const attention = flatBlock({
    layers: Array.from({ length: layers }, (_, i) => i),
    heads: Array.from({ length: heads }, (_, i) => i),
    rows: Array.from({ length: t }, (_, i) => i),
    keys: t,
    data,
  });
  return {
    kind: 'self',
    tokens: Array.from({ length: t }, (_, i) => ({ id: i, text: `t${i}`, start: i * 2, end: i * 2 + 2 })),
    truncatedTokens: 0,
    textOffset: 0,
    totalLayers: layers,
    totalHeads: heads,
    attention,
    stats: computeHeadStats(attention),
    forwardMs: 1,
  };
}

test('the SVG has one labelled heatmap per layer × head, with badges and a legend', () => {
  const svg = renderModelViewSvg(fixture(2, 3, 40));
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal((svg.match(/<g transform=/g) ?? []).length, 6);
  for (const label of ['L0', 'L1', 'H0', 'H1', 'H2']) assert.ok(svg.includes(`>${label}</text>`), label);
  assert.equal((svg.match(/>prev · H/g) ?? []).length, 4); // heads 0 and 2 of both layers
  assert.equal((svg.match(/>broad · H/g) ?? []).length, 2);
  assert.ok(svg.includes('40 tokens, 2 layers × 3 heads'));
  assert.equal((svg.match(/<g /g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length);
});

test('heatmapRects merges equal neighbours and skips empty cells', () => {
  // 2 × 4: row 0 = [1, 1, 0, 0] → one rect of width 2; row 1 = [0, 0.5, 1, 0] → two rects
  const rects = heatmapRects(Float32Array.from([1, 1, 0, 0, 0, 0.5, 1, 0]), 2, 4);
  const all = rects.match(/<rect [^>]*\/>/g) ?? [];
  assert.equal(all.length, 3);
  assert.ok(all[0]!.includes('width="48"') && all[0]!.includes(`fill-opacity="1"`));
  assert.ok(all[1]!.includes(`fill-opacity="${0.5}"`) && all[1]!.includes('x="24"'));
  assert.equal(SVG_LEVELS, 32);
});

test('XML special and control characters are escaped or dropped', () => {
  assert.equal(escapeXml('a<b>&"c\'\u0001'), 'a&#60;b&#62;&#38;&#34;c&#39;');
});
