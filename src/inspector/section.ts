// One section of an inspected document (self-attention, encoder, cross-attention, a generation) on
// the extension-host side: its summary for the webview's first paint, and answers to the panel's
// requests for a layer, a head or an aggregate. Two kinds: a HeldSection has its (small) block at
// hand; an EngineSection (engineSection.ts) leaves the attention in the engine and asks for what
// is shown. No vscode import, so the bench and the tests drive both directly.
import { reduceHeads, rolloutSteps } from '../engine/aggregate';
import { headStatsSteps } from '../engine/headStats';
import { poolBlock, type PooledHeads } from '../engine/pool';
import type { AttentionBlock, AttentionShape, HeadStats } from '../engine/types';
import type { BlockScope, QuantizedMatrices, SectionKind, SectionSummary, TokenLabel } from '../protocol/inspector';
import { sliceBlock } from './blocks';
import { quantizeRows, THUMBNAIL_SIZE, thumbnails } from '../engine/quantize';

/** Where a section's tokens lie in an editor document: document offset = base + token.start. */
export interface EditorLink {
  readonly uri: string;
  readonly base: number;
  /** Tokens ending after base + length (e.g. generated ones) are not in the document. */
  readonly length: number;
}

export interface Section {
  readonly link: EditorLink | undefined;
  /** What the webview gets: statistics are empty, with statsPending, until computed. */
  readonly summary: SectionSummary;
  /** The head statistics (computed on first call when they were not given). */
  stats(): Promise<readonly HeadStats[]>;
  /** Resolves when the section holds what it keeps for good, statistics included (tests, bench). */
  settled(): Promise<void>;
  /** Exact attention for model layer/head numbers: [layers, heads, rows, keys]. */
  fetch(layers: readonly number[], heads: readonly number[]): Promise<AttentionBlock>;
  /** The matrices of a scope, quantized for the webview. */
  quantized(scope: BlockScope): Promise<QuantizedMatrices>;
  /** Mean / max over heads of one layer, or rollout up to it. out: [rows, keys] */
  aggregate(reduction: 'mean' | 'max' | 'rollout', layer: number): Promise<Float32Array>;
}

export interface SectionFields {
  readonly id: string;
  readonly kind: SectionKind;
  readonly title: string;
  readonly queryTokens: readonly TokenLabel[];
  readonly keyTokens: readonly TokenLabel[];
  /** Given when the caller has them; otherwise computed after the document went out. */
  readonly stats?: readonly HeadStats[];
  /** Row q of the block cannot see keys after q (decoder self-attention). */
  readonly causal: boolean;
  readonly totalLayers: number;
  readonly totalHeads: number;
  readonly rollout: boolean;
  readonly link?: EditorLink;
}

/** The summary every section starts from. */
export function sectionSummary(input: SectionFields, shape: AttentionShape, pooled: PooledHeads): SectionSummary {
  return {
    id: input.id,
    kind: input.kind,
    title: input.title,
    queryTokens: input.queryTokens,
    // self-attention's columns are its rows: not sent twice
    ...(input.keyTokens !== input.queryTokens ? { keyTokens: input.keyTokens } : {}),
    layers: [...shape.layers],
    heads: [...shape.heads],
    totalLayers: input.totalLayers,
    totalHeads: input.totalHeads,
    stats: input.stats ?? [],
    statsPending: input.stats === undefined,
    thumbnails: thumbnails(pooled),
    rollout: input.rollout,
    editorLinked: input.link !== undefined,
  };
}

/** Runs a step generator, yielding to the event loop every ~12 ms so the host stays responsive. */
export async function drain<T>(steps: Generator<void, T>, sliceMs = 12): Promise<T> {
  let started = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - started > sliceMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      started = performance.now();
    }
  }
}

/** Resolves on a later macrotask, after whatever the caller posts synchronously. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** What both kinds share: positions of model layer/head numbers, scopes, rollout over layer means. */
export abstract class SectionBase implements Section {
  readonly link: EditorLink | undefined;
  protected base: SectionSummary;
  protected readonly rows: number;
  protected readonly keys: number;

  protected constructor(input: SectionFields, shape: AttentionShape, pooled: PooledHeads) {
    this.base = sectionSummary(input, shape, pooled);
    this.link = input.link;
    this.rows = shape.rows.length;
    this.keys = shape.keys;
  }

  get summary(): SectionSummary {
    return this.base;
  }

  abstract stats(): Promise<readonly HeadStats[]>;
  abstract fetch(layers: readonly number[], heads: readonly number[]): Promise<AttentionBlock>;
  /** Per model layer, the mean or max over the section's heads: each [rows, keys]. */
  protected abstract headReductions(layers: readonly number[], reduction: 'mean' | 'max'): Promise<readonly Float32Array[]>;

