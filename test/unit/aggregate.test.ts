import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reduceHeads, rollout, rolloutSteps, withResidual, isLowerTriangular } from '../../src/engine/aggregate';
import { flatBlock } from '../blocks';

const closeAll = (actual: Float32Array, expected: number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `[${i}] ${v} ≉ ${expected[i]}`));
};

test('mean and max over heads, per layer', () => {
  // data: [2 layers, 2 heads, 1 row, 2 keys]
  const block = flatBlock({ layers: [0, 1], heads: [0, 1], rows: [1], keys: 2, data: Float32Array.from([0.2, 0.8, 0.6, 0.4, 1, 0, 0, 1]) });
  closeAll(reduceHeads(block, 'mean'), [0.4, 0.6, 0.5, 0.5]);
  closeAll(reduceHeads(block, 'max'), [0.6, 0.8, 1, 1]);
});

test('residual identity: 0.5·A + 0.5·I, rows renormalised', () => {
  const out = new Float32Array(4);
  withResidual(Float32Array.from([1, 0, 0.5, 0.5]), 2, out);
  closeAll(out, [1, 0, 0.25, 0.75]);
  // a row that lost mass (sums to 0.5) is renormalised: (0.25, 0.5) / 0.75
  withResidual(Float32Array.from([1, 0, 0.5, 0]), 2, out);
  closeAll(out, [1, 0, 0.25 / 0.75, 0.5 / 0.75]);
});

test('rollout of two causal layers, computed by hand', () => {
  // A0 = [[1,0],[.5,.5]] → Ã0 = [[1,0],[.25,.75]]
  // A1 = [[1,0],[1,0]]   → Ã1 = [[1,0],[.5,.5]]
  // R1 = Ã1·Ã0 = [[1,0],[.5·1+.5·.25, .5·.75]] = [[1,0],[.625,.375]]
  const r = rollout(Float32Array.from([1, 0, 0.5, 0.5, 1, 0, 1, 0]), 2, 2);
  closeAll(r, [1, 0, 0.25, 0.75, 1, 0, 0.625, 0.375]);
});

/** Dense reference: R_l = Ã_l · R_{l−1}, straightforward triple loop. */
function referenceRollout(perLayer: Float32Array, layers: number, t: number): Float32Array {
  const out = new Float32Array(layers * t * t);
  const mixed = new Float32Array(t * t);
  for (let l = 0; l < layers; l++) {
    withResidual(perLayer.subarray(l * t * t, (l + 1) * t * t), t, mixed);
    for (let i = 0; i < t; i++)
      for (let j = 0; j < t; j++) {
        if (l === 0) out[i * t + j] = mixed[i * t + j]!;
        else {
          let s = 0;
          for (let k = 0; k < t; k++) s += mixed[i * t + k]! * out[(l - 1) * t * t + k * t + j]!;
          out[l * t * t + i * t + j] = s;
        }
      }
  }
  return out;
}

function randomAttention(layers: number, t: number, causal: boolean, seed: number): Float32Array {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = new Float32Array(layers * t * t);
  for (let l = 0; l < layers; l++)
    for (let i = 0; i < t; i++) {
      let sum = 0;
      const end = causal ? i : t - 1;
      for (let k = 0; k <= end; k++) sum += out[l * t * t + i * t + k] = rnd();
      for (let k = 0; k <= end; k++) out[l * t * t + i * t + k] = out[l * t * t + i * t + k]! / sum;
    }
  return out;
}

test('rollout matches a dense reference, causal and not, and rows stay distributions', () => {
  for (const causal of [true, false]) {
    const a = randomAttention(3, 7, causal, causal ? 7 : 11);
    assert.equal(isLowerTriangular(a, 3, 7), causal);
    const r = rollout(a, 3, 7);
    closeAll(r, Array.from(referenceRollout(a, 3, 7)), 1e-5);
    for (let row = 0; row < 3 * 7; row++) {
      const sum = r.subarray(row * 7, row * 7 + 7).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `row ${row} sums to ${sum}`);
    }
  }
});

test('rollout rejects a tensor of the wrong size', () => {
  assert.throws(() => rollout(new Float32Array(5), 1, 2), RangeError);
});

test('rollout says what size it expected', () => {
  assert.throws(() => rollout(new Float32Array(5), 1, 2), { name: 'RangeError', message: 'per-layer attention has 5 values, expected 4' });
});

test('rolloutSteps yields once per output row of every layer after the first, and returns the rollout', () => {
  const a = randomAttention(3, 4, true, 5);
  const steps = rolloutSteps(a, 3, 4);
  let yields = 0;
  let next = steps.next();
  while (!next.done) {
    yields++;
    next = steps.next();
  }
  assert.equal(yields, 2 * 4);
  closeAll(next.value, Array.from(rollout(a, 3, 4)));
});

test('isLowerTriangular looks at every layer and at the first diagonal above the main one', () => {
  const causal = randomAttention(2, 3, true, 3);
  assert.equal(isLowerTriangular(causal, 2, 3), true);
  const lastLayer = causal.slice();
  lastLayer[9 + 1 * 3 + 2] = 0.1; // layer 1, row 1, key 2
  assert.equal(isLowerTriangular(lastLayer, 2, 3), false);
  const superDiagonal = causal.slice();
  superDiagonal[0 * 3 + 1] = 0.1; // layer 0, row 0, key 1
  assert.equal(isLowerTriangular(superDiagonal, 2, 3), false);
  const corner = causal.slice();
  corner[2] = 0.1; // layer 0, row 0, key 2
  assert.equal(isLowerTriangular(corner, 2, 3), false);
});

test('max over three heads keeps the largest of each cell, mean divides by the head count', () => {
  // data: [1 layer, 3 heads, 1 row, 3 keys]
  const block = flatBlock({ layers: [0], heads: [0, 1, 2], rows: [2], keys: 3, data: Float32Array.from([0.1, 0.5, 0.4, 0.3, 0.3, 0.4, 0.2, 0.2, 0.6]) });
  closeAll(reduceHeads(block, 'max'), [0.3, 0.5, 0.6]);
  closeAll(reduceHeads(block, 'mean'), [0.2, 1 / 3, 1.4 / 3]);
});

test('max over heads is the largest value even when every head is negative', () => {
  // data: [1 layer, 2 heads, 1 row, 2 keys]
  const block = flatBlock({ layers: [0], heads: [0, 1], rows: [0], keys: 2, data: Float32Array.from([-1, -3, -2, -0.5]) });
  assert.deepEqual(Array.from(reduceHeads(block, 'max')), [-1, -0.5]);
});

test('the mean over a block without heads is zero, not 0 / 0', () => {
  const block = flatBlock({ layers: [0, 1], heads: [], rows: [0], keys: 2, data: new Float32Array(0) });
  assert.deepEqual(Array.from(reduceHeads(block, 'mean')), [0, 0, 0, 0]);
});

test('a row with no mass after mixing stays zero, not 0 / 0', () => {
  const out = new Float32Array(4);
  withResidual(Float32Array.from([-1, 0, 0, 1]), 2, out);
  assert.deepEqual(Array.from(out), [0, 0, 0, 1]);
});

test('rollout: a NaN in one token\'s attention does not reach a row that gives that token no weight', () => {
  // Layer 0: token 0's row is NaN; token 1 attends to itself. Layer 1: token 1 again to itself only.
  const r = rollout(Float32Array.from([Number.NaN, Number.NaN, 0, 1, 1, 0, 0, 1]), 2, 2);
  assert.deepEqual(Array.from(r.subarray(6, 8)), [0, 1]);
});
