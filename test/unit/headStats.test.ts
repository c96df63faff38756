import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AttentionChunk, wholeChunk } from '../../src/engine/attentionStream';
import { attentionResult } from '../../src/engine/attentionResult';
import {
  addHeadRows,
  computeHeadStats,
  emptyHeadSums,
  headStatsSteps,
  measureHead,
  measuresOf,
  labelHead,
  uniformBaseline,
  PREVIOUS_TOKEN_THRESHOLD,
  SINK_THRESHOLD,
} from '../../src/engine/headStats';
import type { OrtTensor } from '../../src/engine/onnx';
import type { AttentionBlock } from '../../src/engine/types';
import { flatBlock } from '../blocks';

const close = (actual: number, expected: number, tol = 1e-6): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} ≉ ${expected}`);

/** One-layer, one-head block from rows of probabilities. data: [1, 1, rows, keys] */
function block(matrix: number[][], rows = matrix.map((_, i) => i)): AttentionBlock {
  return flatBlock({ layers: [0], heads: [0], rows, keys: matrix[0]!.length, data: Float32Array.from(matrix.flat()) });
}

test('previous-token head: hand-computed measures', () => {
  // rows q = 0..3; row 0 sees only itself; rows ≥ 1 put everything on q−1
  const s = computeHeadStats(
    block([
      [1, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]),
  )[0]!;
  close(s.entropy, 0);
  close(s.meanDistance, (0 + 1 + 1 + 1) / 4); // 0.75
  close(s.previousToken, 1);
  close(s.firstToken, 1 / 3); // only row 1's previous token is token 0
  close(s.selfToken, 1 / 4); // only row 0
  assert.equal(s.label, 'previous-token');
});

test('uniform causal head: entropy ln(q+1), distance q/2, broad', () => {
  const m = [
    [1, 0, 0, 0],
    [1 / 2, 1 / 2, 0, 0],
    [1 / 3, 1 / 3, 1 / 3, 0],
    [1 / 4, 1 / 4, 1 / 4, 1 / 4],
  ];
  const s = computeHeadStats(block(m))[0]!;
  close(s.entropy, (0 + Math.log(2) + Math.log(3) + Math.log(4)) / 4, 1e-6);
  close(s.meanDistance, (0 + 0.5 + 1 + 1.5) / 4, 1e-6);
  close(s.previousToken, (1 / 2 + 1 / 3 + 1 / 4) / 3, 1e-6);
  close(s.firstToken, (1 / 2 + 1 / 3 + 1 / 4) / 3, 1e-6);
  close(s.selfToken, (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4, 1e-6);
  // a uniform head measures exactly its own baseline
  const b = uniformBaseline([0, 1, 2, 3], 4);
  close(b.entropy, s.entropy, 1e-6);
  close(b.meanDistance, s.meanDistance, 1e-6);
});

test('a long uniform head is broad, a sink head is sink, a self head is local', () => {
  const t = 40;
  const uniform: number[][] = [];
  const sink: number[][] = [];
  const self: number[][] = [];
  for (let q = 0; q < t; q++) {
    uniform.push(Array.from({ length: t }, (_, k) => (k <= q ? 1 / (q + 1) : 0)));
    // 0.9 on token 0, 0.1 on itself (row 0: both are token 0)
    sink.push(Array.from({ length: t }, (_, k) => (q === 0 ? (k === 0 ? 1 : 0) : k === 0 ? 0.9 : k === q ? 0.1 : 0)));
    self.push(Array.from({ length: t }, (_, k) => (k === q ? 1 : 0)));
  }
  assert.equal(computeHeadStats(block(uniform))[0]!.label, 'broad');
  const sinkStats = computeHeadStats(block(sink))[0]!;
  close(sinkStats.firstToken, 0.9, 1e-6);
  assert.equal(sinkStats.label, 'sink');
  const selfStats = computeHeadStats(block(self))[0]!;
  close(selfStats.selfToken, 1);
  close(selfStats.meanDistance, 0);
  assert.equal(selfStats.label, 'local');
});

test('a head that looks 10 tokens back is long-range', () => {
  const t = 40;
  const m: number[][] = [];
  for (let q = 0; q < t; q++) m.push(Array.from({ length: t }, (_, k) => (k === Math.max(0, q - 10) ? 1 : 0)));
  const s = computeHeadStats(block(m))[0]!;
  // rows 0..10 attend to token 0 (distance q), rows 11..39 at distance 10
  const expected = (Array.from({ length: 11 }, (_, q) => q).reduce((a, b) => a + b, 0) + 29 * 10) / 40;
  close(s.meanDistance, expected, 1e-6);
  assert.equal(s.label, 'long-range');
});

test('rows subset: only the listed query positions count', () => {
  // two rows, q = 2 and q = 3, of a 4-key head
  const s = computeHeadStats(
    block(
      [
        [0.5, 0, 0.5, 0],
        [0, 0, 0.25, 0.75],
      ],
      [2, 3],
    ),
  )[0]!;
  close(s.selfToken, (0.5 + 0.75) / 2);
  close(s.previousToken, (0 + 0.25) / 2);
  close(s.firstToken, (0.5 + 0) / 2);
  close(s.meanDistance, (0.5 * 2 + 0.25 * 1) / 2);
  close(s.entropy, (Math.log(2) + -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) / 2, 1e-6);
});

test('layer and head indices come from the block, in [layers, heads] order', () => {
  // data: [2 layers, 2 heads, 2 rows, 2 keys]
  const head = [1, 0, 1, 0];
  const stats = computeHeadStats(flatBlock({ layers: [3, 5], heads: [1, 7], rows: [0, 1], keys: 2, data: Float32Array.from([...head, ...head, ...head, ...head]) }));
  assert.deepEqual(
    stats.map((s) => [s.layer, s.head]),
    [
      [3, 1],
      [3, 7],
      [5, 1],
      [5, 7],
    ],
  );
});

test('a block with the wrong number of values is rejected', () => {
  assert.throws(() => computeHeadStats(flatBlock({ layers: [0], heads: [0], rows: [0, 1], keys: 2, data: new Float32Array(3) })), RangeError);
});

test('label thresholds are inclusive and ordered', () => {
  const base = { entropy: 2, meanDistance: 20 };
  const m = { entropy: 0.1, meanDistance: 10, previousToken: 0, firstToken: 0, selfToken: 0 };
  assert.equal(labelHead({ ...m, previousToken: PREVIOUS_TOKEN_THRESHOLD }, base), 'previous-token');
  assert.equal(labelHead({ ...m, firstToken: SINK_THRESHOLD }, base), 'sink');
  assert.equal(labelHead({ ...m, firstToken: SINK_THRESHOLD - 0.01 }, base), 'long-range');
  assert.equal(labelHead({ ...m, meanDistance: 4 }, base), 'local');
  // short text: uniform distance 2 → local needs ≤ 1
  assert.equal(labelHead({ ...m, meanDistance: 1.5 }, { entropy: 2, meanDistance: 2 }), 'long-range');
  assert.equal(labelHead({ ...m, entropy: 1.5 }, base), 'broad');
});

test('non-causal baseline uses |q − k| over all keys', () => {
  const b = uniformBaseline([0, 1, 2], 3, false);
  // q=0: (0+1+2)/3 = 1; q=1: (1+0+1)/3 = 2/3; q=2: 1
  close(b.meanDistance, (1 + 2 / 3 + 1) / 3);
  close(b.entropy, Math.log(3));
});

// Every row puts all its mass on the last key, which lies after rows 0 and 1: only a non-causal
// reading (encoder self-attention, cross-attention) sees that mass.
const LOOKS_AHEAD = [
  [0, 0, 1],
  [0, 0, 1],
  [0, 0, 1],
];

test('non-causal statistics read the keys after the query, causal ones do not', () => {
  const nonCausal = computeHeadStats(block(LOOKS_AHEAD), { causal: false })[0]!;
  close(nonCausal.entropy, 0);
  close(nonCausal.meanDistance, (2 + 1 + 0) / 3);
  close(nonCausal.selfToken, 1 / 3);
  close(nonCausal.previousToken, 0);
  close(nonCausal.firstToken, 0);
  // uniform non-causal distance is (1 + 2/3 + 1)/3 ≈ 0.89: a head at distance 1 is not local
  assert.equal(nonCausal.label, 'long-range');
  const causal = computeHeadStats(block(LOOKS_AHEAD), { causal: true })[0]!;
  close(causal.meanDistance, 0);
  assert.equal(causal.label, 'local');
  assert.deepEqual(computeHeadStats(block(LOOKS_AHEAD)), [causal], 'causal is the default');
  // the stepwise form honours the flag too
  const steps = headStatsSteps(block(LOOKS_AHEAD), { causal: false });
  let next = steps.next();
  while (!next.done) next = steps.next();
  assert.deepEqual(next.value, [nonCausal]);
});

test('attentionResult: encoder statistics are non-causal, decoder self-attention ones causal', async () => {
  const tensor = { dims: [1, 1, 3, 3], data: Float32Array.from(LOOKS_AHEAD.flat()) } as unknown as OrtTensor;
  const fitted = { text: 'abc', offset: 0, tokens: [...'abc'].map((text, i) => ({ id: i, text, start: i, end: i + 1 })), droppedTokens: 0 };
  const run = async (_layers: readonly number[], onChunk: (chunk: AttentionChunk) => void) => onChunk(wholeChunk(new Map([[0, tensor]])));
  const pass = { fitted, run, totalLayers: 1, totalHeads: 1 };
  const encoder = await attentionResult({ ...pass, kind: 'encoder' }, { text: 'abc' });
  const self = await attentionResult({ ...pass, kind: 'self' }, { text: 'abc' });
  assert.deepEqual(encoder.stats, computeHeadStats(block(LOOKS_AHEAD), { causal: false }));
  assert.deepEqual(self.stats, computeHeadStats(block(LOOKS_AHEAD), { causal: true }));
  assert.equal(encoder.stats[0]!.label, 'long-range');
  assert.equal(self.stats[0]!.label, 'local');
});

/** A two-layer, one-head pass over 'abc' whose every layer is LOOKS_AHEAD; `fetched` records what each run asked for. */
function lookAheadPass(hidden?: { layers: number[]; why: string }) {
  const tensor = { dims: [1, 1, 3, 3], data: Float32Array.from(LOOKS_AHEAD.flat()) } as unknown as OrtTensor;
  const fitted = { text: 'abc', offset: 0, tokens: [...'abc'].map((text, i) => ({ id: i, text, start: i, end: i + 1 })), droppedTokens: 0 };
  const fetched: number[][] = [];
  const run = async (layers: readonly number[], onChunk: (chunk: AttentionChunk) => void) => {
    fetched.push([...layers]);
    onChunk(wholeChunk(new Map(layers.map((l) => [l, tensor]))));
  };
  return { fetched, pass: { kind: 'self' as const, fitted, run, totalLayers: 2, totalHeads: 1, ...(hidden ? { hidden } : {}) } };
}

test('attentionResult: an index out of range is refused naming whether it is a layer, a head or a row', async () => {
  const { pass } = lookAheadPass();
  await assert.rejects(attentionResult(pass, { text: 'abc', layers: [2] }), (e: unknown) => e instanceof RangeError && e.message === 'layer 2 is outside 0..1');
  await assert.rejects(attentionResult(pass, { text: 'abc', heads: [1] }), (e: unknown) => e instanceof RangeError && e.message === 'head 1 is outside 0..0');
  await assert.rejects(attentionResult(pass, { text: 'abc', rows: [3] }), (e: unknown) => e instanceof RangeError && e.message === 'row 3 is outside 0..2');
});

test('attentionResult: a hidden layer asked for is refused with the reason it is hidden', async () => {
  const { pass, fetched } = lookAheadPass({ layers: [1], why: 'its attention is fused' });
  await assert.rejects(attentionResult(pass, { text: 'abc', layers: [1] }), (e: unknown) => e instanceof Error && e.message === "layer 1's attention cannot be shown: its attention is fused");
  assert.deepEqual(fetched, []);
});

test('attentionResult: without statistics, fetches only the selected layers, once each and in order', async () => {
  const { pass, fetched } = lookAheadPass();
  const result = await attentionResult(pass, { text: 'abc', layers: [1, 0, 1], withStats: false });
  assert.deepEqual(fetched, [[0, 1]]);
  assert.deepEqual(result.attention.layers, [1, 0, 1]);
  assert.equal('quantized' in result, false, 'values are not quantized unless asked');
});

test('attentionResult: values false returns the selection without values; with nothing asked, no pass runs', async () => {
  const { pass, fetched } = lookAheadPass();
  const stats = await attentionResult(pass, { text: 'abc', layers: [0], values: false });
  assert.deepEqual(stats.attention, { layers: [0], heads: [0], rows: [0, 1, 2], keys: 3, layerData: [] });
  assert.equal(stats.stats.length, 2);
  assert.deepEqual(fetched, [[0, 1]], 'statistics read every layer');
  const before = performance.now();
  const nothing = await attentionResult(pass, { text: 'abc', layers: [0], values: false, withStats: false });
  const elapsed = performance.now() - before;
  assert.deepEqual(fetched, [[0, 1]], 'no second pass');
  assert.deepEqual(nothing.stats, []);
  assert.ok(nothing.forwardMs >= 0 && nothing.forwardMs <= elapsed, `forwardMs ${nothing.forwardMs} within the ${elapsed} ms the call took`);
});

test('rows past the keys (cross-attention: more target than source positions) count only where their keys exist', () => {
  // one head, rows q = 3 and q = 5 over 3 keys, non-causal
  const s = computeHeadStats(block([[0.2, 0.3, 0.5], [1, 0, 0]], [3, 5]), { causal: false })[0]!;
  close(s.selfToken, 0, 0); // neither row's own position is a key
  close(s.previousToken, 0.5); // only q = 3 has its previous position (2) among the keys
  close(s.firstToken, 0.2);
  close(s.meanDistance, (0.2 * 3 + 0.3 * 2 + 0.5 * 1 + 5) / 2);
  close(s.entropy, -(0.2 * Math.log(0.2) + 0.3 * Math.log(0.3) + 0.5 * Math.log(0.5)) / 2, 1e-6);
});

test('no rows measure zero; a baseline of no rows or no keys is zero', () => {
  const none = computeHeadStats(flatBlock({ layers: [0], heads: [0], rows: [], keys: 2, data: new Float32Array(0) }))[0]!;
  assert.deepEqual([none.entropy, none.meanDistance, none.selfToken, none.previousToken, none.firstToken], [0, 0, 0, 0, 0]);
  assert.deepEqual(uniformBaseline([], 4), { entropy: 0, meanDistance: 0 });
  assert.deepEqual(uniformBaseline([2], 0), { entropy: 0, meanDistance: 0 });
  // row 0 only: no previous or first token to measure
  const first = computeHeadStats(block([[1, 0]], [0]))[0]!;
  assert.deepEqual([first.previousToken, first.firstToken, first.selfToken], [0, 0, 1]);
});

test('uniform baselines of rows past the last key', () => {
  // causal q = 5 over 3 keys: sees keys 0..2, mean distance (5 + 4 + 3) / 3
  const causal = uniformBaseline([5], 3, true);
  close(causal.entropy, Math.log(3));
  close(causal.meanDistance, 4);
  const nonCausal = uniformBaseline([5, 0, 3], 4, false);
  // q=5: (5+4+3+2)/4 = 3.5; q=0: (0+1+2+3)/4 = 1.5; q=3: (3+2+1+0)/4 = 1.5
  close(nonCausal.meanDistance, (3.5 + 1.5 + 1.5) / 3);
  close(nonCausal.entropy, Math.log(4));
  const middle = uniformBaseline([1], 4, false);
  close(middle.meanDistance, (1 + 0 + 1 + 2) / 4);
});

test('without a baseline entropy no head is broad; the local bound is the tighter of its two', () => {
  const m = { entropy: 1, meanDistance: 10, previousToken: 0, firstToken: 0, selfToken: 0 };
  assert.equal(labelHead(m, { entropy: 0, meanDistance: 40 }), 'long-range');
  assert.equal(labelHead({ ...m, entropy: 0.74 }, { entropy: 1, meanDistance: 40 }), 'long-range');
  assert.equal(labelHead({ ...m, entropy: 0.75 }, { entropy: 1, meanDistance: 40 }), 'broad');
  assert.equal(labelHead({ ...m, meanDistance: 4.01 }, { entropy: 100, meanDistance: 40 }), 'long-range', 'over 4 tokens is not local on a long text');
  assert.equal(labelHead({ ...m, meanDistance: 3 }, { entropy: 100, meanDistance: 6 }), 'local', 'half of the uniform distance');
  assert.equal(labelHead({ ...m, meanDistance: 3.01 }, { entropy: 100, meanDistance: 6 }), 'long-range');
  assert.equal(labelHead({ ...m, previousToken: 0.49, firstToken: 0.49, meanDistance: 3.01 }, { entropy: 100, meanDistance: 6 }), 'long-range');
});

test('headStatsSteps yields once per head', () => {
  const head = [1, 0, 1, 0];
  const steps = headStatsSteps(flatBlock({ layers: [0, 1], heads: [0, 1, 2], rows: [0, 1], keys: 2, data: Float32Array.from(Array.from({ length: 6 }, () => head).flat()) }));
  let yields = 0;
  let next = steps.next();
  while (!next.done) {
    yields++;
    next = steps.next();
  }
  assert.equal(yields, 6);
  assert.equal(next.value.length, 6);
});

test('addHeadRows and measureHead read every key unless told the attention is causal', () => {
  const data = Float32Array.from([0.5, 0.5]);
  const all = measureHead(data, 0, [0], 2);
  close(all.entropy, Math.log(2));
  close(all.meanDistance, 0.5);
  const sums = addHeadRows(emptyHeadSums(), data, 0, [0], 2);
  close(sums.entropy, Math.log(2));
  close(sums.distance, 0.5);
  close(measureHead(data, 0, [0], 2, true).meanDistance, 0);
});

test('addHeadRows reads only its own rows of a buffer that holds more heads', () => {
  // [2 heads, 1 row, 2 keys], non-causal, as a chunked pass feeds whole layers
  const layer = Float32Array.from([0.25, 0.75, 1, 0]);
  const sums = addHeadRows(emptyHeadSums(), layer, 0, [0], 2);
  assert.deepEqual([sums.rows, sums.distance, sums.self, sums.laterRows], [1, 0.75, 0.25, 0]);
});

test('a row two or more past the last key has no previous token among the keys', () => {
  // q = 4 over 3 keys (cross-attention): its previous position 3 is no key
  const m = measuresOf(addHeadRows(emptyHeadSums(), Float32Array.from([0.2, 0.3, 0.5]), 0, [4], 3));
  assert.deepEqual([m.previousToken, m.firstToken], [0, 0]);
});

test('uniform baselines at the last key and before the first', () => {
  // causal q = 3 over 3 keys: keys 0..2 at distances 3, 2, 1
  assert.equal(uniformBaseline([3], 3, true).meanDistance, 2);
  // non-causal q = −2 over 3 keys: distances 2, 3, 4
  assert.equal(uniformBaseline([-2], 3, false).meanDistance, 3);
});
