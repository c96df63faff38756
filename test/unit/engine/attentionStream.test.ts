// The sinks of a streamed pass: fed a causal pass chunk by chunk (each chunk's keys end at its last
// row, as over a KV cache), they give what the whole-block functions give on the whole pass; an
// encoder pass in one chunk or in chunks of rows over every key; when a layer is kept as it came
// and when it is copied; which cells a causal pool reads; and the errors of a missing tensor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reduceHeads } from '../../../src/engine/aggregate';
import { selectBlock } from '../../../src/engine/attention';
import { type AttentionChunk, BlockSink, HeadReductionSink, HeadStatsSink, type PassShape, PoolSink, QuantizedBlockSink, wholeChunk } from '../../../src/engine/attentionStream';
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

  it('puts each row in its place whatever order the chunks come in', () => {
    // the chunks last to first: each must write only its own rows, or it would overwrite the row
    // after its last (rows 5, 10), which the chunk after it has already written
    const selection = { layers: [2, 0], heads: [3, 1], rows: [22, 0, 9, 10, 5] };
    const sink = new BlockSink(SHAPE, selection.layers, selection.heads, selection.rows);
    chunksOf(pass, 5).reverse().forEach((c) => sink.add(c));
    const expected = selectBlock(tensors(pass), selection);
    sink.block().layerData.forEach((data, i) => assert.deepEqual(data, expected.layerData[i]));
  });

  it('gives a layer no chunk has reached as zeros of its full size [heads, rows, keys]', () => {
    // rows 20 and 21 are not in the first chunk of 5: the layers have no data yet
    const sink = new BlockSink(SHAPE, [0, 2], [1, 3, 0], [20, 21]);
    sink.add(chunksOf(pass, 5)[0]!);
    const block = sink.block();
    assert.equal(block.layerData.length, 2);
    block.layerData.forEach((data) => assert.deepEqual(data, new Float32Array(3 * 2 * T)));
  });

  it('with causal, pools without reading the cells after each row’s position', () => {
    // each chunk's cells after its row's position hold 1 instead of 0: a pool that read them would differ
    const marked = chunksOf(pass, 5).map((c) => {
      const layers = new Map([...c.layers].map(([layer, data]) => {
        const copy = data.slice(); // [heads, rows, keys]
        for (let h = 0; h < HEADS; h++) for (let r = 0; r < c.rows; r++) copy.fill(1, (h * c.rows + r) * c.keys + c.firstRow + r + 1, (h * c.rows + r + 1) * c.keys);
        return [layer, copy];
      }));
      return { ...c, layers };
    });
    const sink = new PoolSink(SHAPE, ALL_LAYERS, ALL_HEADS, ALL_ROWS, 8, true);
    marked.forEach((c) => sink.add(c));
    closeArrays(sink.pooled().data, poolBlock(whole, 8, false).data);
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

  it('copies the selection unless it is every head and every row in order', () => {
    const selections = [
      { heads: [0, 1], rows: ALL_ROWS }, // the first heads: in order, but not all
      { heads: [0, 2, 1, 3], rows: ALL_ROWS }, // every head, reordered
      { heads: ALL_HEADS, rows: ALL_ROWS.slice(0, T - 1) }, // every head, not every row
      { heads: ALL_HEADS, rows: [0, 2, 1, ...ALL_ROWS.slice(3)] }, // every row, reordered
    ];
    for (const { heads, rows } of selections) {
      const sink = new BlockSink(SHAPE, [1], heads, rows);
      sink.add(chunk);
      const expected = selectBlock(tensors(pass), { layers: [1], heads, rows }).layerData[0]; // [heads, rows, T]
      assert.deepEqual(sink.block().layerData[0], expected, `heads ${heads.join(',')}, ${rows.length} rows`);
    }
  });

  it('copies every row of a pass in chunks of rows over every key', () => {
    // chunks of 5 rows, each over all T keys (an encoder): the first starts at row 0 with every key
    // but is not the whole layer
    const sink = new BlockSink(SHAPE, ALL_LAYERS, ALL_HEADS, ALL_ROWS);
    for (let start = 0; start < T; start += 5) {
      const rows = Math.min(5, T - start);
      const layers = new Map(pass.map((data, layer) => {
        const out = new Float32Array(HEADS * rows * T); // [heads, rows, T]
        for (let h = 0; h < HEADS; h++) out.set(data.subarray((h * T + start) * T, (h * T + start + rows) * T), h * rows * T);
        return [layer, out];
      }));
      sink.add({ firstRow: start, rows, keys: T, layers });
    }
    sink.block().layerData.forEach((data, layer) => assert.deepEqual(data, pass[layer]));
  });

  it('pads with zeros a chunk of every row that has fewer keys than the pass', () => {
    // pass of 2 rows over 3 keys, one head; the chunk holds keys 0 and 1: [1 head, 2 rows, 2 keys]
    const shape: PassShape = { rows: 2, keys: 3, heads: 1 };
    const sink = new BlockSink(shape, [0], [0], [0, 1]);
    sink.add({ firstRow: 0, rows: 2, keys: 2, layers: new Map([[0, Float32Array.from([1, 2, 3, 4])]]) });
    assert.deepEqual(sink.block().layerData[0], Float32Array.from([1, 2, 0, 3, 4, 0])); // [1, 2, 3]
  });
});

describe('attention sinks: missing tensors', () => {
  it('refuses a pass without tensors and a chunk without a selected layer, naming it', () => {
    assert.throws(() => wholeChunk(new Map()), { message: 'no attention tensors' });
    const sink = new BlockSink({ rows: 1, keys: 1, heads: 1 }, [0, 2], [0], [0]);
    assert.throws(() => sink.add({ firstRow: 0, rows: 1, keys: 1, layers: new Map([[0, Float32Array.of(1)]]) }), { message: 'the pass did not fetch layer 2' });
  });
});
