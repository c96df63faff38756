// Next-token selection: repetition penalty, then greedy, or temperature → top-k → top-p sampling
// with a seeded PRNG. Order and formulas follow transformers' logits processors so that the same
// settings mean the same thing here and in Python.
import type { SamplingOptions } from './types';

/** mulberry32: tiny, fast, and good enough to draw tokens reproducibly from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** CTRL-style penalty, in place: positive logits divided, negative multiplied (as transformers does). */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    const v = logits[id];
    if (v === undefined) continue;
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

export function isGreedy(options: SamplingOptions | undefined): boolean {
  return !options?.temperature || options.temperature <= 0;
}

export class Sampler {
  private readonly random: () => number;

  constructor(private readonly options: SamplingOptions = {}) {
    this.random = seededRandom(options.seed ?? Date.now());
  }

  /** Picks the next id from one row of logits [vocab]. `seen()` = prompt + generated ids. */
  next(logitsRow: Float32Array, seen: () => readonly number[]): number {
    const penalty = this.options.repetitionPenalty ?? 1;
    // The common greedy path reads the row in place: no copy, no list of seen ids.
    if (penalty === 1 && isGreedy(this.options)) return argmax(logitsRow);
    const logits = Float32Array.from(logitsRow);
    applyRepetitionPenalty(logits, seen(), penalty);
    if (isGreedy(this.options)) return argmax(logits);
    return this.sample(logits);
  }

  private sample(logits: Float32Array): number {
    const temperature = this.options.temperature as number;
    // Candidates sorted by logit, descending.
    let order = Array.from(logits.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number));
    const topK = this.options.topK ?? 0;
    if (topK > 0 && topK < order.length) order = order.slice(0, topK);
    const max = logits[order[0] as number] as number;
    let probabilities = order.map((id) => Math.exp(((logits[id] as number) - max) / temperature));
    let total = probabilities.reduce((a, b) => a + b, 0);
    const topP = this.options.topP ?? 1;
    if (topP < 1) {
      // Keep the smallest prefix whose mass reaches topP (at least one token).
      let mass = 0;
      let keep = 0;
      while (keep < probabilities.length && (keep === 0 || mass < topP * total)) {
        mass += probabilities[keep] as number;
        keep++;
      }
      order = order.slice(0, keep);
      probabilities = probabilities.slice(0, keep);
      total = mass;
    }
    let threshold = this.random() * total;
    for (let i = 0; i < order.length; i++) {
      threshold -= probabilities[i] as number;
      if (threshold <= 0) return order[i] as number;
    }
    return order[order.length - 1] as number;
  }
}
