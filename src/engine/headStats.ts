// Per-head statistics of an attention block: what kind of head is this?
// Pure TypeScript (no vscode, no DOM): runs in the engine, the CLI and the extension host's
// inspector sections.
import { checkBlock, headMatrix } from './attention';
import type { AttentionBlock, HeadLabel, HeadStats } from './types';

/**
 * A head whose average row gives at least half of its mass to the previous token is a
 * previous-token head: "at least half" means the previous token outweighs all other keys together,
 * the usual threshold in the induction-head literature (Olsson et al., 2022) for a head that copies
 * its left neighbour.
 */
export const PREVIOUS_TOKEN_THRESHOLD = 0.5;

/**
 * A head whose average row (rows q ≥ 1) gives at least half of its mass to the first token is an
 * attention sink (Xiao et al., 2023): the first key is a "no-op" parking place, and once it holds the
 * majority of the mass the head is mostly idle on this text.
 */
export const SINK_THRESHOLD = 0.5;

/**
 * A head is local when its mean distance is at most this many tokens AND at most
 * LOCAL_FRACTION_OF_UNIFORM of what a uniform head would have. The absolute bound says "a few
 * neighbouring tokens" (a line of code is ~8–12 tokens); the relative bound keeps short texts, where
 * every head is within a few tokens, from being called local when the head is really spreading.
 */
export const LOCAL_MAX_DISTANCE = 4;
export const LOCAL_FRACTION_OF_UNIFORM = 0.5;

/**
 * A head is broad when its mean row entropy is at least this fraction of the entropy a uniform head
 * would have over the same rows: it spreads its mass almost evenly (an averaging / bag-of-words head).
 * 0.75 keeps heads that still favour a handful of keys (entropy well below uniform) out.
 */
export const BROAD_ENTROPY_FRACTION = 0.75;

/** The label-free measures of one head. */
export interface HeadMeasures {
  readonly entropy: number;
  readonly meanDistance: number;
  readonly previousToken: number;
  readonly firstToken: number;
  readonly selfToken: number;
}

/** What a uniform head over the same rows would measure (the yardstick labels are relative to). */
export interface UniformBaseline {
  /** Mean over rows of ln(number of visible keys). */
  readonly entropy: number;
  /** Mean over rows of the mean |q − k| over visible keys. */
  readonly meanDistance: number;
}

export interface HeadStatsOptions {
  /**
   * true (default): causal self-attention, row q sees keys 0..q. false: every row sees every key
   * (encoder self-attention); cross-attention is non-causal too, but its self/previous/distance
   * measures compare target and source positions and are only indicative.
   */
  readonly causal?: boolean;
}

/**
 * Statistics of every (layer, head) of a block whose rows are query positions.
 * Distances use |q − k|, which equals Σ p(k)·(q − k) for causal attention (p(k) = 0 for k > q) and
 * stays meaningful for encoders.
 * block.layerData: each [heads, rows, keys]
 */
