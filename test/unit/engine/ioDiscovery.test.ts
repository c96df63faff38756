// Input/output discovery refuses exports it cannot run, each with its one sentence naming the file:
// a decoder graph without input_ids, logits or a present.* output; an encoder without input_ids or
// last_hidden_state; a seq2seq decoder without input_ids, encoder_hidden_states or logits, with a
// cache of the wrong depth or without its present.* outputs, caching cross-attention only, or
// whose head size cannot be told. And what it finds in the exports it can run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import { discoverDecoderIo } from '../../../src/engine/decoderModel';
import { parseModelConfig } from '../../../src/engine/modelConfig';
import type { OrtSession, TensorShapeInfo } from '../../../src/engine/onnx';
import { discoverDecoderIo as discoverSeq2seqDecoderIo, discoverEncoderIo } from '../../../src/engine/seq2seq/io';

/** The error must be a ModelError with exactly this message. */
function refuses(run: () => unknown, message: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ModelError, `not a ModelError: ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('decoder-only I/O discovery', () => {
  const config = parseModelConfig({ model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 16, vocab_size: 10 }, undefined);
  const past = [0, 1].flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]);
  const present = past.map((n) => n.replace('past_key_values', 'present'));
  const input = (name: string): TensorShapeInfo => ({ name, type: 'float32', shape: name.startsWith('past') ? ['batch_size', 2, 'past_sequence_length', 4] : ['batch_size', 'sequence_length'] });
  const graph = (inputs: readonly string[], outputs: readonly string[]) => ({ inputs: inputs.map(input), outputNames: outputs });

  it('refuses a graph without input_ids', () => {
    refuses(() => discoverDecoderIo(graph(['inputs_embeds', ...past], ['logits', ...present]), config, 'onnx/model_q4.onnx'), 'onnx/model_q4.onnx has no input_ids input');
  });

  it('refuses a graph without logits, naming only what is missing', () => {
    refuses(() => discoverDecoderIo(graph(['input_ids', ...past], ['last_hidden_state', ...present]), config), 'onnx/model.onnx lacks outputs logits');
  });

  it('refuses a graph without one of its present.* outputs, naming each one missing', () => {
    refuses(
      () => discoverDecoderIo(graph(['input_ids', ...past], ['logits', 'present.0.key', 'present.1.key']), config),
      'onnx/model.onnx lacks outputs present.0.value, present.1.value',
    );
    refuses(() => discoverDecoderIo(graph(['input_ids', ...past], ['logits', ...present.slice(0, 3)]), config), 'onnx/model.onnx lacks outputs present.1.value');
    refuses(() => discoverDecoderIo(graph(['input_ids', ...past], ['present.0.key', 'present.0.value', 'present.1.key']), config), 'onnx/model.onnx lacks outputs logits, present.1.value');
  });

  it('reads the optional inputs and the fp16 cache from a graph it can run', () => {
    const io = discoverDecoderIo(
      {
        inputs: [
          input('input_ids'),
          input('attention_mask'),
          input('position_ids'),
          input('use_cache_branch'),
          input('num_logits_to_keep'),
          ...past.map((name) => ({ ...input(name), type: 'float16' })),
        ],
        outputNames: ['logits', ...present],
      },
      config,
    );
    assert.equal(io.hasAttentionMask, true);
    assert.equal(io.hasPositionIds, true);
    assert.equal(io.hasUseCacheBranch, true);
    assert.equal(io.logitsToKeepInput, 'num_logits_to_keep');
    assert.equal(io.kv.dtype, 'float16');
    assert.deepEqual(io.kv.presentNames, present);
    const bare = discoverDecoderIo(graph(['input_ids', 'logits_to_keep', ...past], ['logits', ...present]), config);
    assert.equal(bare.hasAttentionMask, false);
    assert.equal(bare.hasUseCacheBranch, false);
    assert.equal(bare.logitsToKeepInput, 'logits_to_keep');
    assert.equal(bare.kv.dtype, 'float32');
  });

  it('takes the KV heads and head size from config.json when the graph leaves them symbolic', () => {
    const symbolic = { inputs: [input('input_ids'), ...past.map((name) => ({ name, type: 'float32', shape: ['batch', 'kv_heads', 'past', 'head_dim'] }))], outputNames: ['logits', ...present] };
    const io = discoverDecoderIo(symbolic, config);
    assert.equal(io.kv.kvHeads, config.kvHeads);
    assert.equal(io.kv.headDim, config.headDim);
  });
});

/** A session as discovery sees it: names, and the shapes of the cache inputs. */
function fakeSession(inputs: readonly string[], outputs: readonly string[], pastShape: readonly (number | string)[] = ['batch', 4, 'past', 16], type = 'float32'): OrtSession {
  const meta = (name: string) => ({ name, isTensor: true as const, type, shape: name.startsWith('past') ? pastShape : ['batch', 'sequence'] });
  return { inputNames: inputs, outputNames: outputs, inputMetadata: inputs.map(meta), outputMetadata: outputs.map(meta) } as unknown as OrtSession;
}

describe('encoder-decoder I/O discovery', () => {
  const marian = parseModelConfig(
    { model_type: 'marian', d_model: 64, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, vocab_size: 400, decoder_start_token_id: 2, eos_token_id: 0 },
    undefined,
  );
  const layers = [0, 1];
  const cache = (part: 'decoder' | 'encoder', count = 2) =>
    layers.slice(0, count).flatMap((i) => [`past_key_values.${i}.${part}.key`, `past_key_values.${i}.${part}.value`]);
  const present = (names: readonly string[]) => names.map((n) => n.replace('past_key_values.', 'present.'));
  const ENCODER = 'onnx/encoder_model.onnx';
  const DECODER = 'onnx/decoder_model_merged.onnx';
  const decoderInputs = ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask'];

  it('refuses an encoder without input_ids or without last_hidden_state', () => {
    refuses(() => discoverEncoderIo(fakeSession(['inputs_embeds', 'attention_mask'], ['last_hidden_state']), ENCODER), `${ENCODER} has no input_ids input`);
    refuses(() => discoverEncoderIo(fakeSession(['input_ids'], ['hidden_states']), ENCODER), `${ENCODER} has no last_hidden_state output`);
  });

  it('reads an encoder’s attention mask and its attention outputs in layer order', () => {
    const io = discoverEncoderIo(fakeSession(['input_ids', 'attention_mask'], ['last_hidden_state', 'encoder_attentions.10', 'encoder_attentions.2', 'encoder_attentions.0']), ENCODER);
    assert.deepEqual(io, { hasAttentionMask: true, attentionNames: ['encoder_attentions.0', 'encoder_attentions.2', 'encoder_attentions.10'] });
    assert.deepEqual(discoverEncoderIo(fakeSession(['input_ids'], ['last_hidden_state']), ENCODER), { hasAttentionMask: false, attentionNames: [] });
  });

  it('takes as encoder attentions only outputs named exactly encoder_attentions.{i}', () => {
    const io = discoverEncoderIo(fakeSession(['input_ids'], ['last_hidden_state', 'encoder_attentions.1', 'layer.encoder_attentions.0', 'encoder_attentions.0/Softmax', 'encoder_attentions.0']), ENCODER);
    assert.deepEqual(io.attentionNames, ['encoder_attentions.0', 'encoder_attentions.1']);
  });

  it('refuses a decoder without input_ids, encoder_hidden_states or logits', () => {
    refuses(() => discoverSeq2seqDecoderIo(fakeSession(['encoder_hidden_states'], ['logits']), marian, DECODER), `${DECODER} has no input_ids input`);
    refuses(() => discoverSeq2seqDecoderIo(fakeSession(['input_ids'], ['logits']), marian, DECODER), `${DECODER} has no encoder_hidden_states input`);
    refuses(() => discoverSeq2seqDecoderIo(fakeSession(decoderInputs, ['last_hidden_state']), marian, DECODER), `${DECODER} has no logits output`);
  });

  it('refuses a cache of another depth than config.json declares, for either part', () => {
    const self = cache('decoder', 1);
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...self], ['logits', ...present(self)]), marian, DECODER),
      `${DECODER} has 1 cached decoder layers but config.json declares 2 decoder layers`,
    );
    const cross = cache('encoder', 1);
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...cache('decoder'), ...cross], ['logits', ...present(cache('decoder')), ...present(cross)]), marian, DECODER),
      `${DECODER} has 1 cached encoder layers but config.json declares 2 decoder layers`,
    );
  });

  it('refuses a cache without its present.* outputs, naming each one missing', () => {
    const self = cache('decoder');
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...self], ['logits', 'present.0.decoder.key', 'present.1.decoder.key']), marian, DECODER),
      `${DECODER} lacks outputs present.0.decoder.value, present.1.decoder.value`,
    );
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...self], ['logits', ...present(self).slice(0, 3)]), marian, DECODER),
      `${DECODER} lacks outputs present.1.decoder.value`,
    );
  });

  it('refuses an export that caches cross-attention but not self-attention', () => {
    const cross = cache('encoder');
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...cross], ['logits', ...present(cross)]), marian, DECODER),
      `${DECODER} caches cross-attention but not self-attention keys/values: an export this engine does not know`,
    );
  });

  it('refuses when neither the graph nor config.json tells the head size', () => {
    const odd = parseModelConfig({ model_type: 'marian', d_model: 64, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 3, vocab_size: 400 }, undefined);
    const self = cache('decoder');
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...self], ['logits', ...present(self)], ['batch', 'heads', 'past', 'head_dim']), odd, DECODER),
      `${DECODER}: cannot tell the attention head size`,
    );
  });

  it('refuses a graph whose cache has a head size of 0, and runs one of head size 1', () => {
    const self = cache('decoder');
    refuses(
      () => discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...self], ['logits', ...present(self)], ['batch', 4, 'past', 0]), marian, DECODER),
      `${DECODER}: cannot tell the attention head size`,
    );
    assert.equal(discoverSeq2seqDecoderIo(fakeSession([...decoderInputs, ...self], ['logits', ...present(self)], ['batch', 4, 'past', 1]), marian, DECODER).headDim, 1);
  });

  it('takes as attention outputs only names exactly cross_attentions.{i} and decoder_attentions.{i}', () => {
    const outputs = ['logits', 'cross_attentions.0', 'cross_attentions.1', 'decoder_attentions.0', 'decoder_attentions.1'];
    const io = discoverSeq2seqDecoderIo(fakeSession(decoderInputs, [...outputs, 'layer.cross_attentions.1', 'layer.decoder_attentions.1']), marian, DECODER);
    assert.deepEqual([io.crossAttentionNames, io.selfAttentionNames], [
      ['cross_attentions.0', 'cross_attentions.1'],
      ['decoder_attentions.0', 'decoder_attentions.1'],
    ]);
    const suffixed = discoverSeq2seqDecoderIo(fakeSession(decoderInputs, [...outputs, 'cross_attentions.1/Softmax', 'decoder_attentions.1/Softmax']), marian, DECODER);
    assert.deepEqual([suffixed.crossAttentionNames, suffixed.selfAttentionNames], [
      ['cross_attentions.0', 'cross_attentions.1'],
      ['decoder_attentions.0', 'decoder_attentions.1'],
    ]);
  });

  it('reads the attention outputs of a decoder deeper than ten layers', () => {
    const deep = parseModelConfig(
      { model_type: 'marian', d_model: 64, encoder_layers: 12, decoder_layers: 12, encoder_attention_heads: 4, decoder_attention_heads: 4, vocab_size: 400, decoder_start_token_id: 2, eos_token_id: 0 },
      undefined,
    );
    const twelve = Array.from({ length: 12 }, (_, i) => i);
    const io = discoverSeq2seqDecoderIo(fakeSession(decoderInputs, ['logits', ...twelve.map((i) => `cross_attentions.${i}`), ...twelve.map((i) => `decoder_attentions.${i}`)]), deep, DECODER);
    assert.deepEqual(io.crossAttentionNames, twelve.map((i) => `cross_attentions.${i}`));
    assert.deepEqual(io.selfAttentionNames, twelve.map((i) => `decoder_attentions.${i}`));
  });

  it('reads both caches, the graph’s head shape, fp16 and the attention outputs of every layer', () => {
    const self = cache('decoder');
    const cross = cache('encoder');
    const io = discoverSeq2seqDecoderIo(
      fakeSession(
        [...decoderInputs, 'use_cache_branch', ...cross.reverse(), ...self.reverse()],
        ['logits', ...present(self), ...present(cross), 'cross_attentions.1', 'cross_attentions.0', 'decoder_attentions.0', 'decoder_attentions.1'],
        ['batch', 8, 'past', 8],
        'float16',
      ),
      marian,
      DECODER,
    );
    assert.deepEqual(io, {
      hasEncoderAttentionMask: true,
      hasUseCacheBranch: true,
      selfKv: { past: cache('decoder'), present: present(cache('decoder')) },
      crossKv: { past: cache('encoder'), present: present(cache('encoder')) },
      layers: 2,
      heads: 8,
      headDim: 8,
      kvDtype: 'float16',
      crossAttentionNames: ['cross_attentions.0', 'cross_attentions.1'],
      selfAttentionNames: ['decoder_attentions.0', 'decoder_attentions.1'],
    });
  });

  it('without a cache, takes heads and head size from config.json, and ignores attention outputs missing for some layer', () => {
    const io = discoverSeq2seqDecoderIo(fakeSession(['input_ids', 'encoder_hidden_states'], ['logits', 'cross_attentions.0', 'decoder_attentions.1']), marian, DECODER);
    assert.deepEqual(io, {
      hasEncoderAttentionMask: false,
      hasUseCacheBranch: false,
      selfKv: undefined,
      crossKv: undefined,
      layers: 2,
      heads: 4,
      headDim: 16,
      kvDtype: 'float32',
      crossAttentionNames: [],
      selfAttentionNames: [],
    });
  });
});
