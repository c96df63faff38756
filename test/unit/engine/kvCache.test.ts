import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { commonPrefixLength, KvCache, type KvLayout } from '../../../src/engine/kvCache';

const layout: KvLayout = { pastNames: ['past_key_values.0.key'], presentNames: ['present.0.key'], kvHeads: 2, headDim: 3, dtype: 'float32' };

describe('KvCache', () => {
  it('starts empty with a zero-length past', () => {
    const cache = KvCache.empty(ort, layout);
    assert.equal(cache.length, 0);
    assert.deepEqual(cache.feeds()['past_key_values.0.key']?.dims, [1, 2, 0, 3]);
  });

  it('truncation keeps the first positions of every head', async () => {
    // [1, kvHeads=2, length=4, headDim=3]; value = 100·head + 10·position + dim
    const data = new Float32Array(2 * 4 * 3);
    for (let h = 0; h < 2; h++) for (let p = 0; p < 4; p++) for (let d = 0; d < 3; d++) data[(h * 4 + p) * 3 + d] = 100 * h + 10 * p + d;
    const full = KvCache.empty(ort, layout).advanced({ 'present.0.key': new ort.Tensor('float32', data, [1, 2, 4, 3]) }, [5, 6, 7, 8]);
    const cut = await full.truncated(2);
    assert.deepEqual(cut.ids, [5, 6]);
    assert.deepEqual(cut.tensors[0]?.dims, [1, 2, 2, 3]);
    assert.deepEqual([...(cut.tensors[0]?.data as Float32Array)], [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    assert.equal(await full.truncated(9), full, 'cutting beyond the length is a no-op');
    assert.equal((await full.truncated(0)).length, 0);
    assert.equal((full.tensors[0]?.data as Float32Array).length, 24, 'the source is untouched');
  });

  it('a missing present output is reported', () => {
    assert.throws(() => KvCache.empty(ort, layout).advanced({}, [1]), /present\.0\.key/);
  });

  it('commonPrefixLength', () => {
    assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
    assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
    assert.equal(commonPrefixLength([], [1]), 0);
    assert.equal(commonPrefixLength([1, 2], [1, 2]), 2, 'equal arrays share their whole length, not one more');
    assert.equal(commonPrefixLength([], []), 0);
  });
});
