// Greedy and beam search (src/engine/seq2seq/search.ts) against transformers' generate() over a
// model whose logits are a fixed integer function of the sequence (models/recipes/
// make_search_goldens.py writes the goldens): every beam count, length penalty, early-stopping
// mode, end-token set and logits processor chooses the tokens transformers chooses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { search, type StepModel } from '../../../src/engine/seq2seq/search';
import type { EarlyStopping, Seq2SeqSettings } from '../../../src/engine/seq2seq/settings';
import { ROOT } from './helpers';

interface Case {
  readonly seed: number;
  readonly num_beams: number;
  readonly length_penalty: number;
  readonly early_stopping: EarlyStopping;
  readonly max_new_tokens: number;
  readonly eos_token_id: number[];
  readonly repetition_penalty?: number;
  readonly no_repeat_ngram_size?: number;
  readonly min_length?: number;
  readonly bad_words_ids?: number[][];
  readonly forced_eos_token_id?: number;
  readonly tokens: number[];
}

const goldens = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'goldens', 'search.json'), 'utf8')) as { vocab: number; start: number; cases: Case[] };
const END_TOKENS = [2, 5];

/** The recipe's row_logits: integer arithmetic, then one rounding to float32, as torch does. */
function rowLogits(seed: number, sequence: readonly number[]): number[] {
  let h = seed;
  for (const token of sequence) h = (h * 131 + token * 29 + 11) % 1_000_003;
  const lengthBonus = (sequence.length - 4) * 0.75;
  return Array.from({ length: goldens.vocab }, (_, t) => Math.fround(((h * (t + 3) * 7919 + t * t * 104729) % 65521) / 65521 * 8 - 4 + (END_TOKENS.includes(t) ? lengthBonus : 0)));
}

/** state: per batch row, the decoder sequence fed so far. */
function tableModel(seed: number): StepModel<number[][]> {
  return {
    async step(state, tokens) {
      const sequences = state.map((sequence, row) => [...sequence, tokens[row] as number]);
      return { logits: Float32Array.from(sequences.flatMap((sequence) => rowLogits(seed, sequence))), vocab: goldens.vocab, state: sequences };
    },
    reorder: (state, rows) => rows.map((row) => state[row] as number[]),
  };
}

function settingsOf(c: Case): Seq2SeqSettings {
  return {
    decoderStartTokenId: goldens.start,
    eosTokenIds: c.eos_token_id,
    padTokenId: 6,
    badWordsIds: c.bad_words_ids ?? [],
    forcedEosTokenId: c.forced_eos_token_id,
    noRepeatNgramSize: c.no_repeat_ngram_size ?? 0,
    repetitionPenalty: c.repetition_penalty ?? 1,
    minLength: c.min_length ?? 0,
    maxLength: undefined,
    maxNewTokens: c.max_new_tokens,
    numBeams: c.num_beams,
    lengthPenalty: c.length_penalty,
    earlyStopping: c.early_stopping,
  };
}

describe('search: the tokens transformers chooses', () => {
  it('has goldens for every setting', () => {
    assert.ok(goldens.cases.length > 400);
    assert.deepEqual([...new Set(goldens.cases.map((c) => c.num_beams))].sort(), [1, 2, 3, 4]);
    assert.ok(new Set(goldens.cases.map((c) => c.tokens.join(','))).size > 20, 'the cases choose many different sequences');
  });

  const groups = new Map<string, Case[]>();
  for (const c of goldens.cases) {
    const processor = ['repetition_penalty', 'no_repeat_ngram_size', 'min_length', 'bad_words_ids', 'forced_eos_token_id'].find((key) => key in c) ?? 'no processor';
    const name = `${c.num_beams === 1 ? 'greedy' : `${c.num_beams} beams`}, ${processor}`;
    groups.set(name, [...(groups.get(name) ?? []), c]);
  }
  for (const [name, cases] of groups) {
    it(name, async () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const result = await search(tableModel(c.seed), [[]], {
          settings: settingsOf(c),
          maxNewTokens: c.max_new_tokens,
          numBeams: c.num_beams,
          lengthPenalty: c.length_penalty,
          earlyStopping: c.early_stopping,
          captureCross: false,
        });
        const ended = c.eos_token_id.includes(c.tokens.at(-1) as number);
        if (result.tokens.join(',') !== c.tokens.join(',') || result.finishReason !== (ended ? 'eos' : 'length')) {
          wrong.push(`${JSON.stringify({ ...c, tokens: undefined })}: ${result.tokens} (${result.finishReason}), transformers ${c.tokens}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }
});
