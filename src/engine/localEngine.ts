// The Engine implementation that runs inference in the current thread (the engine process or worker, or the
// CLI's and the tests' in-process host). Hosts wrap it; callers only see the Engine interface.
import { blockFromCapturedRows, range } from './attention';
import { attentionResult } from './attentionResult';
import type { AttentionChunk } from './attentionStream';
import { type DecoderModel, openDecoderModel } from './decoderModel';
import { DeviceLostError, ModelError, UnsupportedError } from './errors';
import { errorText } from '../util/unknown';
import { DEFAULT_MAX_NEW_TOKENS, DecoderGenerator, type CapturedRows } from './generate';
import { fimFormat, fitFimPrompt } from './fim';
import { fitText } from './fitText';
import { findFimTokens } from './modelConfig';
import type { DtypeChoice } from './dtype';
import { type ModelFiles, type ModelFolder, readModelFolder } from './modelFolder';
import { type DraftFiles, openModelDrafter } from './modelDrafter';
import type { Runtime } from './onnx';
import { type Attempt, withDeviceRecovery } from './deviceRecovery';
import { navigatorWebGpu, type WebGpu } from './webgpuDevice';
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
  StreamedToken,
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

/** What a load opens, and a device loss opens again: the sessions and what wraps them. */
interface EngineParts {
  readonly info: ModelInfo;
  readonly decoder?: DecoderModel;
  readonly generator?: DecoderGenerator;
  readonly seq2seq?: Seq2SeqRunner;
  readonly speculators?: Speculators;
}

export interface LoadOptions {
  readonly dtype?: DtypeChoice;
  readonly draft?: DraftFiles;
  readonly purpose?: EnginePurpose;
}

export class LocalEngine implements Engine {
  private readonly queue = new SerialQueue();
  private lastGeneration: StoredGeneration | undefined;
  private nextAttentionId = 1;
  readonly info: ModelInfo;

  private constructor(
    private readonly folder: ModelFolder,
    private parts: EngineParts,
    /** Opens the parts again (after a device loss); the info of the first open stays. */
    private readonly open: () => Promise<EngineParts>,
    /** The WebGPU device's owner, on the webgpu backend only. */
    private readonly gpu: WebGpu | undefined,
  ) {
    this.info = parts.info;
  }

  /**
   * `runtime.backend` 'webgpu' without `runtime.gpu` runs on this page's navigator.gpu, through a
   * device the engine owns (webgpuDevice.ts), so that a device loss can be recovered from.
   */
  static async load(files: ModelFiles, runtime: Runtime, name: string, options: LoadOptions = {}): Promise<LocalEngine> {
    const folder = await readModelFolder(files);
    const resolved: Runtime = runtime.backend === 'webgpu' && !runtime.gpu ? { ...runtime, gpu: navigatorWebGpu() } : runtime;
    const open = () => openParts(folder, resolved, name, options);
    return new LocalEngine(folder, await open(), open, resolved.backend === 'webgpu' ? resolved.gpu : undefined);
  }

  /** Set when the sessions could not be reopened after a loss: every later request fails with it. */
  private unusable: DeviceLostError | undefined;

  /** Runs a request on the current GPU device, reopening the sessions once if it is lost (deviceRecovery.ts). */
  private onDevice<T>(task: (attempt: Attempt) => Promise<T>): Promise<T> {
    if (this.unusable) return Promise.reject(this.unusable);
    return withDeviceRecovery(this.gpu, () => this.reopen(), task);
  }

  /** Releases the sessions of a lost device and opens them on a new one. */
  private async reopen(): Promise<void> {
    const lost = this.parts;
    this.parts = { info: this.info }; // nothing to release twice should the reopening fail
    await disposeParts(lost).catch(() => undefined); // a lost device's buffers are gone anyway
    this.gpu?.drop();
    try {
      this.parts = await this.open();
    } catch (error) {
      // No new device (the adapter went away) or no session on it: the host moves to WebAssembly.
      this.unusable = new DeviceLostError(`the GPU device was lost and ${this.info.name} could not be opened on a new one: ${errorText(error)}`);
      throw this.unusable;
    }
  }

  private requireDecoder(): { decoder: DecoderModel; generator: DecoderGenerator } {
    const { decoder, generator } = this.parts;
    if (!decoder || !generator) {
      throw new UnsupportedError(`${this.info.name} is an encoder-decoder model: it translates, it does not complete text`);
    }
    return { decoder, generator };
  }

  async tokenize(text: string): Promise<readonly TokenSpan[]> {
    return this.folder.tokenizer.encodeWithSpans(text);
  }

  generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    // Tokens streamed before a device loss are not streamed again by the replay (greedy and seeded
    // decoding choose them again; unseeded sampling may not, and then the result's text is the replay's).
    let streamed = 0;
    const onToken = options.onToken;
    return this.queue.run(() =>
      this.onDevice((attempt) => {
        let index = 0;
        const stream = onToken && {
          onToken: (token: StreamedToken) => {
            if (attempt === 0) streamed++;
            else if (index++ < streamed) return;
            onToken(token);
          },
        };
        return this.generateOnce(request, { ...options, ...stream });
      }),
    );
  }

  private generateOnce(request: GenerateRequest, options: GenerateCallOptions): Promise<GenerateResult> {
    return (async () => {
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
            speculation: this.parts.speculators?.plan(request.speculation, request.draftLength),
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
    })();
  }

  async attention(request: AttentionRequest, options: CallOptions = {}): Promise<AttentionResult> {
    const result = await this.queue.run(() => this.onDevice(async () => {
      const seq2seq = this.parts.seq2seq;
      if (seq2seq) {
        const unavailable = seq2seq.attentionUnavailableReason;
        if (unavailable) throw new ModelError(`${this.info.name} shows no attention: ${unavailable}`);
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
      // A graph edit that failed its probe leaves a reason that names the model.
      const named = (error: unknown): never => {
        const reason = decoder.attentionUnavailableReason(this.info.name);
        throw reason ? new ModelError(reason) : error;
      };
      const { hidden } = await decoder.attentionLayers().catch(named);
      const pass = {
        kind: 'self' as const,
        fitted,
        totalLayers: this.info.layers,
        totalHeads: this.info.heads,
        ...(hidden ? { hidden } : {}),
        run: (layers: readonly number[], onChunk: (chunk: AttentionChunk) => void) =>
          decoder.attentionChunks(ids, layers, onChunk, options.signal ? { signal: options.signal } : {}).catch(named),
      };
      return attentionResult(pass, request);
    }));
    return result;
  }

  async generationAttention(id: number): Promise<GenerationAttention | undefined> {
    const stored = this.lastGeneration;
    if (!stored || stored.id !== id) return undefined;
    const captured = stored.captured ?? (await this.queue.run(() => this.onDevice(() => this.rowsFromPass(stored))));
    const tokenizer = this.folder.tokenizer;
    const contextTokens = tokenizer.encodeWithSpans(stored.promptText);
    const generated = tokenizer.spansOfGenerated(stored.tokens);
    const layers = this.info.layers;
    const heads = captured.heads;
    const keys = stored.promptIds.length + stored.tokens.length;
    // [layers, heads, generated, context + generated]; row i sees prompt + i keys, the rest stay 0.
    const attention = blockFromCapturedRows(captured.rows, captured.layers ?? range(layers), heads, keys);
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
    // Layers whose fused attention cannot be reproduced are left out of the explanation too.
    const { shown: layers } = await decoder.attentionLayers();
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
    return { rows, heads, layers };
  }

  translate(request: TranslateRequest, options: CallOptions = {}): Promise<TranslateResult> {
    return this.queue.run(() =>
      this.onDevice(async () => {
        const seq2seq = this.parts.seq2seq;
        if (!seq2seq) throw new UnsupportedError(`${this.info.name} is a decoder-only model: it cannot translate`);
        return seq2seq.translate(request, options.signal);
      }),
    );
  }

  translationAttention(id: number): Promise<TranslationAttention | undefined> {
    // Queued: building it may run the decoder once more (decoder self-attention). A translation
    // made before a device loss is held by the runner that was replaced: it is gone with it.
    return this.queue.run(() => this.onDevice(async () => this.parts.seq2seq?.translationAttention(id)));
  }

  private disposed: Promise<void> | undefined;

  /** Releases the ONNX sessions and the KV cache's GPU buffers once; later calls return the same promise. */
  dispose(): Promise<void> {
    this.disposed ??= this.queue.run(async () => {
      await disposeParts(this.parts);
      this.gpu?.drop();
    });
    return this.disposed;
  }
}

/** Releases what a load opened: the cache first (its GPU buffers), then the sessions. */
async function disposeParts(parts: EngineParts): Promise<void> {
  parts.generator?.dispose();
  await parts.decoder?.dispose();
  await parts.seq2seq?.dispose();
  await parts.speculators?.dispose();
}

/** Opens the model's sessions for `runtime`: the decoder (and a draft model), or the encoder-decoder. */
async function openParts(folder: ModelFolder, runtime: Runtime, name: string, options: LoadOptions): Promise<EngineParts> {
  const { config, tokenizer } = folder;
  const base = {
    id: folder.files.location,
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
    return { info, seq2seq };
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
  return { info, decoder, generator: new DecoderGenerator(decoder, tokenizer), speculators };
}

/** The draft model's folder name, for messages. */
function draftName(draft: DraftFiles): string {
  return draft.files.location.split(/[\\/]/).filter((part) => part !== '').pop() ?? draft.files.location;
}

function perRunQuantizationReason(name: string, file: string): string {
  return `${name} (${file}) quantizes activations with one scale per pass, so a pass that verifies several drafted tokens would not score them exactly as one token at a time: it decodes without speculation`;
}
