// One decoder-only ONNX model with KV cache: discovers its input/output names (exporter
// conventions kept exactly) and runs one forward pass over new tokens on top of a cache.
import type { Dtype, DtypeChoice } from './dtype';
import { InferenceError, ModelError } from './errors';
import { disposeGpuTensors } from './gpuTensors';
import { type GpuCacheCut, gpuCacheCut } from './gpuTruncate';
import { KvCache, type KvLayout, succeed } from './kvCache';
import type { ModelConfig } from './modelConfig';
import { chooseDtypeFiles, type ModelFolder, type OnnxFile, onnxRoles, readOnnxFile, releaseExternalData } from './modelFolder';
import { asFloat32Tensor, createSession, type Feeds, floatData, gpuFacts, int64Tensor, onesInt64, type OrtSession, type OrtTensor, type OutputPlacement, run, type Runtime } from './onnx';
import type { AttentionChunk } from './attentionStream';
import { AbortError } from './errors';
import { type AttentionSource, type HiddenLayers, openTappedSession, staticAttentionSource, type TapNames } from './attentionSurgery';
import { LOGIT_ROWS_INPUT, sliceLogitsToLastPosition } from './onnxLastLogits';
import { tiedParameters } from './onnxProto';
import { pruneToOutputs } from './onnxPrune';
import { errorText } from '../util/unknown';
import { cacheShape, everyLayer, type GraphIo, namesByLayer, presentOutputs, sessionIo } from './graphIo';

export interface DecoderIo {
  readonly hasAttentionMask: boolean;
  readonly hasPositionIds: boolean;
  /** Optimum's merged decoders choose their no-past or with-past branch by this bool input. */
  readonly hasUseCacheBranch: boolean;
  /** `num_logits_to_keep` / `logits_to_keep`, when the graph can compute only the last rows itself. */
  readonly logitsToKeepInput?: string;
  readonly kv: KvLayout;
  /** attentions.{i} outputs by layer; empty when the export has none. */
  readonly attentionNames: readonly string[];
}

export interface ForwardOptions {
  /** Fetch attentions.{i} (only when asked: generation never needs them). */
  readonly attention?: boolean;
  /** Return logits for every new position instead of only the last. */
  readonly allLogits?: boolean;
  /** Return logits for the last `lastRows` new positions (a speculative verify pass reads k + 1). */
  readonly lastRows?: number;
}

