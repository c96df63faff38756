// Attention surgery on the fused operators' variants that no exported fixture has (packed layouts,
// masks of each kind, attention bias, position ids, softcap, windows, old opsets), checked against
// onnxruntime's own kernels with no Python: a one-node graph whose inputs are constants runs the
// fused node beside the recomputed probabilities P, and the node's output must equal P·V. A
// probability off anywhere (scale, mask, window, rotary, head grouping) moves P·V off the output.
// Also: each layout the recomputation cannot follow is named in one sentence, and never guessed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { addToGraph, DataType, float32Tensor, int64Tensor, type NodeSpec, type TensorSpec, tensorProto } from '../../../src/engine/onnxBuild';
import { exposeFusedAttention } from '../../../src/engine/onnxFusedAttention';
import { GRAPH_INITIALIZER, GRAPH_OUTPUT, GRAPH_VALUE_INFO, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_NAME } from '../../../src/engine/onnxProto';
import { concat, lengthField, varintField } from '../../../src/engine/protoWrite';
import { declaredValue, graphModel } from './graphModels';

const HEADS = 4;
const KV_HEADS = 2;
const HEAD_DIM = 16;
const HIDDEN = HEADS * HEAD_DIM;
const KV_HIDDEN = KV_HEADS * HEAD_DIM;
/** Query tokens of the pass. */
const S = 4;
/** Cached tokens before them. */
const PAST = 2;
const TOTAL = PAST + S;

