// How many tokens to draft before the next verify pass: the number that makes the most tokens per
// millisecond, from two running estimates. The acceptance rate p, per kind of draft (prompt lookup
// that matched 3 tokens guesses far better than one that matched 1): a drafted token is kept with
// probability p if the one before it was, so k drafts yield 1 + p + … + p^k tokens (the pass's own
// token included). The cost: a pass over 1 + k rows takes single + k · perRow ms, a line through
// the recent passes whose slope is the median of the slopes between every two passes of different
// widths (Theil–Sen: passes slowed by a busy machine, which comes and goes, do not tilt it the way
// they tilt a least-squares line). On CPUs a row is not free: on the default code model it costs a
// quarter to a half of a one-row pass, on a 0.5B model under WebAssembly most of one, so drafts are
// long only where they are nearly always kept, and none are fed where they mostly miss: a miss must
// not make a completion slower.

export interface DraftLengthOptions {
  /** Most tokens drafted at once: each adds a row of logits (16 rows of Qwen's 151,936 words are 9.7 MB). */
  readonly max?: number;
  /** Always draft this many (no estimates); for tests that need drafts of a known length. */
  readonly fixed?: number;
}

/** Weight of the newest observation in the acceptance estimate: about the last 20 passes count. */
const DECAY = 0.95;
/** Recent decoding passes the cost is fitted to. */
const TIMED_PASSES = 64;
/**
 * Before a kind has been seen: one accepted draft token to three rejections (p = 0.25), so that a
 * new kind of draft is fed only once its checks (free drafts are checked when not fed) have shown
 * it pays: a keystroke rarely gives a kind many chances, and an early miss costs that keystroke...
 */
const PRIOR_ACCEPTED = 1;
const PRIOR_REJECTED = 3;
/** ...and a row costing a quarter of a one-row pass until passes of two widths were timed. */
const PRIOR_ROW_COST = 0.25;
/** A row never costs more than this many one-row passes (a noisy fit is not believed past it). */
const MAX_ROW_COST = 2;
/** p is never taken as certain: one miss in a long run must still shorten the drafts. */
const MAX_ACCEPTANCE = 0.97;
/**
 * A drafter that costs a pass to ask (a draft model) is tried with one token after this many passes
 * without drafts, so that a better acceptance can show; free drafts are checked on every pass.
 */
const EXPLORE_EVERY = 16;

export class DraftLength {
  readonly max: number;
  private readonly fixed: number | undefined;
  /** Per kind of draft: decayed counts of accepted tokens and of rejections. */
  private readonly counts = new Map<string, { accepted: number; rejected: number }>();
  /** Recent decoding passes: [rows, ms], oldest first. */
  private readonly passes: [number, number][] = [];
  /** Pass widths run at least once (see timed). */
  private readonly widthsSeen = new Set<number>();
  private passesWithoutDrafts = 0;
  /** rowCost as fitted to `passes`; undefined once a pass was timed since. */
  private fittedRowCost: number | undefined;

  constructor(options: DraftLengthOptions = {}) {
    this.max = Math.max(1, options.max ?? 16);
    this.fixed = options.fixed === undefined ? undefined : Math.min(this.max, Math.max(0, options.fixed));
  }

  /** The estimated probability that a drafted token of this kind is kept, given the one before it was. */
  acceptance(kind: string): number {
    const counts = this.counts.get(kind) ?? { accepted: PRIOR_ACCEPTED, rejected: PRIOR_REJECTED };
    return Math.min(MAX_ACCEPTANCE, counts.accepted / (counts.accepted + counts.rejected));
  }

  /** Cost of a row more, as a share of a one-row pass (the prior until passes of two widths were timed). */
  get rowCost(): number {
    // Asked before every pass, and the fit over 64 passes takes 2,016 slopes: fitted once per timing.
    this.fittedRowCost ??= fitRowCost(this.passes);
    return this.fittedRowCost;
  }

