// The Engine contract: what every engine host (in-process, worker_threads worker) implements, and
// what callers (completions, inspector, translation, CLI) depend on. docs/architecture.md shows
// how each feature uses it. Pure types: no vscode, no DOM, no onnxruntime.
import type { AttentionSource } from './attentionSurgery';
import type { Dtype, DtypeChoice } from './dtype';
import type { PositionKind } from './modelConfig';
import type { PooledHeads } from './pool';
import type { QuantizedMatrices } from './quantize';

/**
 * Where a model runs: onnxruntime-web's WebAssembly, its WebGPU, or onnxruntime-node's native CPU
 * kernels (an N-API addon, where the platform has one).
 */
export type Backend = 'wasm' | 'webgpu' | 'native';

export type ModelKind = 'decoder' | 'encoder-decoder';

/** Fill-in-the-middle special tokens a model declares (in tokenizer_config.json or config.json). */
export interface FimTokens {
  readonly prefix: string;
  readonly suffix: string;
  readonly middle: string;
}

export interface ModelInfo {
  /** Absolute path of the model folder (or a bundled-model name). */
  readonly id: string;
  readonly name: string;
  readonly kind: ModelKind;
  /** `model_type` from config.json (llama, gpt2, bloom, marian, …). */
  readonly modelType: string;
  readonly backend: Backend;
  /** Why this backend: one sentence for the status bar tooltip and the output channel, when a choice was made. */
  readonly backendReason?: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  /** Longest sequence the model was trained for (max_position_embeddings or equivalent). */
  readonly maxPositions: number;
  /** Decoder layers/heads of an encoder-decoder model (equal to layers/heads for decoders). */
  readonly decoderLayers: number;
  readonly decoderHeads: number;
  readonly hasAttentionOutputs: boolean;
  /**
   * Where the inspector's attention comes from: the export's outputs, graph surgery on Softmax
   * nodes, probabilities recomputed beside fused attention ops, or nowhere.
   */
  readonly attentionSource: AttentionSource;
  /** Why there is none, in one sentence, when attentionSource is `none`. */
  readonly attentionWhy?: string;
  /** Width of one attention head. */
  readonly headDim: number;
  /** `architectures[0]` of config.json, when declared. */
  readonly architecture?: string;
  readonly positions: PositionKind;
  readonly slidingWindow?: number;
  readonly tiedEmbeddings: boolean;
  /** The ONNX files in use, relative to the folder (a decoder; or an encoder and a decoder). */
  readonly onnxFiles: readonly string[];
  /** Their weight type. */
  readonly dtype: Dtype;
  /** Why those files: one sentence for the status bar tooltip and the output channel. */
  readonly dtypeReason: string;
  /** Every dtype the folder has complete files for. */
  readonly dtypes: readonly Dtype[];
  /** Weights stored in the files in use. */
  readonly parameters: number;
  readonly fim?: FimTokens;
  /** Folder name of the draft model loaded for speculative decoding (`draft-model`), if any. */
  readonly draftModel?: string;
  /** Why speculative decoding is off for this model whatever a request asks, in one sentence. */
  readonly speculationUnavailable?: string;
  /** Language codes a translation model covers, e.g. ['en', 'de']. */
  readonly languages?: readonly string[];
  /**
   * The directions a translation model supports, when not every ordered pair of `languages` is one
   * (opus-mt-en-de covers en and de but translates only en → de). Absent: every ordered pair.
   */
  readonly translationPairs?: readonly TranslationPair[];
}

export interface TranslationPair {
  readonly from: string;
  readonly to: string;
}

export interface SamplingOptions {
  /** 0 (default) means greedy. */
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  /** 1 (default) disables; > 1 penalises tokens already in prompt or output (CTRL-style). */
  readonly repetitionPenalty?: number;
  /** Seed for the sampler's PRNG; same seed, same prompt, same tokens. */
  readonly seed?: number;
}

/**
 * Speculative decoding: drafts from the prompt and the text generated so far, or from a smaller
 * draft model with the same tokenizer, verified in one pass. Greedy decoding only; the tokens are
 * exactly plain greedy decoding's either way.
 */
export type Speculation = 'off' | 'prompt-lookup' | 'draft-model';

