// Attention blocks (src/engine/attention.ts): what a selection keeps and in which order, when it
// shares the tensor's memory, the views of one head, the checks of a block's shape, and blocks
// assembled from rows captured one decode step at a time. Tensors here are made by hand, each
// value its own flat index, so every kept value says where it came from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockFromCapturedRows, checkBlock, headMatrix, layerView, selectBlock, validIndices } from '../../../src/engine/attention';
import type { OrtTensor } from '../../../src/engine/onnx';
import type { AttentionBlock } from '../../../src/engine/types';

const HEADS = 2;
const QUERIES = 3;
const KEYS = 4;

/** A layer's attention [1, heads, queries, keys] whose value at each place is layer·1000 + its flat index. */
function layerTensor(layer: number): OrtTensor {
  const data = Float32Array.from({ length: HEADS * QUERIES * KEYS }, (_, i) => layer * 1000 + i);
  return { dims: [1, HEADS, QUERIES, KEYS], data } as unknown as OrtTensor;
}

const at = (layer: number, head: number, query: number) => Array.from({ length: KEYS }, (_, k) => layer * 1000 + (head * QUERIES + query) * KEYS + k);

describe('validIndices', () => {
  it('gives every index when none are asked for, and the asked ones as they are', () => {
    assert.deepEqual(validIndices(undefined, 3, 'row'), [0, 1, 2]);
    assert.deepEqual(validIndices([2, 0, 2], 3, 'row'), [2, 0, 2]);
    assert.deepEqual(validIndices([], 3, 'row'), []);
  });

  it('refuses an index below 0, at or past n, or not an integer, naming it', () => {
    assert.throws(() => validIndices([0, -1], 3, 'head'), { name: 'RangeError', message: 'head -1 is outside 0..2' });
    assert.throws(() => validIndices([3], 3, 'layer'), { name: 'RangeError', message: 'layer 3 is outside 0..2' });
    assert.throws(() => validIndices([1.5], 3, 'row'), { name: 'RangeError', message: 'row 1.5 is outside 0..2' });
    assert.doesNotThrow(() => validIndices([2], 3, 'row'));
  });
});

describe('selectBlock', () => {
  const attentions = [layerTensor(0), layerTensor(1), layerTensor(2)];

  it('refuses no tensors, and indices outside each dimension, naming the dimension', () => {
    assert.throws(() => selectBlock([], {}), /^Error: no attention tensors$/);
    assert.throws(() => selectBlock(attentions, { layers: [3] }), { message: 'layer 3 is outside 0..2' });
    assert.throws(() => selectBlock(attentions, { heads: [2] }), { message: 'head 2 is outside 0..1' });
    assert.throws(() => selectBlock(attentions, { rows: [3] }), { message: 'row 3 is outside 0..2' });
  });

  it('a layer whose every head and row is selected is its tensor’s own memory', () => {
    const block = selectBlock(attentions, { layers: [2, 0] });
    assert.deepEqual([block.layers, block.heads, block.rows, block.keys], [[2, 0], [0, 1], [0, 1, 2], KEYS]);
    assert.equal(block.layerData[0], attentions[2]?.data);
    assert.equal(block.layerData[1], attentions[0]?.data);
  });

  it('copies the selected heads × rows in the order asked: [heads, rows, keys]', () => {
    const block = selectBlock(attentions, { layers: [1], heads: [1, 0], rows: [2, 0] });
    assert.notEqual(block.layerData[0], attentions[1]?.data);
    assert.deepEqual([...(block.layerData[0] as Float32Array)], [...at(1, 1, 2), ...at(1, 1, 0), ...at(1, 0, 2), ...at(1, 0, 0)]);
  });

  for (const [what, selection] of [
    ['every head in another order', { heads: [1, 0] }],
    ['one head', { heads: [0] }],
    ['the rows in another order', { rows: [0, 2, 1] }],
    ['all but one row', { rows: [0, 1] }],
    ['a row twice', { heads: [0, 1], rows: [0, 1, 1] }],
  ] as const) {
    it(`${what} is a copy of exactly those values`, () => {
      const block = selectBlock(attentions, { layers: [0], ...selection });
      const heads = 'heads' in selection ? selection.heads : [0, 1];
      const rows = 'rows' in selection ? selection.rows : [0, 1, 2];
      assert.deepEqual([...(block.layerData[0] as Float32Array)], heads.flatMap((h) => rows.flatMap((r) => at(0, h, r))));
      assert.notEqual(block.layerData[0], attentions[0]?.data);
    });
  }
});

describe('headMatrix and checkBlock', () => {
  const block = selectBlock([layerTensor(0), layerTensor(1)], { heads: [1, 0], rows: [1] });

  it('gives one head of one layer as a view [rows, keys]', () => {
    const matrix = headMatrix(block, 1, 0);
    assert.deepEqual([...matrix], at(1, 1, 1));
    assert.equal(matrix.buffer, (block.layerData[1] as Float32Array).buffer);
    assert.deepEqual([...headMatrix(block, 0, 1)], at(0, 0, 1));
  });

  it('refuses a layer or head position outside the block', () => {
    for (const [layer, head] of [[2, 0], [0, -1], [0, 2], [-1, 0]] as const) {
      assert.throws(() => headMatrix(block, layer, head), { name: 'RangeError', message: `layer position ${layer} / head position ${head} is outside the block` });
    }
  });

  it('accepts a block whose arrays hold heads × rows × keys values, and names what is wrong otherwise', () => {
    assert.doesNotThrow(() => checkBlock(block));
    const missing: AttentionBlock = { ...block, layerData: [block.layerData[0] as Float32Array] };
    assert.throws(() => checkBlock(missing), { name: 'RangeError', message: 'attention block has 1 layer arrays for 2 layers' });
    const short: AttentionBlock = { ...block, layerData: [block.layerData[0] as Float32Array, new Float32Array(7)] };
    assert.throws(() => checkBlock(short), { name: 'RangeError', message: 'attention block layer 1 has 7 values, expected 8 = 2 heads × 1 rows × 4 keys' });
  });
});

describe('blockFromCapturedRows and layerView', () => {
  it('places each captured row at its row of every head, its unseen keys left 0', () => {
    // Two decode steps over layers 3 and 5; step r saw r + 2 keys. captured[row][layer]: [heads, width].
    const captured = [0, 1].map((row) => [3, 5].map((layer) => Float32Array.from({ length: HEADS * (row + 2) }, (_, i) => layer * 100 + row * 10 + i)));
    const block = blockFromCapturedRows(captured, [3, 5], HEADS, KEYS);
    assert.deepEqual([block.layers, block.heads, block.rows, block.keys], [[3, 5], [0, 1], [0, 1], KEYS]);
    // Layer 3: head 0 rows 0, 1 then head 1 rows 0, 1; each padded to 4 keys.
    assert.deepEqual([...(block.layerData[0] as Float32Array)], [300, 301, 0, 0, 310, 311, 312, 0, 302, 303, 0, 0, 313, 314, 315, 0]);
    assert.deepEqual([...(block.layerData[1] as Float32Array)].slice(8), [502, 503, 0, 0, 513, 514, 515, 0]);
    assert.doesNotThrow(() => checkBlock(block));
  });

  it('sees one layer’s tensor as a block without copying', () => {
    const tensor = layerTensor(4);
    const block = layerView(tensor, 4);
    assert.deepEqual([block.layers, block.heads, block.rows, block.keys], [[4], [0, 1], [0, 1, 2], KEYS]);
    assert.equal(block.layerData[0], tensor.data);
  });
});
