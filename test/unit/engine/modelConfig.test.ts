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
    assert.throws(() => parseJsonObject('{', 'config.json'), /^ModelError: config.json is not valid JSON: /);
    assert.throws(() => parseJsonObject('null', 'generation_config.json'), (e: unknown) => e instanceof ModelError && e.message === 'generation_config.json must contain a JSON object');
    assert.deepEqual(parseJsonObject('{"a":1}', 'config.json'), { a: 1 });
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

describe('parseModelConfig: every name a published config uses', () => {
  const base = { model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 32, vocab_size: 100 };

  it('reads T5 names (num_layers, num_heads, num_decoder_layers) and the encoder-decoder flag of any family', () => {
    const t5 = parseModelConfig({ model_type: 't5', num_layers: 6, num_heads: 8, d_model: 512, num_decoder_layers: 4, vocab_size: 32128, decoder_start_token_id: 0 }, undefined);
    assert.deepEqual([t5.kind, t5.layers, t5.heads, t5.hiddenSize, t5.decoderLayers, t5.decoderHeads], ['encoder-decoder', 6, 8, 512, 4, 8]);
    assert.equal(t5.decoderStartTokenId, 0, 'id 0 is a valid id');
    assert.equal(parseModelConfig({ ...base, model_type: 'whatever', is_encoder_decoder: true }, undefined).kind, 'encoder-decoder');
    assert.equal(parseModelConfig({ ...base, is_encoder_decoder: false }, undefined).kind, 'decoder');
  });

  it('knows every encoder-decoder family by its model_type alone', () => {
    for (const modelType of ['marian', 'bart', 'mbart', 't5', 'mt5', 'pegasus', 'm2m_100', 'nllb', 'fsmt']) {
      assert.equal(parseModelConfig({ ...base, model_type: modelType }, undefined).kind, 'encoder-decoder', modelType);
    }
  });

  it('reads the context length under each of its names, and 2,048 when none is declared', () => {
    assert.equal(parseModelConfig({ ...base, n_ctx: 1024 }, undefined).maxPositions, 1024);
    assert.equal(parseModelConfig({ ...base, seq_length: 8192 }, undefined).maxPositions, 8192);
    assert.equal(parseModelConfig({ ...base, max_position_embeddings: 4096, n_ctx: 1024 }, undefined).maxPositions, 4096, 'the first name wins');
    assert.equal(parseModelConfig(base, undefined).maxPositions, 2048);
  });

  it('reads num_kv_heads (Falcon) and defaults key/value heads to the attention heads', () => {
    assert.equal(parseModelConfig({ ...base, num_kv_heads: 1 }, undefined).kvHeads, 1);
    assert.equal(parseModelConfig(base, undefined).kvHeads, 4);
    assert.equal(parseModelConfig(base, undefined).headDim, 8);
  });

  it('names what is missing and what is out of range', () => {
    const { num_hidden_layers: _l, ...noLayers } = base;
    const { num_attention_heads: _h, ...noHeads } = base;
    const { hidden_size: _s, ...noHidden } = base;
    assert.throws(() => parseModelConfig(noLayers, undefined), (e: unknown) => e instanceof ModelError && e.message === 'config.json does not declare the number of layers (num_hidden_layers / n_layer / encoder_layers / num_layers)');
    assert.throws(() => parseModelConfig(noHeads, undefined), /does not declare the number of attention heads \(num_attention_heads \/ n_head \/ encoder_attention_heads \/ num_heads\)/);
    assert.throws(() => parseModelConfig(noHidden, undefined), /does not declare the hidden size \(hidden_size \/ n_embd \/ d_model\)/);
    assert.throws(() => parseModelConfig({ ...base, num_hidden_layers: 2.5 }, undefined), (e: unknown) => e instanceof ModelError && e.message === 'config.json declares the number of layers = 2.5, outside 1..256');
    assert.throws(() => parseModelConfig({ ...base, num_attention_heads: 0 }, undefined), /the number of attention heads = 0, outside 1\.\.256/);
    assert.throws(() => parseModelConfig({ ...base, hidden_size: 65_537 }, undefined), /the hidden size = 65537, outside 1\.\.65536/);
    assert.throws(() => parseModelConfig({ ...base, vocab_size: 1_048_577 }, undefined), /the vocabulary size = 1048577, outside 1\.\.1048576/);
    assert.throws(() => parseModelConfig({ ...base, num_key_value_heads: 257 }, undefined), /the number of key\/value heads = 257/);
    assert.throws(() => parseModelConfig({ ...base, max_position_embeddings: 1_048_577 }, undefined), /the maximum sequence length = 1048577/);
    assert.throws(() => parseModelConfig({ ...base, decoder_layers: 300 }, undefined), /the number of decoder layers = 300/);
    assert.throws(() => parseModelConfig({ ...base, decoder_attention_heads: -1 }, undefined), /the number of decoder heads = -1/);
    assert.throws(() => parseModelConfig({ ...base, head_dim: 0.5 }, undefined), /the attention head size = 0.5/);
    assert.throws(() => parseModelConfig({ ...base, sliding_window: 2_000_000 }, undefined), /the sliding window = 2000000/);
    assert.throws(() => parseModelConfig({ ...base, model_type: 7 }, undefined), /no "model_type"/);
  });

  it('accepts every size at its limit', () => {
    const config = parseModelConfig(
      { model_type: 'llama', num_hidden_layers: 256, num_attention_heads: 256, hidden_size: 65_536, vocab_size: 1_048_576, max_position_embeddings: 1_048_576 },
      undefined,
    );
    assert.deepEqual([config.layers, config.heads, config.hiddenSize, config.vocabSize, config.maxPositions], [256, 256, 65_536, 1_048_576, 1_048_576]);
  });

  it('keeps a sliding window that is not turned off (Mistral), and ignores a zero one', () => {
    assert.equal(parseModelConfig({ ...base, sliding_window: 4096 }, undefined).slidingWindow, 4096);
    assert.equal('slidingWindow' in parseModelConfig({ ...base, sliding_window: 0 }, undefined), false);
    assert.equal('architecture' in parseModelConfig({ ...base, architectures: [3] }, undefined), false);
  });

  it('reads positions of the families without an entry from their flags', () => {
    assert.equal(parseModelConfig({ ...base, model_type: 'new', position_embedding_type: 'absolute' }, undefined).positions, 'learned');
    assert.equal(parseModelConfig({ ...base, model_type: 'new', alibi: true }, undefined).positions, 'alibi');
    assert.equal(parseModelConfig({ ...base, model_type: 'new', position_embedding_type: 'rotary' }, undefined).positions, 'rope');
    const expected: Record<string, string> = {
      gpt_neo: 'learned', opt: 'learned', codegen: 'rope', gptj: 'rope', mpt: 'alibi', falcon: 'rope', mt5: 'relative', bart: 'learned',
      mbart: 'learned', m2m_100: 'sinusoidal', nllb: 'sinusoidal', pegasus: 'sinusoidal', bert: 'learned', roberta: 'learned',
    };
    // The flags give an unknown family learned or alibi positions: the table must win over both.
    for (const flags of [{ alibi: true }, { position_embedding_type: 'absolute' }]) {
      const actual = Object.fromEntries(Object.keys(expected).map((type) => [type, parseModelConfig({ ...base, ...flags, model_type: type }, undefined).positions]));
      assert.deepEqual(actual, expected, JSON.stringify(flags));
    }
  });

  it('takes special ids from generation_config first, keeps only non-negative integer end ids, and reads generation defaults', () => {
    const config = parseModelConfig(
      { ...base, bos_token_id: 1, pad_token_id: 0, eos_token_id: [2, -1, 2.5, 'x', 2] },
      { bos_token_id: 7, num_beams: 4, length_penalty: 0.6, repetition_penalty: 1.1, max_new_tokens: 64 },
    );
    assert.equal(config.bosTokenId, 7);
    assert.equal(config.padTokenId, 0);
    assert.deepEqual(config.eosTokenIds, [2]);
    assert.deepEqual(config.generation, { maxNewTokens: 64, numBeams: 4, lengthPenalty: 0.6, repetitionPenalty: 1.1 });
    assert.deepEqual(parseModelConfig({ ...base, eos_token_id: -3 }, { eos_token_id: 'none' }).eosTokenIds, []);
    assert.equal(parseModelConfig({ ...base, bos_token_id: [5, 6] }, undefined).bosTokenId, 5);
    assert.deepEqual(parseModelConfig({ ...base, eos_token_id: [0] }, undefined).eosTokenIds, [0], 'id 0 in a list is kept');
  });
});

