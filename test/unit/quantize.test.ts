import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binEdges, meanPool, poolBlock } from '../../src/engine/pool';
import { dequantize, quantizeRows, thumbnails } from '../../src/engine/quantize';
import { flatBlock } from '../blocks';
import { dequantizeCell, isQuantizedMatrices } from '../../src/protocol/inspector';

test('quantizeRows: bytes scaled to each row max, error ≤ max/510', () => {
  // [1 matrix, 2 rows, 3 keys]
  const src = Float32Array.from([0.5, 0.25, 0.25, 0, 0.1, 0.9]);
  const q = quantizeRows(src, 1, 2, 3);
  assert.deepEqual(Array.from(q.data), [255, 128, 128, 0, 28, 255]); // 0.25/0.5·255 = 127.5 → 128; 0.1/0.9·255 = 28.3 → 28
  assert.deepEqual(Array.from(q.scales), [0.5, Math.fround(0.9)]);
  assert.ok(isQuantizedMatrices(q));
  const back = dequantize(q);
  for (let i = 0; i < src.length; i++) {
    const rowMax = i < 3 ? 0.5 : 0.9;
    assert.ok(Math.abs(back[i]! - src[i]!) <= rowMax / 510 + 1e-7, `cell ${i}: ${back[i]} vs ${src[i]}`);
  }
  assert.ok(Math.abs(dequantizeCell(q, 0, 1, 1) - back[4]!) < 1e-7);
});

test('quantizeRows: a zero row stays zero; random rows stay within the bound', () => {
  const q = quantizeRows(new Float32Array(4), 2, 1, 2);
  assert.deepEqual(Array.from(q.data), [0, 0, 0, 0]);
  let seed = 3;
  const src = Float32Array.from({ length: 5 * 7 * 11 }, () => ((seed = (seed * 69069 + 1) % 4294967296) / 4294967296));
  const back = dequantize(quantizeRows(src, 5, 7, 11));
  for (let i = 0; i < src.length; i++) assert.ok(Math.abs(back[i]! - src[i]!) <= 1 / 510 + 1e-7);
});

test('quantized outputs own their buffers (a posted view never drags a big tensor along)', () => {
  const big = new Float32Array(1000);
  const q = quantizeRows(big.subarray(0, 4), 1, 2, 2);
  assert.equal(q.data.buffer.byteLength, 4);
  assert.equal(q.scales.buffer.byteLength, 8);
});

test('binEdges splits evenly and never makes empty bins', () => {
  assert.deepEqual(binEdges(10, 4), [0, 2, 5, 7, 10]);
  assert.deepEqual(binEdges(3, 32), [0, 1, 2, 3]);
  assert.deepEqual(binEdges(0, 32), [0]);
  assert.deepEqual(binEdges(64, 32).length, 33);
});

test('meanPool: each cell is the exact mean of its block', () => {
  // [4 rows, 4 keys] → 2 × 2
  const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const p = meanPool(src, 0, 4, 4, 2);
  assert.equal(p.rows, 2);
  assert.equal(p.keys, 2);
  assert.deepEqual(Array.from(p.data), [(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4, (9 + 10 + 13 + 14) / 4, (11 + 12 + 15 + 16) / 4]);
  // uneven: 3 keys into 2 bins → [0,1) and [1,3)
  const q = meanPool(Float32Array.from([3, 1, 2]), 0, 1, 3, 2);
  assert.deepEqual(Array.from(q.data), [3, 1.5]);
  // offset selects the second matrix
  const r = meanPool(Float32Array.from([0, 0, 7, 9]), 2, 1, 2, 1);
  assert.deepEqual(Array.from(r.data), [8]);
});

test('thumbnails pool every head to at most 32 × 32 and quantize per row', () => {
  const t = 64;
  // two layers × one head of a 64-token identity: pooled blocks on the diagonal are 2/4 = 0.5, the rest 0
  const src = new Float32Array(2 * t * t);
  for (let m = 0; m < 2; m++) for (let i = 0; i < t; i++) src[m * t * t + i * t + i] = 1;
  const rows = [...Array(t).keys()];
  const block = flatBlock({ layers: [0, 1], heads: [0], rows, keys: t, data: src });
  const th = thumbnails(poolBlock(block, 32, false));
  // the identity is causal: skipping the zeros after the diagonal changes nothing
  assert.deepEqual(thumbnails(poolBlock(block, 32, true)), th);
  assert.equal(th.count, 2);
  assert.equal(th.rows, 32);
  assert.equal(th.keys, 32);
  assert.equal(th.scales[0], 0.5);
  assert.equal(th.data[0], 255);
  assert.equal(th.data[1], 0);
  assert.equal(th.data[32 * 32 + 33], 255); // second head, row 1, key 1
});

test('meanPool with causal skips only cells that are zero: the same means on causal data', () => {
  // 37 tokens (bins of uneven size), row q uniform over keys 0..q
  const t = 37;
  const src = new Float32Array(t * t);
  for (let q = 0; q < t; q++) for (let k = 0; k <= q; k++) src[q * t + k] = 1 / (q + 1);
  const dense = meanPool(src, 0, t, t, 8);
  const causal = meanPool(src, 0, t, t, 8, true);
  assert.deepEqual(Array.from(causal.data), Array.from(dense.data));
  // and it does skip: no value above the diagonal is read
  for (let q = 0; q < t; q++) for (let k = q + 1; k < t; k++) src[q * t + k] = 1;
  assert.deepEqual(Array.from(meanPool(src, 0, t, t, 8, true).data), Array.from(dense.data));
  assert.notDeepEqual(Array.from(meanPool(src, 0, t, t, 8).data), Array.from(dense.data));
});

test('meanPool matches a cell-by-cell mean on random data, at an offset, for bins of every size', () => {
  const rows = 23;
  const keys = 29;
  const offset = 5;
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const src = Float32Array.from({ length: offset + rows * keys }, random);
  for (const size of [1, 3, 5, 32]) {
    const rowEdges = binEdges(rows, size);
    const keyEdges = binEdges(keys, size);
    const expected: number[] = [];
    for (let rb = 0; rb + 1 < rowEdges.length; rb++) {
      for (let kb = 0; kb + 1 < keyEdges.length; kb++) {
        let sum = 0;
        for (let r = rowEdges[rb]!; r < rowEdges[rb + 1]!; r++) for (let k = keyEdges[kb]!; k < keyEdges[kb + 1]!; k++) sum += src[offset + r * keys + k]!;
        expected.push(sum / ((rowEdges[rb + 1]! - rowEdges[rb]!) * (keyEdges[kb + 1]! - keyEdges[kb]!)));
      }
    }
    const got = meanPool(src, offset, rows, keys, size).data;
    assert.equal(got.length, expected.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `size ${size}, cell ${i}: ${v} vs ${expected[i]}`));
  }
});

test('quantizeRows: a negative value (rounding below zero) is stored as 0, and a wrong length is refused', () => {
  // [1 matrix, 1 row, 3 keys]: a byte has no sign, so -0.01 must not wrap to 255 - 4.
  const q = quantizeRows(Float32Array.from([-0.01, 0.5, 1]), 1, 1, 3);
  assert.deepEqual(Array.from(q.data), [0, 128, 255]);
  assert.throws(() => quantizeRows(new Float32Array(5), 1, 2, 3), (e: unknown) => e instanceof RangeError && e.message === 'quantizeRows: 5 values, expected 1 × 2 × 3');
});
