// One inspected text (or captured generation / translation) on the extension-host side: builds
// the document the webview paints first, and answers its on-demand block requests. No vscode
// import, so the bench and the tests drive it with a real or fake Engine directly.
import { reduceHeads, rolloutSteps } from '../engine/aggregate';
import { computeHeadStats, headStatsSteps } from '../engine/headStats';
import type {
  AttentionBlock,
  AttentionPreview,
  AttentionResult,
  AttentionShape,
  Engine,
  GenerationAttention,
  HeadStats,
  TokenSpan,
  TranslationAttention,
} from '../engine/types';
import {
  keyTokensOf,
  type BlockScope,
  type InspectorDocument,
  type PersistedSource,
  type QuantizedMatrices,
  type SectionKind,
  type SectionSummary,
  type TokenLabel,
} from '../protocol/inspector';
import { blockToNested } from '../engine/attention';
import { queryPositionsFromMask, round6, sliceBlock } from './blocks';
import { quantizeRows, THUMBNAIL_SIZE, thumbnails } from './quantize';
import { poolBlock, type PooledHeads } from '../engine/pool';

/**
 * The full [layers, heads, rows, keys] tensor stays in the host only up to this size (512 tokens of
 * a 6 × 8-head model is 48 MiB); above it, layers and heads are fetched again from the engine on
 * demand and only the per-layer mean and max over heads are kept.
 */
export const FULL_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;

/** Where a section's tokens lie in an editor document: document offset = base + token.start. */
export interface EditorLink {
  readonly uri: string;
  readonly base: number;
  /** Tokens ending after base + length (e.g. generated ones) are not in the document. */
  readonly length: number;
}

/** Fetches [layers, heads, all rows, keys] for model layer/head numbers. */
type Refetch = (layers: readonly number[], heads: readonly number[]) => Promise<AttentionBlock>;

interface SectionFields {
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
  readonly refetch?: Refetch;
}

/** The section's attention: at hand, or still on its way from the engine behind its pooled heads. */
type SectionAttention =
  | {
      /** All layers × heads × rows of the section: layerData each [heads, rows, keys] */
      readonly block: AttentionBlock;
      /** Every head pooled to THUMBNAIL_SIZE (the engine does it where the data is); else pooled here. */
      readonly pooled?: PooledHeads;
    }
  | {
      readonly shape: AttentionShape;
      /** The block of `shape`; the document is painted from `pooled` before it is here. */
      readonly pending: Promise<AttentionBlock>;
      readonly pooled: PooledHeads;
    };

type SectionInput = SectionFields & SectionAttention;

const shapeOf = (attention: SectionAttention): AttentionShape => ('block' in attention ? attention.block : attention.shape);