describe('findFimTokens: conventions', () => {
  it('knows the StarCoder, Qwen and CodeLlama token names, and falls back when declared tokens are not in the vocabulary', () => {
    const qwen = new Set(['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>']);
    assert.deepEqual(findFimTokens({ fim_prefix_token: '<P>', fim_suffix_token: '<S>', fim_middle_token: '<M>' }, (t) => qwen.has(t)), {
      prefix: '<|fim_prefix|>',
      suffix: '<|fim_suffix|>',
      middle: '<|fim_middle|>',
    });
    const llama = new Set(['<PRE>', '<SUF>', '<MID>', '<fim_prefix>', '<fim_suffix>']);
    assert.deepEqual(findFimTokens({}, (t) => llama.has(t)), { prefix: '<PRE>', suffix: '<SUF>', middle: '<MID>' }, 'a convention counts only with all three tokens');
    assert.equal(findFimTokens({ fim_prefix_token: 3 }, () => true)?.prefix, '<fim_prefix>');
  });

  it('takes declared tokens only when all three are in the vocabulary, and a convention only with its prefix and suffix too', () => {
    const qwen = new Set(['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>']);
    const partly = { fim_prefix_token: '<|fim_prefix|>', fim_suffix_token: '<SUF>', fim_middle_token: '<MID>' };
    assert.deepEqual(findFimTokens(partly, (t) => qwen.has(t)), { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' });
    const noPrefix = new Set(['<fim_suffix>', '<fim_middle>']);
    assert.equal(findFimTokens({}, (t) => noPrefix.has(t)), undefined);
    const noSuffix = new Set(['<fim_prefix>', '<fim_middle>']);
    assert.equal(findFimTokens({}, (t) => noSuffix.has(t)), undefined);
  });
});
