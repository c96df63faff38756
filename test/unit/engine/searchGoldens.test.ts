// Greedy and beam search (src/engine/seq2seq/search.ts) against transformers' generate() over a
// model whose logits are a fixed integer function of the sequence (models/recipes/
// make_search_goldens.py writes the goldens): every beam count, length penalty, early-stopping
// mode, end-token set and logits processor chooses the tokens transformers chooses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AbortError } from '../../../src/engine/errors';
import { search, type SearchOptions, type StepModel } from '../../../src/engine/seq2seq/search';
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

/** Settings without processors: `eos` ends a hypothesis, 7 starts the decoder. */
function plainSettings(eos: number[]): Seq2SeqSettings {
  return { decoderStartTokenId: 7, eosTokenIds: eos, padTokenId: 6, badWordsIds: [], forcedEosTokenId: undefined, noRepeatNgramSize: 0, repetitionPenalty: 1, minLength: 0, maxLength: undefined, maxNewTokens: undefined, numBeams: 1, lengthPenalty: 1, earlyStopping: true };
}

function options(settings: Seq2SeqSettings, rest: Partial<SearchOptions>): SearchOptions {
  return { settings, maxNewTokens: 4, numBeams: 1, lengthPenalty: 1, earlyStopping: true, captureCross: false, ...rest };
}

/**
 * A model over a vocabulary of 8 whose next-token probabilities are given per generated prefix
 * ('' for the first step, '1,3' after tokens 1 and 3); other prefixes get `fallback`. The logits
 * are the probabilities' logarithms, so log-softmax gives them back.
 */
function scriptedModel(table: Record<string, number[]>, fallback: number[]): StepModel<number[][]> {
  return {
    async step(state, tokens) {
      const sequences = state.map((sequence, row) => [...sequence, tokens[row] as number]);
      const logits = sequences.flatMap((sequence) => (table[sequence.slice(1).join(',')] ?? fallback).map(Math.log));
      return { logits: Float32Array.from(logits), vocab: 8, state: sequences };
    },
    reorder: (state, rows) => rows.map((row) => state[row] as number[]),
  };
}

/** Probabilities of 8 tokens: those given, the rest shared equally. */
function probabilities(given: Record<number, number>): number[] {
  const sum = Object.values(given).reduce((a, b) => a + b, 0);
  const others = 8 - Object.keys(given).length;
  return Array.from({ length: 8 }, (_, t) => given[t] ?? (1 - sum) / others);
}