export interface ForwardResult {
  /** [vocab] logits of the last new position */
  readonly lastLogits: Float32Array;
  /** [newTokens, vocab] when allLogits was asked */
  readonly allLogits?: Float32Array;
  /** [lastRows, vocab] when lastRows was asked */
  readonly rows?: Float32Array;
  readonly cache: KvCache;
  /** Per layer, [1, heads, newTokens, cache.length] */
  readonly attentions?: readonly OrtTensor[];
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const ATTENTIONS = /^attentions\.(\d+)$/;

export function discoverDecoderIo(graph: GraphIo, config: ModelConfig, file = 'onnx/model.onnx'): DecoderIo {
  const { inputs } = graph;
  const inputNames = inputs.map((i) => i.name);
  if (!inputNames.includes('input_ids')) throw new ModelError(`${file} has no input_ids input`);
  const pastNames = namesByLayer(inputNames, PAST); // key before value within a layer
  if (pastNames.length === 0) {
    throw new ModelError(`${file} has no past_key_values.* inputs: export it with KV cache (a merged decoder)`);
  }
  if (pastNames.length !== 2 * config.layers) {
    throw new ModelError(`${file} has ${pastNames.length / 2} cached layers but config.json declares ${config.layers}`);
  }
  const { present: presentNames, missing } = presentOutputs(pastNames, graph.outputNames);
  if (missing.length > 0 || !graph.outputNames.includes('logits')) {
    throw new ModelError(`${file} lacks outputs ${['logits', ...missing].filter((n) => !graph.outputNames.includes(n)).join(', ')}`);
  }
  const { heads: kvHeads, headDim, dtype } = cacheShape(inputs, pastNames[0], { heads: config.kvHeads, headDim: config.headDim });
  const logitsToKeepInput = inputNames.find((n) => n === 'num_logits_to_keep' || n === 'logits_to_keep');
  return {
    hasAttentionMask: inputNames.includes('attention_mask'),
    hasPositionIds: inputNames.includes('position_ids'),
    hasUseCacheBranch: inputNames.includes('use_cache_branch'),
    ...(logitsToKeepInput ? { logitsToKeepInput } : {}),
    kv: { pastNames, presentNames, kvHeads, headDim, dtype },
    attentionNames: everyLayer(graph.outputNames, ATTENTIONS, config.layers),
  };
}

/** The inspector's session: a copy of the graph that outputs each layer's attention and nothing else. */
export interface AttentionSession {
  readonly session: OrtSession;
  /** Its outputs, by layer: per layer [1, heads, queries, keys]; none for a hidden layer. */
  readonly names: TapNames;
  /** Layers whose attention cannot be reproduced (fused operators), and why. */
  readonly hidden?: HiddenLayers;
  readonly source: Exclude<AttentionSource, 'none'>;
  /**
   * present.* outputs, when the session also returns the KV cache: then a pass runs in chunks of
   * rows over the cache of the chunks before (attentionChunks). Absent: one run over every token.
   */
  readonly presentNames?: readonly string[];
}

/**
 * The attention one chunk of a pass may hold, in bytes, summed over every layer: [layers, heads,
 * rows, keys] float32. onnxruntime holds a run's outputs until it ends and WebAssembly memory never
 * shrinks, so this bounds what an inspection adds to the worker for good. Measured on the default
 * model at 1,024 tokens (85 rows a chunk): 48 MiB left the extension host 70–90 MB larger after
 * the panel closed, 16 MiB 18 MB, for the same first paint; 6 MiB doubled the first paint.
 */
export const ATTENTION_CHUNK_BYTES = 16 * 1024 * 1024;

/** Fewer rows per run would leave the matrix products too thin to be efficient. */
export const MIN_CHUNK_ROWS = 32;

export function chunkRows(layers: number, heads: number, tokens: number, budgetBytes = ATTENTION_CHUNK_BYTES): number {
  const perRow = layers * heads * tokens * Float32Array.BYTES_PER_ELEMENT;
  return Math.max(MIN_CHUNK_ROWS, Math.min(tokens, Math.floor(budgetBytes / perRow)));
}

export interface AttentionChunkOptions {
  readonly signal?: AbortSignal;
  /** Rows per run; default chunkRows() of the session's layers. */
  readonly rowsPerChunk?: number;
}

/** Opens the attention session; `feeds` builds a no-past run over ids (for the probe of a graph edit). */
export type AttentionSessionFactory = (feeds: (ids: readonly number[]) => Feeds) => Promise<AttentionSession>;

/**
 * How prefill gets its logits: `all` computes every position's row (the graph as exported),
 * `keep-input` feeds the graph's num_logits_to_keep, `sliced` runs a copy whose LM head reads only
 * the last position (onnxLastLogits.ts).
 */
export type LogitsMode = 'all' | 'keep-input' | 'sliced';

/** Where a decoder's session came from, for messages and `check-model`. */
export interface DecoderSource {
  readonly file: string;
  readonly dtype: Dtype;
  /** Why that file: one sentence. */
  readonly reason: string;
  /** Weights stored in the file, counted as parameters. */
  readonly parameters: number;
  readonly bytes: number;
  /** Every dtype the folder has files for. */
  readonly dtypes: readonly Dtype[];
  /**
   * The graph quantizes activations with one scale per run (DynamicQuantizeLinear): a pass over
   * several tokens then scores each a little differently than a pass over one.
   */
  readonly perRunQuantization: boolean;
}

/** Ops whose activation scale spans the whole run (every token of a pass). */
const PER_RUN_QUANTIZATION = ['DynamicQuantizeLinear', 'DynamicQuantizeMatMul'];

export interface DecoderModelOptions {
  /**
   * How the inspector will see attention, as read from the graph before anything runs; the
   * attention session's probe has the last word (`none` with `attentionWhy` when it fails).
   */
  readonly attentionSource?: AttentionSource;
  /** Why there is no attention to show, when attentionSource is `none`. */
  readonly attentionWhy?: string;
  /** Where the attention session comes from; without it, attention outputs are read from the full graph. */
  readonly attentionSession?: AttentionSessionFactory;
  readonly logitsMode?: LogitsMode;
  readonly source?: DecoderSource;
  /** The graph's IO when there is no generation session to read it from (attention only). */
  readonly graph?: GraphIo;
}

export class DecoderModel {
  readonly io: DecoderIo;
  /** The generation session; undefined when the model was opened for its attention only. */
  private readonly session: OrtSession | undefined;
  readonly logitsMode: LogitsMode;
  readonly source: DecoderSource | undefined;
  private attentionSourceValue: AttentionSource;
  private attentionWhy: string | undefined;
  private readonly attentionFactory: AttentionSessionFactory | undefined;
  private attentionSession: Promise<AttentionSession> | undefined;
  /** On WebGPU: cuts the cache's GPU tensors on the device the sessions run on (gpuTruncate.ts). */
  private readonly gpuCut: GpuCacheCut | undefined;

