// Logits processors of encoder-decoder search (src/engine/seq2seq/processors.ts) on one row of
// scores: when a bad-words phrase bans its last token, where the minimum length lets EOS in, and
// which tokens the no-repeat n-gram rule bans, each at its edges. Fast: no model is loaded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyProcessors } from '../../../src/engine/seq2seq/processors';
import { parseSeq2SeqSettings, type Seq2SeqSettings } from '../../../src/engine/seq2seq/settings';

const VOCAB = 10;

/** Settings with EOS 0 and pad 2 and no processor on, except the overrides. */
function settings(overrides: Partial<Seq2SeqSettings>): Seq2SeqSettings {
  return { ...parseSeq2SeqSettings({ eos_token_id: 0, pad_token_id: 2 }, {}, VOCAB), ...overrides };
}

/** The tokens the processors ban after `sequence` (scores of -Infinity), in id order. */
function banned(overrides: Partial<Seq2SeqSettings>, sequence: readonly number[]): number[] {
  const scores = new Float32Array(VOCAB).fill(1);
  applyProcessors(scores, settings(overrides), { sequence, maxLength: 100 });
  return [...scores.keys()].filter((i) => scores[i] === -Infinity);
}

describe('bad words', () => {
  it('bans the last token of a phrase only after its prefix', () => {
    assert.deepEqual(banned({ badWordsIds: [[4, 5]] }, [2, 4]), [5]);
    // The sequence does not end with 4: 5 is free.
    assert.deepEqual(banned({ badWordsIds: [[4, 5]] }, [2, 4, 6]), []);
  });

  it('compares every token of a longer prefix, in order', () => {
    assert.deepEqual(banned({ badWordsIds: [[3, 7, 5]] }, [2, 3, 7]), [5]);
    // Ends with 7, but 3 does not come before it.
    assert.deepEqual(banned({ badWordsIds: [[3, 7, 5]] }, [2, 7, 7]), []);
  });

  it('matches a prefix as long as the whole sequence, and not one longer', () => {
    assert.deepEqual(banned({ badWordsIds: [[2, 4, 5]] }, [2, 4]), [5]);
    assert.deepEqual(banned({ badWordsIds: [[7, 2, 5]] }, [2]), []);
  });
});

describe('minimum length', () => {
  it('bans EOS while the sequence is shorter than min_length, and not once it reaches it', () => {
    assert.deepEqual(banned({ minLength: 3 }, [2, 4]), [0]);
    assert.deepEqual(banned({ minLength: 3 }, [2, 4, 6]), []);
  });
});

describe('no repeated n-grams', () => {
  it('bans the token that would repeat a bigram, including one that ends the sequence', () => {
    // (4, 4) ends the sequence: another 4 would repeat it.
    assert.deepEqual(banned({ noRepeatNgramSize: 2 }, [4, 4]), [4]);
    assert.deepEqual(banned({ noRepeatNgramSize: 2 }, [2, 4, 4]), [4]);
    // After the last 4, only (4, 5) exists: 5 is banned, not 6 (the token after 5).
    assert.deepEqual(banned({ noRepeatNgramSize: 2 }, [3, 4, 5, 6, 4]), [5]);
  });

  it('compares the whole n-1 token prefix of a trigram', () => {
    // (1, 2, 3) exists and the sequence ends with (1, 2): 3 is banned.
    assert.deepEqual(banned({ noRepeatNgramSize: 3 }, [1, 2, 3, 9, 1, 2]), [3]);
    // Ends with (5, 2): no trigram starts with it.
    assert.deepEqual(banned({ noRepeatNgramSize: 3 }, [1, 2, 3, 9, 5, 2]), []);
  });

  it('bans nothing while the sequence is shorter than n', () => {
    assert.deepEqual(banned({ noRepeatNgramSize: 3 }, [4, 4]), []);
  });
});