export function computeHeadStats(block: AttentionBlock, options: HeadStatsOptions = {}): HeadStats[] {
  const steps = headStatsSteps(block, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The same computation as computeHeadStats(), one head per step, so a caller on a busy thread (the
 * extension host) can yield between heads: 48 heads of 512 tokens take about 100 ms in JS.
 */
export function* headStatsSteps(block: AttentionBlock, options: HeadStatsOptions = {}): Generator<void, HeadStats[]> {
  const causal = options.causal ?? true;
  checkBlock(block);
  const { layers, heads, rows, keys } = block;
  const baseline = uniformBaseline(rows, keys, causal);
  const out: HeadStats[] = [];
  for (let li = 0; li < layers.length; li++) {
    for (let hi = 0; hi < heads.length; hi++) {
      const measures = measureHead(headMatrix(block, li, hi), 0, rows, keys, causal);
      out.push({
        layer: layers[li]!,
        head: heads[hi]!,
        ...measures,
        label: labelHead(measures, baseline),
      });
      yield;
    }
  }
  return out;
}

/**
 * The running sums behind a head's measures: rows may arrive in several parts (a chunked pass) and
 * be summed here before measuresOf() divides.
 */
export interface HeadSums {
  entropy: number;
  distance: number;
  self: number;
  previous: number;
  first: number;
  rows: number;
  /** Rows with q ≥ 1: the ones where "previous" and "first" mean something. */
  laterRows: number;
}

export function emptyHeadSums(): HeadSums {
  return { entropy: 0, distance: 0, self: 0, previous: 0, first: 0, rows: 0, laterRows: 0 };
}

/**
 * Adds rows of one head to `sums`. head: [rows, keys] starting at `offset` in `data`; rows are the
 * query positions of its rows. Rows whose query position lies outside the keys (cannot happen for
 * self-attention) contribute nothing to the self / previous / first shares but still to entropy and
 * distance.
 */
export function addHeadRows(sums: HeadSums, data: Float32Array, offset: number, rows: readonly number[], keys: number, causal = false): HeadSums {
  for (let r = 0; r < rows.length; r++) {
    const q = rows[r]!;
    const base = offset + r * keys;
    let h = 0;
    let d = 0;
    // Causal rows hold zeros after the query position: skip them (half the work).
    const end = causal ? Math.min(keys, q + 1) : keys;
    for (let k = 0; k < end; k++) {
      const p = data[base + k]!;
      if (p > 0) {
        h -= p * Math.log(p);
        d += p * Math.abs(q - k);
      }
    }
    sums.entropy += h;
    sums.distance += d;
    if (q < keys) sums.self += data[base + q]!;
    if (q >= 1 && q - 1 < keys) {
      sums.previous += data[base + q - 1]!;
      sums.first += data[base]!;
      sums.laterRows++;
    }
  }
  sums.rows += rows.length;
  return sums;
}

/** The measures of summed rows: means over rows (previous and first over rows with q ≥ 1). */
export function measuresOf(sums: HeadSums): HeadMeasures {
  const n = sums.rows;
  return {
    entropy: n > 0 ? sums.entropy / n : 0,
    meanDistance: n > 0 ? sums.distance / n : 0,
    selfToken: n > 0 ? sums.self / n : 0,
    previousToken: sums.laterRows > 0 ? sums.previous / sums.laterRows : 0,
    firstToken: sums.laterRows > 0 ? sums.first / sums.laterRows : 0,
  };
}

/** Measures of one head. head: [rows, keys] starting at `offset` in `data` (see addHeadRows). */
export function measureHead(data: Float32Array, offset: number, rows: readonly number[], keys: number, causal = false): HeadMeasures {
  return measuresOf(addHeadRows(emptyHeadSums(), data, offset, rows, keys, causal));
}

/** Entropy and distance a uniform head would have over the same rows. */
export function uniformBaseline(rows: readonly number[], keys: number, causal = true): UniformBaseline {
  if (rows.length === 0 || keys === 0) return { entropy: 0, meanDistance: 0 };
  let entropy = 0;
  let distance = 0;
  for (const q of rows) {
    if (causal) {
      const visible = Math.min(q, keys - 1) + 1; // keys 0..q
      entropy += Math.log(visible);
      // mean of q − k over k = 0..q is q/2 (when q < keys)
      distance += q < keys ? q / 2 : q - (keys - 1) / 2;
    } else {
      entropy += Math.log(keys);
      distance += meanAbsDistance(q, keys);
    }
  }
  return { entropy: entropy / rows.length, meanDistance: distance / rows.length };
}

/** Mean of |q − k| over k = 0..keys−1. */
function meanAbsDistance(q: number, keys: number): number {
  if (q >= keys - 1) return q - (keys - 1) / 2;
  if (q <= 0) return -q + (keys - 1) / 2;
  // left part: Σ_{k<q} (q − k) = q(q+1)/2; right part: Σ_{k>q} (k − q) = m(m+1)/2 with m = keys−1−q
  const m = keys - 1 - q;
  return ((q * (q + 1)) / 2 + (m * (m + 1)) / 2) / keys;
}

/**
 * The label of a head, by precedence: a head that parks on the first token or copies the previous
 * token is that before anything else; then local (short, relative to uniform), broad (near-uniform
 * entropy), and the rest — focused on a few far keys — long-range.
 */
export function labelHead(measures: HeadMeasures, baseline: UniformBaseline): HeadLabel {
  if (measures.previousToken >= PREVIOUS_TOKEN_THRESHOLD) return 'previous-token';
  if (measures.firstToken >= SINK_THRESHOLD) return 'sink';
  const localBound = Math.min(LOCAL_MAX_DISTANCE, LOCAL_FRACTION_OF_UNIFORM * baseline.meanDistance);
  if (measures.meanDistance <= localBound) return 'local';
  if (baseline.entropy > 0 && measures.entropy >= BROAD_ENTROPY_FRACTION * baseline.entropy) return 'broad';
  return 'long-range';
}