/** Resolves on a later macrotask, after whatever the caller posts synchronously. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class InspectorSection {
  readonly link: EditorLink | undefined;
  private base: SectionSummary;
  /** Settled once the tensors are in (at once, unless they follow a preview); undefined once compacted. */
  private full: Promise<AttentionBlock> | undefined;
  private readonly refetch: Refetch | undefined;
  private readonly rows: number;
  private readonly keys: number;
  /** Per layer position: [rows, keys] */
  private readonly means = new Map<number, Float32Array>();
  private readonly maxes = new Map<number, Float32Array>();
  private rolloutPromise: Promise<Float32Array> | undefined;
  /** How the statistics are computed, when they were not given. */
  private readonly causal: boolean;
  private statsPromise: Promise<readonly HeadStats[]> | undefined;
  private readonly overBudget: boolean;
  private compaction: Promise<void> = Promise.resolve();

  constructor(input: SectionInput, cacheBytes = FULL_BLOCK_CACHE_BYTES) {
    const atHand = 'block' in input; // else the values follow a preview
    const shape = shapeOf(input);
    const pooled = atHand ? (input.pooled ?? poolBlock(input.block, THUMBNAIL_SIZE, input.causal)) : input.pooled;
    this.rows = shape.rows.length;
    this.keys = shape.keys;
    this.link = input.link;
    this.refetch = input.refetch;
    this.base = {
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
    this.full = atHand ? Promise.resolve(input.block) : input.pending.then((block) => this.checkShape(block));
    this.full.catch(() => undefined); // a failed delivery reaches the block requests and statistics
    this.causal = input.causal;
    const bytes = Float32Array.BYTES_PER_ELEMENT * shape.layers.length * shape.heads.length * this.rows * this.keys;
    this.overBudget = input.refetch !== undefined && bytes > cacheBytes;
    if (input.stats !== undefined) this.statsPromise = this.settle(Promise.resolve(input.stats));
  }

  /**
   * The section's head statistics. When the caller did not give them, the first call starts
   * computing them on the next task (about 100 ms for 48 heads of 512 tokens, in slices that keep
   * the host responsive): the panel calls it once the webview has painted the document, so the
   * first paint shows the heatmaps without waiting, and the statistics follow.
   */
  stats(): Promise<readonly HeadStats[]> {
    if (!this.statsPromise) {
      // the block is whole until the statistics are done: compaction waits for them
      const full = this.full!;
      this.statsPromise = this.settle(
        nextTask()
          .then(() => full)
          .then((block) => drain(headStatsSteps(block, { causal: this.causal })))
          .then((stats) => {
            this.base = { ...this.base, stats, statsPending: false };
            return stats;
          }),
      );
    }
    return this.statsPromise;
  }

  /** A large block is compacted once the statistics, which read all of it, are done. */
  private settle(stats: Promise<readonly HeadStats[]>): Promise<readonly HeadStats[]> {
    const full = this.full!;
    // without statistics (the tensors never came) there is nothing to compact; stats() says why
    this.compaction = stats.then(async () => (this.overBudget ? this.compact(await full) : undefined)).catch(() => undefined);
    return stats;
  }

  /** The block that followed a preview must be the one the preview described. */
  private checkShape(block: AttentionBlock): AttentionBlock {
    const { layers, heads } = this.base;
    const same = block.rows.length === this.rows && block.keys === this.keys && block.layers.length === layers.length && block.heads.length === heads.length;
    if (!same) {
      throw new Error(`the engine sent ${block.layers.length} × ${block.heads.length} × ${block.rows.length} × ${block.keys} attention, expected ${layers.length} × ${heads.length} × ${this.rows} × ${this.keys}`);
    }
    return block;
  }

  /** What the webview gets: statistics are empty, with statsPending, until computed. */
  get summary(): SectionSummary {
    return this.base;
  }

  /**
   * Over the cache budget, the whole tensor is dropped once the per-layer mean and max over heads
   * (what the aggregates need) are kept. Runs after the statistics, one layer per task, so neither
   * the first paint nor the host's event loop waits for it.
   */
  private async compact(block: AttentionBlock): Promise<void> {
    for (let li = 0; li < block.layers.length; li++) {
      await nextTask();
      // one layer's heads: [1, heads, rows, keys], the same memory
      const layer: AttentionBlock = { ...block, layers: [block.layers[li]!], layerData: [block.layerData[li]!] };
      this.means.set(li, reduceHeads(layer, 'mean'));
      this.maxes.set(li, reduceHeads(layer, 'max'));
    }
    this.full = undefined;
  }

  /** Resolves when the section holds what it keeps for good, statistics included (tests, bench). */
  async settled(): Promise<void> {
    await this.stats();
    await this.compaction;
  }

  /** Whether the whole tensor is held (for tests and the bench). */
  get holdsFullBlock(): boolean {
    return this.full !== undefined;
  }

  /** Exact attention for model layer/head numbers: [layers, heads, rows, keys]. */
  async fetch(layers: readonly number[], heads: readonly number[]): Promise<AttentionBlock> {
    const li = layers.map((l) => this.layerPosition(l));
    const hi = heads.map((h) => this.headPosition(h));
    if (this.full) return sliceBlock(await this.full, li, hi);
    if (!this.refetch) throw new Error('this attention is no longer available');
    const block = await this.refetch(layers, heads);
    if (block.rows.length !== this.rows || block.keys !== this.keys) {
      throw new Error(`the engine returned ${block.rows.length} × ${block.keys} attention, expected ${this.rows} × ${this.keys}`);
    }
    return block;
  }

  /** The matrices of a scope, quantized for the webview. */
  async quantized(scope: BlockScope): Promise<QuantizedMatrices> {
    switch (scope.kind) {
      case 'layer': {
        const block = await this.fetch([scope.layer], this.summary.heads);
        return quantizeRows(block.layerData[0]!, this.summary.heads.length, this.rows, this.keys);
      }
      case 'head': {
        const block = await this.fetch([scope.layer], [scope.head]);
        return quantizeRows(block.layerData[0]!, 1, this.rows, this.keys);
      }
      case 'aggregate':
        return quantizeRows(await this.aggregate(scope.reduction, scope.layer), 1, this.rows, this.keys);
    }
  }

  /** Mean / max over heads of one layer, or rollout up to it. out: [rows, keys] */
  async aggregate(reduction: 'mean' | 'max' | 'rollout', layer: number): Promise<Float32Array> {
    const li = this.layerPosition(layer);
    if (reduction === 'rollout') {
      if (!this.summary.rollout) throw new Error('rollout needs self-attention over every token');
      const all = await this.rolloutAll(); // [layers, rows, keys]
      const cells = this.rows * this.keys;
      return all.slice(li * cells, (li + 1) * cells);
    }
    const cache = reduction === 'mean' ? this.means : this.maxes;
    const hit = cache.get(li);
    if (hit) return hit;
    const block = await this.fetch([layer], this.summary.heads);
    const reduced = reduceHeads(block, reduction); // [1, rows, keys]
    cache.set(li, reduced);
    return reduced;
  }

  private rolloutAll(): Promise<Float32Array> {
    this.rolloutPromise ??= (async () => {
      const layers = this.summary.layers;
      const cells = this.rows * this.keys;
      const perLayer = new Float32Array(layers.length * cells); // [layers, tokens, tokens]
      for (let li = 0; li < layers.length; li++) perLayer.set(await this.aggregate('mean', layers[li]!), li * cells);
      return drain(rolloutSteps(perLayer, layers.length, this.rows));
    })();
    // a failed rollout (engine gone) can be retried
    this.rolloutPromise.catch(() => (this.rolloutPromise = undefined));
    return this.rolloutPromise;
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

export interface SessionMeta {
  readonly docId: number;
  readonly title: string;
  readonly modelName: string;
  readonly modelFacts?: string;
  readonly notice?: string;
  readonly source?: PersistedSource;
}

/** JSON export of attention (exact float32 values rounded to 1e-6). */
export interface ExportedAttention {
  readonly format: 'tealeaf-attention';
  readonly version: 1;
  readonly model: string;
  readonly title: string;
  readonly section: { readonly id: string; readonly kind: SectionKind; readonly title: string };
  readonly queryTokens: readonly TokenLabel[];
  readonly keyTokens: readonly TokenLabel[];
  readonly stats: readonly HeadStats[];
  readonly scope: BlockScope | { readonly kind: 'all' };
  /** [layers][heads][rows][keys] for 'all', 'layer' and 'head'; absent for aggregates */
  readonly attention?: number[][][][];
  readonly layers?: readonly number[];
  readonly heads?: readonly number[];
  /** [rows][keys] for aggregate scopes */
  readonly matrix?: number[][];
}

export class InspectorSession {
  private readonly sections: ReadonlyMap<string, InspectorSection>;

  constructor(
    private readonly meta: SessionMeta,
    sections: readonly InspectorSection[],
    private readonly forwardMs: number,
  ) {
    this.sections = new Map(sections.map((s) => [s.summary.id, s]));
  }

  /** The document as it stands: sections carry their statistics once computed. */
  get document(): InspectorDocument {
    const meta = this.meta;
    return {
      docId: meta.docId,
      title: meta.title,
      modelName: meta.modelName,
      ...(meta.modelFacts !== undefined ? { modelFacts: meta.modelFacts } : {}),
      ...(meta.notice !== undefined ? { notice: meta.notice } : {}),
      sections: this.allSections().map((s) => s.summary),
      ...(meta.source !== undefined ? { source: meta.source } : {}),
      forwardMs: this.forwardMs,
    };
  }

  get docId(): number {
    return this.meta.docId;
  }

  section(id: string): InspectorSection {
    const s = this.sections.get(id);
    if (!s) throw new RangeError(`no section ${id}`);
    return s;
  }

  allSections(): readonly InspectorSection[] {
    return [...this.sections.values()];
  }

  async exportJson(sectionId: string, scope?: BlockScope): Promise<ExportedAttention> {
    const section = this.section(sectionId);
    const stats = await section.stats();
    const s = section.summary;
    const base = {
      format: 'tealeaf-attention' as const,
      version: 1 as const,
      model: this.meta.modelName,
      title: this.meta.title,
      section: { id: s.id, kind: s.kind, title: s.title },
      queryTokens: s.queryTokens,
      keyTokens: keyTokensOf(s),
      stats,
    };
    if (scope?.kind === 'aggregate') {
      const m = await section.aggregate(scope.reduction, scope.layer); // [rows, keys]
      const keys = keyTokensOf(s).length;
      const matrix = Array.from({ length: s.queryTokens.length }, (_, r) => Array.from(m.subarray(r * keys, (r + 1) * keys), round6));
      return { ...base, scope, matrix };
    }
    const layers = scope === undefined ? s.layers : [scope.layer];
    const heads = scope?.kind === 'head' ? [scope.head] : s.heads;
    const block = await section.fetch(layers, heads);
    return { ...base, scope: scope ?? { kind: 'all' }, layers, heads, attention: blockToNested(block, round6) };
  }
}

const toLabel = (t: TokenSpan, shift = 0): TokenLabel => ({ text: t.text, start: t.start + shift, end: t.end + shift });

export interface InspectTextOptions {
  readonly text: string;
  readonly maxTokens?: number;
  /** Where the text lies in an editor document. */
  readonly link?: { readonly uri: string; readonly base: number };
  /** Tokens cut before the text reached the engine (counted in the notice). */
  readonly precutCharacters?: number;
  readonly signal?: AbortSignal;
  readonly cacheBytes?: number;
}

/** The notice shown when the inspected text was cut to its last tokens. */
export function cutNotice(result: Pick<AttentionResult, 'tokens' | 'truncatedTokens'>, maxTokens: number | undefined, precutCharacters = 0): string | undefined {
  if (result.truncatedTokens <= 0 && precutCharacters <= 0) return undefined;
  const parts = [`Showing the last ${result.tokens.length} tokens`];
  if (result.truncatedTokens > 0) parts.push(`${result.truncatedTokens} tokens before them were cut`);
  if (precutCharacters > 0) parts.push(`${precutCharacters} characters before the text were not tokenized`);
  const limit = maxTokens !== undefined ? ` (limit: ${maxTokens} tokens, setting tealeaf.inspector.maxTokens)` : '';
  return `${parts.join('; ')}${limit}.`;
}

/**
 * Runs the engine on a text and builds its session (self-attention, or encoder self-attention).
 * Resolves once the engine's preview (the pooled heads) is in: from a worker the tensors follow,
 * and the section waits for them where it needs them, so the document can go out first.
 */
export async function inspectText(engine: Engine, options: InspectTextOptions, meta: SessionMeta): Promise<InspectorSession> {
  const request = { text: options.text, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}) };
  let previewed!: (preview: AttentionPreview) => void;
  const preview = new Promise<AttentionPreview>((resolve) => (previewed = resolve));
  // Statistics are computed here after the document went out, not in the engine before it.
  const result = engine.attention({ ...request, withStats: false, pool: THUMBNAIL_SIZE }, { ...(options.signal ? { signal: options.signal } : {}), onPreview: previewed });
  const values = result.then((r) => r.attention);
  values.catch(() => undefined); // a failure after the preview reaches the section's users
  // The preview when the engine sends one (before the result); else the result itself.
  const first = await Promise.race([preview, result]);
  const attention: SectionAttention = 'attention' in first ? { block: first.attention, ...(first.pooled ? { pooled: first.pooled } : {}) } : { shape: first.shape, pending: values, pooled: first.pooled };
  const refetch: Refetch = async (layers, heads) => {
    const again = await engine.attention({ ...request, layers, heads, withStats: false });
    if (again.tokens.length !== first.tokens.length) throw new Error('the text tokenized differently on the second pass');
    return again.attention;
  };
  const section = sectionFrom(first, attention, undefined, refetch, options.link, options.cacheBytes);
  const notice = meta.notice ?? cutNotice(first, options.maxTokens, options.precutCharacters);
  return new InspectorSession({ ...meta, ...(notice !== undefined ? { notice } : {}) }, [section], first.forwardMs);
}

