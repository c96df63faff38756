// Batch-axis tensor operations of beam search: rows gathered (reordered, repeated), empty caches,
// and the last query row of each batch row's attention.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { emptyKv, gatherRows, lastQueryRows } from '../../../src/engine/seq2seq/tensors';

describe('beam tensors', () => {
  it('gathers rows in any order, repeats included, keeping the element type and the other dims', () => {
    const t = new ort.Tensor('float32', Float32Array.from([0, 1, 2, 10, 11, 12, 20, 21, 22]), [3, 1, 3]); // [batch 3, 1, 3]
    const g = gatherRows(ort, t, [2, 0, 2, 1]);
    assert.deepEqual(g.dims, [4, 1, 3]);
    assert.equal(g.type, 'float32');
    assert.deepEqual([...(g.data as Float32Array)], [20, 21, 22, 0, 1, 2, 20, 21, 22, 10, 11, 12]);
    const ids = new ort.Tensor('int64', BigInt64Array.from([5n, 6n]), [2, 1]);
    const tiled = gatherRows(ort, ids, [1, 1, 1]);
    assert.equal(tiled.type, 'int64');
    assert.deepEqual([...(tiled.data as BigInt64Array)], [6n, 6n, 6n]);
    assert.deepEqual(gatherRows(ort, t, []).dims, [0, 1, 3]);
  });

  it('refuses a row outside the batch', () => {
    const t = new ort.Tensor('float32', new Float32Array(4), [2, 2]);
    assert.throws(() => gatherRows(ort, t, [2]), { name: 'RangeError', message: 'row 2 is outside 0..1' });
    assert.throws(() => gatherRows(ort, t, [-1]), { name: 'RangeError', message: 'row -1 is outside 0..1' });
  });

  it('makes empty caches of either element type', () => {
    const f16 = emptyKv(ort, 'float16', 3, 4, 8);
    assert.deepEqual([f16.type, f16.dims, f16.data.length], ['float16', [3, 4, 0, 8], 0]);
    const f32 = emptyKv(ort, 'float32', 1, 2, 16);
    assert.deepEqual([f32.type, f32.dims], ['float32', [1, 2, 0, 16]]);
  });

  it('takes the last query row of every head, per batch row', () => {
    // [batch 2, heads 2, queries 2, keys 3]: value = b*100 + h*10 + q*3 + k
    const data = new Float32Array(24);
    for (let b = 0; b < 2; b++) for (let h = 0; h < 2; h++) for (let q = 0; q < 2; q++) for (let k = 0; k < 3; k++) data[((b * 2 + h) * 2 + q) * 3 + k] = b * 100 + h * 10 + q * 3 + k;
    const rows = lastQueryRows(new ort.Tensor('float32', data, [2, 2, 2, 3]));
    assert.deepEqual(rows.map((r) => [...r]), [
      [3, 4, 5, 13, 14, 15],
      [103, 104, 105, 113, 114, 115],
    ]);
  });
});
