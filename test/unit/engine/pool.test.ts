// Mean pooling (src/engine/pool.ts) at the level of its pieces: addRowToBins, which adds one row
// to its bins' sums and touches nothing else, and when poolBlock may skip the zeros of a causal
// block (only when its rows are every position 0 … T − 1, in order) and when it must read every
// cell. Cells a causal pass says are zero hold a marker (9) here, so the means show which cells
// were read. binEdges and meanPool's means are covered in test/unit/quantize.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addRowToBins, poolBlock } from '../../../src/engine/pool';
import type { AttentionBlock } from '../../../src/engine/types';

/** One layer × one head over `rows` and `keys`; data: [rows.length, keys] */
function oneHead(rows: readonly number[], keys: number, data: readonly number[]): AttentionBlock {
  return { layers: [0], heads: [0], rows, keys, layerData: [Float32Array.from(data)] };
}

describe('addRowToBins', () => {
  it('adds each bin its cells at accOffset and leaves the bins at or past the row end untouched', () => {
    // the row is src[1, 7): 6 keys in bins [0,2) [2,4) [4,6)
    const src = Float32Array.from([100, 1, 2, 3, 4, 5, 6]);
    const edges = [0, 2, 4, 6];
    // acc: [guard, bin 0, bin 1, bin 2, guard]
    const acc = Float64Array.from([10, 10, 0, 0, 0]);
    addRowToBins(src, 1, 3, edges, acc, 1); // row end at bin 1's start: only bin 0
    assert.deepEqual(Array.from(acc), [10, 13, 0, 0, 0]);
    addRowToBins(src, 1, 4, edges, acc, 1); // row end inside bin 1: bin 1 gets the one cell before it
    assert.deepEqual(Array.from(acc), [10, 16, 3, 0, 0]);
    addRowToBins(src, 1, 7, edges, acc, 1); // the whole row
    assert.deepEqual(Array.from(acc), [10, 19, 10, 11, 0]);
  });

  it('sums a bin as four running sums over every fourth cell, added at the end', () => {
    // [8 cells, one bin]: 2^100 and −2^100 fall in the same running sum and cancel exactly, so
    // the 1 survives; one running sum in order would lose it (2^100 + 1 rounds to 2^100)
    const big = 2 ** 100;
    const acc = new Float64Array(1);
    addRowToBins(Float32Array.from([big, 1, 0, 0, -big, 0, 0, 0]), 0, 8, [0, 8], acc, 0);
    assert.equal(acc[0], 1);
  });
});

describe('poolBlock: which cells a causal block skips', () => {
  // size 3 ≥ every side here: each pooled cell is one cell, so pooled data is the matrix read
  const SIZE = 3;

  it('a causal block of every position in order skips the cells after each row’s position', () => {
    // [3 rows, 3 keys]; the 9s sit where causal attention is 0
    const block = oneHead([0, 1, 2], 3, [1, 9, 9, 0.5, 0.5, 9, 0.25, 0.25, 0.5]);
    assert.deepEqual(Array.from(poolBlock(block, SIZE, true).data), [1, 0, 0, 0.5, 0.5, 0, 0.25, 0.25, 0.5]);
  });

  it('without causal every cell is read', () => {
    const values = [1, 9, 9, 0.5, 0.5, 9, 0.25, 0.25, 0.5]; // [3 rows, 3 keys]
    assert.deepEqual(Array.from(poolBlock(oneHead([0, 1, 2], 3, values), SIZE, false).data), values);
  });

  it('a causal block of reordered rows reads every cell: row i is not position i', () => {
    // [3 rows, 3 keys]: positions 0, 2, 1 — position 2 attends to key 2, at row index 1
    const values = [1, 0, 0, 0.25, 0.25, 0.5, 0.5, 0.5, 0];
    assert.deepEqual(Array.from(poolBlock(oneHead([0, 2, 1], 3, values), SIZE, true).data), values);
  });

  it('a causal block of fewer rows than keys reads every cell: only a block of every position skips', () => {
    // [2 rows, 3 keys]: the first two positions of three
    const values = [1, 9, 9, 0.5, 0.5, 9];
    assert.deepEqual(Array.from(poolBlock(oneHead([0, 1], 3, values), SIZE, true).data), values);
  });
});
