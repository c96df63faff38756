// Greedy and beam search over a decoder that steps a batch of rows, written to reproduce
// transformers' generate() (5.x) exactly: the same logits processors, log-softmax and scores in
// float32, the same top-k continuations (2 × beams candidates per step, EOS candidates finish a
// hypothesis only when ranked within the first `beams`), the same length penalty
// (score / generated_length ** length_penalty, EOS counted) and the same stopping rules
// (early_stopping true | false | "never"). Pure apart from the injected StepModel.
import { AbortError } from '../errors';
import { argmax } from '../sampling';
import { applyProcessors } from './processors';
import type { EarlyStopping, Seq2SeqSettings } from './settings';

export interface StepOutput<S> {
  /** [batch, vocab] */
  readonly logits: Float32Array;
  readonly vocab: number;
  readonly state: S;
  /** Per batch row, per layer [heads, source] (when crossAttention was asked). */
  readonly cross?: readonly (readonly Float32Array[])[];
}

export interface StepModel<S> {
  step(state: S, tokens: readonly number[], options: { readonly crossAttention?: boolean }): Promise<StepOutput<S>>;
  reorder(state: S, rows: readonly number[]): S;
}

export interface SearchOptions {
  readonly settings: Seq2SeqSettings;
  /** Generated tokens at most (the start token not counted). */
  readonly maxNewTokens: number;
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: EarlyStopping;
  readonly captureCross: boolean;
  readonly signal?: AbortSignal;
}

export interface SearchResult {
  /** Generated ids, the final EOS included when the hypothesis ended with one. */
  readonly tokens: readonly number[];
  readonly finishReason: 'eos' | 'length';
  /** Per generated token (EOS included): per layer [heads, source], from the step that chose it. */
  readonly cross?: readonly (readonly Float32Array[])[];
  readonly steps: number;
}

const f32 = Math.fround;
/** transformers' "minus infinity" for beams that must not win (kept finite so sums stay ordered). */
const NEG = -1e9;

export function search<S>(model: StepModel<S>, initial: S, options: SearchOptions): Promise<SearchResult> {
  return options.numBeams > 1 ? beamSearch(model, initial, options) : greedySearch(model, initial, options);
}

export async function greedySearch<S>(model: StepModel<S>, initial: S, options: SearchOptions): Promise<SearchResult> {
  const { settings } = options;
  const maxLength = 1 + options.maxNewTokens;
  const sequence = [settings.decoderStartTokenId];
  const cross: (readonly Float32Array[])[] = [];
  let state = initial;
  let finishReason: 'eos' | 'length' = 'length';
  let steps = 0;
  while (sequence.length < maxLength) {
    if (options.signal?.aborted) throw new AbortError();
    const out = await model.step(state, [sequence[sequence.length - 1] as number], { crossAttention: options.captureCross });
    steps += 1;
    state = out.state;
    const scores = out.logits.slice(0, out.vocab); // [vocab]
    applyProcessors(scores, settings, { sequence, maxLength });
    const next = argmax(scores);
    sequence.push(next);
    if (out.cross) cross.push(out.cross[0] as readonly Float32Array[]);
    if (settings.eosTokenIds.includes(next)) {
      finishReason = 'eos';
      break;
    }
  }
  return { tokens: sequence.slice(1), finishReason, steps, ...(options.captureCross ? { cross } : {}) };
}

interface Hypothesis {
  /** Decoder sequence, start token included. */
  readonly sequence: readonly number[];
  readonly score: number;
  readonly cross: readonly (readonly Float32Array[])[];
}

interface Candidate extends Hypothesis {
  /** Row of the beam it extends. */
  readonly parent: number;
  readonly hitsStop: boolean;
}

/** log_softmax of one row, in float32 like torch. */
function logSoftmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = f32(Math.log(sum));
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = f32(f32((row[i] as number) - max) - lse);
  return out;
}

/** The `k` best (score, index) pairs of `scores`, best first; ties keep the lower index first. */
function topK(scores: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i] as number;
    if (best.length === k && v <= (scores[best[k - 1] as number] as number)) continue;
    let at = best.length;
    while (at > 0 && v > (scores[best[at - 1] as number] as number)) at -= 1;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

