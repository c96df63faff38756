// Logits processors, applied in place to one row of scores before a token is chosen, in
// transformers' order and with its formulas, so that the same generation_config means the same
// search here as in Python: repetition penalty, no-repeat n-grams, bad words, minimum length,
// forced EOS at the maximum length. Greedy search applies them to logits, beam search to
// log-probabilities (as transformers does).
import { applyRepetitionPenalty } from '../sampling';
import type { Seq2SeqSettings } from './settings';

export interface ProcessorContext {
  /** The decoder sequence so far, start token included (transformers' input_ids). */
  readonly sequence: readonly number[];
  /** Maximum decoder length including the start token. */
  readonly maxLength: number;
}

export function applyProcessors(scores: Float32Array, settings: Seq2SeqSettings, context: ProcessorContext): void {
  const { sequence, maxLength } = context;
  const curLen = sequence.length;
  applyRepetitionPenalty(scores, sequence, settings.repetitionPenalty);
  if (settings.noRepeatNgramSize > 0) {
    for (const banned of repeatedNgramTokens(sequence, settings.noRepeatNgramSize)) scores[banned] = -Infinity;
  }
  for (const words of settings.badWordsIds) {
    const last = words[words.length - 1] as number;
    const prefix = words.slice(0, -1);
    if (endsWith(sequence, prefix)) scores[last] = -Infinity;
  }
  if (curLen < settings.minLength) for (const eos of settings.eosTokenIds) scores[eos] = -Infinity;
  if (settings.forcedEosTokenId !== undefined && curLen === maxLength - 1) {
    const keep = settings.forcedEosTokenId;
    scores.fill(-Infinity);
    scores[keep] = 0;
  }
}

function endsWith(sequence: readonly number[], suffix: readonly number[]): boolean {
  if (suffix.length > sequence.length) return false;
  const offset = sequence.length - suffix.length;
  return suffix.every((t, i) => sequence[offset + i] === t);
}

/** Tokens that would complete an n-gram already present in `sequence`. */
function repeatedNgramTokens(sequence: readonly number[], n: number): number[] {
  if (sequence.length + 1 < n) return [];
  const prefix = sequence.slice(sequence.length - n + 1);
  const banned: number[] = [];
  for (let i = 0; i + n <= sequence.length; i++) {
    let match = true;
    for (let j = 0; j < n - 1; j++) {
      if (sequence[i + j] !== prefix[j]) {
        match = false;
        break;
      }
    }
    if (match) banned.push(sequence[i + n - 1] as number);
  }
  return banned;
}
