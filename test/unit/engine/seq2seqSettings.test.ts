// Generation settings of an encoder-decoder model (src/engine/seq2seq/settings.ts), read from
// in-memory config.json / generation_config.json objects: which key each setting comes from, the
// ids and ranges refused (with the sentence a user reads), the bad-words lists kept, and early
// stopping. Fast: no model is loaded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import type { ModelFiles, ModelFolder } from '../../../src/engine/modelFolder';
import { parseSeq2SeqSettings, readGenerationConfig } from '../../../src/engine/seq2seq/settings';

const VOCAB = 10;
/** The least config.json that parses: EOS 0, pad 2 (the decoder start by default). */
const BASE = { eos_token_id: 0, pad_token_id: 2 } as const;

/** A model folder with only the named text files; readGenerationConfig looks at nothing else. */
function folderWith(texts: Readonly<Record<string, string>>): ModelFolder {
  const encoder = new TextEncoder();
  const files: ModelFiles = {
    location: 'the test folder',
    exists: async (path) => path in texts,
    size: async (path) => (path in texts ? encoder.encode(texts[path]).length : undefined),
    readBytes: async (path) => {
      const text = texts[path];
      if (text === undefined) throw new ModelError(`the test folder has no ${path}`);
      return encoder.encode(text);
    },
  };
  const folder: Pick<ModelFolder, 'files'> = { files };
  return folder as ModelFolder;
}