  constructor(
    private readonly runtime: Runtime,
    session: OrtSession | undefined,
    readonly config: ModelConfig,
    options: DecoderModelOptions = {},
  ) {
    this.session = session;
    // The device the sessions were just opened on: a cut after a loss must not ask for a new one.
    const device = runtime.backend === 'webgpu' ? runtime.gpu?.device() : undefined;
    device?.catch(() => undefined); // a failure shows where a cut awaits it, not as an unhandled rejection
    this.gpuCut = device ? gpuCacheCut(runtime.ort, () => device) : undefined;
    const graph = options.graph ?? (session ? sessionIo(session) : undefined);
    if (!graph) throw new Error('a DecoderModel needs its session or the graph inputs and outputs');
    this.io = discoverDecoderIo(graph, config, options.source?.file);
    this.attentionSourceValue = this.io.attentionNames.length > 0 ? 'outputs' : (options.attentionSource ?? 'none');
    this.attentionWhy = options.attentionWhy;
    this.attentionFactory = options.attentionSession;
    this.source = options.source;
    this.logitsMode = options.logitsMode ?? (this.io.logitsToKeepInput ? 'keep-input' : 'all');
  }

  /** Where the inspector's attention comes from (`none`: nothing to show, see attentionUnavailableReason). */
  get attentionSource(): AttentionSource {
    return this.attentionSourceValue;
  }

  /** Why attention cannot be shown, in one sentence, or undefined when it can. */
  attentionUnavailableReason(name: string): string | undefined {
    if (this.attentionSourceValue !== 'none') return undefined;
    return `${name} shows no attention: ${this.attentionWhy ?? 'it exports no attention outputs (attentions.{i})'}`;
  }

  emptyCache(): KvCache {
    return KvCache.empty(this.runtime.ort, this.io.kv, this.gpuCut);
  }

  /** `keep`: logit rows of the last new positions the graph computes; 0 is every row. */
  private feeds(cache: KvCache, newIds: readonly number[], keep = 1): Feeds {
    if (newIds.length === 0) throw new Error('forward() needs at least one new token');
    const { ort } = this.runtime;
    const past = cache.length;
    const total = past + newIds.length;
    const feeds: Feeds = {
      input_ids: int64Tensor(ort, newIds, [1, newIds.length]), // [1, new]
      ...cache.feeds(), // past_key_values.*: [1, kvHeads, past, headDim]
    };
    if (this.io.hasAttentionMask) feeds.attention_mask = onesInt64(ort, [1, total]); // [1, total]
    if (this.io.hasPositionIds) feeds.position_ids = int64Tensor(ort, newIds.map((_, i) => past + i), [1, newIds.length]); // [1, new]
    if (this.io.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([past > 0 ? 1 : 0]), [1]); // [1]
    // 0 keeps every row (as transformers does), 1 only the last.
    if (this.io.logitsToKeepInput) feeds[this.io.logitsToKeepInput] = int64Tensor(ort, [keep], []); // scalar
    return feeds;
  }