  async settled(): Promise<void> {
    await this.stats();
  }

  async quantized(scope: BlockScope): Promise<QuantizedMatrices> {
    switch (scope.kind) {
      case 'layer':
        return this.quantizedHeads(scope.layer, this.summary.heads);
      case 'head':
        return this.quantizedHeads(scope.layer, [scope.head]);
      case 'aggregate':
        return quantizeRows(await this.aggregate(scope.reduction, scope.layer), 1, this.rows, this.keys);
    }
  }

  /** Heads of one model layer as the panel draws them: [heads, rows, keys] at a byte per value. */
  protected async quantizedHeads(layer: number, heads: readonly number[]): Promise<QuantizedMatrices> {
    const block = await this.fetch([layer], heads);
    return quantizeRows(block.layerData[0]!, heads.length, this.rows, this.keys);
  }

  async aggregate(reduction: 'mean' | 'max' | 'rollout', layer: number): Promise<Float32Array> {
    const li = this.layerPosition(layer);
    if (reduction !== 'rollout') return (await this.headReductions([layer], reduction))[0]!;
    if (!this.summary.rollout) throw new Error('rollout needs self-attention over every token');
    // Rollout up to a layer multiplies the head means of every layer below it.
    const layers = this.summary.layers.slice(0, li + 1);
    const means = await this.headReductions(layers, 'mean');
    const cells = this.rows * this.keys;
    const perLayer = new Float32Array(layers.length * cells); // [layers, tokens, tokens]
    means.forEach((m, i) => perLayer.set(m, i * cells));
    const all = await drain(rolloutSteps(perLayer, layers.length, this.rows)); // [layers, tokens, tokens]
    return all.slice(li * cells, (li + 1) * cells);
  }

  layerPosition(layer: number): number {
    const i = this.summary.layers.indexOf(layer);
    if (i < 0) throw new RangeError(`layer ${layer} is not in this attention`);
    return i;
  }

  headPosition(head: number): number {
    const i = this.summary.heads.indexOf(head);
    if (i < 0) throw new RangeError(`head ${head} is not in this attention`);
    return i;
  }
}

/**
 * A section whose whole block is at hand: a generation's rows, a translation's cross-attention, an
 * encoder's self-attention over one sentence — small enough to hold while the panel shows them.
 */
export class HeldSection extends SectionBase {
  private readonly block: AttentionBlock;
  private readonly causal: boolean;
  private statsPromise: Promise<readonly HeadStats[]> | undefined;
  /** Per layer position: [rows, keys] */
  private readonly reductions = { mean: new Map<number, Float32Array>(), max: new Map<number, Float32Array>() };

  /** pooled: every head pooled to THUMBNAIL_SIZE when the engine did it; else pooled here. */
  constructor(input: SectionFields & { readonly block: AttentionBlock; readonly pooled?: PooledHeads }) {
    super(input, input.block, input.pooled ?? poolBlock(input.block, THUMBNAIL_SIZE, input.causal));
    this.block = input.block;
    this.causal = input.causal;
    if (input.stats !== undefined) this.statsPromise = Promise.resolve(input.stats);
  }

  /**
   * When the caller did not give them, the first call starts computing them on the next task
   * (about 100 ms for 48 heads of 512 tokens, in slices that keep the host responsive): the panel
   * calls it once the webview has painted the document, so the first paint does not wait.
   */
  stats(): Promise<readonly HeadStats[]> {
    this.statsPromise ??= nextTask()
      .then(() => drain(headStatsSteps(this.block, { causal: this.causal })))
      .then((stats) => {
        this.base = { ...this.base, stats, statsPending: false };
        return stats;
      });
    return this.statsPromise;
  }

  async fetch(layers: readonly number[], heads: readonly number[]): Promise<AttentionBlock> {
    return sliceBlock(
      this.block,
      layers.map((l) => this.layerPosition(l)),
      heads.map((h) => this.headPosition(h)),
    );
  }

  protected async headReductions(layers: readonly number[], reduction: 'mean' | 'max'): Promise<readonly Float32Array[]> {
    const cache = this.reductions[reduction];
    return layers.map((layer) => {
      const li = this.layerPosition(layer);
      let reduced = cache.get(li);
      if (!reduced) {
        // one layer's heads: [1, heads, rows, keys], the same memory
        reduced = reduceHeads({ ...this.block, layers: [layer], layerData: [this.block.layerData[li]!] }, reduction); // [1, rows, keys]
        cache.set(li, reduced);
      }
      return reduced;
    });
  }
}