describe('search: steps, aborts, cross-attention and edge cases', () => {
  it('refuses to run under an aborted signal, greedy or beam', async () => {
    let steps = 0;
    const model = tableModel(1);
    const counting: StepModel<number[][]> = { step: (state, tokens, o) => ((steps += 1), model.step(state, tokens, o)), reorder: model.reorder };
    for (const numBeams of [1, 2]) {
      await assert.rejects(search(counting, [[]], options(plainSettings([2]), { numBeams, signal: AbortSignal.abort() })), AbortError);
    }
    assert.equal(steps, 0);
  });

  it('asks for cross-attention when capturing it, counts its steps, and returns each token\'s cross-attention from the row that chose it', async () => {
    for (const numBeams of [1, 3]) {
      const asked: (boolean | undefined)[] = [];
      const model = tableModel(5);
      // Each row's "cross-attention" is the length of the sequence it was fed and its last token.
      const withCross: StepModel<number[][]> = {
        async step(state, tokens, o) {
          asked.push(o.crossAttention);
          const out = await model.step(state, tokens, o);
          return { ...out, cross: out.state.map((sequence) => [Float32Array.of(sequence.length, sequence.at(-1) as number)]) };
        },
        reorder: model.reorder,
      };
      const result = await search(withCross, [[]], options({ ...plainSettings(END_TOKENS), decoderStartTokenId: goldens.start }, { numBeams, maxNewTokens: 6, captureCross: true }));
      assert.ok(result.tokens.length > 1);
      assert.equal(result.steps, asked.length);
      assert.deepEqual(asked, Array(asked.length).fill(true));
      const fed = [goldens.start, ...result.tokens];
      assert.deepEqual(result.cross, result.tokens.map((_, i) => [Float32Array.of(i + 1, fed[i] as number)]), `${numBeams} beams`);
    }
  });

  it('greedy search leaves the model\'s logits as they were (the processors work on a copy)', async () => {
    const logits = Float32Array.from([3, 1, 2, 0, 0, 0, 0, 0]);
    const model: StepModel<null> = { step: async () => ({ logits, vocab: 8, state: null }), reorder: () => null };
    const result = await search(model, null, options({ ...plainSettings([0]), minLength: 3 }, { maxNewTokens: 3 }));
    assert.deepEqual(result.tokens, [2, 2, 0], 'EOS barred until the minimum length, then chosen');
    assert.deepEqual([...logits], [3, 1, 2, 0, 0, 0, 0, 0]);
  });

  it('beam search ranks continuations right when the logits lie far apart (log-softmax from the row\'s maximum)', async () => {
    // exp(850) overflows: the log-sum-exp must be taken from the largest logit, not any other.
    const model: StepModel<null> = { step: async () => ({ logits: Float32Array.from([-800, 50, -800, -800, -800, -800, -800, -800]), vocab: 8, state: null }), reorder: () => null };
    const result = await search(model, null, options(plainSettings([0]), { numBeams: 2, maxNewTokens: 1 }));
    assert.deepEqual(result.tokens, [1]);
  });

  it('on equal scores the lower token comes first', async () => {
    const model = scriptedModel({}, probabilities({ 1: 0.4, 3: 0.4 }));
    const result = await search(model, [[]], options(plainSettings([0]), { numBeams: 2, maxNewTokens: 1 }));
    assert.deepEqual(result.tokens, [1]);
  });

  it('early_stopping "never" with a negative length penalty bounds a running beam by its current length', async () => {
    // Step 1 finishes [EOS] (score -3.6) and runs on with 1; step 2 finishes [1, EOS] (-1.75 × 2 = -3.5)
    // and runs on with [1, 3] (-1.0): its bound -1.0 × 2 beats -3.6, so step 3 finishes [1, 3, EOS]
    // at -1.05 × 3 = -3.15, the best. (Bounded by the maximum length, -1.0 × 4, it would stop.)
    const table = {
      '': probabilities({ 0: Math.exp(-3.6), 1: Math.exp(-0.05), 2: Math.exp(-4) }),
      '1': probabilities({ 0: Math.exp(-1.7), 3: Math.exp(-0.95) }),
      '1,3': probabilities({ 0: Math.exp(-0.05) }),
    };
    const result = await search(scriptedModel(table, probabilities({ 7: 0.93 })), [[]], options(plainSettings([0]), { numBeams: 2, maxNewTokens: 4, lengthPenalty: -1, earlyStopping: 'never' }));
    assert.deepEqual([result.tokens, result.steps], [[1, 3, 0], 3]);
  });

  it('early_stopping "never" with a positive length penalty stops once a beam of the maximum length could not beat the finished ones', async () => {
    // Step 1 finishes [0] (ln 0.6) and [1] (ln 0.333 ≈ -1.1); the best running beam has ln(0.067 / 6) ≈ -4.5,
    // whose best score at 4 tokens, -4.5 / 4, is below -1.1: no second step.
    const table = { '': probabilities({ 0: 0.6, 1: 0.333 }) };
    const result = await search(scriptedModel(table, probabilities({ 7: 0.93 })), [[]], options(plainSettings([0, 1]), { numBeams: 2, maxNewTokens: 4, lengthPenalty: 1, earlyStopping: 'never' }));
    assert.deepEqual([result.tokens, result.steps], [[0], 1]);
  });

  it('a beam whose logits are NaN does not hide the better continuations of a beam after it', async () => {
    // Step 1 runs beams 1, 2 and 3; beam 2's logits are NaN; beam 3 continues with 5 at 0.93, better than anything of beam 1.
    const table: Record<string, number[]> = {
      '': [0, 0.3, 0.3, 0.3, 0.02, 0.02, 0.02, 0.04],
      '2': Array(8).fill(Number.NaN),
      '3': probabilities({ 5: 0.93 }),
    };
    const result = await search(scriptedModel(table, probabilities({})), [[]], options(plainSettings([0]), { numBeams: 3, maxNewTokens: 2 }));
    assert.deepEqual(result.tokens, [3, 5]);
  });

  it('a beam whose logits are NaN loses whatever its rank: its continuations count as banned tokens', async () => {
    // Beam 2 now ranks first after step 1; its NaN continuations must not fill the candidates.
    const table: Record<string, number[]> = {
      '': [0, 0.3, 0.35, 0.25, 0.02, 0.02, 0.02, 0.04],
      '2': Array(8).fill(Number.NaN),
      '3': probabilities({ 5: 0.93 }),
    };
    const result = await search(scriptedModel(table, probabilities({})), [[]], options(plainSettings([0]), { numBeams: 3, maxNewTokens: 2 }));
    assert.deepEqual(result.tokens, [3, 5]);
  });
});
