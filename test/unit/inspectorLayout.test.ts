import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitZoom,
  gridCellRect,
  gridHitTest,
  GRID,
  headViewHitTest,
  headViewLayout,
  matrixContentSize,
  matrixHitTest,
  modelGridLayout,
  rowLabelHitTest,
  scrollToReveal,
  stepZoom,
  tokenY,
  visibleRange,
  zoomScroll,
  ZOOM_LEVELS,
} from '../../webview/inspector/layout';

test('model grid: cells fill the width within bounds, hit testing round-trips', () => {
  // 600 px, 8 heads: (600 − 36 − 6·9) / 8 = 63.75 → 63
  const g = modelGridLayout(600, 6, 8);
  assert.equal(g.cell, 63);
  assert.equal(g.width, 36 + 8 * 69 + 6);
  assert.equal(g.height, 20 + 6 * (63 + 14 + 6) + 6);
  assert.equal(modelGridLayout(100, 2, 32).cell, GRID.minCell);
  assert.equal(modelGridLayout(5000, 2, 2).cell, GRID.maxCell);
  for (let l = 0; l < 6; l++)
    for (let h = 0; h < 8; h++) {
      const r = gridCellRect(g, l, h);
      assert.deepEqual(gridHitTest(g, r.x + 1, r.y + 1), { layer: l, head: h });
      assert.deepEqual(gridHitTest(g, r.x + r.w - 1, r.y + r.h + g.badge - 1), { layer: l, head: h }); // the badge
    }
  assert.equal(gridHitTest(g, 5, 100), undefined); // layer labels
  const r = gridCellRect(g, 0, 0);
  assert.equal(gridHitTest(g, r.x + r.w + 2, r.y + 5), undefined); // the gap
});

test('model grid layout is idempotent: laying out at its own width gives the same grid (the e2e test relies on it)', () => {
  for (const width of [150, 333, 600, 1000, 4000])
    for (const [layers, heads] of [[2, 4], [6, 8], [12, 12], [1, 1]] as const) {
      const g = modelGridLayout(width, layers, heads);
      assert.deepEqual(modelGridLayout(g.width, layers, heads), g);
    }
});

test('matrix: visible range, hit test with scroll, content size', () => {
  const g = { rows: 1024, keys: 1024, cell: 4, labelLeft: 80, labelTop: 60 };
  assert.deepEqual(matrixContentSize(g), { width: 80 + 4096, height: 60 + 4096 });
  // viewport 480 wide: 400 px of cells → 100 columns from scroll 200 / 4 = 50
  assert.deepEqual(visibleRange(200, 480, 80, 4, 1024), { first: 50, end: 150 });
  assert.deepEqual(visibleRange(4090, 480, 80, 4, 1024), { first: 1022, end: 1024 });
  assert.deepEqual(visibleRange(0, 50, 80, 4, 1024), { first: 0, end: 0 });
  assert.deepEqual(matrixHitTest(g, 200, 40, 81, 61), { row: 10, key: 50 });
  assert.equal(matrixHitTest(g, 0, 0, 79, 100), undefined);
  assert.equal(matrixHitTest({ ...g, rows: 2, keys: 2 }, 0, 0, 80 + 9, 61), undefined);
  assert.equal(rowLabelHitTest(g, 40, 10, 61), 10);
  assert.equal(rowLabelHitTest(g, 40, 90, 61), undefined);
});

test('zoom: steps, fit, and the point under the mouse stays put', () => {
  assert.equal(stepZoom(4, 1), 6);
  assert.equal(stepZoom(4, -1), 3);
  assert.equal(stepZoom(32, 1), 32);
  assert.equal(stepZoom(1, -1), 1);
  assert.equal(stepZoom(5, 1), 6);
  assert.equal(fitZoom(880, 660, { rows: 100, keys: 100, labelLeft: 80, labelTop: 60 }), 6);
  assert.equal(fitZoom(500, 500, { rows: 1024, keys: 1024, labelLeft: 80, labelTop: 60 }), ZOOM_LEVELS[0]);
  // pointer 180 px into a viewport with an 80 px gutter, scroll 300, cell 4 → 8:
  // content point 400 at cell 4 = item 100 → 800 at cell 8 → scroll 700
  assert.equal(zoomScroll(300, 180, 80, 4, 8), 700);
  assert.equal(zoomScroll(0, 10, 80, 4, 8), 0);
});

test('scrollToReveal keeps a visible item still and brings others into view', () => {
  assert.equal(scrollToReveal(0, 480, 80, 10, 5), 0);
  assert.equal(scrollToReveal(0, 480, 80, 10, 50), 510 - 400);
  assert.equal(scrollToReveal(300, 480, 80, 10, 2), 20);
});

test('head view: token rows and columns hit test', () => {
  const l = headViewLayout(600, 10, 10);
  assert.equal(l.queryX, 138);
  assert.equal(l.keyX, 138 + (600 - 260 - 16));
  assert.equal(tokenY(l, 0), 8 + 9);
  assert.deepEqual(headViewHitTest(l, 10, 10, l.queryX - 20, tokenY(l, 3)), { side: 'query', index: 3 });
  assert.deepEqual(headViewHitTest(l, 10, 10, l.keyX + 20, tokenY(l, 9)), { side: 'key', index: 9 });
  assert.equal(headViewHitTest(l, 10, 10, (l.queryX + l.keyX) / 2, tokenY(l, 3)), undefined);
  assert.equal(headViewHitTest(l, 10, 10, l.keyX + 20, tokenY(l, 10)), undefined);
  assert.equal(headViewLayout(100, 3, 3).keyX - headViewLayout(100, 3, 3).queryX, 120);
});