export function sectionFromResult(
  result: AttentionResult,
  refetch?: Refetch,
  link?: { readonly uri: string; readonly base: number },
  cacheBytes?: number,
): InspectorSection {
  const attention = { block: result.attention, ...(result.pooled ? { pooled: result.pooled } : {}) };
  return sectionFrom(result, attention, result.stats.length > 0 ? result.stats : undefined, refetch, link, cacheBytes);
}

function sectionFrom(
  result: AttentionPreview | AttentionResult,
  attention: SectionAttention,
  stats: readonly HeadStats[] | undefined,
  refetch?: Refetch,
  link?: { readonly uri: string; readonly base: number },
  cacheBytes?: number,
): InspectorSection {
  const kind: SectionKind = result.kind === 'self' ? 'self' : result.kind;
  const tokens = result.tokens.map((t) => toLabel(t));
  const lastEnd = tokens.length > 0 ? tokens[tokens.length - 1]!.end : 0;
  return new InspectorSection(
    {
      id: kind,
      kind,
      title: kind === 'self' ? 'Self-attention' : kind === 'encoder' ? 'Encoder' : kind === 'decoder' ? 'Decoder' : 'Cross-attention',
      queryTokens: tokens,
      keyTokens: tokens,
      ...attention,
      ...(stats ? { stats } : {}),
      causal: kind !== 'encoder',
      totalLayers: result.totalLayers,
      totalHeads: result.totalHeads,
      rollout: (kind === 'self' || kind === 'encoder' || kind === 'decoder') && isAllRows(shapeOf(attention)),
      ...(link ? { link: { uri: link.uri, base: link.base, length: lastEnd } } : {}),
      ...(refetch ? { refetch } : {}),
    },
    cacheBytes,
  );
}