  /** Feeds for the generation session, whose edited head (`sliced`) also reads the positions it keeps. */
  private mainFeeds(cache: KvCache, newIds: readonly number[], keep = 1): Feeds {
    const feeds = this.feeds(cache, newIds, keep);
    const rows = keep === 0 ? newIds.length : keep;
    if (this.logitsMode === 'sliced') feeds[LOGIT_ROWS_INPUT] = int64Tensor(this.runtime.ort, Array.from({ length: rows }, (_, i) => i - rows), [rows]); // [rows]
    return feeds;
  }

  /** Feeds for an attention pass on `session`, which may be the generation session itself. */
  private feedsFor(session: OrtSession, cache: KvCache, newIds: readonly number[]): Feeds {
    return session === this.session ? this.mainFeeds(cache, newIds) : this.feeds(cache, newIds);
  }

  /** The generation session; throws for a model opened for its attention only. */
  private generationSession(): OrtSession {
    if (!this.session) throw new ModelError('this model was opened for the inspector only: it does not generate');
    return this.session;
  }

  async forward(cache: KvCache, newIds: readonly number[], options: ForwardOptions = {}): Promise<ForwardResult> {
    if (options.allLogits && this.logitsMode === 'sliced') {
      throw new Error('this decoder was opened for last-position logits; open it with logits: "all" to read every row');
    }
    const keep = options.allLogits ? 0 : Math.max(1, Math.min(options.lastRows ?? 1, newIds.length));
    const feeds = this.mainFeeds(cache, newIds, keep);
    const wantAttention = options.attention === true;
    if (wantAttention && this.io.attentionNames.length === 0) throw new ModelError('this model exports no attention outputs to capture while generating (attentions.{i})');
    const outputNames = ['logits', ...this.io.kv.presentNames, ...(wantAttention ? this.io.attentionNames : [])];
    const outputs = await run(this.generationSession(), feeds, outputNames);
    try {
      const logits = outputs.logits as OrtTensor; // [1, rows, vocab]: rows = new tokens, or 1 when only the last is computed
      const [, rows, vocab] = logits.dims as [number, number, number];
      if (rows < (keep || newIds.length)) throw new InferenceError(`expected logits for ${keep || newIds.length} positions, got ${rows}`);
      const last = floatData(logits, (rows - 1) * vocab, rows * vocab); // [vocab]
      const kept = options.lastRows !== undefined ? floatData(logits, (rows - keep) * vocab, rows * vocab) : undefined; // [lastRows, vocab]
      return {
        // A copy when it would otherwise pin every row of a float32 output in memory.
        lastLogits: rows > 1 && logits.type === 'float32' ? last.slice() : last,
        allLogits: options.allLogits ? floatData(logits) : undefined,
        rows: kept && logits.type === 'float32' ? kept.slice() : kept, // a copy, for the same reason
        cache: cache.advanced(outputs, newIds), // owns the present.* outputs (GPU buffers on WebGPU)
        attentions: wantAttention ? this.io.attentionNames.map((name) => asFloat32Tensor(this.runtime.ort, outputs[name] as OrtTensor)) : undefined,
      };
    } catch (error) {
      disposeGpuTensors(Object.values(outputs)); // no cache took them
      throw error;
    }
  }

  /**
   * Runs two tokens from an empty cache and checks the logits come back as one row of the
   * vocabulary: the check an edited graph must pass before it serves requests.
   */
  async probeLastLogits(): Promise<void> {
    const outputs = await run(this.generationSession(), this.mainFeeds(this.emptyCache(), [0, 0]), ['logits']);
    const dims = (outputs.logits as OrtTensor).dims;
    if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== 1) {
      throw new InferenceError(`the last-position graph returned logits of shape [${dims.join(', ')}]`);
    }
  }

