// Attention of exports without attention outputs: graph surgery on the hub-layout fixtures (every
// dtype file: Softmax taps, merged decoders' no-past branch inlined) and probabilities recomputed
// beside fused ops (fused-* fixtures), against PyTorch eager; the edited graph's logits against the
// unmodified session's, bit for bit; layer order from the graph's structure; one sentence when a
// graph has no attention.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { type AttentionTap, inlineIfBranch, planAttentionSurgery, resolveTaps, type SurgeryPlan } from '../../../src/engine/attentionSurgery';
import { listDtypeFiles, onnxRoles, readModelFolder, readOnnxFile } from '../../../src/engine/modelFolder';
import { addToGraph, DataType, float32Tensor } from '../../../src/engine/onnxBuild';
import { createSession, type Feeds, floatData, int64Tensor, onesInt64, type OrtTensor } from '../../../src/engine/onnx';
import { summarizeOnnx } from '../../../src/engine/onnxProto';
import { loadSeq2Seq, type MarianRunner } from '../../../src/engine/seq2seq/runner';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES, GOLDENS, loadDecoder, maxAbsDiff } from './helpers';

interface AttentionGolden {
  readonly prompt_ids: number[];
  /** [L][H][T][T] PyTorch eager fp32 */
  readonly attentions: number[][][][];
}

const golden = (name: string): AttentionGolden => JSON.parse(readFileSync(path.join(GOLDENS, `${name}.json`), 'utf8')) as AttentionGolden;

/** Quantized weights move the probabilities away from the fp32 golden; fp16 within the 1e-2. */
const TOLERANCE: Record<string, number> = { fp32: 1e-4, fp16: 1e-2, q4f16: 0.1, bnb4: 0.1, q4: 0.1, q8: 0.1, int8: 0.1, uint8: 0.1 };

const STOCK = ['hub-gpt2', 'hub-qwen2.5-coder', 'hub-smollm2'];
const FUSED = ['fused-gpt2-mha-attention', 'fused-qwen2-gqa', 'fused-qwen2-gqa-variants', 'fused-qwen2-onnx-attention'];

async function dtypesOf(name: string): Promise<string[]> {
  const files = await NodeModelFiles.open(path.join(FIXTURES, name));
  return (await listDtypeFiles(files, onnxRoles('decoder'))).map((d) => d.dtype);
}

describe('attention by graph surgery, against PyTorch eager', () => {
  for (const name of [...STOCK, ...FUSED]) {
    it(`${name}: every dtype file shows every layer and head`, async () => {
      const expected = golden(name);
      const dtypes = await dtypesOf(name);
      assert.ok(dtypes.includes('fp32'));
      for (const dtype of dtypes) {
        const { model, folder } = await loadDecoder(name, { dtype: dtype as 'fp32' });
        try {
          assert.equal(model.attentionSource, name.startsWith('fused-') ? 'fused-surgery' : 'surgery', dtype);
          const attentions = await model.attentionPass(expected.prompt_ids);
          const t = expected.prompt_ids.length;
          assert.equal(attentions.length, folder.config.layers, dtype);
          attentions.forEach((tensor, layer) => {
            assert.deepEqual(tensor.dims, [1, folder.config.heads, t, t], `${dtype} layer ${layer}`);
            const diff = maxAbsDiff(tensor.data as Float32Array, (expected.attentions[layer] as number[][][]).flat(2));
            assert.ok(diff < (TOLERANCE[dtype] as number), `${dtype} layer ${layer}: max |Δ| ${diff}`);
          });
        } finally {
          await model.dispose();
        }
      }
    });
  }
});

