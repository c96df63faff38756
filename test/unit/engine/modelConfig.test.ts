import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import { findFimTokens, parseJsonObject, parseModelConfig } from '../../../src/engine/modelConfig';

describe('parseModelConfig', () => {
  it('reads a Llama config with grouped-query attention', () => {
    const config = parseModelConfig(
      { model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 32, vocab_size: 300, max_position_embeddings: 512, eos_token_id: 2 },
      { eos_token_id: [2, 3], max_new_tokens: 20 },
    );
    assert.equal(config.kind, 'decoder');
    assert.equal(config.kvHeads, 2);
    assert.deepEqual(config.eosTokenIds, [2, 3], 'generation_config overrides config');
    assert.equal(config.generation.maxNewTokens, 20);
  });

  it('reads GPT-2 names and Marian as encoder-decoder', () => {
    const gpt2 = parseModelConfig({ model_type: 'gpt2', n_layer: 2, n_head: 2, n_embd: 16, vocab_size: 100, n_positions: 64 }, undefined);
    assert.equal(gpt2.layers, 2);
    assert.equal(gpt2.kvHeads, 2);
    assert.equal(gpt2.maxPositions, 64);
    const marian = parseModelConfig(
      { model_type: 'marian', encoder_layers: 2, decoder_layers: 3, encoder_attention_heads: 4, decoder_attention_heads: 2, d_model: 32, vocab_size: 100, decoder_start_token_id: 5 },
      undefined,
    );
    assert.equal(marian.kind, 'encoder-decoder');
    assert.equal(marian.decoderLayers, 3);
    assert.equal(marian.decoderHeads, 2);
    assert.equal(marian.decoderStartTokenId, 5);
  });

  it('rejects missing and absurd sizes with a ModelError', () => {
    assert.throws(() => parseModelConfig({ num_hidden_layers: 2 }, undefined), /model_type/);
    assert.throws(() => parseModelConfig({ model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 8 }, undefined), /vocabulary/);
    assert.throws(
      () => parseModelConfig({ model_type: 'llama', num_hidden_layers: 1e9, num_attention_heads: 4, hidden_size: 8, vocab_size: 10 }, undefined),
      (e: unknown) => e instanceof ModelError && /outside/.test(e.message),
    );
    assert.throws(() => parseModelConfig({ model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 3, num_key_value_heads: 2, hidden_size: 6, vocab_size: 10 }, undefined), /multiple/);
    assert.throws(() => parseJsonObject('[1]', 'config.json'), /JSON object/);
    assert.throws(() => parseJsonObject('{', 'config.json'), /not valid JSON/);
  });

  it('finds FIM tokens declared or conventional', () => {
    const vocab = new Set(['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<P>', '<S>', '<M>']);
    const has = (t: string) => vocab.has(t);
    assert.deepEqual(findFimTokens({}, has), { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>' });
    assert.deepEqual(findFimTokens({ fim_prefix_token: '<P>', fim_suffix_token: '<S>', fim_middle_token: '<M>' }, has), { prefix: '<P>', suffix: '<S>', middle: '<M>' });
    assert.equal(findFimTokens({}, () => false), undefined);
  });
});

describe('parseModelConfig: facts of real configs', () => {
  const qwen = {
    model_type: 'qwen2',
    architectures: ['Qwen2ForCausalLM'],
    num_hidden_layers: 24,
    num_attention_heads: 14,
    num_key_value_heads: 2,
    hidden_size: 896,
    vocab_size: 151936,
    max_position_embeddings: 32768,
    sliding_window: 32768,
    use_sliding_window: false,
    tie_word_embeddings: true,
    eos_token_id: 151643,
  };

  it('reads architecture, positions, tied embeddings, and a sliding window only when it is on', () => {
    const config = parseModelConfig(qwen, { eos_token_id: [151645, 151643] });
    assert.equal(config.architecture, 'Qwen2ForCausalLM');
    assert.equal(config.positions, 'rope');
    assert.equal(config.tiedEmbeddings, true);
    assert.equal(config.slidingWindow, undefined, 'use_sliding_window: false turns the window off');
    assert.equal(config.headDim, 64, 'hidden / heads without head_dim');
    assert.deepEqual(config.eosTokenIds, [151645, 151643], 'every id of both files, once');
    const windowed = parseModelConfig({ ...qwen, use_sliding_window: true, sliding_window: 4096 }, undefined);
    assert.equal(windowed.slidingWindow, 4096);
  });

  it('takes head_dim from the config when declared, and the union of end ids', () => {
    const config = parseModelConfig({ ...qwen, head_dim: 128, eos_token_id: [1, 2] }, { eos_token_id: 3 });
    assert.equal(config.headDim, 128);
    assert.deepEqual([...config.eosTokenIds].sort(), [1, 2, 3]);
    assert.equal(parseModelConfig({ ...qwen, tie_word_embeddings: false }, undefined).tiedEmbeddings, false);
  });

  it('knows the position encoding of each family', () => {
    const base = { num_hidden_layers: 1, num_attention_heads: 1, hidden_size: 8, vocab_size: 10 };
    assert.equal(parseModelConfig({ ...base, model_type: 'gpt2' }, undefined).positions, 'learned');
    assert.equal(parseModelConfig({ ...base, model_type: 'bloom' }, undefined).positions, 'alibi');
    assert.equal(parseModelConfig({ ...base, model_type: 'marian' }, undefined).positions, 'sinusoidal');
    assert.equal(parseModelConfig({ ...base, model_type: 't5' }, undefined).positions, 'relative');
    assert.equal(parseModelConfig({ ...base, model_type: 'llama' }, undefined).positions, 'rope');
  });
});
