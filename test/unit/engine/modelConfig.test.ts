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
