// Attention surgery on fused operators (exposeFusedAttention) against the fused-* fixtures of
// models/recipes/make_fused_fixtures.py: the probabilities recomputed beside each fused node
// equal PyTorch eager's within 1e-4 (fp32) / 1e-2 (fp16 files), and the model's own logits stay
// bit-identical. Run
// as the inspector runs them: batch 1 from an empty KV cache, attention_mask all ones.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { addToGraph, DataType, type GraphAddition, nodeProto, type NodeSpec } from '../../../src/engine/onnxBuild';
import { exposeFusedAttention, type FusedExposure } from '../../../src/engine/onnxFusedAttention';
import { GRAPH_NODE, MODEL_GRAPH } from '../../../src/engine/onnxProto';
import { concat, lengthField, varintField } from '../../../src/engine/protoWrite';
import { FIXTURES, GOLDENS, maxAbsDiff } from './helpers';

interface FusedGolden {
  readonly kind: 'fused-attention';
  readonly prompt_ids: number[];
  /** [T][V] */
  readonly logits: number[][];
  /** [layers][heads][T][T] */
  readonly attentions: number[][][][];
}

interface Geometry {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

const TOLERANCE = { fp32: 1e-4, fp16: 1e-2 } as const;
type Precision = keyof typeof TOLERANCE;

const fusedFixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((name) => name.startsWith('fused-')) : [];

function geometry(name: string): Geometry {
  const config = JSON.parse(readFileSync(path.join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, number>;
  const heads = config.num_attention_heads ?? config.n_head ?? 0;
  return {
    layers: config.num_hidden_layers ?? config.n_layer ?? 0,
    kvHeads: config.num_key_value_heads ?? heads,
    headDim: config.head_dim ?? (config.hidden_size ?? config.n_embd ?? 0) / heads,
  };
}

/** The inspector's feeds: the prompt from an empty KV cache, batch 1, mask all ones (fp16 files take float16 pasts). */
function emptyCacheFeeds(ids: readonly number[], g: Geometry, precision: Precision): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  };
  for (let i = 0; i < g.layers; i++) {
    for (const kind of ['key', 'value']) {
      const dims = [1, g.kvHeads, 0, g.headDim];
      feeds[`past_key_values.${i}.${kind}`] = precision === 'fp32' ? new ort.Tensor('float32', new Float32Array(0), dims) : new ort.Tensor('float16', new Uint16Array(0), dims);
    }
  }
  return feeds;
}

/** The model with the exposure's nodes and one float32 output per exposed layer. */
function withProbabilities(model: Uint8Array, exposure: FusedExposure): Uint8Array {
  const outputs = exposure.layers.flatMap((layer) => (layer.probabilities ? [{ name: layer.probabilities, elemType: DataType.FLOAT }] : []));
  const addition: GraphAddition = { ...exposure.addition, outputs };
  return addToGraph(model, addition);
}

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('attention surgery on fused attention operators', () => {
  it('has the fused fixtures to check', () => {
    assert.deepEqual(fusedFixtures.sort(), ['fused-gpt2-mha-attention', 'fused-qwen2-gqa', 'fused-qwen2-gqa-variants', 'fused-qwen2-onnx-attention']);
  });

  const cases = fusedFixtures.flatMap((name) =>
    (['fp32', 'fp16'] as const).map((precision) => ({ name, precision, file: precision === 'fp32' ? 'model.onnx' : 'model_fp16.onnx' })).filter((c) => existsSync(path.join(FIXTURES, c.name, 'onnx', c.file))),
  );

  it('has fp16 files to check', () => {
    assert.deepEqual(cases.filter((c) => c.precision === 'fp16').map((c) => c.name), ['fused-qwen2-gqa']);
  });

  for (const { name, precision, file } of cases) {
    describe(`${name} ${file}`, () => {
      const golden = JSON.parse(readFileSync(path.join(GOLDENS, `${name}.json`), 'utf8')) as FusedGolden;
      const model = new Uint8Array(readFileSync(path.join(FIXTURES, name, 'onnx', file)));
      const g = geometry(name);
      const tolerance = TOLERANCE[precision];
      let exposure: FusedExposure;
      let plain: ort.InferenceSession.OnnxValueMapType;
      let edited: ort.InferenceSession.OnnxValueMapType;
      before(async () => {
        exposure = exposeFusedAttention(model);
        const feeds = emptyCacheFeeds(golden.prompt_ids, g, precision);
        plain = await run(model, feeds);
        edited = await run(withProbabilities(model, exposure), feeds);
      });

      it('exposes every layer, in graph order, with plain ONNX nodes only', () => {
        assert.equal(exposure.layers.length, g.layers);
        for (const layer of exposure.layers) {
          assert.equal(layer.why, undefined, layer.why);
          assert.ok(layer.probabilities, `${layer.op} ${layer.anchor}`);
        }
        assert.ok((exposure.addition.nodes ?? []).every((node) => (node.domain ?? '') === ''));
      });

      it(`probabilities equal PyTorch eager within ${tolerance}, shape [1, heads, T, T]`, () => {
        const t = golden.prompt_ids.length;
        exposure.layers.forEach((layer, i) => {
          const expected = golden.attentions[i] as number[][][];
          const tensor = edited[layer.probabilities ?? ''] as ort.Tensor;
          assert.equal(tensor.type, 'float32');
          assert.deepEqual(tensor.dims, [1, expected.length, t, t]);
          const diff = maxAbsDiff(tensor.data as Float32Array, expected.flat(2));
          assert.ok(diff <= tolerance, `layer ${i} (${layer.op}): max diff ${diff}`);
        });
      });

      it('leaves the logits bit-identical to the unmodified session', () => {
        const before = plain.logits as ort.Tensor;
        const after = edited.logits as ort.Tensor;
        assert.deepEqual(after.dims, before.dims);
        assert.deepEqual(after.data, before.data);
      });

      if (precision === 'fp32') {
        it('runs a graph whose logits are PyTorch eager\'s (the fixture is what it claims to be)', () => {
          assert.ok(maxAbsDiff((plain.logits as ort.Tensor).data as Float32Array, golden.logits.flat()) <= TOLERANCE.fp32);
        });
      }
    });
  }

  it('finds no layers in graphs without fused attention', () => {
    for (const name of ['hub-gpt2', 'hub-smollm2']) {
      const exposure = exposeFusedAttention(new Uint8Array(readFileSync(path.join(FIXTURES, name, 'onnx', 'model.onnx'))));
      assert.deepEqual(exposure.layers, [], name);
      assert.deepEqual(exposure.addition.nodes, [], name);
    }
  });

  it('says which operator and attribute it cannot reproduce, and still exposes the other layers', () => {
    const gqa = (attributes: NodeSpec['attributes'], output: string): NodeSpec => ({
      op: 'GroupQueryAttention',
      domain: 'com.microsoft',
      inputs: ['q', 'k', 'v', 'past_k', 'past_v', 'seqlens_k', 'total'],
      outputs: [output, `${output}_present_key`, `${output}_present_value`],
      attributes,
    });
    const heads = { num_heads: { int: 4 }, kv_num_heads: { int: 2 } };
    const nodes = [gqa({ ...heads, smooth_softmax: { int: 1 } }, 'first'), gqa(heads, 'second')];
    const graph = concat(nodes.map((n) => lengthField(GRAPH_NODE, nodeProto(n))));
    const opset = lengthField(8, concat([lengthField(1, ''), varintField(2, 17)]));
    const exposure = exposeFusedAttention(concat([varintField(1, 8), lengthField(MODEL_GRAPH, graph), opset]));
    const [first, second] = exposure.layers;
    assert.equal(first?.anchor, 'first');
    assert.equal(first?.probabilities, undefined);
    assert.match(first?.why ?? '', /GroupQueryAttention.*smooth_softmax/);
    assert.equal(second?.anchor, 'second');
    assert.equal(second?.why, undefined);
    assert.ok(second?.probabilities);
  });
});
