// The Engine implementation that runs inference in the current thread (the engine worker, or the
// CLI's and the tests' in-process host). Hosts wrap it; callers only see the Engine interface.
import { blockFromCapturedRows } from './attention';
import { attentionResult } from './attentionResult';
import type { AttentionChunk } from './attentionStream';
import { type DecoderModel, openDecoderModel } from './decoderModel';
import { ModelError, UnsupportedError } from './errors';
import { DEFAULT_MAX_NEW_TOKENS, DecoderGenerator, type CapturedRows } from './generate';
import { fimFormat, fitFimPrompt } from './fim';
import { fitText } from './fitText';
import { findFimTokens } from './modelConfig';
import type { DtypeChoice } from './dtype';
import { type ModelFiles, type ModelFolder, readModelFolder } from './modelFolder';
import { type DraftFiles, openModelDrafter } from './modelDrafter';
import type { Runtime } from './onnx';
import type { Seq2SeqRunner } from './seq2seq/runner';
import { loadSeq2Seq } from './seq2seq/runner';
import { Speculators } from './speculation';
import type {
  AttentionRequest,
  AttentionResult,
  CallOptions,
  Engine,
  EnginePurpose,
  GenerateCallOptions,
  GenerateRequest,
  GenerateResult,
  GenerationAttention,
  ModelInfo,
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from './types';

/** Serialises calls: one ONNX session runs one request at a time, and the KV cache is shared state. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

interface StoredGeneration {
  readonly id: number;
  readonly promptText: string;
  readonly promptIds: readonly number[];
  readonly tokens: readonly number[];
  /** Rows captured while generating (exports with attention outputs); absent, one attention pass rebuilds them. */
  readonly captured?: CapturedRows;
}

export class LocalEngine implements Engine {
  private readonly queue = new SerialQueue();
  private lastGeneration: StoredGeneration | undefined;
  private nextAttentionId = 1;

  private constructor(
    readonly info: ModelInfo,
    private readonly folder: ModelFolder,
    private readonly decoder: DecoderModel | undefined,
    private readonly generator: DecoderGenerator | undefined,
    private readonly seq2seq: Seq2SeqRunner | undefined,
    private readonly speculators?: Speculators,
  ) {}

  static async load(files: ModelFiles, runtime: Runtime, name: string, options: { readonly dtype?: DtypeChoice; readonly draft?: DraftFiles; readonly purpose?: EnginePurpose } = {}): Promise<LocalEngine> {
    const folder = await readModelFolder(files);
    const { config, tokenizer } = folder;
    const base = {
      id: files.location,
      name,
      kind: config.kind,
      modelType: config.modelType,
      backend: runtime.backend,
      layers: config.layers,
      heads: config.heads,
      kvHeads: config.kvHeads,
      hiddenSize: config.hiddenSize,
      vocabSize: config.vocabSize,
      maxPositions: config.maxPositions,
      decoderLayers: config.decoderLayers,
      decoderHeads: config.decoderHeads,
      headDim: config.headDim,
      ...(config.architecture ? { architecture: config.architecture } : {}),
      positions: config.positions,
      ...(config.slidingWindow ? { slidingWindow: config.slidingWindow } : {}),
      tiedEmbeddings: config.tiedEmbeddings,
    };
    if (config.kind === 'encoder-decoder') {
      const seq2seq = await loadSeq2Seq(folder, runtime, options.dtype);
      const { source } = seq2seq;
      const info: ModelInfo = {
        ...base,
        onnxFiles: source.files,
        dtypes: source.dtypes,
        dtype: source.dtype,
        dtypeReason: source.reason,
        parameters: source.parameters,
        hasAttentionOutputs: seq2seq.hasAttentionOutputs,
        attentionSource: seq2seq.attentionSource,
        ...(seq2seq.attentionUnavailableReason ? { attentionWhy: `${name} shows no attention: ${seq2seq.attentionUnavailableReason}` } : {}),
        languages: seq2seq.languages,
        translationPairs: seq2seq.translationPairs,
      };
      return new LocalEngine(info, folder, undefined, undefined, seq2seq);
    }
    const decoder = await openDecoderModel(folder, runtime, { dtype: options.dtype, attentionOnly: options.purpose === 'inspector' });
    // A draft model that cannot serve (another tokenizer) fails the load with one sentence.
    const drafter = options.draft
      ? await openModelDrafter(options.draft, runtime, folder, draftName(options.draft)).catch(async (error: unknown) => {
          await decoder.dispose();
          throw error;
        })
      : undefined;
    const source = decoder.source as NonNullable<DecoderModel['source']>;
    const fim = findFimTokens(folder.tokenizerConfig, (t) => tokenizer.tokenId(t) !== undefined);
    const info: ModelInfo = {
      ...base,
      onnxFiles: [source.file],
      dtypes: source.dtypes,
      dtype: source.dtype,
      dtypeReason: source.reason,
      parameters: source.parameters,
      hasAttentionOutputs: decoder.io.attentionNames.length > 0,
      attentionSource: decoder.attentionSource,
      ...(decoder.attentionSource === 'none' ? { attentionWhy: decoder.attentionUnavailableReason(name) } : {}),
      ...(fim ? { fim } : {}),
      ...(drafter ? { draftModel: drafter.name } : {}),
      ...(source.perRunQuantization ? { speculationUnavailable: perRunQuantizationReason(name, source.file) } : {}),
    };
    const speculators = new Speculators(drafter, info.speculationUnavailable);
    return new LocalEngine(info, folder, decoder, new DecoderGenerator(decoder, tokenizer), undefined, speculators);
  }