/** Deterministic values in [-1, 1) (a 32-bit LCG), so every case is the same on every run. */
function values(seed: number, count: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

function int32Tensor(name: string, data: readonly number[], dims: readonly number[] = [data.length]): TensorSpec {
  return { name, dataType: DataType.INT32, dims, raw: new Uint8Array(Int32Array.from(data).buffer) };
}

function boolTensor(name: string, data: readonly boolean[], dims: readonly number[]): TensorSpec {
  return { name, dataType: DataType.BOOL, dims, raw: Uint8Array.from(data, (b) => (b ? 1 : 0)) };
}

/** [rows, cols] · [cols, n] */
function matmul(a: readonly number[], b: readonly number[], rows: number, cols: number, n: number): number[] {
  const out = new Array<number>(rows * n).fill(0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) for (let j = 0; j < n; j++) out[r * n + j] += (a[r * cols + c] ?? 0) * (b[c * n + j] ?? 0);
  return out;
}

/** [1, seq, heads·dim] → [heads][seq][dim] */
function splitHeads(x: readonly number[], seq: number, heads: number, dim: number): number[][][] {
  return Array.from({ length: heads }, (_, h) => Array.from({ length: seq }, (_, s) => x.slice(s * heads * dim + h * dim, s * heads * dim + (h + 1) * dim)));
}

/** [1, heads, seq, dim] → [heads][seq][dim] */
function headsFirst(x: ArrayLike<number>, heads: number, seq: number, dim: number): number[][][] {
  return Array.from({ length: heads }, (_, h) => Array.from({ length: seq }, (_, s) => Array.from({ length: dim }, (_, j) => x[(h * seq + s) * dim + j] ?? Number.NaN)));
}

interface Variant {
  readonly name: string;
  readonly opset: number;
  readonly node: NodeSpec;
  readonly initializers: readonly TensorSpec[];
  /** Graph inputs fed at run time (masks), with their feeds. */
  readonly inputs?: readonly Uint8Array[];
  readonly feeds?: Readonly<Record<string, ort.Tensor>>;
  readonly heads: number;
  /** Query heads per value head. */
  readonly group: number;
  /** V as the node used it: [kv_heads][keys][dim], from the run's outputs or from the constants. */
  readonly v: (outputs: ort.InferenceSession.OnnxValueMapType) => number[][][];
  /** Channels per head of V and of the output (HEAD_DIM unless qkv_hidden_sizes says less). */
  readonly valueDim?: number;
  /** The node's output as [heads][queries][dim] (3-D outputs are [1, queries, heads·dim]). */
  readonly layout: '3d' | '4d';
  /** Keys no query may see, for every head (a check that the mask really masks). */
  readonly hidden?: readonly (readonly [query: number, key: number])[];
}

function tensorData(outputs: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const tensor = outputs[name];
  assert.ok(tensor, `the run returned ${name}`);
  return tensor.data as Float32Array;
}

const caches = (): TensorSpec[] => {
  // Rotary caches [max_positions 16, head_dim / 2]: the angles of base 10,000.
  const angles = Array.from({ length: 16 }, (_, p) => Array.from({ length: HEAD_DIM / 2 }, (_, i) => p / 10000 ** ((2 * i) / HEAD_DIM))).flat();
  return [float32Tensor('cos', angles.map(Math.cos), [16, HEAD_DIM / 2]), float32Tensor('sin', angles.map(Math.sin), [16, HEAD_DIM / 2])];
};

const gqaTail = (): TensorSpec[] => [
  float32Tensor('past_k', values(11, KV_HEADS * PAST * HEAD_DIM), [1, KV_HEADS, PAST, HEAD_DIM]),
  float32Tensor('past_v', values(12, KV_HEADS * PAST * HEAD_DIM), [1, KV_HEADS, PAST, HEAD_DIM]),
  int32Tensor('seqlens', [TOTAL - 1]),
  int32Tensor('total', [TOTAL], []),
];

const presentValue = (name: string) => (outputs: ort.InferenceSession.OnnxValueMapType) => headsFirst(tensorData(outputs, name), KV_HEADS, TOTAL, HEAD_DIM);

const VARIANTS: readonly Variant[] = [
  {
    name: 'GroupQueryAttention: rotary at explicit position ids, an attention bias, a scale',
    opset: 17,
    node: {
      op: 'GroupQueryAttention', domain: 'com.microsoft',
      inputs: ['q', 'k', 'v', 'past_k', 'past_v', 'seqlens', 'total', 'cos', 'sin', 'positions', 'bias'],
      outputs: ['out', 'present_k', 'present_v'],
      attributes: { num_heads: { int: HEADS }, kv_num_heads: { int: KV_HEADS }, do_rotary: { int: 1 }, scale: { float: 0.6 } },
    },
    initializers: [
      float32Tensor('q', values(1, S * HIDDEN), [1, S, HIDDEN]),
      float32Tensor('k', values(2, S * KV_HIDDEN), [1, S, KV_HIDDEN]),
      float32Tensor('v', values(3, S * KV_HIDDEN), [1, S, KV_HIDDEN]),
      ...gqaTail(),
      ...caches(),
      // Positions other than the cache's own (PAST …), so rotary at the default ones would differ.
      int64Tensor('positions', [5, 8, 9, 12], [1, S]),
      float32Tensor('bias', values(4, S * TOTAL).map((x) => 3 * x), [1, 1, S, TOTAL]),
    ],
    heads: HEADS, group: HEADS / KV_HEADS, v: presentValue('present_v'), layout: '3d',
    hidden: [[0, PAST + 1], [2, TOTAL - 1]],
  },
  {
    name: 'GroupQueryAttention: packed QKV, causal within a local window of 3, softcap',
    opset: 17,
    node: {
      op: 'GroupQueryAttention', domain: 'com.microsoft',
      inputs: ['qkv', '', '', 'past_k', 'past_v', 'seqlens', 'total'],
      outputs: ['out', 'present_k', 'present_v'],
      attributes: { num_heads: { int: HEADS }, kv_num_heads: { int: KV_HEADS }, local_window_size: { int: 3 }, softcap: { float: 1.5 } },
    },
    initializers: [float32Tensor('qkv', values(5, S * (HIDDEN + 2 * KV_HIDDEN)).map((x) => 2 * x), [1, S, HIDDEN + 2 * KV_HIDDEN]), ...gqaTail()],
    heads: HEADS, group: HEADS / KV_HEADS, v: presentValue('present_v'), layout: '3d',
    // Query 3 sits at position 5: the window of 3 keeps keys 3, 4, 5.
    hidden: [[3, 2], [3, 0], [0, 3]],
  },
  ((): Variant => {
    const key = values(22, S * HIDDEN);
    const value = values(23, S * HIDDEN);
    const bias = values(24, 3 * HIDDEN);
    const v = value.map((x, i) => x + (bias[2 * HIDDEN + (i % HIDDEN)] ?? 0));
    return {
      name: 'MultiHeadAttention: 3-D key and value with a bias, a key padding mask fed at run time, an attention bias, no present outputs',
      opset: 17,
      node: {
        op: 'MultiHeadAttention', domain: 'com.microsoft',
        inputs: ['q', 'key', 'value', 'bias', 'padding', 'attn_bias'],
        outputs: ['out'],
        attributes: { num_heads: { int: HEADS } },
      },
      initializers: [
        float32Tensor('q', values(21, S * HIDDEN), [1, S, HIDDEN]),
        float32Tensor('key', key, [1, S, HIDDEN]),
        float32Tensor('value', value, [1, S, HIDDEN]),
        float32Tensor('bias', bias, [3 * HIDDEN]),
        float32Tensor('attn_bias', values(25, HEADS * S * S), [1, HEADS, S, S]),
      ],
      inputs: [declaredValue('padding', DataType.INT32, 2)],
      feeds: { padding: new ort.Tensor('int32', Int32Array.from([1, 0, 1, 1]), [1, S]) },
      heads: HEADS, group: 1, v: () => splitHeads(v, S, HEADS, HEAD_DIM), layout: '3d',
      hidden: [[0, 1], [3, 1]],
    };
  })(),
  {
    name: 'MultiHeadAttention: past key and value, unidirectional, a scale',
    opset: 17,
    node: {
      op: 'MultiHeadAttention', domain: 'com.microsoft',
      inputs: ['q', 'key', 'value', '', '', '', 'past_k', 'past_v'],
      outputs: ['out', 'present_k', 'present_v'],
      attributes: { num_heads: { int: HEADS }, unidirectional: { int: 1 }, scale: { float: 0.5 } },
    },
    initializers: [
      float32Tensor('q', values(31, S * HIDDEN), [1, S, HIDDEN]),
      float32Tensor('key', values(32, S * HIDDEN), [1, S, HIDDEN]),
      float32Tensor('value', values(33, S * HIDDEN), [1, S, HIDDEN]),
      float32Tensor('past_k', values(34, HEADS * PAST * HEAD_DIM), [1, HEADS, PAST, HEAD_DIM]),
      float32Tensor('past_v', values(35, HEADS * PAST * HEAD_DIM), [1, HEADS, PAST, HEAD_DIM]),
    ],
    heads: HEADS, group: 1, v: (outputs) => headsFirst(tensorData(outputs, 'present_v'), HEADS, TOTAL, HEAD_DIM), layout: '3d',
    hidden: [[0, PAST + 1], [1, TOTAL - 1]],
  },
  // Opset 13 is the first whose Unsqueeze takes its axes as an input rather than an attribute.
  ...[12, 13, 17].map((opset): Variant => {
    // V half as wide as Q and K: the split must follow qkv_hidden_sizes, not thirds of the weights.
    const vHidden = HIDDEN / 2;
    const width = 2 * HIDDEN + vHidden;
    const input = values(41, S * 16);
    const weights = values(42, 16 * width);
    const bias = values(44, width);
    const projected = matmul(input, weights, S, 16, width).map((x, i) => x + (bias[i % width] ?? Number.NaN));
    const v = Array.from({ length: S * vHidden }, (_, i) => projected[Math.floor(i / vHidden) * width + 2 * HIDDEN + (i % vHidden)] ?? Number.NaN);
    return {
      name: `com.microsoft Attention in opset ${opset}: qkv_hidden_sizes, no present, a 2-D mask_index, an attention bias, unidirectional`,
      opset,
      node: {
        op: 'Attention', domain: 'com.microsoft',
        inputs: ['input', 'weights', 'bias', 'mask', '', 'attn_bias'],
        outputs: ['out'],
        attributes: { num_heads: { int: HEADS }, qkv_hidden_sizes: { ints: [HIDDEN, HIDDEN, vHidden] }, unidirectional: { int: 1 } },
      },
      initializers: [
        float32Tensor('input', input, [1, S, 16]),
        float32Tensor('weights', weights, [16, width]),
        float32Tensor('bias', bias, [width]),
        int32Tensor('mask', [1, 1, 0, 1], [1, S]),
        float32Tensor('attn_bias', values(43, HEADS * S * S), [1, HEADS, S, S]),
      ],
      heads: HEADS, group: 1, valueDim: vHidden / HEADS, v: () => splitHeads(v, S, HEADS, vHidden / HEADS), layout: '3d',
      hidden: [[3, 2], [1, 2], [0, 1]],
    };
  }),
  {
    name: 'ONNX Attention: 3-D inputs with q_num_heads and kv_num_heads, a boolean mask, softcap, not causal',
    opset: 23,
    node: {
      op: 'Attention',
      inputs: ['q', 'k', 'v', 'allowed'],
      outputs: ['out'],
      attributes: { q_num_heads: { int: HEADS }, kv_num_heads: { int: KV_HEADS }, softcap: { float: 2 } },
    },
    initializers: [
      float32Tensor('q', values(51, S * HIDDEN).map((x) => 3 * x), [1, S, HIDDEN]),
      float32Tensor('k', values(52, S * KV_HIDDEN), [1, S, KV_HIDDEN]),
      float32Tensor('v', values(53, S * KV_HIDDEN), [1, S, KV_HIDDEN]),
      boolTensor('allowed', Array.from({ length: S * S }, (_, i) => i % 3 !== 1), [S, S]),
    ],
    heads: HEADS, group: HEADS / KV_HEADS, v: () => splitHeads(values(53, S * KV_HIDDEN), S, KV_HEADS, HEAD_DIM), layout: '3d',
    hidden: [[0, 1], [1, 0], [3, 1]],
  },
  {
    name: 'ONNX Attention: 4-D inputs, past key and value, a float mask added to the scores, causal, a scale',
    opset: 23,
    node: {
      op: 'Attention',
      inputs: ['q', 'k', 'v', 'additive', 'past_k', 'past_v'],
      outputs: ['out', 'present_k', 'present_v'],
      attributes: { is_causal: { int: 1 }, scale: { float: 0.7 } },
    },
    initializers: [
      float32Tensor('q', values(61, HEADS * S * HEAD_DIM), [1, HEADS, S, HEAD_DIM]),
      float32Tensor('k', values(62, KV_HEADS * S * HEAD_DIM), [1, KV_HEADS, S, HEAD_DIM]),
      float32Tensor('v', values(63, KV_HEADS * S * HEAD_DIM), [1, KV_HEADS, S, HEAD_DIM]),
      float32Tensor('additive', values(64, S * TOTAL).map((x) => 4 * x), [S, TOTAL]),
      float32Tensor('past_k', values(65, KV_HEADS * PAST * HEAD_DIM), [1, KV_HEADS, PAST, HEAD_DIM]),
      float32Tensor('past_v', values(66, KV_HEADS * PAST * HEAD_DIM), [1, KV_HEADS, PAST, HEAD_DIM]),
    ],
    heads: HEADS, group: HEADS / KV_HEADS, v: presentValue('present_v'), layout: '4d',
    hidden: [[0, PAST + 1], [2, TOTAL - 1]],
  },
];

/** Runs the variant's node and the exposed probabilities: [P as [heads][queries][keys], the node's output as [heads][queries][dim], V]. */
async function runVariant(variant: Variant): Promise<{ p: number[][][]; out: number[][][]; v: number[][][] }> {
  const bytes = graphModel([variant.node], variant.initializers, variant.opset, variant.inputs);
  const exposure = exposeFusedAttention(bytes);
  assert.equal(exposure.layers.length, 1);
  const [layer] = exposure.layers;
  assert.equal(layer?.why, undefined, layer?.why);
  const probabilities = layer?.probabilities ?? '';
  const outputs = variant.node.outputs.map((name) => ({ name, elemType: DataType.FLOAT }));
  const edited = addToGraph(bytes, { ...exposure.addition, outputs: [...outputs, { name: probabilities, elemType: DataType.FLOAT }] });
  const session = await ort.InferenceSession.create(edited, { graphOptimizationLevel: 'disabled' });
  try {
    const result = await session.run({ ...variant.feeds });
    const pTensor = result[probabilities];
    assert.ok(pTensor);
    const [, heads, queries, keys] = pTensor.dims;
    assert.deepEqual([heads, queries], [variant.heads, S]);
    const p = headsFirst(pTensor.data as Float32Array, variant.heads, S, keys ?? 0);
    const raw = tensorData(result, 'out');
    const dim = variant.valueDim ?? HEAD_DIM;
    const out = variant.layout === '4d' ? headsFirst(raw, variant.heads, S, dim) : splitHeads([...raw], S, variant.heads, dim);
    return { p, out, v: variant.v(result) };
  } finally {
    await session.release();
  }
}

describe('attention surgery on fused variants, checked against onnxruntime’s kernels', () => {
  for (const variant of VARIANTS) {
    it(`${variant.name}: the node's output is P·V`, async () => {
      const { p, out, v } = await runVariant(variant);
      let worst = 0;
      p.forEach((rows, h) => {
        const values = v[Math.floor(h / variant.group)] ?? [];
        assert.equal(rows[0]?.length, values.length, 'P has one column per key of V');
        rows.forEach((row, q) => {
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `head ${h} query ${q} sums to 1`);
          for (let j = 0; j < (variant.valueDim ?? HEAD_DIM); j++) {
            const expected = row.reduce((sum, weight, k) => sum + weight * (values[k]?.[j] ?? Number.NaN), 0);
            worst = Math.max(worst, Math.abs(expected - (out[h]?.[q]?.[j] ?? Number.NaN)));
          }
        });
      });
      assert.ok(worst < 1e-4, `max |P·V − output| ${worst}`);
      for (const [q, k] of variant.hidden ?? []) {
        for (const [h, rows] of p.entries()) assert.equal(rows[q]?.[k], 0, `head ${h}: query ${q} sees key ${k}`);
      }
    });
  }
});

