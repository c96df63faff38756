// Input/output discovery of decoder exports, and the one-line reasons when attention is hidden.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { DecoderModel } from '../../../src/engine/decoderModel';
import { parseModelConfig } from '../../../src/engine/modelConfig';
import type { OrtSession } from '../../../src/engine/onnx';

const config = parseModelConfig({ model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 16, vocab_size: 10 }, undefined);

function fakeSession(inputs: string[], outputs: string[]): OrtSession {
  const meta = (name: string) => ({ name, isTensor: true as const, type: 'float32' as const, shape: name.startsWith('past') ? ['batch_size', 2, 'past_sequence_length', 4] : ['batch_size', 'sequence_length'] });
  return { inputNames: inputs, outputNames: outputs, inputMetadata: inputs.map(meta), outputMetadata: outputs.map(meta) } as unknown as OrtSession;
}

const past = [0, 1].flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]);
const present = past.map((n) => n.replace('past_key_values', 'present'));

describe('decoder I/O discovery', () => {
  it('finds the KV layout from the input shapes and orders layers numerically', () => {
    const model = new DecoderModel({ ort, backend: 'wasm' }, fakeSession(['input_ids', 'attention_mask', ...past.reverse()], ['logits', ...present, 'attentions.1', 'attentions.0']), config);
    assert.deepEqual(model.io.kv.pastNames, ['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
    assert.equal(model.io.kv.kvHeads, 2);
    assert.equal(model.io.kv.headDim, 4);
    assert.equal(model.io.hasPositionIds, false);
    assert.deepEqual(model.io.attentionNames, ['attentions.0', 'attentions.1']);
    assert.equal(model.attentionUnavailableReason('m'), undefined);
  });

  it('explains missing attention in one sentence, and has none to explain when surgery can show it', () => {
    const plain = new DecoderModel({ ort, backend: 'wasm' }, fakeSession(['input_ids', ...past], ['logits', ...present]), config);
    assert.match(plain.attentionUnavailableReason('m') ?? '', /exports no attention outputs/);
    const none = new DecoderModel({ ort, backend: 'wasm' }, fakeSession(['input_ids', ...past], ['logits', ...present]), config, { attentionSource: 'none', attentionWhy: 'the graph has no Softmax' });
    assert.equal(none.attentionUnavailableReason('m'), 'm shows no attention: the graph has no Softmax');
    const surgery = new DecoderModel({ ort, backend: 'wasm' }, fakeSession(['input_ids', ...past], ['logits', ...present]), config, { attentionSource: 'surgery' });
    assert.equal(surgery.attentionUnavailableReason('m'), undefined, 'graph surgery can show it');
  });

  it('refuses exports without a KV cache or with a layer count that disagrees with config.json', () => {
    assert.throws(() => new DecoderModel({ ort, backend: 'wasm' }, fakeSession(['input_ids'], ['logits']), config), /export it with KV cache/);
    assert.throws(() => new DecoderModel({ ort, backend: 'wasm' }, fakeSession(['input_ids', ...past.slice(0, 2)], ['logits', ...present]), config), /1 cached layers but config.json declares 2/);
  });
});
