// Encoder-decoder (Marian-style) translation: the engine's Engine.translate and
// Engine.translationAttention for models whose config is encoder-decoder. LocalEngine
// (src/engine/localEngine.ts) calls loadSeq2Seq(folder, runtime) and delegates to the runner.
//
// One translation: pick the target-language token (multi-target models), encode the source once,
// then greedy or beam search over the cached decoder (search.ts), with ids, languages and
// generation defaults all read from the model folder (settings.ts, languages.ts).
import { blockFromCapturedRows, range, selectBlock } from '../attention';
import type { AttentionSource } from '../attentionSurgery';
import { attentionResult } from '../attentionResult';
import { type AttentionChunk, wholeChunk } from '../attentionStream';
import { fitText } from '../fitText';
import { AbortError, ModelError, UnsupportedError } from '../errors';
import type { DtypeChoice } from '../dtype';
import type { ModelFolder } from '../modelFolder';
import type { OrtTensor, Runtime } from '../onnx';
import type { AttentionRequest, AttentionResult, TranslateRequest, TranslateResult, TranslationAttention, TranslationPair } from '../types';
import { detectLanguages, type ModelLanguages, normalizeLanguage } from './languages';
import { type DecoderState, type EncoderOutput, Seq2SeqModel, type Seq2SeqSource } from './model';
import { search, type SearchResult, type StepModel } from './search';
import { readSeq2SeqSettings, type Seq2SeqSettings } from './settings';

export interface Seq2SeqRunner {
  /** The export has cross_attentions.{i} outputs. */
  readonly hasAttentionOutputs: boolean;
  /** The files the model was opened from. */
  readonly source: Seq2SeqSource;
  /** The encoder's attention can be shown (its outputs, or graph surgery). */
  readonly hasEncoderAttentions: boolean;
  /** Where the inspector's attention comes from. */
  readonly attentionSource: AttentionSource;
  /** Why it cannot be shown, when attentionSource is `none`. */
  readonly attentionUnavailableReason: string | undefined;
  /** Language codes the model translates between (from its config/tokenizer, never hard-coded). */
  readonly languages: readonly string[];
  /** The directions it translates (a single-pair model covers en and de but only en → de). */
  readonly translationPairs: readonly TranslationPair[];
  translate(request: TranslateRequest, signal?: AbortSignal): Promise<TranslateResult>;
  translationAttention(id: number): Promise<TranslationAttention | undefined>;
  /** Encoder self-attention over a text (every token sees every token). */
  encoderAttention(request: AttentionRequest): Promise<AttentionResult>;
  dispose(): Promise<void>;
}

/** Target length budget: maxLengthRatio × source tokens + maxLengthOffset (request defaults). */
export const DEFAULT_MAX_LENGTH_RATIO = 2;
export const DEFAULT_MAX_LENGTH_OFFSET = 10;
export const MAX_BEAMS = 16;

interface StoredTranslation {
  readonly id: number;
  /** The text the encoder read (target-language token included): source token spans refer to it. */
  readonly encoderText: string;
  /** Generated ids without the final EOS. */
  readonly tokens: readonly number[];
  /** Per target token, per layer [heads, source], when captured during the search (exports with cross_attentions.{i}). */
  readonly cross?: readonly (readonly Float32Array[])[];
  /** The encoder output the translation was decoded from (reused for decoder self-attention). */
  readonly encoder: EncoderOutput;
}

export interface PreparedSource {
  readonly encoderText: string;
  readonly ids: readonly number[];
}

export class MarianRunner implements Seq2SeqRunner {
  private last: StoredTranslation | undefined;
  private nextId = 1;