/**
 * The exposed probabilities of a graph's one fused node: [batch, heads, queries, keys] float32.
 * `withoutNode`: the node itself is left out of the graph run (a layout onnxruntime's CPU kernel lacks).
 */
async function probabilitiesOf(node: NodeSpec, initializers: readonly TensorSpec[], inputs: readonly Uint8Array[] = [], feeds: Readonly<Record<string, ort.Tensor>> = {}, withoutNode = false): Promise<ort.Tensor> {
  const bytes = graphModel([node], initializers, 17, inputs);
  const exposure = exposeFusedAttention(bytes);
  const probabilities = exposure.layers[0]?.probabilities ?? '';
  assert.equal(exposure.layers[0]?.why, undefined);
  const base = withoutNode ? graphModel([], initializers, 17, inputs) : bytes;
  const edited = addToGraph(base, { ...exposure.addition, outputs: [{ name: probabilities, elemType: DataType.FLOAT }] });
  const session = await ort.InferenceSession.create(edited, { graphOptimizationLevel: 'disabled' });
  try {
    const result = await session.run({ ...feeds });
    const tensor = result[probabilities];
    assert.ok(tensor);
    return tensor;
  } finally {
    await session.release();
  }
}

describe('a batch of two rows (beam search) gets each row’s own probabilities', () => {
  /** Row b of a batch's exposed probabilities must be what a batch of that row alone gets. */
  async function assertRowsAlone(batched: ort.Tensor, alone: readonly ort.Tensor[]): Promise<void> {
    assert.equal(batched.dims[0], alone.length);
    const rowSize = (batched.data as Float32Array).length / alone.length;
    alone.forEach((row, b) => {
      assert.deepEqual(batched.dims.slice(1), row.dims.slice(1));
      const got = (batched.data as Float32Array).subarray(b * rowSize, (b + 1) * rowSize);
      const worst = (row.data as Float32Array).reduce((most, x, i) => Math.max(most, Math.abs(x - (got[i] ?? Number.NaN))), 0);
      assert.ok(worst < 1e-6, `row ${b}: max difference ${worst}`);
    });
  }

  it('GroupQueryAttention decoding one token per row at its own position', async () => {
    // (Its kernel takes a batch over a past only one token at a time, as beam search feeds it.)
    const node: NodeSpec = {
      op: 'GroupQueryAttention', domain: 'com.microsoft',
      inputs: ['q', 'k', 'v', 'past_k', 'past_v', 'seqlens', 'total', 'cos', 'sin', 'positions'],
      outputs: ['out', 'present_k', 'present_v'],
      attributes: { num_heads: { int: HEADS }, kv_num_heads: { int: KV_HEADS }, do_rotary: { int: 1 } },
    };
    const rows = [
      { seed: 100, position: 9 },
      { seed: 200, position: 4 },
    ];
    const constants = (chosen: typeof rows): TensorSpec[] => {
      const B = chosen.length;
      const of = (offset: number, size: number) => chosen.flatMap((row) => values(row.seed + offset, size));
      return [
        float32Tensor('q', of(1, HIDDEN), [B, 1, HIDDEN]),
        float32Tensor('k', of(2, KV_HIDDEN), [B, 1, KV_HIDDEN]),
        float32Tensor('v', of(3, KV_HIDDEN), [B, 1, KV_HIDDEN]),
        float32Tensor('past_k', of(4, KV_HEADS * (TOTAL - 1) * HEAD_DIM), [B, KV_HEADS, TOTAL - 1, HEAD_DIM]),
        float32Tensor('past_v', of(5, KV_HEADS * (TOTAL - 1) * HEAD_DIM), [B, KV_HEADS, TOTAL - 1, HEAD_DIM]),
        int32Tensor('seqlens', chosen.map(() => TOTAL - 1)),
        int32Tensor('total', [TOTAL], []),
        ...caches(),
        int64Tensor('positions', chosen.map((row) => row.position), [B, 1]),
      ];
    };
    const batched = await probabilitiesOf(node, constants(rows));
    assert.deepEqual(batched.dims, [2, HEADS, 1, TOTAL]);
    await assertRowsAlone(batched, await Promise.all(rows.map((row) => probabilitiesOf(node, constants([row])))));
  });

  it('MultiHeadAttention with a key padding mask per row, fed at run time', async () => {
    const node: NodeSpec = { op: 'MultiHeadAttention', domain: 'com.microsoft', inputs: ['q', 'key', 'value', '', 'padding'], outputs: ['out'], attributes: { num_heads: { int: HEADS } } };
    // Three queries over four keys: a mask broadcast over the wrong axis fails or mixes the rows.
    const QUERIES = 3;
    const rows = [
      { seed: 300, padding: [1, 1, 0, 1] },
      { seed: 400, padding: [0, 1, 1, 1] },
    ];
    const run = (chosen: typeof rows) => {
      const B = chosen.length;
      const of = (offset: number, size: number) => chosen.flatMap((row) => values(row.seed + offset, size));
      const constants = [
        float32Tensor('q', of(1, QUERIES * HIDDEN), [B, QUERIES, HIDDEN]),
        float32Tensor('key', of(2, S * HIDDEN), [B, S, HIDDEN]),
        float32Tensor('value', of(3, S * HIDDEN), [B, S, HIDDEN]),
      ];
      const padding = new ort.Tensor('int32', Int32Array.from(chosen.flatMap((row) => row.padding)), [B, S]);
      return probabilitiesOf(node, constants, [declaredValue('padding', DataType.INT32, 2)], { padding });
    };
    const batched = await run(rows);
    assert.deepEqual(batched.dims, [2, HEADS, QUERIES, S]);
    const p = batched.data as Float32Array;
    for (let q = 0; q < QUERIES; q++) {
      assert.equal(p[(0 * HEADS * QUERIES + q) * S + 2], 0, `row 0 query ${q} sees its padded key 2`);
      assert.equal(p[(1 * HEADS * QUERIES + q) * S + 0], 0, `row 1 query ${q} sees its padded key 0`);
    }
    await assertRowsAlone(batched, await Promise.all(rows.map((row) => run([row]))));
  });
});

