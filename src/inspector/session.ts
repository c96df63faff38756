// One inspected text (or captured generation / translation) on the extension-host side: the
// document the webview paints first, its sections (section.ts, engineSection.ts), and JSON export.
// No vscode import, so the bench and the tests drive it with a real or fake Engine directly.
import { computeHeadStats } from '../engine/headStats';
import type { AttentionResult, Engine, GenerationAttention, HeadStats, TokenSpan, TranslationAttention } from '../engine/types';
import { keyTokensOf, type BlockScope, type InspectorDocument, type PersistedSource, type SectionKind, type TokenLabel } from '../protocol/inspector';
import { blockToNested } from '../engine/attention';
import { queryPositionsFromMask, round6 } from './blocks';
import { EngineSection } from './engineSection';
import { THUMBNAIL_SIZE } from '../engine/quantize';
import { type EditorLink, HeldSection, type Section } from './section';
import { createViewCache, type ViewCache, viewKeyPrefix } from './viewCache';

export type { EditorLink, Section } from './section';

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
  private readonly sections: ReadonlyMap<string, Section>;

  constructor(
    private readonly meta: SessionMeta,
    sections: readonly Section[],
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

  section(id: string): Section {
    const s = this.sections.get(id);
    if (!s) throw new RangeError(`no section ${id}`);
    return s;
  }

  allSections(): readonly Section[] {
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
  /** Where the section keeps the views the panel asks for (default: a cache of its own). */
  readonly views?: ViewCache;
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

/** The notice shown when some layers' fused attention cannot be reproduced (the others are shown). */
export function hiddenLayersNotice(result: Pick<AttentionResult, 'hiddenLayers'>): string | undefined {
  const hidden = result.hiddenLayers;
  if (!hidden) return undefined;
  const which = hidden.layers.length === 1 ? `Layer ${hidden.layers[0]} is` : `Layers ${hidden.layers.join(', ')} are`;
  return `${which} not shown: ${hidden.why}.`;
}

/**
 * Runs the engine on a text and builds its session (self-attention, or encoder self-attention).
 * The engine's pass returns only the pooled heads and the head statistics; the values stay in the
 * engine, which computes a layer, a head or an aggregate again when the panel shows it.
 */
export async function inspectText(engine: Engine, options: InspectTextOptions, meta: SessionMeta): Promise<InspectorSession> {
  const request = { text: options.text, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}) };
  const first = await engine.attention({ ...request, values: false, withStats: true, pool: THUMBNAIL_SIZE }, options.signal ? { signal: options.signal } : {});
  if (!first.pooled) throw new Error('the engine returned no pooled heads');
  const kind: SectionKind = first.kind === 'self' ? 'self' : first.kind;
  const tokens = first.tokens.map((t) => toLabel(t));
  const link = options.link;
  const lastEnd = tokens.length > 0 ? tokens[tokens.length - 1]!.end : 0;
  const section = new EngineSection({
    ...sectionFields(kind, tokens, first),
    causal: kind !== 'encoder',
    // Rollout multiplies every layer's attention: with a layer missing it would mean nothing.
    rollout: isAllRows(first.attention) && first.hiddenLayers === undefined,
    ...(link ? { link: { uri: link.uri, base: link.base, length: lastEnd } } : {}),
    shape: first.attention,
    pooled: first.pooled,
    stats: first.stats,
    source: (selection) => engine.attention({ ...request, ...selection, withStats: false }),
    views: options.views ?? createViewCache(),
    viewKey: `${viewKeyPrefix(meta.docId)}${kind}`,
  });
  const notices = [cutNotice(first, options.maxTokens, options.precutCharacters), hiddenLayersNotice(first)].filter((n): n is string => n !== undefined);
  const notice = meta.notice ?? (notices.length > 0 ? notices.join(' ') : undefined);
  return new InspectorSession({ ...meta, ...(notice !== undefined ? { notice } : {}) }, [section], first.forwardMs);
}

const TITLES: Readonly<Record<SectionKind, string>> = {
  self: 'Self-attention',
  encoder: 'Encoder',
  decoder: 'Decoder self-attention',
  cross: 'Cross-attention',
  generation: 'Why this suggestion',
};

function sectionFields(kind: SectionKind, tokens: readonly TokenLabel[], result: Pick<AttentionResult, 'totalLayers' | 'totalHeads'>) {
  return { id: kind, kind, title: TITLES[kind], queryTokens: tokens, keyTokens: tokens, totalLayers: result.totalLayers, totalHeads: result.totalHeads };
}

/** A section holding a whole engine result (an encoder's attention over one sentence, tests). */
export function sectionFromResult(result: AttentionResult, link?: { readonly uri: string; readonly base: number }): HeldSection {
  const kind: SectionKind = result.kind === 'self' ? 'self' : result.kind;
  const tokens = result.tokens.map((t) => toLabel(t));
  const lastEnd = tokens.length > 0 ? tokens[tokens.length - 1]!.end : 0;
  return new HeldSection({
    ...sectionFields(kind, tokens, result),
    block: result.attention,
    ...(result.pooled ? { pooled: result.pooled } : {}),
    ...(result.stats.length > 0 ? { stats: result.stats } : {}),
    causal: kind !== 'encoder',
    rollout: (kind === 'self' || kind === 'encoder' || kind === 'decoder') && isAllRows(result.attention),
    ...(link ? { link: { uri: link.uri, base: link.base, length: lastEnd } } : {}),
  });
}

function isAllRows(block: { readonly rows: readonly number[]; readonly keys: number }): boolean {
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
  const section = new HeldSection({
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
  const sections: Section[] = [];
  if (encoder) sections.push(sectionFromResult({ ...encoder, kind: 'encoder' }));
  const cross = ta.cross;
  sections.push(
    new HeldSection({
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
      new HeldSection({
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