/** Feeds of a no-past run over `ids` for any decoder export (merged or not). */
function noPastFeeds(inputs: readonly { name: string; type: string; shape: readonly (number | string)[] }[], ids: readonly number[], kvShape: (name: string) => number[]): Feeds {
  const feeds: Feeds = {};
  for (const input of inputs) {
    if (input.name === 'input_ids') feeds[input.name] = int64Tensor(ort, ids, [1, ids.length]);
    else if (input.name === 'attention_mask') feeds[input.name] = onesInt64(ort, [1, ids.length]);
    else if (input.name === 'position_ids') feeds[input.name] = int64Tensor(ort, ids.map((_, i) => i), [1, ids.length]);
    else if (input.name === 'use_cache_branch') feeds[input.name] = new ort.Tensor('bool', new Uint8Array([0]), [1]);
    else if (input.name.startsWith('past_key_values')) {
      const dims = kvShape(input.name);
      feeds[input.name] = input.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
  }
  return feeds;
}

describe('attention of an encoder-decoder export without attention outputs (Marian layout)', () => {
  const name = 'hub-opus-mt-en-de';
  const expected = JSON.parse(readFileSync(path.join(GOLDENS, `${name}.json`), 'utf8')) as {
    readonly source_ids: number[];
    readonly decoder_start_token_id: number;
    readonly greedy: { readonly output_ids: number[] };
    /** [L][H][S][S] */
    readonly encoder_attentions: number[][][][];
    /** [L][H][T][S], teacher-forced over the start token and the greedy output */
    readonly cross_attentions: number[][][][];
  };

  it('encoder self-attention, decoder cross-attention and decoder self-attention in every dtype file', async () => {
    const files = await NodeModelFiles.open(path.join(FIXTURES, name));
    const folder = await readModelFolder(files);
    const dtypes = (await listDtypeFiles(files, onnxRoles('encoder-decoder'))).map((d) => d.dtype);
    assert.deepEqual([...dtypes].sort(), ['fp16', 'fp32', 'q8']);
    for (const dtype of dtypes) {
      const runner = await loadSeq2Seq(folder, { ort, backend: 'wasm' }, dtype);
      try {
        assert.equal(runner.attentionSource, 'surgery', dtype);
        const s = expected.source_ids.length;
        const encoded = await (runner as MarianRunner).model.encode(expected.source_ids, { attention: true });
        const inputs = [expected.decoder_start_token_id, ...expected.greedy.output_ids.slice(0, -1)];
        const t = inputs.length;
        const { self, cross } = await (runner as MarianRunner).model.decoderAttention(encoded, inputs);
        const tolerance = TOLERANCE[dtype] as number;
        encoded.attentions?.forEach((tensor, layer) => {
          assert.deepEqual(tensor.dims, [1, folder.config.heads, s, s]);
          assert.ok(maxAbsDiff(tensor.data as Float32Array, (expected.encoder_attentions[layer] as number[][][]).flat(2)) < tolerance, `${dtype} encoder layer ${layer}`);
        });
        assert.equal(encoded.attentions?.length, folder.config.layers);
        assert.equal(cross.length, folder.config.decoderLayers);
        cross.forEach((tensor, layer) => {
          assert.deepEqual(tensor.dims, [1, folder.config.decoderHeads, t, s]);
          assert.ok(maxAbsDiff(tensor.data as Float32Array, (expected.cross_attentions[layer] as number[][][]).flat(2)) < tolerance, `${dtype} cross layer ${layer}`);
        });
        // Decoder self-attention has no golden: it is causal, and its rows are distributions.
        assert.equal(self.length, folder.config.decoderLayers);
        for (const tensor of self) {
          assert.deepEqual(tensor.dims, [1, folder.config.decoderHeads, t, t]);
          const data = tensor.data as Float32Array;
          for (let row = 0; row < data.length / t; row++) {
            const values = data.subarray(row * t, (row + 1) * t);
            assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-3);
            assert.ok(values.subarray((row % t) + 1).every((v) => v === 0), 'causal');
          }
        }
      } finally {
        await runner.dispose();
      }
    }
  });
});

describe('the edited graph computes the same logits', () => {
  for (const name of [...STOCK, 'fused-qwen2-gqa']) {
    it(`${name}: logits bit-identical to the unmodified session in every dtype file`, async () => {
      const files = await NodeModelFiles.open(path.join(FIXTURES, name));
      const folder = await readModelFolder(files);
      const ids = golden(name).prompt_ids;
      for (const dtypeFiles of await listDtypeFiles(files, onnxRoles('decoder'))) {
        const file = dtypeFiles.entries[0]?.path as string;
        const onnx = await readOnnxFile(files, file);
        const plan = planAttentionSurgery(onnx.bytes, { useCacheBranch: onnx.summary.inputNames.includes('use_cache_branch') });
        assert.notEqual(plan.source, 'none', file);
        const original = await createSession({ ort, backend: 'wasm' }, onnx);
        const edited = await createSession({ ort, backend: 'wasm' }, { ...onnx, bytes: (plan as SurgeryPlan).bytes });
        try {
          const inputs = original.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : '', shape: m.isTensor ? m.shape : [] }));
          const feeds = noPastFeeds(inputs, ids, () => [1, folder.config.kvHeads, 0, folder.config.headDim]);
          const a = (await original.run(feeds, ['logits'])).logits as OrtTensor;
          const b = (await edited.run(feeds, ['logits'])).logits as OrtTensor;
          assert.deepEqual(b.dims, a.dims);
          // A merged decoder's branch, once inlined, is optimized by onnxruntime as a main graph:
          // in float16 its casts fold differently (measured: 3,071 of 3,072 logits move by float16
          // rounding). Everything else is bit for bit.
          const mergedHalf = plan.source !== 'none' && onnx.summary.inputNames.includes('use_cache_branch') && dtypeFiles.dtype.endsWith('16');
          const diff = maxAbsDiff(floatData(b), floatData(a));
          assert.ok(diff <= (mergedHalf ? 1e-2 : 0), `${file}: logits differ by ${diff}`);
        } finally {
          await original.release();
          await edited.release();
        }
      }
    });
  }
});