describe('MultiHeadAttention with packed QKV (onnxruntime has no CPU kernel for it)', () => {
  it('gets the probabilities of the same query, key and value given apart', async () => {
    // [1, S, heads, 3, head_size]: each head's query, key and value side by side.
    const packed = values(26, S * HEADS * 3 * HEAD_DIM);
    const slot = (which: number) => Array.from({ length: S * HIDDEN }, (_, i) => packed[(Math.floor(i / HEAD_DIM) * 3 + which) * HEAD_DIM + (i % HEAD_DIM)] ?? Number.NaN);
    const mha = (inputs: string[]): NodeSpec => ({ op: 'MultiHeadAttention', domain: 'com.microsoft', inputs, outputs: ['out'], attributes: { num_heads: { int: HEADS } } });
    const fromPacked = await probabilitiesOf(mha(['qkv']), [float32Tensor('qkv', packed, [1, S, HEADS, 3, HEAD_DIM])], [], {}, true);
    const apart = await probabilitiesOf(mha(['q', 'k', 'v']), [0, 1, 2].map((i) => float32Tensor('qkv'[i] ?? '', slot(i), [1, S, HIDDEN])));
    assert.deepEqual(fromPacked.dims, [1, HEADS, S, S]);
    const worst = (apart.data as Float32Array).reduce((most, x, i) => Math.max(most, Math.abs(x - ((fromPacked.data as Float32Array)[i] ?? Number.NaN))), 0);
    assert.ok(worst < 1e-6, `max difference ${worst}`);
  });
});