function isAllRows(block: AttentionShape): boolean {
  return block.rows.length === block.keys && block.rows.every((r, i) => r === i);
}

/**
 * "Why this suggestion?": the generated tokens (queries) over context + generated tokens (keys).
 * Key labels index contextText + generatedText; link places contextText in an editor document.
 */
export function inspectGeneration(ga: GenerationAttention, meta: SessionMeta, link?: EditorLink): InspectorSession {
  const shift = ga.contextText.length;
  const generated = ga.generatedTokens.map((t) => toLabel(t, shift));
  const keyTokens = [...ga.contextTokens.map((t) => toLabel(t)), ...generated];
  const block = ga.attention;
  if (block.keys !== keyTokens.length) {
    throw new RangeError(`generation attention has ${block.keys} keys for ${keyTokens.length} tokens`);
  }
  // Stats of causal rows need each row's query position among the keys.
  const stats = computeHeadStats({ ...block, rows: queryPositionsFromMask(block) });
  const section = new InspectorSection({
    id: 'generation',
    kind: 'generation',
    title: 'Why this suggestion',
    queryTokens: generated,
    keyTokens,
    block,
    stats,
    causal: true,
    totalLayers: ga.totalLayers,
    totalHeads: ga.totalHeads,
    rollout: false,
    ...(link ? { link } : {}),
  });
  return new InspectorSession(meta, [section], 0);
}