export interface GenerateRequest {
  readonly prompt: string;
  /** Text after the cursor, used for fill-in-the-middle when the model declares FIM tokens. */
  readonly suffix?: string;
  readonly maxNewTokens?: number;
  readonly sampling?: SamplingOptions;
  /** Generation stops before any of these strings; the stop string is not part of `text`. */
  readonly stop?: readonly string[];
  /** false recomputes the whole sequence every step (reference path, no KV cache). Default true. */
  readonly useKvCache?: boolean;
  /** false ignores the cached prefix of the previous request. Default true. */
  readonly reusePrefix?: boolean;
  /** Keep the attention of generated tokens over the context ("why this suggestion?"). */
  readonly captureAttention?: boolean;
  /** Default 'off'. Ignored when sampling (temperature > 0). */
  readonly speculation?: Speculation;
  /**
   * Drafts fed per pass, fixed, instead of the length measured to pay (acceptance and the cost of
   * a row): for benchmarks and tests that need speculation to happen whatever the machine's timing.
   */
  readonly draftLength?: number;
}

/**
 * 'aborted': the signal fired after generation started; the result holds the tokens produced so
 * far (a signal already aborted before the call rejects with AbortError instead).
 */
export type FinishReason = 'eos' | 'length' | 'stop' | 'aborted';

export interface GenerateResult {
  readonly promptTokens: number;
  /** Prompt tokens whose KV cache was reused from the previous request (not prefilled again). */
  readonly reusedTokens: number;
  readonly tokens: readonly number[];
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly prefillMs: number;
  readonly decodeMsPerToken: number;
  /** Id of the captured attention of this generation, when captureAttention was set. */
  readonly attentionId?: number;
  /** Forward passes of the model, prefill chunks included. */
  readonly forwardPasses?: number;
  /** Speculative decoding: tokens drafted, and how many of them the model accepted. */
  readonly drafted?: number;
  readonly accepted?: number;
}

export interface StreamedToken {
  readonly id: number;
  /** Text of everything generated so far (decoded as a whole, so multi-byte characters are intact). */
  readonly textSoFar: string;
}