  /**
   * One pass over `ids` from an empty cache that computes only attention and fetches the layers
   * asked for, handed to onChunk chunk by chunk: chunk c runs its rows over the KV cache of the
   * chunks before it, so its attention is [heads, rows, keys so far] and equals those rows of one
   * run over every token (a causal row depends only on the tokens up to it). Runs on the attention
   * session (a copy of the graph cut down to its attention and KV outputs), opened on first use.
   */
  async attentionChunks(
    ids: readonly number[],
    layers: readonly number[],
    onChunk: (chunk: AttentionChunk) => void,
    options: AttentionChunkOptions = {},
  ): Promise<void> {
    const reason = this.attentionUnavailableReason('this model');
    if (reason) throw new ModelError(reason);
    const attention = await this.openAttentionSession();
    const names = layers.map((layer) => {
      const name = attention.names[layer];
      if (name !== undefined) return name;
      if (attention.hidden?.layers.includes(layer)) throw new ModelError(`layer ${layer}'s attention cannot be shown: ${attention.hidden.why}`);
      throw new RangeError(`layer ${layer} is outside 0..${attention.names.length - 1}`);
    });
    const presents = attention.presentNames;
    const rowsPerChunk = presents ? (options.rowsPerChunk ?? chunkRows(attention.names.length, this.config.heads, ids.length)) : ids.length;
    let cache = this.emptyCache();
    try {
      for (let start = 0; start < ids.length; start += rowsPerChunk) {
        if (options.signal?.aborted) throw new AbortError();
        const chunkIds = ids.slice(start, start + rowsPerChunk);
        const last = start + chunkIds.length >= ids.length;
        const outputs = await run(attention.session, this.feedsFor(attention.session, cache, chunkIds), [...names, ...(presents && !last ? presents : [])]);
        // The generation session serving as the attention session returns its cache on the GPU.
        if (presents && !last) cache = succeed(cache, cache.advanced(outputs, chunkIds));
        const tensors = new Map(layers.map((layer, i) => [layer, asFloat32Tensor(this.runtime.ort, outputs[names[i]!] as OrtTensor)]));
        const first = tensors.values().next().value;
        const [, , rows, keys] = (first?.dims ?? [0, 0, chunkIds.length, start + chunkIds.length]) as [number, number, number, number];
        if (rows !== chunkIds.length || keys !== start + chunkIds.length) {
          throw new InferenceError(`the attention session returned ${rows} × ${keys} attention for ${chunkIds.length} rows over ${start + chunkIds.length} keys`);
        }
        onChunk({ firstRow: start, rows, keys, layers: new Map([...tensors].map(([layer, tensor]) => [layer, tensor.data as Float32Array])) });
      }
    } finally {
      cache.dispose();
    }
  }

  /**
   * Every layer's attention over `ids` from one run: per layer [1, heads, ids, ids]. For reference
   * checks; the inspector streams chunks instead (attentionChunks).
   */
  async attentionPass(ids: readonly number[]): Promise<readonly OrtTensor[]> {
    const reason = this.attentionUnavailableReason('this model');
    if (reason) throw new ModelError(reason);
    const { session, names, hidden } = await this.openAttentionSession();
    if (hidden) throw new ModelError(hidden.why);
    const every = names as readonly string[];
    const outputs = await run(session, this.feedsFor(session, this.emptyCache(), ids), every);
    return every.map((name) => asFloat32Tensor(this.runtime.ort, outputs[name] as OrtTensor));
  }

  /**
   * The layers whose attention can be shown, in order: every layer but those whose fused operator
   * cannot be reproduced (`hidden`). Opens the attention session.
   */
  async attentionLayers(): Promise<{ readonly shown: readonly number[]; readonly hidden?: HiddenLayers }> {
    const { names, hidden } = await this.openAttentionSession();
    const shown = names.flatMap((name, layer) => (name === undefined ? [] : [layer]));
    return hidden ? { shown, hidden } : { shown };
  }

