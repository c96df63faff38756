// The sinks of a streamed pass: fed a causal pass chunk by chunk (each chunk's keys end at its last
// row, as over a KV cache), they give what the whole-block functions give on the whole pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reduceHeads } from '../../../src/engine/aggregate';
import { selectBlock } from '../../../src/engine/attention';
import { type AttentionChunk, BlockSink, HeadReductionSink, HeadStatsSink, type PassShape, PoolSink, QuantizedBlockSink } from '../../../src/engine/attentionStream';
import { computeHeadStats } from '../../../src/engine/headStats';
import type { OrtTensor } from '../../../src/engine/onnx';
import { poolBlock } from '../../../src/engine/pool';
import { quantizeRows } from '../../../src/engine/quantize';
import { seededRandom } from '../../../src/engine/sampling';
import type { AttentionBlock } from '../../../src/engine/types';

const LAYERS = 3;
const HEADS = 4;
const T = 23;

/** Random attention, rows summing to 1; causal: row q is 0 after key q. per layer [heads, T, T] */
function randomPass(causal: boolean, seed = 7): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: LAYERS }, () => {
    const data = new Float32Array(HEADS * T * T);
    for (let h = 0; h < HEADS; h++) {
      for (let q = 0; q < T; q++) {
        const visible = causal ? q + 1 : T;
        let sum = 0;
        const base = (h * T + q) * T;
        for (let k = 0; k < visible; k++) sum += data[base + k] = random() ** 3;
        for (let k = 0; k < visible; k++) data[base + k]! /= sum;
      }
    }
    return data;
  });
}

/** The pass as a KV-cache run gives it: rows [start, start + size) over keys 0 … start + size − 1. */
function chunksOf(pass: readonly Float32Array[], size: number): AttentionChunk[] {
  const chunks: AttentionChunk[] = [];
  for (let start = 0; start < T; start += size) {
    const rows = Math.min(size, T - start);
    const keys = start + rows;
    const layers = new Map<number, Float32Array>();
    pass.forEach((data, layer) => {
      const out = new Float32Array(HEADS * rows * keys); // [heads, rows, keys]
      for (let h = 0; h < HEADS; h++) {
        for (let r = 0; r < rows; r++) out.set(data.subarray((h * T + start + r) * T, (h * T + start + r) * T + keys), (h * rows + r) * keys);
      }
      layers.set(layer, out);
    });
    chunks.push({ firstRow: start, rows, keys, layers });
  }
  return chunks;
}

const tensors = (pass: readonly Float32Array[]) => pass.map((data) => ({ dims: [1, HEADS, T, T], data }) as unknown as OrtTensor);
const SHAPE: PassShape = { rows: T, keys: T, heads: HEADS };
const ALL_LAYERS = [0, 1, 2];
const ALL_HEADS = [0, 1, 2, 3];
const ALL_ROWS = Array.from({ length: T }, (_, i) => i);

function closeArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `[${i}] ${actual[i]} ≠ ${expected[i]}`);
}