describe('inlineIfBranch', () => {
  it('replaces a merged decoder’s If by its no-past branch, which onnxruntime runs', async () => {
    const files = await NodeModelFiles.open(path.join(FIXTURES, 'hub-gpt2'));
    const onnx = await readOnnxFile(files, 'onnx/decoder_model_merged_quantized.onnx');
    assert.equal(onnx.summary.opTypes.get('If'), 1);
    const flat = inlineIfBranch(onnx.bytes, 'use_cache_branch', false);
    const summary = summarizeOnnx(flat);
    assert.equal(summary.opTypes.get('If'), undefined);
    assert.deepEqual(summary.outputNames, onnx.summary.outputNames);
    const session = await createSession({ ort, backend: 'wasm' }, { ...onnx, bytes: flat });
    await session.release();
    assert.equal(inlineIfBranch(flat, 'use_cache_branch', false), flat, 'nothing to inline');
  });
});

describe('layers from the graph’s structure', () => {
  const tap = (output: string, upstream: number[]): AttentionTap => ({ output, upstream });
  const plan = (taps: AttentionTap[]): SurgeryPlan => ({ source: 'surgery', bytes: new Uint8Array(0), taps });

  it('orders taps by the attentions upstream of them, not by their place in the graph', () => {
    // Graph order: layer 2, layer 0, layer 1 (an exporter free to sort nodes by name).
    const taps = plan([tap('c', [1, 2]), tap('a', []), tap('b', [1])]);
    const dims = [[1, 4, 3, 3], [1, 4, 3, 3], [1, 4, 3, 3]];
    assert.deepEqual(resolveTaps(taps, dims, { queries: 3, heads: 4, kinds: { self: 3 }, layers: { self: 3 } }), { self: ['a', 'b', 'c'] });
  });

  it('tells self- from cross-attention by the key length of the probe, and skips a Softmax of another shape', () => {
    // decoder layer 0 self, layer 0 cross, layer 1 self, layer 1 cross, then a router softmax.
    const taps = plan([tap('s0', []), tap('c0', [0]), tap('s1', [0, 1]), tap('c1', [0, 1, 2]), tap('router', [0, 1, 2, 3])]);
    const dims = [[1, 2, 3, 3], [1, 2, 3, 5], [1, 2, 3, 3], [1, 2, 3, 5], [1, 8]];
    const resolved = resolveTaps(taps, dims, { queries: 3, heads: 2, kinds: { self: 3, cross: 5 }, layers: { self: 2, cross: 2 } });
    assert.deepEqual(resolved, { self: ['s0', 's1'], cross: ['c0', 'c1'] });
  });

  it('refuses when the attentions found do not make the declared layers', () => {
    const taps = plan([tap('a', []), tap('b', [0])]);
    assert.throws(() => resolveTaps(taps, [[1, 4, 3, 3], [1, 3, 3, 3]], { queries: 3, heads: 4, kinds: { self: 3 }, layers: { self: 2 } }), /found 1 self-attention probabilities of shape \[1, 4, queries, keys\] for 2 layers/);
    assert.throws(() => resolveTaps(plan([tap('a', []), tap('b', [])]), [[1, 4, 3, 3], [1, 4, 3, 3]], { queries: 3, heads: 4, kinds: { self: 3 }, layers: { self: 2 } }), /same depth/);
  });
});

describe('a graph without attention', () => {
  /** x → MatMul(W) → Softmax: a classifier head, whose product has one constant operand. */
  function classifier(): Uint8Array {
    // A real model with a classifier added over its logits.
    return addToGraph(new Uint8Array(readFileSync(path.join(FIXTURES, 'hub-smollm2', 'onnx', 'model.onnx'))), {
      initializers: [float32Tensor('tealeaf_test/w', [1], [1, 1])],
      nodes: [
        { op: 'MatMul', inputs: ['logits', 'tealeaf_test/w'], outputs: ['tealeaf_test/scores'] },
        { op: 'Softmax', inputs: ['tealeaf_test/scores'], outputs: ['tealeaf_test/p'], attributes: { axis: { int: -1 } } },
      ],
      outputs: [{ name: 'tealeaf_test/p', elemType: DataType.FLOAT }],
    });
  }

  it('does not take a Softmax over a weight product for attention', () => {
    const plan = planAttentionSurgery(classifier());
    assert.equal(plan.source, 'surgery');
    assert.ok(!(plan as SurgeryPlan).taps.some((t) => t.output === 'tealeaf_test/p'));
  });

  it('says why in one sentence when there is none', () => {
    const plan = planAttentionSurgery(addToGraph(emptyModel(), {}));
    assert.equal(plan.source, 'none');
    assert.match((plan as { why: string }).why, /^the graph has no Softmax over keys fed by a query·key product and no fused attention operator, so there is no attention to show$/);
  });
});

/** ModelProto { ir_version 8, opset 17, graph { } }. */
function emptyModel(): Uint8Array {
  return Uint8Array.from([0x08, 0x08, 0x3a, 0x00, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x11]);
}