/**
 * Translation: cross-attention (target tokens over source tokens), plus the encoder's
 * self-attention over the source when the engine can compute it.
 */
export function inspectTranslation(ta: TranslationAttention, meta: SessionMeta, encoder?: AttentionResult): InspectorSession {
  const sections: InspectorSection[] = [];
  if (encoder) sections.push(sectionFromResult({ ...encoder, kind: 'encoder' }));
  const cross = ta.cross;
  sections.push(
    new InspectorSection({
      id: 'cross',
      kind: 'cross',
      title: 'Cross-attention',
      queryTokens: ta.targetTokens.map((t) => toLabel(t)),
      keyTokens: ta.sourceTokens.map((t) => toLabel(t)),
      block: cross,
      causal: false,
      totalLayers: ta.totalLayers,
      totalHeads: ta.totalHeads,
      rollout: false,
    }),
  );
  if (ta.decoderSelf && ta.decoderInputTokens) {
    sections.push(
      new InspectorSection({
        id: 'decoder',
        kind: 'decoder',
        title: 'Decoder self-attention',
        queryTokens: ta.targetTokens.map((t) => toLabel(t)),
        keyTokens: ta.decoderInputTokens.map((t) => toLabel(t)),
        block: ta.decoderSelf,
        causal: true,
        totalLayers: ta.totalLayers,
        totalHeads: ta.totalHeads,
        rollout: false,
      }),
    );
  }
  return new InspectorSession(meta, sections, encoder?.forwardMs ?? 0);
}