  /**
   * Tokens of this kind to draft for the next pass; `free`: the drafter costs nothing to ask, so its
   * drafts are checked even when none is fed and there is nothing to explore. `minGain`: how many
   * times plain decoding's tokens per millisecond drafting must promise (see value).
   */
  next(kind: string, free: boolean, minGain = 1): number {
    const best = this.value(kind, minGain);
    if (best > 0 || free || this.fixed !== undefined) {
      this.passesWithoutDrafts = 0;
      return best;
    }
    this.passesWithoutDrafts++;
    if (this.passesWithoutDrafts < EXPLORE_EVERY) return 0;
    this.passesWithoutDrafts = 0;
    return 1;
  }

  /**
   * The best number of tokens to draft by the estimates: 0 means a plain one-token pass is the
   * better bet, or drafting promises less than `minGain` times its rate.
   */
  value(kind: string, minGain = 1): number {
    if (this.fixed !== undefined) return this.fixed;
    const p = this.acceptance(kind);
    const c = this.rowCost;
    let best = 0;
    let bestRate = minGain; // k = 0: one token for one row
    let expected = 1;
    let term = 1;
    for (let k = 1; k <= this.max; k++) {
      term *= p;
      expected += term;
      const rate = expected / (1 + c * k);
      if (rate > bestRate) {
        best = k;
        bestRate = rate;
      }
    }
    return best;
  }

  /** After a verify pass over `drafted` tokens of this kind of which the first `accepted` were kept. */
  update(kind: string, drafted: number, accepted: number): void {
    if (drafted === 0) return;
    const counts = this.counts.get(kind) ?? { accepted: PRIOR_ACCEPTED, rejected: PRIOR_REJECTED };
    counts.accepted = counts.accepted * DECAY + accepted;
    counts.rejected = counts.rejected * DECAY + (accepted < drafted ? 1 : 0);
    this.counts.set(kind, counts);
  }

  /**
   * A decoding pass over `rows` new tokens took `ms`. The first pass of each width is not counted:
   * onnxruntime plans the memory of a shape it has not run before, which made one cold two-row pass
   * look like a row costing two passes, and drafts were never fed again in that request.
   */
  timed(rows: number, ms: number): void {
    if (!(ms > 0) || rows < 1) return;
    if (!this.widthsSeen.has(rows)) {
      this.widthsSeen.add(rows);
      return;
    }
    this.passes.push([rows, ms]);
    if (this.passes.length > TIMED_PASSES) this.passes.shift();
    this.fittedRowCost = undefined;
  }
}

/** Theil–Sen over [rows, ms] points: the median slope between points of different widths, per one-row pass. */
function fitRowCost(points: readonly (readonly [number, number])[]): number {
  const slopes = new Float64Array((points.length * (points.length - 1)) / 2);
  let count = 0;
  for (let i = 0; i < points.length; i++) {
    const [rowsA, msA] = points[i] as readonly [number, number];
    for (let j = i + 1; j < points.length; j++) {
      const [rowsB, msB] = points[j] as readonly [number, number];
      if (rowsA !== rowsB) slopes[count++] = (msB - msA) / (rowsB - rowsA);
    }
  }
  // Passes of one width only say nothing about the cost of a row more.
  if (count === 0) return PRIOR_ROW_COST;
  const perRow = Math.max(0, medianOf(slopes.subarray(0, count)));
  const single = medianOf(Float64Array.from(points, ([rows, ms]) => ms - perRow * (rows - 1)));
  return single > 0 ? Math.min(MAX_ROW_COST, perRow / single) : PRIOR_ROW_COST;
}

/** The median of `values`, which it reorders (quickselect: linear time, where a sort of 2,016 slopes was most of the fit's). */
function medianOf(values: Float64Array): number {
  const middle = values.length >> 1;
  const upper = selectInPlace(values, middle);
  if (values.length % 2 === 1) return upper;
  // Everything left of `middle` is ≤ upper now: the lower middle is their largest.
  let lower = -Infinity;
  for (let i = 0; i < middle; i++) lower = Math.max(lower, values[i] as number);
  return (lower + upper) / 2;
}

/** The k-th smallest of `values` (0-based), which ends at index k with the smaller ones before it. */
function selectInPlace(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i++] = values[j] as number;
        values[j--] = swap;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break; // values[j + 1 .. i - 1] all equal the pivot, and k is among them
  }
  return values[k] as number;
}