export async function beamSearch<S>(model: StepModel<S>, initial: S, options: SearchOptions): Promise<SearchResult> {
  const { settings, numBeams, lengthPenalty, earlyStopping } = options;
  const maxLength = 1 + options.maxNewTokens;
  const decoderPromptLength = 1;
  // Candidates kept per step: enough that `numBeams` survive even if the best ones all end in EOS.
  const keep = Math.max(2, 1 + settings.eosTokenIds.length) * numBeams;
  // The first step runs one row: every beam starts from the same start token, and transformers
  // gives all but the first a score of -1e9, so only the first one's continuations can win.
  let running: Hypothesis[] = [{ sequence: [settings.decoderStartTokenId], score: 0, cross: [] }];
  let finished: Hypothesis[] = [];
  let state = initial;
  let curLength = 1;
  let steps = 0;
  for (;;) {
    if (options.signal?.aborted) throw new AbortError();
    const out = await model.step(
      state,
      running.map((h) => h.sequence[h.sequence.length - 1] as number),
      { crossAttention: options.captureCross },
    );
    steps += 1;
    // 1. Accumulated log-probabilities of every (beam, token) continuation: [beams × vocab].
    const vocab = out.vocab;
    const accumulated = new Float32Array(running.length * vocab);
    running.forEach((hypothesis, b) => {
      const logProbs = logSoftmax(out.logits.subarray(b * vocab, (b + 1) * vocab));
      applyProcessors(logProbs, settings, { sequence: hypothesis.sequence, maxLength });
      // A NaN score (a row of NaN logits: an fp16 overflow) ranks as a banned token, whatever the
      // beam's place, as greedy decoding's argmax never picks NaN either.
      for (let t = 0; t < vocab; t++) {
        const score = f32((logProbs[t] as number) + hypothesis.score);
        accumulated[b * vocab + t] = Number.isNaN(score) ? -Infinity : score;
      }
    });
    // 2. The best `keep` continuations overall.
    const candidates: Candidate[] = topK(accumulated, Math.min(keep, accumulated.length)).map((flat) => {
      const parent = Math.floor(flat / vocab);
      const token = flat % vocab;
      const hypothesis = running[parent] as Hypothesis;
      const cross = out.cross ? [...hypothesis.cross, out.cross[parent] as readonly Float32Array[]] : hypothesis.cross;
      return {
        parent,
        sequence: [...hypothesis.sequence, token],
        score: accumulated[flat] as number,
        cross,
        hitsStop: settings.eosTokenIds.includes(token) || curLength + 1 >= maxLength,
      };
    });
    // 3. Hypotheses that just finished, among the first `numBeams` candidates, join the finished
    // set with their length-penalised score. (transformers also bars them once the set is full
    // under early stopping, or once the heuristic says it cannot improve: both end the loop below
    // before another step runs.)
    const denominator = f32((curLength + 1 - decoderPromptLength) ** lengthPenalty);
    const fresh = candidates
      .slice(0, numBeams)
      .filter((c) => c.hitsStop)
      .map((c) => ({ sequence: c.sequence, score: f32(c.score / denominator), cross: c.cross }));
    finished = mergeBest(finished, fresh, numBeams);
    // 4. The best `numBeams` unfinished candidates run on.
    const next = candidates.filter((c) => !c.hitsStop).slice(0, numBeams);
    const allStopped = next.length === 0;
    curLength += 1;
    let improvable = true;
    if (!allStopped) {
      // 5. transformers' early-stop heuristic: can the best running beam still beat the worst finished one?
      const bestLength =
        earlyStopping === 'never' && lengthPenalty > 0 ? maxLength - decoderPromptLength : curLength - decoderPromptLength;
      const bestPossible = f32((next[0] as Candidate).score / f32(bestLength ** lengthPenalty));
      const worstFinished = finished.length === numBeams ? Math.min(...finished.map((h) => h.score)) : NEG;
      improvable = bestPossible > worstFinished;
    }
    const done = allStopped || !improvable || (finished.length === numBeams && earlyStopping === true);
    if (done) break;
    state = model.reorder(out.state, next.map((c) => c.parent));
    running = next;
  }
  const best = finished[0] ?? running[0];
  if (best === undefined) throw new Error('beam search finished without a hypothesis');
  const tokens = best.sequence.slice(1);
  const last = tokens[tokens.length - 1];
  return {
    tokens,
    finishReason: last !== undefined && settings.eosTokenIds.includes(last) ? 'eos' : 'length',
    steps,
    ...(options.captureCross ? { cross: best.cross } : {}),
  };
}

/** The best `n` of the finished set and the new hypotheses; on equal scores the older one first. */
function mergeBest(finished: readonly Hypothesis[], fresh: readonly Hypothesis[], n: number): Hypothesis[] {
  return [...finished, ...fresh]
    .map((h, order) => ({ h, order }))
    .sort((a, b) => b.h.score - a.h.score || a.order - b.order)
    .slice(0, n)
    .map((x) => x.h);
}