/** A token with its exact UTF-16 span in the source text: text.slice(start, end). */
export interface TokenSpan {
  readonly id: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A dense block of attention probabilities, one array per layer so that a forward pass's per-layer
 * outputs become a block without copying 50 MB (512 tokens, 6 × 8 heads) into one buffer.
 * layerData[l]: [heads.length, rows.length, keys]  (row-major), for layers[l]
 * Each row is a query position's distribution over the `keys` key positions.
 */
export interface AttentionBlock {
  readonly layers: readonly number[];
  readonly heads: readonly number[];
  /** Query positions (token indices) present in `layerData`. */
  readonly rows: readonly number[];
  readonly keys: number;
  readonly layerData: readonly Float32Array[];
}

/** Which attention a block holds, without the values. */
export type AttentionShape = Omit<AttentionBlock, 'layerData'>;

export type HeadLabel = 'previous-token' | 'local' | 'long-range' | 'sink' | 'broad';

export interface HeadStats {
  readonly layer: number;
  readonly head: number;
  /** Mean over query rows of the row entropy, in nats. */
  readonly entropy: number;
  /** Mean over rows of Σ_k p(k)·(q − k), in tokens. */
  readonly meanDistance: number;
  readonly previousToken: number;
  readonly firstToken: number;
  readonly selfToken: number;
  readonly label: HeadLabel;
}

export interface AttentionRequest {
  readonly text: string;
  /** Cut the text to its last `maxTokens` tokens (the result says so). */
  readonly maxTokens?: number;
  /** Subset to return; default all. */
  readonly layers?: readonly number[];
  readonly heads?: readonly number[];
  /** Query rows to return; default all. */
  readonly rows?: readonly number[];
  /** Compute HeadStats for every layer × head (always over all rows). Default true. */
  readonly withStats?: boolean;
  /** Also mean-pool every selected head to at most pool × pool cells (thumbnails). */
  readonly pool?: number;
  /**
   * Return the selected values (default true). false: only what else is asked (pooled heads,
   * statistics, reductions); `attention` then describes the selection with no layerData.
   * 'quantized': the values at one byte each in `quantized` (a view for the screen), and no
   * layerData.
   */
  readonly values?: boolean | 'quantized';
  /** Also reduce the selected heads of each selected layer to their mean or max: `reduced`. */
  readonly reduceHeads?: 'mean' | 'max';
}

export type AttentionKind = 'self' | 'encoder' | 'decoder' | 'cross';

export interface AttentionResult {
  readonly kind: AttentionKind;
  readonly tokens: readonly TokenSpan[];
  /** Tokens dropped from the start because of maxTokens. */
  readonly truncatedTokens: number;
  /** Character offset where the kept tokens start in the request text. */
  readonly textOffset: number;
  readonly totalLayers: number;
  readonly totalHeads: number;
  readonly attention: AttentionBlock;
  readonly stats: readonly HeadStats[];
  /** When the request asked for pool: every head of `attention`, pooled. */
  readonly pooled?: PooledHeads;
  /** When the request asked to reduce heads: per selected layer [rows, keys]. */
  readonly reduced?: readonly Float32Array[];
  /** When the request asked for quantized values: per selected layer, its selected heads' rows. */
  readonly quantized?: readonly QuantizedMatrices[];
  /**
   * Layers left out because their fused attention operator cannot be reproduced exactly (the
   * others are shown), with the sentence that says which operator and attribute.
   */
  readonly hiddenLayers?: { readonly layers: readonly number[]; readonly why: string };
  readonly forwardMs: number;
}

/** Attention of a generation's output tokens (queries) over context + output (keys). */
export interface GenerationAttention {
  readonly id: number;
  readonly contextTokens: readonly TokenSpan[];
  readonly generatedTokens: readonly TokenSpan[];
  /** text the context tokens' spans refer to (the prompt) */
  readonly contextText: string;
  readonly generatedText: string;
  /** rows = generated token indices (0-based, into generatedTokens); keys = context + generated */
  readonly attention: AttentionBlock;
  readonly totalLayers: number;
  readonly totalHeads: number;
}

export interface TranslateRequest {
  readonly text: string;
  readonly from: string;
  readonly to: string;
  /** 1 (default) is greedy. */
  readonly beams?: number;
  readonly lengthPenalty?: number;
  /** Max target tokens = maxLengthRatio × source tokens + maxLengthOffset. */
  readonly maxLengthRatio?: number;
  readonly maxLengthOffset?: number;
  readonly captureAttention?: boolean;
}

export interface TranslateResult {
  readonly source: string;
  readonly target: string;
  readonly tokens: readonly number[];
  readonly ms: number;
  readonly attentionId?: number;
}

/** Cross-attention of the last translation: rows = target tokens, keys = source tokens. */
export interface TranslationAttention {
  readonly id: number;
  readonly sourceTokens: readonly TokenSpan[];
  readonly targetTokens: readonly TokenSpan[];
  readonly sourceText: string;
  readonly targetText: string;
  /** [layers, heads, target, source] */
  readonly cross: AttentionBlock;
  /** Decoder self-attention [layers, heads, target, decoder inputs], when the export has it. */
  readonly decoderSelf?: AttentionBlock;
  /** The decoder inputs decoderSelf's keys stand for: the start token, then target tokens but the last. */
  readonly decoderInputTokens?: readonly TokenSpan[];
  readonly totalLayers: number;
  readonly totalHeads: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface GenerateCallOptions extends CallOptions {
  readonly onToken?: (token: StreamedToken) => void;
}

/** One loaded model. Callers never know where inference runs. */
export interface Engine {
  readonly info: ModelInfo;
  tokenize(text: string): Promise<readonly TokenSpan[]>;
  generate(request: GenerateRequest, options?: GenerateCallOptions): Promise<GenerateResult>;
  attention(request: AttentionRequest, options?: CallOptions): Promise<AttentionResult>;
  /** Attention captured by a generate() with captureAttention, if still held (the latest only). */
  generationAttention(id: number): Promise<GenerationAttention | undefined>;
  translate(request: TranslateRequest, options?: CallOptions): Promise<TranslateResult>;
  translationAttention(id: number): Promise<TranslationAttention | undefined>;
  dispose(): Promise<void>;
}

/**
 * What an engine is for: `all` (default) serves every method; `inspector` opens a decoder-only
 * model's attention session and nothing else (generate then fails), so that an inspector-only
 * worker holds the weights once.
 */
export type EnginePurpose = 'all' | 'inspector';

export interface LoadOptions {
  readonly purpose?: EnginePurpose;
  /** Where to run: a backend, or `auto` (measured per model and machine); default the host's. */
  readonly backend?: Backend | 'auto';
  /** Which weight file to open (transformers.js names); default `auto`. */
  readonly dtype?: DtypeChoice;
  /** A second decoder folder with the same tokenizer, loaded beside the model to draft for it (speculation `draft-model`). */
  readonly draftModel?: string;
  /** Its weight file; default `auto`. */
  readonly draftDtype?: DtypeChoice;
  /** Inference threads (WASM's, and each native session's); default min(2, cores). */
  readonly threads?: number;
}

/** Loads models; the worker host and the in-process host both implement it. */
export interface EngineHost {
  load(modelDir: string, options?: LoadOptions): Promise<Engine>;
  dispose(): Promise<void>;
}