  /**
   * The generation session as the attention session: its own attentions.{i} outputs, and its KV
   * outputs for chunks (not for merged decoders, see openAttentionSession).
   */
  private ownAttention(): AttentionSession {
    const presents = this.io.hasUseCacheBranch ? {} : { presentNames: this.io.kv.presentNames };
    return { session: this.generationSession(), names: this.io.attentionNames, source: 'outputs', ...presents };
  }

  /**
   * Opens the attention session ahead of the first attentionPass (idempotent). When the graph edit
   * fails its probe, attentionSource becomes `none` with the reason, and the promise rejects.
   */
  openAttentionSession(): Promise<AttentionSession> {
    const factory = this.attentionFactory;
    this.attentionSession ??= (
      factory
        ? factory((ids) => this.feeds(this.emptyCache(), ids))
        : Promise.resolve(this.ownAttention())
    ).catch((error: unknown) => {
      // The graph's own attention outputs still work on the full graph when its pruned copy fails.
      if (this.io.attentionNames.length > 0 && this.session) return this.ownAttention();
      this.attentionSourceValue = 'none';
      this.attentionWhy = errorText(error);
      throw error;
    });
    return this.attentionSession;
  }

  async dispose(): Promise<void> {
    const attention = await this.attentionSession?.catch(() => undefined);
    if (attention && attention.session !== this.session) await attention.session.release();
    await this.session?.release();
  }
}

export interface OpenDecoderOptions {
  readonly dtype?: DtypeChoice;
  /**
   * Open only the attention session (an inspector-only engine): no generation session, so the
   * weights sit in memory once.
   */
  readonly attentionOnly?: boolean;
  /** `last` (default): prefill computes only the last position's logits; `all`: every row (reference checks). */
  readonly logits?: 'last' | 'all';
}

/**
 * Opens the decoder of a model folder: the file of the dtype asked for (`onnx/model{suffix}.onnx`,
 * or Optimum's `decoder_model_merged{suffix}.onnx`), with its external data, read once.
 */
export async function openDecoderModel(folder: ModelFolder, runtime: Runtime, options: OpenDecoderOptions = {}): Promise<DecoderModel> {
  const chosen = await chooseDtypeFiles(folder.files, onnxRoles('decoder'), options.dtype ?? 'auto', runtime.backend, await gpuFacts(runtime));
  const file = chosen.paths[0] as string;
  const onnx = await readOnnxFile(folder.files, file);
  const source: DecoderSource = {
    file,
    dtype: chosen.file.dtype,
    reason: chosen.reason,
    parameters: tiedParameters(onnx.summary, folder.config.tiedEmbeddings, folder.config.vocabSize * folder.config.hiddenSize),
    bytes: chosen.file.bytes,
    dtypes: chosen.dtypes,
    perRunQuantization: PER_RUN_QUANTIZATION.some((op) => onnx.summary.opTypes.has(op)),
  };
  // Read again when needed rather than keep the file's bytes for a session that may never open.
  const attentionSession: AttentionSessionFactory = async (feeds) => {
    const again = await readOnnxFile(folder.files, file);
    try {
      return await openAttentionSession(runtime, again, folder.config, feeds);
    } finally {
      releaseExternalData(again);
    }
  };
  // An export with its own attention outputs shows them from the generation session itself: a
  // copy cut down to them would hold the weights a second time (about 125 MB of RSS for the 26 MB
  // default model, measured), for a pass that is faster only by the last layer's MLP.
  const ownOutputs = onnx.summary.outputNames.filter((n) => ATTENTION_OUTPUT.test(n)).length === folder.config.layers;
  const common: DecoderModelOptions = { ...staticAttentionSource(onnx.summary, ATTENTION_OUTPUT), ...(ownOutputs ? {} : { attentionSession }), source };
  try {
    // The graph's inputs and outputs as the file declares them, before onnxruntime builds a session
    // (two: seconds on a busy machine): a file without input_ids or past_key_values.* is refused at once.
    discoverDecoderIo({ inputs: onnx.summary.inputs, outputNames: onnx.summary.outputNames }, folder.config, file);
    if (options.attentionOnly) {
      const graph: GraphIo = { inputs: onnx.summary.inputs, outputNames: onnx.summary.outputNames };
      // The file is in memory already: the attention session opens from it, now.
      const model = new DecoderModel(runtime, undefined, folder.config, { ...common, graph, attentionSession: (feeds) => openAttentionSession(runtime, onnx, folder.config, feeds) });
      await model.openAttentionSession().catch(() => undefined); // a failed edit leaves attentionSource `none` and its reason
      return model;
    }
    return await openSessions(folder, runtime, onnx, options, common);
  } finally {
    releaseExternalData(onnx);
  }
}