  private requireDecoder(): { decoder: DecoderModel; generator: DecoderGenerator } {
    if (!this.decoder || !this.generator) {
      throw new UnsupportedError(`${this.info.name} is an encoder-decoder model: it translates, it does not complete text`);
    }
    return { decoder: this.decoder, generator: this.generator };
  }

  async tokenize(text: string): Promise<readonly TokenSpan[]> {
    return this.folder.tokenizer.encodeWithSpans(text);
  }

  generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    return this.queue.run(async () => {
      const { generator } = this.requireDecoder();
      const maxNewTokens = Math.max(1, Math.min(request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS, this.info.maxPositions - 1));
      const budget = this.info.maxPositions - maxNewTokens;
      const fim = request.suffix !== undefined ? this.info.fim : undefined;
      const format = fim ? fimFormat(fim) : undefined;
      const tokenizer = this.folder.tokenizer;
      // A FIM prompt is fitted part by part (the special tokens must survive), then encoded whole.
      const fitted =
        fim && format ? fitFimPrompt(tokenizer, fim, format.order, request.prompt, request.suffix ?? '', budget) : fitText(tokenizer, request.prompt, budget);
      const promptIds = fitted.tokens.map((t) => t.id);
      if (promptIds.length === 0) throw new ModelError('the prompt encodes to no tokens');
      const fimEnds = (format?.endTokens ?? []).map((t) => tokenizer.tokenId(t)).filter((id): id is number => id !== undefined);
      const canCapture = request.captureAttention === true && this.info.hasAttentionOutputs;
      // Graph surgery shows the attention afterwards, from one pass over prompt and completion.
      const canExplain = request.captureAttention === true && this.info.attentionSource !== 'none';
      try {
        const output = await generator.generate(
          {
            promptIds,
            maxNewTokens,
            sampling: request.sampling,
            stop: request.stop,
            eosTokenIds: [...this.folder.config.eosTokenIds, ...fimEnds],
            useKvCache: request.useKvCache ?? true,
            reusePrefix: request.reusePrefix ?? true,
            captureAttention: canCapture,
            speculation: this.speculators?.plan(request.speculation, request.draftLength),
          },
          options,
        );
        let attentionId: number | undefined;
        if (canExplain && output.tokens.length > 0) {
          attentionId = this.nextAttentionId++;
          this.lastGeneration = { id: attentionId, promptText: fitted.text, promptIds, tokens: output.tokens, ...(output.captured ? { captured: output.captured } : {}) };
        }
        return {
          promptTokens: promptIds.length,
          reusedTokens: output.reusedTokens,
          tokens: output.tokens,
          text: output.text,
          finishReason: output.finishReason,
          prefillMs: output.prefillMs,
          decodeMsPerToken: output.decodeMsPerToken,
          forwardPasses: output.forwardPasses,
          drafted: output.drafted,
          accepted: output.accepted,
          ...(attentionId !== undefined ? { attentionId } : {}),
        };
      } catch (error) {
        if (!(error instanceof Error && error.name === 'AbortError')) generator.reset();
        throw error;
      }
    });
  }

  async attention(request: AttentionRequest, options: CallOptions = {}): Promise<AttentionResult> {
    const result = await this.queue.run(async () => {
      if (this.seq2seq) {
        const unavailable = this.seq2seq.attentionUnavailableReason;
        if (unavailable) throw new ModelError(`${this.info.name} shows no attention: ${unavailable}`);
        const seq2seq = this.seq2seq;
        return seq2seq.encoderAttention(request).catch((error: unknown) => {
          // A graph edit that failed its probe leaves a reason that names the model.
          const reason = seq2seq.attentionUnavailableReason;
          throw reason ? new ModelError(`${this.info.name} shows no attention: ${reason}`) : error;
        });
      }
      const { decoder } = this.requireDecoder();
      const unavailable = decoder.attentionUnavailableReason(this.info.name);
      if (unavailable) throw new ModelError(unavailable);
      const budget = Math.min(request.maxTokens ?? this.info.maxPositions, this.info.maxPositions);
      const fitted = fitText(this.folder.tokenizer, request.text, budget);
      if (fitted.tokens.length === 0) throw new ModelError('the text encodes to no tokens');
      const ids = fitted.tokens.map((t) => t.id);
      const pass = {
        kind: 'self' as const,
        fitted,
        totalLayers: this.info.layers,
        totalHeads: this.info.heads,
        run: (layers: readonly number[], onChunk: (chunk: AttentionChunk) => void) =>
          decoder.attentionChunks(ids, layers, onChunk, options.signal ? { signal: options.signal } : {}).catch((error: unknown) => {
            // A graph edit that failed its probe leaves a reason that names the model.
            const reason = decoder.attentionUnavailableReason(this.info.name);
            throw reason ? new ModelError(reason) : error;
          }),
      };
      return attentionResult(pass, request);
    });
    return result;
  }

  async generationAttention(id: number): Promise<GenerationAttention | undefined> {
    const stored = this.lastGeneration;
    if (!stored || stored.id !== id) return undefined;
    const captured = stored.captured ?? (await this.queue.run(() => this.rowsFromPass(stored)));
    const tokenizer = this.folder.tokenizer;
    const contextTokens = tokenizer.encodeWithSpans(stored.promptText);
    const generated = tokenizer.spansOfGenerated(stored.tokens);
    const layers = this.info.layers;
    const heads = captured.heads;
    const keys = stored.promptIds.length + stored.tokens.length;
    // [layers, heads, generated, context + generated]; row i sees prompt + i keys, the rest stay 0.
    const attention = blockFromCapturedRows(captured.rows, layers, heads, keys);
    return {
      id,
      contextTokens,
      generatedTokens: generated.spans,
      contextText: stored.promptText,
      generatedText: generated.text,
      attention,
      totalLayers: layers,
      totalHeads: heads,
    };
  }

  /**
   * The rows a generation would have captured, from one attention pass over the prompt and every
   * generated token but the last: generated token i was predicted at position prompt + i − 1,
   * which attends to the prompt and the i tokens before it (a causal model's pass gives the same).
   */
  private async rowsFromPass(stored: StoredGeneration): Promise<CapturedRows> {
    const { decoder } = this.requireDecoder();
    const ids = [...stored.promptIds, ...stored.tokens.slice(0, -1)];
    const layers = Array.from({ length: this.info.layers }, (_, l) => l);
    const first = stored.promptIds.length - 1;
    // per generated token, per layer [heads, width]
    const rows: Float32Array[][] = stored.tokens.map(() => []);
    let heads = 0;
    // Chunks before the prompt's last row only build the cache; their rows are not kept.
    await decoder.attentionChunks(ids, layers, (chunk) => {
      for (let r = 0; r < chunk.rows; r++) {
        const position = chunk.firstRow + r;
        if (position < first) continue;
        const width = position + 1;
        rows[position - first] = layers.map((layer) => {
          const data = chunk.layers.get(layer)!; // [heads, chunk rows, chunk keys]
          heads = data.length / (chunk.rows * chunk.keys);
          const out = new Float32Array(heads * width); // [heads, width]
          for (let h = 0; h < heads; h++) {
            const from = (h * chunk.rows + r) * chunk.keys;
            out.set(data.subarray(from, from + width), h * width);
          }
          return out;
        });
      }
    });
    return { rows, heads };
  }

  translate(request: TranslateRequest, options: CallOptions = {}): Promise<TranslateResult> {
    return this.queue.run(async () => {
      if (!this.seq2seq) throw new UnsupportedError(`${this.info.name} is a decoder-only model: it cannot translate`);
      return this.seq2seq.translate(request, options.signal);
    });
  }

  translationAttention(id: number): Promise<TranslationAttention | undefined> {
    // Queued: building it may run the decoder once more (decoder self-attention).
    return this.queue.run(async () => this.seq2seq?.translationAttention(id));
  }

  private disposed: Promise<void> | undefined;

  /** Releases the ONNX sessions once; later calls return the same promise. */
  dispose(): Promise<void> {
    this.disposed ??= this.queue.run(async () => {
      await this.decoder?.dispose();
      await this.seq2seq?.dispose();
      await this.speculators?.dispose();
    });
    return this.disposed;
  }
}

/** The draft model's folder name, for messages. */
function draftName(draft: DraftFiles): string {
  return draft.files.location.split(/[\\/]/).filter((part) => part !== '').pop() ?? draft.files.location;
}

function perRunQuantizationReason(name: string, file: string): string {
  return `${name} (${file}) quantizes activations with one scale per pass, so a pass that verifies several drafted tokens would not score them exactly as one token at a time: it decodes without speculation`;
}