describe('attention sinks over a chunked causal pass', () => {
  const pass = randomPass(true);
  const whole = selectBlock(tensors(pass), {});
  for (const size of [1, 5, T]) {
    const chunks = chunksOf(pass, size);
    it(`chunks of ${size}: the selected values, keys past each chunk at 0`, () => {
      const selection = { layers: [2, 0], heads: [3, 1], rows: [22, 0, 9, 10] };
      const sink = new BlockSink(SHAPE, selection.layers, selection.heads, selection.rows);
      chunks.forEach((c) => sink.add(c));
      const block = sink.block();
      const expected = selectBlock(tensors(pass), selection);
      assert.deepEqual({ ...block, layerData: [] }, { ...expected, layerData: [] });
      block.layerData.forEach((data, i) => closeArrays(data, expected.layerData[i]!, 0));
    });
    it(`chunks of ${size}: the selected values quantized as they stream, byte for byte what quantizeRows gives the whole selection`, () => {
      const selection = { layers: [2, 0], heads: [3, 1], rows: [22, 0, 9, 10] };
      const sink = new QuantizedBlockSink(SHAPE, selection.layers, selection.heads, selection.rows);
      chunks.forEach((c) => sink.add(c));
      const expected = selectBlock(tensors(pass), selection);
      const actual = sink.quantized();
      assert.equal(actual.length, 2);
      actual.forEach((q, li) => {
        const want = quantizeRows(expected.layerData[li]!, 2, 4, T);
        assert.deepEqual([q.count, q.rows, q.keys], [2, 4, T]);
        assert.deepEqual(q.data, want.data);
        assert.deepEqual(q.scales, want.scales);
      });
    });
    it(`chunks of ${size}: mean and max over heads`, () => {
      for (const reduction of ['mean', 'max'] as const) {
        const sink = new HeadReductionSink(SHAPE, [1, 2], [0, 2, 3], ALL_ROWS, reduction);
        chunks.forEach((c) => sink.add(c));
        const expected = reduceHeads(selectBlock(tensors(pass), { layers: [1, 2], heads: [0, 2, 3] }), reduction); // [2, T, T]
        sink.reduced().forEach((data, li) => closeArrays(data, expected.subarray(li * T * T, (li + 1) * T * T)));
      }
    });
    it(`chunks of ${size}: pooled thumbnails`, () => {
      for (const pool of [4, 8, 64]) {
        const sink = new PoolSink(SHAPE, ALL_LAYERS, ALL_HEADS, ALL_ROWS, pool, true);
        chunks.forEach((c) => sink.add(c));
        const expected = poolBlock(whole, pool, true);
        const actual = sink.pooled();
        assert.deepEqual([actual.count, actual.rows, actual.keys], [expected.count, expected.rows, expected.keys]);
        closeArrays(actual.data, expected.data);
      }
    });
    it(`chunks of ${size}: head statistics`, () => {
      const sink = new HeadStatsSink(SHAPE, ALL_LAYERS, true);
      chunks.forEach((c) => sink.add(c));
      const actual = sink.stats();
      const expected = computeHeadStats(whole, { causal: true });
      assert.deepEqual(actual.map((s) => [s.layer, s.head, s.label]), expected.map((s) => [s.layer, s.head, s.label]));
      actual.forEach((s, i) => {
        const e = expected[i]!;
        closeArrays([s.entropy, s.meanDistance, s.previousToken, s.firstToken, s.selfToken], [e.entropy, e.meanDistance, e.previousToken, e.firstToken, e.selfToken], 1e-9);
      });
    });
  }

  it('pools a subset of rows and heads as poolBlock pools that selection', () => {
    const selection = { layers: [1], heads: [2, 0], rows: [3, 4, 5, 6, 7, 8, 9, 10, 11] };
    const sink = new PoolSink(SHAPE, selection.layers, selection.heads, selection.rows, 4, true);
    chunksOf(pass, 3).forEach((c) => sink.add(c));
    const block: AttentionBlock = selectBlock(tensors(pass), selection);
    closeArrays(sink.pooled().data, poolBlock(block, 4, false).data);
  });
});

describe('attention sinks over an encoder pass (one chunk, every key)', () => {
  const pass = randomPass(false, 11);
  const whole = selectBlock(tensors(pass), {});
  const chunk: AttentionChunk = { firstRow: 0, rows: T, keys: T, layers: new Map(pass.map((d, l) => [l, d])) };
  it('statistics are non-causal and the pooled heads read every key', () => {
    const stats = new HeadStatsSink(SHAPE, ALL_LAYERS, false);
    const pool = new PoolSink(SHAPE, ALL_LAYERS, ALL_HEADS, ALL_ROWS, 8, false);
    stats.add(chunk);
    pool.add(chunk);
    assert.deepEqual(
      stats.stats().map((s) => s.label),
      computeHeadStats(whole, { causal: false }).map((s) => s.label),
    );
    closeArrays(pool.pooled().data, poolBlock(whole, 8, false).data);
  });
  it('keeps a whole layer as it came, without a copy', () => {
    const sink = new BlockSink(SHAPE, [1], ALL_HEADS, ALL_ROWS);
    sink.add(chunk);
    assert.equal(sink.block().layerData[0], pass[1]);
  });
});