const ATTENTION_OUTPUT = /^attentions\.\d+$/;
const PRESENT_OUTPUT = /^present\.\d+\.(key|value)$/;

const PROBE_TOKENS = 3;

/**
 * The inspector's session: the graph's own attention outputs, or a copy whose extra outputs are
 * found by graph surgery (attentionSurgery.ts), cut down to them, and checked on a probe run.
 */
async function openAttentionSession(runtime: Runtime, onnx: OnnxFile, config: ModelConfig, feeds: (ids: readonly number[]) => Feeds): Promise<AttentionSession> {
  // The KV outputs too, so that a pass can run in chunks over its own cache; not for Optimum's
  // merged decoders, whose no-past branch (the one inlined for surgery) ignores the cache.
  const chunked = !onnx.summary.inputNames.includes('use_cache_branch');
  const presentNames = chunked ? onnx.summary.outputNames.filter((n) => PRESENT_OUTPUT.test(n)) : [];
  const kept = presentNames.length > 0 ? { presentNames } : {};
  const own = onnx.summary.outputNames.filter((n) => ATTENTION_OUTPUT.test(n)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  if (own.length === config.layers) {
    return { session: await createSession(runtime, { ...onnx, bytes: pruneToOutputs(onnx.bytes, [...own, ...presentNames]).bytes }), names: own, source: 'outputs', ...kept };
  }
  const probe = { feeds: async () => feeds(Array.from({ length: PROBE_TOKENS }, () => 0)), queries: PROBE_TOKENS, heads: config.heads, kinds: { self: PROBE_TOKENS }, layers: { self: config.layers } };
  const tapped = await openTappedSession(runtime, onnx, probe, presentNames);
  return { session: tapped.session, names: tapped.names.self, source: tapped.source, ...(tapped.hidden ? { hidden: tapped.hidden } : {}), ...kept };
}

/** The last-position session when the graph allows it (checked on a probe), else the graph as exported. */
async function openSessions(folder: ModelFolder, runtime: Runtime, onnx: OnnxFile, options: OpenDecoderOptions, common: DecoderModelOptions): Promise<DecoderModel> {
  const keepsLogits = onnx.summary.inputNames.some((n) => n === 'num_logits_to_keep' || n === 'logits_to_keep');
  const edit = options.logits !== 'all' && !keepsLogits ? sliceLogitsToLastPosition(onnx.bytes) : undefined;
  // The cache stays where the next pass reads it (on WebGPU, the GPU); everything else comes back.
  const placement: OutputPlacement = { onGpu: onnx.summary.outputNames.filter((n) => PRESENT_OUTPUT.test(n)) };
  if (edit) {
    const session = await createSession(runtime, { ...onnx, bytes: edit.bytes }, placement);
    try {
      const model = new DecoderModel(runtime, session, folder.config, { ...common, logitsMode: 'sliced' });
      await model.probeLastLogits();
      return model;
    } catch {
      // The head was not what it looked like: serve the graph as exported.
      await session.release();
    }
  }
  const session = await createSession(runtime, onnx, placement);
  try {
    return new DecoderModel(runtime, session, folder.config, common);
  } catch (error) {
    await session.release();
    throw error;
  }
}