/** The ModelError a call throws, as the sentence a user reads. */
function modelErrorOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof ModelError, `expected a ModelError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a ModelError, got none');
}

describe('readGenerationConfig', () => {
  it('reads generation_config.json when the folder has one', async () => {
    assert.deepEqual(await readGenerationConfig(folderWith({ 'generation_config.json': '{"num_beams": 4}' })), { num_beams: 4 });
  });

  it('gives an empty object when the folder has none (it is optional)', async () => {
    assert.deepEqual(await readGenerationConfig(folderWith({ 'config.json': '{}' })), {});
  });
});

describe('parseSeq2SeqSettings: ids', () => {
  it('takes the decoder start from decoder_start_token_id, else from pad_token_id', () => {
    const both = parseSeq2SeqSettings({ ...BASE, decoder_start_token_id: 3 }, {}, VOCAB);
    assert.equal(both.decoderStartTokenId, 3);
    assert.equal(both.padTokenId, 2);
    assert.equal(parseSeq2SeqSettings(BASE, {}, VOCAB).decoderStartTokenId, 2);
  });

  it('ignores ids that are not non-negative integers', () => {
    // A string, a fraction or a negative number is no token id: pad is then undefined.
    for (const bad of ['3', 2.5, -1, null]) {
      const parsed = parseSeq2SeqSettings({ eos_token_id: 0, pad_token_id: bad, decoder_start_token_id: 1 }, {}, VOCAB);
      assert.equal(parsed.padTokenId, undefined, `pad_token_id ${JSON.stringify(bad)}`);
    }
    // eos_token_id as a list keeps its valid ids only.
    assert.deepEqual(parseSeq2SeqSettings({ ...BASE, eos_token_id: [0, '1', 3, -2] }, {}, VOCAB).eosTokenIds, [0, 3]);
  });

  it('refuses each id at or past the vocabulary size, naming the key', () => {
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ eos_token_id: 0, pad_token_id: VOCAB }, {}, VOCAB)), 'pad_token_id = 10 is outside the vocabulary (10)');
    assert.equal(
      modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, decoder_start_token_id: 12 }, {}, VOCAB)),
      'decoder_start_token_id = 12 is outside the vocabulary (10)',
    );
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, eos_token_id: [0, VOCAB] }, {}, VOCAB)), 'eos_token_id = 10 is outside the vocabulary (10)');
    assert.equal(
      modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, forced_eos_token_id: VOCAB }, {}, VOCAB)),
      'forced_eos_token_id = 10 is outside the vocabulary (10)',
    );
    // The last id of the vocabulary is inside it.
    assert.equal(parseSeq2SeqSettings({ ...BASE, forced_eos_token_id: VOCAB - 1 }, {}, VOCAB).forcedEosTokenId, VOCAB - 1);
  });

  it('says which ids are missing', () => {
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ eos_token_id: 0 }, {}, VOCAB)), 'config.json declares neither decoder_start_token_id nor pad_token_id');
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ pad_token_id: 2 }, {}, VOCAB)), 'config.json declares no eos_token_id');
    // An eos_token_id that is neither an id nor a list of ids is no EOS (not a crash).
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ pad_token_id: 2, eos_token_id: 'x' }, {}, VOCAB)), 'config.json declares no eos_token_id');
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ pad_token_id: 2, eos_token_id: null }, {}, VOCAB)), 'config.json declares no eos_token_id');
  });
});

describe('parseSeq2SeqSettings: bad words', () => {
  it('keeps the non-empty lists of ids inside the vocabulary', () => {
    // 5 is no list; [] bans nothing; [3, 10] and [11] name a token past the vocabulary.
    const parsed = parseSeq2SeqSettings({ ...BASE, bad_words_ids: [[1], [], [3, VOCAB], 5, [4, 5], [11]] }, {}, VOCAB);
    assert.deepEqual(parsed.badWordsIds, [[1], [4, 5]]);
    // The last id of the vocabulary may be banned.
    assert.deepEqual(parseSeq2SeqSettings({ ...BASE, bad_words_ids: [[VOCAB - 1]] }, {}, VOCAB).badWordsIds, [[9]]);
    assert.deepEqual(parseSeq2SeqSettings({ ...BASE, bad_words_ids: 'none' }, {}, VOCAB).badWordsIds, []);
    // A phrase with an id that is no token is dropped whole, not banned as what is left of it.
    assert.deepEqual(parseSeq2SeqSettings({ ...BASE, bad_words_ids: [[2, 'x'], [4, -1, 5], [[3], 6], [7, 8]] }, {}, VOCAB).badWordsIds, [[7, 8]]);
  });
});

describe('parseSeq2SeqSettings: numbers', () => {
  it('reads each setting from its own key, generation_config.json over config.json', () => {
    const parsed = parseSeq2SeqSettings(
      { ...BASE, no_repeat_ngram_size: 9, min_length: 9, max_new_tokens: 9 },
      { forced_eos_token_id: 0, no_repeat_ngram_size: 3.7, repetition_penalty: 1.3, min_length: 4, max_length: 200, max_new_tokens: 50, num_beams: 5, length_penalty: -0.5 },
      VOCAB,
    );
    assert.deepEqual(
      {
        forcedEosTokenId: parsed.forcedEosTokenId,
        noRepeatNgramSize: parsed.noRepeatNgramSize,
        repetitionPenalty: parsed.repetitionPenalty,
        minLength: parsed.minLength,
        maxLength: parsed.maxLength,
        maxNewTokens: parsed.maxNewTokens,
        numBeams: parsed.numBeams,
        lengthPenalty: parsed.lengthPenalty,
      },
      { forcedEosTokenId: 0, noRepeatNgramSize: 3, repetitionPenalty: 1.3, minLength: 4, maxLength: 200, maxNewTokens: 50, numBeams: 5, lengthPenalty: -0.5 },
    );
  });

  it('uses the defaults when a setting is absent or not a number', () => {
    const parsed = parseSeq2SeqSettings({ ...BASE, num_beams: 'four', repetition_penalty: null }, {}, VOCAB);
    assert.equal(parsed.forcedEosTokenId, undefined);
    assert.equal(parsed.noRepeatNgramSize, 0);
    assert.equal(parsed.repetitionPenalty, 1);
    assert.equal(parsed.minLength, 0);
    assert.equal(parsed.maxLength, undefined);
    assert.equal(parsed.maxNewTokens, undefined);
    assert.equal(parsed.numBeams, 1);
    assert.equal(parsed.lengthPenalty, 1);
  });

  it('refuses a number outside its range, with the range, and accepts both ends', () => {
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, num_beams: 0 }, {}, VOCAB)), 'num_beams = 0 is outside 1..64');
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, num_beams: 65 }, {}, VOCAB)), 'num_beams = 65 is outside 1..64');
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, repetition_penalty: 0 }, {}, VOCAB)), 'repetition_penalty = 0 is outside 0.01..100');
    assert.equal(modelErrorOf(() => parseSeq2SeqSettings({ ...BASE, no_repeat_ngram_size: -1 }, {}, VOCAB)), 'no_repeat_ngram_size = -1 is outside 0..64');
    assert.equal(parseSeq2SeqSettings({ ...BASE, num_beams: 64 }, {}, VOCAB).numBeams, 64);
    assert.equal(parseSeq2SeqSettings({ ...BASE, num_beams: 1 }, {}, VOCAB).numBeams, 1);
    assert.equal(parseSeq2SeqSettings({ ...BASE, repetition_penalty: 100 }, {}, VOCAB).repetitionPenalty, 100);
  });

  it('reads max_length and max_new_tokens as positive integers, capped at a million', () => {
    // 1 is a valid length; 0, fractions and strings are no length at all.
    const one = parseSeq2SeqSettings({ ...BASE, max_length: 1, max_new_tokens: 1 }, {}, VOCAB);
    assert.equal(one.maxLength, 1);
    assert.equal(one.maxNewTokens, 1);
    for (const bad of [0, -5, 2.5, '100']) {
      const parsed = parseSeq2SeqSettings({ ...BASE, max_length: bad, max_new_tokens: bad }, {}, VOCAB);
      assert.equal(parsed.maxLength, undefined, `max_length ${JSON.stringify(bad)}`);
      assert.equal(parsed.maxNewTokens, undefined, `max_new_tokens ${JSON.stringify(bad)}`);
    }
    assert.equal(parseSeq2SeqSettings({ ...BASE, max_new_tokens: 5_000_000 }, {}, VOCAB).maxNewTokens, 1_000_000);
  });
});

describe('parseSeq2SeqSettings: early stopping', () => {
  it("is true only for true, 'never' for 'never', else false", () => {
    const early = (value: unknown) => parseSeq2SeqSettings({ ...BASE, early_stopping: value }, {}, VOCAB).earlyStopping;
    assert.equal(early(true), true);
    assert.equal(early('never'), 'never');
    assert.equal(early(false), false);
    assert.equal(early('true'), false);
    assert.equal(parseSeq2SeqSettings(BASE, {}, VOCAB).earlyStopping, false);
  });
});