describe('fused layouts the recomputation cannot follow are named, never guessed', () => {
  const gqa = (inputs: readonly string[], attributes: NodeSpec['attributes'] = {}, outputs = ['out', 'pk', 'pv']): NodeSpec => ({
    op: 'GroupQueryAttention', domain: 'com.microsoft', inputs, outputs, attributes: { num_heads: { int: HEADS }, kv_num_heads: { int: KV_HEADS }, ...attributes },
  });
  const gqaInputs = ['q', 'k', 'v', 'past_k', 'past_v', 'seqlens', 'total'];
  const mha = (inputs: readonly string[], outputs = ['out', 'pk', 'pv'], attributes: NodeSpec['attributes'] = {}): NodeSpec => ({
    op: 'MultiHeadAttention', domain: 'com.microsoft', inputs, outputs, attributes: { num_heads: { int: HEADS }, ...attributes },
  });
  const contrib = (inputs: readonly string[], outputs = ['out', 'present'], attributes: NodeSpec['attributes'] = {}): NodeSpec => ({
    op: 'Attention', domain: 'com.microsoft', inputs, outputs, attributes: { num_heads: { int: HEADS }, ...attributes },
  });
  const standard = (inputs: readonly string[], outputs = ['out', 'pk', 'pv']): NodeSpec => ({ op: 'Attention', inputs, outputs });

  /** The one layer's refusal (undefined when it is exposed). */
  function why(node: NodeSpec, opset = 17, inputs: readonly Uint8Array[] = [], extraNodes: readonly NodeSpec[] = []): string | undefined {
    const exposure = exposeFusedAttention(graphModel([...extraNodes, node], [], opset, inputs));
    assert.equal(exposure.layers.length, 1);
    const [layer] = exposure.layers;
    assert.equal(layer?.anchor, node.outputs[0]);
    assert.equal(layer?.op, node.op);
    assert.equal(layer?.domain, node.domain ?? '');
    assert.equal(layer?.probabilities === undefined, layer?.why !== undefined, 'either probabilities or a reason');
    return layer?.why;
  }

  const refused: readonly [string, () => string | undefined, RegExp][] = [
    ['an opset before 11', () => why(standard(['q', 'k', 'v'], ['out']), 10), /^ONNX Attention is in a graph of opset 10; exposing its attention needs opset 11 or later$/],
    ['an attribute it does not know', () => why(mha(['q', 'k', 'v'], ['out', 'pk'], { rotary: { int: 1 } })), /^com\.microsoft MultiHeadAttention with attribute rotary = 1 cannot be reproduced exactly$/],
    ['a known attribute at a value that changes the result', () => why(contrib(['x', 'w'], ['out'], { do_rotary: { int: 1 } })), /^com\.microsoft Attention with attribute do_rotary = 1 cannot/],
    ['a quantized KV cache', () => why(gqa(gqaInputs, { k_quant_type: { string: 'PER_TENSOR' } })), /GroupQueryAttention with attribute k_quant_type = PER_TENSOR cannot/],
    ['a local window of 0', () => why(gqa(gqaInputs, { local_window_size: { int: 0 } })), /^com\.microsoft GroupQueryAttention with attribute local_window_size = 0 cannot be reproduced exactly$/],
    ['a local window of -2', () => why(gqa(gqaInputs, { local_window_size: { int: -2 } })), /GroupQueryAttention with attribute local_window_size = -2 cannot/],
    ['an attribute without a value it can read', () => why(gqa(gqaInputs, { smooth_softmax: { floats: [1] } })), /GroupQueryAttention with attribute smooth_softmax cannot/],
    ['a head sink', () => why(gqa([...gqaInputs, '', '', '', '', 'sink'])), /GroupQueryAttention with input head_sink cannot/],
    ['a k_scale', () => why(gqa([...gqaInputs, '', '', '', '', '', 'ks'])), /GroupQueryAttention with input k_scale cannot/],
    ['a v_scale', () => why(gqa([...gqaInputs, '', '', '', '', '', '', 'vs'])), /GroupQueryAttention with input v_scale cannot/],
    ['a q_norm_weight', () => why(gqa([...gqaInputs, '', '', '', '', '', '', '', 'qn'])), /GroupQueryAttention with input q_norm_weight cannot/],
    ['a k_norm_weight', () => why(gqa([...gqaInputs, '', '', '', '', '', '', '', '', 'kn'])), /GroupQueryAttention with input k_norm_weight cannot/],
    ['a MultiHeadAttention past sequence length', () => why(mha(['q', 'k', 'v', '', '', '', '', '', 'length'])), /MultiHeadAttention with input past_sequence_length cannot/],
    ['a cache indirection', () => why(mha(['q', 'k', 'v', '', '', '', '', '', '', 'beams'])), /MultiHeadAttention with input cache_indirection cannot/],
    ['a past sequence length', () => why(contrib(['x', 'w', '', '', '', '', 'length'])), /com\.microsoft Attention with input past_sequence_length cannot/],
    ['non-padded KV lengths', () => why(standard(['q', 'k', 'v', '', '', '', 'lengths']), 24), /ONNX Attention with input nonpad_kv_seqlen cannot/],
    ['no num_heads', () => why({ ...gqa(gqaInputs), attributes: { kv_num_heads: { int: 2 } } }), /GroupQueryAttention has no positive attribute num_heads$/],
    ['kv_num_heads 0', () => why(gqa(gqaInputs, { kv_num_heads: { int: 0 } })), /GroupQueryAttention has no positive attribute kv_num_heads$/],
    ['no present_key output', () => why(gqa(gqaInputs, {}, ['out'])), /GroupQueryAttention without its present_key output cannot/],
    ['rotary without caches', () => why(gqa([...gqaInputs, 'cos'], { do_rotary: { int: 1 } })), /GroupQueryAttention with do_rotary = 1 and no cos_cache\/sin_cache cannot/],
    ['packed QKV with a bias', () => why(mha(['qkv', '', '', 'bias'])), /MultiHeadAttention with packed QKV and a bias cannot/],
    ['a past key and no present', () => why(mha(['q', 'k', 'v', '', '', '', 'pk_in', 'pv_in'], ['out'])), /MultiHeadAttention with past_key but no present_key output cannot/],
    ['a key of unknown rank and no present', () => why(mha(['q', 'k', 'v'], ['out'])), /MultiHeadAttention without a present_key output and with a key of rank other than 3 cannot/],
    ['a 4-D key and no present', () => why(mha(['q', 'k', 'v'], ['out']), 17, [declaredValue('k', DataType.FLOAT, 4)]), /key of rank other than 3/],
    ['a key padding mask of unknown rank', () => why(mha(['q', 'k', 'v', '', 'lengths'])), /MultiHeadAttention with a mask of unknown rank as key_padding_mask cannot/],
    ['a 1-D key padding mask (lengths)', () => why(mha(['q', 'k', 'v', '', 'lengths']), 17, [declaredValue('lengths', DataType.INT32, 1)]), /with a 1-D mask as key_padding_mask cannot/],
    ['a mask made by another op than Cast from a 1-D input (its rank unknown)', () =>
      why(mha(['q', 'k', 'v', '', 'mask2']), 17, [declaredValue('lengths', DataType.INT32, 1)], [{ op: 'Unsqueeze', inputs: ['lengths', 'axes'], outputs: ['mask2'] }]), /MultiHeadAttention with a mask of unknown rank as key_padding_mask cannot/],
    ['a 3-D mask_index', () => why(contrib(['x', 'w', '', 'mask']), 17, [declaredValue('mask', DataType.INT32, 3)]), /com\.microsoft Attention with a 3-D mask as mask_index cannot/],
    ['a 1-D mask_index constant', () => why(contrib(['x', 'w', '', 'mask']), 17, [lengthField(GRAPH_INITIALIZER, tensorProto(int32Tensor('mask', [4])))]), /with a 1-D mask as mask_index/],
    ['a past and no present', () => why(contrib(['x', 'w', '', '', 'past'], ['out'])), /com\.microsoft Attention with past but no present output cannot/],
    ['ONNX: a past key and no present', () => why(standard(['q', 'k', 'v', '', 'pk_in', 'pv_in'], ['out']), 23), /^ONNX Attention with past_key but no present_key output cannot/],
    ['ONNX: a mask of unknown element type', () => why(standard(['q', 'k', 'v', 'mask']), 23), /^ONNX Attention with an attn_mask of unknown element type cannot/],
  ];
  for (const [what, reason, expected] of refused) {
    it(`refuses ${what}`, () => assert.match(reason() ?? '(exposed)', expected));
  }

  const accepted: readonly [string, () => string | undefined][] = [
    ['smooth_softmax 0 and -1, quant types NONE', () => why(gqa(gqaInputs, { smooth_softmax: { int: 0 }, k_quant_type: { string: 'NONE' }, v_quant_type: { string: 'NONE' } }))],
    ['smooth_softmax -1', () => why(gqa(gqaInputs, { smooth_softmax: { int: -1 } }))],
    ['local_window_size -1 (no window) and 1', () => why(gqa(gqaInputs, { local_window_size: { int: -1 } })) ?? why(gqa(gqaInputs, { local_window_size: { int: 1 } }))],
    ['do_rotary 0 and past_present_share_buffer 0 on com.microsoft Attention', () => why(contrib(['x', 'w'], ['out'], { do_rotary: { int: 0 }, past_present_share_buffer: { int: 0 } }))],
    ['a graph of opset 11', () => why(gqa(gqaInputs), 11)],
    ['packed QKV without a bias', () => why(mha(['qkv']))],
    ['a mask that a Cast made from a 2-D input (rank from the input)', () =>
      why(mha(['q', 'k', 'v', '', 'mask32']), 17, [declaredValue('mask', DataType.INT64, 2)], [{ op: 'Cast', inputs: ['mask'], outputs: ['mask32'], attributes: { to: { int: DataType.INT32 } } }])],
    ['an attn_mask whose type a Cast gives', () =>
      why(standard(['q', 'k', 'v', 'allowed']), 23, [], [{ op: 'Cast', inputs: ['raw'], outputs: ['allowed'], attributes: { to: { int: DataType.BOOL } } }])],
    ['a 2-D mask_index declared as a graph value', () => why(contrib(['x', 'w', '', 'mask']), 17, [declaredValue('mask', DataType.INT32, 2, GRAPH_VALUE_INFO)])],
    ['a 2-D mask_index declared as a graph output', () => why(contrib(['x', 'w', '', 'mask']), 17, [declaredValue('mask', DataType.INT32, 2, GRAPH_OUTPUT)])],
    ['an attn_mask whose type a graph input declares', () => why(standard(['q', 'k', 'v', 'allowed']), 23, [declaredValue('allowed', DataType.BOOL, 4)])],
    ['a mask Cast onto a value declared 2-D, from an input of unknown rank', () =>
      why(mha(['q', 'k', 'v', '', 'mask32']), 17, [declaredValue('mask32', DataType.INT32, 2, GRAPH_VALUE_INFO)], [{ op: 'Cast', inputs: ['raw'], outputs: ['mask32'], attributes: { to: { int: DataType.INT32 } } }])],
    ['a 2-D mask_index constant whose packed dims take more than one byte', () => {
      const packed = concat([lengthField(TENSOR_DIMS, Uint8Array.from([1, 0xc8, 0x01])), varintField(TENSOR_DATA_TYPE, DataType.INT32), lengthField(TENSOR_NAME, 'mask')]); // [1, 200]
      return why(contrib(['x', 'w', '', 'mask']), 17, [lengthField(GRAPH_INITIALIZER, packed)]);
    }],
    ['a 2-D mask_index constant whose dims are packed', () => {
      // TensorProto.dims written packed (one length-delimited field), as some writers do: rank 2.
      const packed = concat([lengthField(TENSOR_DIMS, Uint8Array.from([1, 4])), varintField(TENSOR_DATA_TYPE, DataType.INT32), lengthField(TENSOR_NAME, 'mask')]);
      return why(contrib(['x', 'w', '', 'mask']), 17, [lengthField(GRAPH_INITIALIZER, packed)]);
    }],
  ];
  for (const [what, reason] of accepted) {
    it(`exposes ${what}`, () => assert.equal(reason(), undefined));
  }

  /** The ops the recomputation of the one layer adds. */
  const emitted = (node: NodeSpec, opset = 17, inputs: readonly Uint8Array[] = []): string[] => {
    const exposure = exposeFusedAttention(graphModel([node], [], opset, inputs));
    assert.equal(exposure.layers[0]?.why, undefined);
    return (exposure.addition.nodes ?? []).map((n) => n.op);
  };

  it('softcap 0 caps nothing; scale 0 is the default 1/sqrt(head_size)', () => {
    const ops = emitted(gqa(gqaInputs, { softcap: { float: 0 }, scale: { float: 0 } }));
    assert.equal(ops.includes('Tanh'), false, 'no softcap');
    assert.equal(ops.includes('Sqrt'), true, 'the scale computed from the head size');
  });

  it('a GroupQueryAttention with causal 0 and a local window masks by the window only', () => {
    const ops = emitted(gqa(gqaInputs, { causal: { int: 0 }, local_window_size: { int: 2 } }));
    assert.equal(ops.includes('Greater'), false, 'no causal mask');
    assert.equal(ops.includes('Less'), true, 'the window');
  });

  it('a com.microsoft Attention without unidirectional is not causal; its scale attribute replaces the default', () => {
    assert.equal(emitted(contrib(['x', 'w'], ['out'])).includes('Greater'), false);
    assert.equal(emitted(contrib(['x', 'w'], ['out'])).includes('Sqrt'), true, 'the default 1/sqrt(head_size)');
    assert.equal(emitted(contrib(['x', 'w'], ['out'], { scale: { float: 0.5 } })).includes('Sqrt'), false, 'the attribute');
  });

  it('an ONNX Attention boolean mask selects scores, never adds to them', () => {
    const ops = emitted(standard(['q', 'k', 'v', 'allowed']), 23, [declaredValue('allowed', DataType.BOOL, 4)]);
    assert.equal(ops.includes('Add'), false);
    assert.equal(ops.includes('Where'), true);
  });

  it('passes over attention nodes of other domains and other ops', () => {
    const other: NodeSpec = { op: 'Attention', domain: 'ai.custom', inputs: ['q'], outputs: ['a'] };
    const softmax: NodeSpec = { op: 'Softmax', inputs: ['q'], outputs: ['b'] };
    const exposure = exposeFusedAttention(graphModel([other, softmax, mha(['qkv'], ['c', 'pk'])], [], 17));
    assert.deepEqual(exposure.layers.map((l) => l.anchor), ['c']);
  });
});