  constructor(
    private readonly folder: ModelFolder,
    readonly model: Seq2SeqModel,
    readonly settings: Seq2SeqSettings,
    private readonly modelLanguages: ModelLanguages,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get hasAttentionOutputs(): boolean {
    return this.model.hasCrossAttentions;
  }

  get source(): Seq2SeqSource {
    return this.model.source;
  }

  get hasEncoderAttentions(): boolean {
    return this.model.attentionSource !== 'none';
  }

  get attentionSource(): AttentionSource {
    return this.model.attentionSource;
  }

  get attentionUnavailableReason(): string | undefined {
    return this.model.attentionUnavailableReason;
  }

  get languages(): readonly string[] {
    return this.modelLanguages.languages;
  }

  get translationPairs(): readonly TranslationPair[] {
    return this.modelLanguages.pairs;
  }

  /** The encoder input for a request: `>>xx<< text` for multi-target models, else the text. */
  prepareSource(text: string, from: string, to: string): PreparedSource {
    const source = normalizeLanguage(from);
    const target = normalizeLanguage(to);
    if (!this.modelLanguages.pairs.some((p) => p.from === source && p.to === target)) {
      const known = this.modelLanguages.pairs.map((p) => `${p.from}→${p.to}`).join(', ');
      throw new UnsupportedError(
        `${this.folder.files.location} does not translate ${from}→${to}` + (known ? ` (it translates ${known})` : ' (it declares no languages)'),
      );
    }
    const token = this.modelLanguages.targetTokens.get(target);
    const encoderText = token !== undefined ? `${token} ${text}` : text;
    const ids = this.folder.tokenizer.encode(encoderText, { addSpecialTokens: true });
    const limit = this.folder.config.maxPositions;
    if (ids.length > limit) {
      throw new UnsupportedError(`the text is ${ids.length} tokens long; this model reads at most ${limit}: translate shorter pieces`);
    }
    return { encoderText, ids };
  }

  /** Generated ids for encoder ids (the golden tests call this directly). */
  async generateIds(
    ids: readonly number[],
    options: {
      readonly maxNewTokens: number;
      readonly numBeams?: number;
      readonly lengthPenalty?: number;
      readonly earlyStopping?: boolean | 'never';
      readonly captureCross?: boolean;
      readonly signal?: AbortSignal;
    },
  ): Promise<SearchResult & { readonly encoder: EncoderOutput }> {
    const encoded = await this.model.encode(ids);
    if (options.signal?.aborted) throw new AbortError();
    const stepModel: StepModel<DecoderState> = {
      step: (state, tokens, stepOptions) => this.model.step(state, tokens, stepOptions),
      reorder: (state, rows) => this.model.reorder(state, rows),
    };
    const result = await search(stepModel, this.model.start(encoded), {
      settings: this.settings,
      maxNewTokens: options.maxNewTokens,
      numBeams: Math.max(1, Math.min(MAX_BEAMS, Math.floor(options.numBeams ?? this.settings.numBeams))),
      lengthPenalty: options.lengthPenalty ?? this.settings.lengthPenalty,
      earlyStopping: options.earlyStopping ?? this.settings.earlyStopping,
      captureCross: options.captureCross === true && this.model.hasCrossAttentions,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...result, encoder: encoded };
  }

  /** Target-length budget for `sourceTokens` encoder tokens, within the model's declared limits. */
  maxNewTokens(sourceTokens: number, request: Pick<TranslateRequest, 'maxLengthRatio' | 'maxLengthOffset'>): number {
    const ratio = request.maxLengthRatio ?? DEFAULT_MAX_LENGTH_RATIO;
    const offset = request.maxLengthOffset ?? DEFAULT_MAX_LENGTH_OFFSET;
    let budget = Math.floor(ratio * sourceTokens + offset);
    if (this.settings.maxLength !== undefined) budget = Math.min(budget, this.settings.maxLength - 1);
    if (this.settings.maxNewTokens !== undefined) budget = Math.min(budget, this.settings.maxNewTokens);
    return Math.max(1, Math.min(budget, this.folder.config.maxPositions - 1));
  }

  async translate(request: TranslateRequest, signal?: AbortSignal): Promise<TranslateResult> {
    const start = this.now();
    if (signal?.aborted) throw new AbortError();
    const prepared = this.prepareSource(request.text, request.from, request.to);
    if (request.text.trim() === '') return { source: request.text, target: '', tokens: [], ms: this.now() - start };
    const result = await this.generateIds(prepared.ids, {
      maxNewTokens: this.maxNewTokens(prepared.ids.length, request),
      ...(request.beams !== undefined ? { numBeams: request.beams } : { numBeams: 1 }),
      ...(request.lengthPenalty !== undefined ? { lengthPenalty: request.lengthPenalty } : {}),
      captureCross: request.captureAttention === true,
      ...(signal ? { signal } : {}),
    });
    const special = new Set([...this.settings.eosTokenIds, ...(this.settings.padTokenId !== undefined ? [this.settings.padTokenId] : [])]);
    const keepCount = result.tokens.findIndex((t) => special.has(t));
    const tokens = keepCount < 0 ? [...result.tokens] : result.tokens.slice(0, keepCount);
    // Byte-level vocabularies trained on " " + text decode with a leading space; a translation
    // never starts with one (the caller keeps the source's own surrounding whitespace).
    const target = this.folder.tokenizer.decode(tokens).trimStart();
    let attentionId: number | undefined;
    // Without captured rows, translationAttention rebuilds them from one decoder pass (graph surgery).
    if (request.captureAttention === true && this.model.attentionSource !== 'none' && tokens.length > 0) {
      attentionId = this.nextId++;
      const cross = result.cross?.slice(0, tokens.length);
      this.last = { id: attentionId, encoderText: prepared.encoderText, tokens, ...(cross ? { cross } : {}), encoder: result.encoder };
    }
    return {
      source: request.text,
      target,
      tokens,
      ms: this.now() - start,
      ...(attentionId !== undefined ? { attentionId } : {}),
    };
  }

  async encoderAttention(request: AttentionRequest): Promise<AttentionResult> {
    const { config, tokenizer } = this.folder;
    const fitted = fitText(tokenizer, request.text, Math.min(request.maxTokens ?? config.maxPositions, config.maxPositions));
    const ids = fitted.tokens.map((t) => t.id);
    const pass = {
      kind: 'encoder' as const,
      fitted,
      totalLayers: config.layers,
      totalHeads: config.heads,
      // An encoder sees every token at once: one run, one chunk.
      run: async (layers: readonly number[], onChunk: (chunk: AttentionChunk) => void) => {
        const encoded = await this.model.encode(ids, { attention: true });
        const attentions = encoded.attentions ?? []; // per layer [1, heads, source, source]
        onChunk(wholeChunk(new Map(layers.map((layer) => [layer, attentions[layer]!]))));
      },
    };
    return attentionResult(pass, request);
  }

  async translationAttention(id: number): Promise<TranslationAttention | undefined> {
    const stored = this.last;
    if (stored === undefined || stored.id !== id) return undefined;
    const tokenizer = this.folder.tokenizer;
    const sourceTokens = tokenizer.encodeWithSpans(stored.encoderText, { addSpecialTokens: true });
    const target = tokenizer.spansOfGenerated(stored.tokens);
    // Query i is the position that produced target token i: its inputs are the start token, then the target tokens before i.
    const inputs = [this.settings.decoderStartTokenId, ...stored.tokens.slice(0, -1)];
    // With captured cross rows, the decoder's self-attention is extra: shown when the pass works.
    const pass = await this.model.decoderAttention(stored.encoder, inputs).catch((error: unknown) => {
      if (stored.cross) return undefined;
      throw error;
    });
    const capturedRows = stored.cross ?? rowsOf(pass?.cross ?? []);
    const layers = capturedRows[0]?.length ?? 0;
    const keys = sourceTokens.length;
    const heads = layers > 0 ? ((capturedRows[0]?.[0]?.length ?? 0) / keys) : 0;
    if (!Number.isInteger(heads)) throw new ModelError('cross-attention rows do not match the source length');
    // [layers, heads, target, source]
    const cross = blockFromCapturedRows(capturedRows, range(layers), heads, keys);
    const generated = tokenizer.spansOfGenerated(stored.tokens.slice(0, -1)).spans;
    const start = { id: this.settings.decoderStartTokenId, text: tokenizer.tokenString(this.settings.decoderStartTokenId) ?? '<start>', start: 0, end: 0 };
    return {
      id,
      sourceTokens,
      targetTokens: target.spans,
      sourceText: stored.encoderText,
      targetText: target.text,
      cross,
      ...(pass && pass.self.length > 0 ? { decoderSelf: selectBlock(pass.self, {}), decoderInputTokens: [start, ...generated] } : {}),
      totalLayers: layers,
      totalHeads: heads,
    };
  }

  async dispose(): Promise<void> {
    this.last = undefined;
    await this.model.dispose();
  }
}

/** Per layer [1, heads, target, source] → per target row, per layer [heads, source]. */
function rowsOf(cross: readonly OrtTensor[]): Float32Array[][] {
  const [, heads, rows, keys] = (cross[0]?.dims ?? [1, 0, 0, 0]) as [number, number, number, number];
  return Array.from({ length: rows }, (_, row) =>
    cross.map((tensor) => {
      const data = tensor.data as Float32Array;
      const out = new Float32Array(heads * keys); // [heads, source]
      for (let h = 0; h < heads; h++) out.set(data.subarray((h * rows + row) * keys, (h * rows + row + 1) * keys), h * keys);
      return out;
    }),
  );
}

export async function loadSeq2Seq(folder: ModelFolder, runtime: Runtime, dtype: DtypeChoice = 'auto'): Promise<Seq2SeqRunner> {
  const settings = await readSeq2SeqSettings(folder);
  const languages = detectLanguages({
    tokenizerJson: folder.tokenizerJson,
    tokenizerConfig: folder.tokenizerConfig,
    config: folder.rawConfig,
    location: folder.files.location,
  });
  const model = await Seq2SeqModel.open(folder, runtime, dtype);
  return new MarianRunner(folder, model, settings, languages);
}
