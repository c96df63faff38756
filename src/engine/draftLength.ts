// How many tokens to draft before the next verify pass: the number that makes the most tokens per
// millisecond, from two running estimates. The acceptance rate p: a drafted token is kept with
// probability p if the one before it was, so k drafts yield 1 + p + … + p^k tokens (the pass's own
// token included). The cost: a pass over 1 + k rows takes single + k · perRow ms, fitted to the
// fastest recent pass of each width (a busy machine only ever adds time, so the fastest pass is the
// least disturbed measurement of what a width costs). On the default
// code model a row more costs almost nothing (the pass is mostly overhead), so drafts grow long;
// on a 0.5B model under WebAssembly each row costs most of a pass, so it drafts only while nearly
// everything is accepted, and not at all when little is: a miss must not make a completion slower.

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
/** Before anything is measured: one accepted and one rejected draft token (p = 0.5)... */
const PRIOR_ACCEPTED = 1;
const PRIOR_REJECTED = 1;
/** ...and a row costing a quarter of a one-row pass, so that drafting is tried and then measured. */
const PRIOR_ROW_COST = 0.25;
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
  private accepted = PRIOR_ACCEPTED;
  private rejected = PRIOR_REJECTED;
  /** Recent decoding passes: [rows, ms], oldest first. */
  private readonly passes: [number, number][] = [];
  private passesWithoutDrafts = 0;

  constructor(options: DraftLengthOptions = {}) {
    this.max = Math.max(1, options.max ?? 16);
    this.fixed = options.fixed === undefined ? undefined : Math.min(this.max, Math.max(0, options.fixed));
  }

  /** The estimated probability that a drafted token is kept, given the one before it was. */
  get acceptance(): number {
    return Math.min(MAX_ACCEPTANCE, this.accepted / (this.accepted + this.rejected));
  }

  /** Cost of a row more, as a share of a one-row pass (the prior until passes of two widths were timed). */
  get rowCost(): number {
    const fastest = new Map<number, number>();
    for (const [rows, ms] of this.passes) fastest.set(rows, Math.min(ms, fastest.get(rows) ?? Infinity));
    // Passes of one width only say nothing about the cost of a row more.
    if (fastest.size < 2) return PRIOR_ROW_COST;
    // Least squares over the widths, each once: ms = single + perRow · (rows − 1).
    const points = [...fastest];
    const meanRows = points.reduce((sum, [rows]) => sum + rows, 0) / points.length;
    const meanMs = points.reduce((sum, [, ms]) => sum + ms, 0) / points.length;
    const spread = points.reduce((sum, [rows]) => sum + (rows - meanRows) ** 2, 0);
    const perRow = Math.max(0, points.reduce((sum, [rows, ms]) => sum + (rows - meanRows) * (ms - meanMs), 0) / spread);
    const single = meanMs - perRow * (meanRows - 1);
    return single > 0 ? perRow / single : PRIOR_ROW_COST;
  }

  /** Tokens to draft for the next pass; `free`: the drafter costs nothing to ask (no exploring needed). */
  next(free: boolean): number {
    const best = this.value;
    if (best > 0 || free || this.fixed !== undefined) {
      this.passesWithoutDrafts = 0;
      return best;
    }
    this.passesWithoutDrafts++;
    if (this.passesWithoutDrafts < EXPLORE_EVERY) return 0;
    this.passesWithoutDrafts = 0;
    return 1;
  }

  /** The best number of tokens to draft by the estimates: 0 means a plain one-token pass is the better bet. */
  get value(): number {
    if (this.fixed !== undefined) return this.fixed;
    const p = this.acceptance;
    const c = this.rowCost;
    let best = 0;
    let bestRate = 1; // k = 0: one token for one row
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

  /** After a verify pass over `drafted` tokens of which the first `accepted` were kept. */
  update(drafted: number, accepted: number): void {
    if (drafted === 0) return;
    this.accepted = this.accepted * DECAY + accepted;
    this.rejected = this.rejected * DECAY + (accepted < drafted ? 1 : 0);
  }

  /** A decoding pass over `rows` new tokens took `ms`. */
  timed(rows: number, ms: number): void {
    if (!(ms > 0) || rows < 1) return;
    this.passes.push([rows, ms]);
    if (this.passes.length > TIMED_PASSES) this.passes.shift();
  }
}
