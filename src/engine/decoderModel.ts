// One decoder-only ONNX model with KV cache: discovers its input/output names (exporter
// conventions kept exactly) and runs one forward pass over new tokens on top of a cache.
import type { Dtype, DtypeChoice } from './dtype';
import { InferenceError, ModelError } from './errors';
import { KvCache, type KvLayout } from './kvCache';
import type { ModelConfig } from './modelConfig';
import { chooseDtypeFiles, type ModelFolder, type OnnxFile, onnxRoles, readOnnxFile, releaseExternalData } from './modelFolder';
import { asFloat32Tensor, createSession, type Feeds, floatData, inputInfo, int64Tensor, onesInt64, type OrtSession, type OrtTensor, run, type Runtime } from './onnx';
import { sliceLogitsToLastPosition } from './onnxLastLogits';
import { tiedParameters } from './onnxProto';
import { pruneToOutputs } from './onnxPrune';

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
}

export interface ForwardResult {
  /** [vocab] logits of the last new position */
  readonly lastLogits: Float32Array;
  /** [newTokens, vocab] when allLogits was asked */
  readonly allLogits?: Float32Array;
  readonly cache: KvCache;
  /** Per layer, [1, heads, newTokens, cache.length] */
  readonly attentions?: readonly OrtTensor[];
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const ATTENTIONS = /^attentions\.(\d+)$/;

function byLayer(names: readonly string[], pattern: RegExp): string[] {
  return names
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((x): x is { name: string; match: RegExpExecArray } => x.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]) || (a.match[2] ?? '').localeCompare(b.match[2] ?? ''))
    .map((x) => x.name);
}

export function discoverDecoderIo(session: OrtSession, config: ModelConfig, file = 'onnx/model.onnx'): DecoderIo {
  const inputs = inputInfo(session);
  const inputNames = inputs.map((i) => i.name);
  if (!inputNames.includes('input_ids')) throw new ModelError(`${file} has no input_ids input`);
  const pastNames = byLayer(inputNames, PAST); // key before value within a layer
  if (pastNames.length === 0) {
    throw new ModelError(`${file} has no past_key_values.* inputs: export it with KV cache (a merged decoder)`);
  }
  if (pastNames.length !== 2 * config.layers) {
    throw new ModelError(`${file} has ${pastNames.length / 2} cached layers but config.json declares ${config.layers}`);
  }
  const presentNames = pastNames.map((name) => name.replace('past_key_values.', 'present.'));
  const missing = presentNames.filter((name) => !session.outputNames.includes(name));
  if (missing.length > 0 || !session.outputNames.includes('logits')) {
    throw new ModelError(`${file} lacks outputs ${['logits', ...missing].filter((n) => !session.outputNames.includes(n)).join(', ')}`);
  }
  const first = inputs.find((i) => i.name === pastNames[0]);
  const shape = first?.shape ?? [];
  // The graph's own shapes win over config.json; symbolic dims fall back to the config.
  const kvHeads = typeof shape[1] === 'number' ? shape[1] : config.kvHeads;
  const headDim = typeof shape[3] === 'number' ? shape[3] : config.headDim;
  const dtype = first?.type === 'float16' ? 'float16' : 'float32';
  const attentionNames = byLayer(session.outputNames, ATTENTIONS);
  const logitsToKeepInput = inputNames.find((n) => n === 'num_logits_to_keep' || n === 'logits_to_keep');
  return {
    hasAttentionMask: inputNames.includes('attention_mask'),
    hasPositionIds: inputNames.includes('position_ids'),
    hasUseCacheBranch: inputNames.includes('use_cache_branch'),
    ...(logitsToKeepInput ? { logitsToKeepInput } : {}),
    kv: { pastNames, presentNames, kvHeads, headDim, dtype },
    attentionNames: attentionNames.length === config.layers ? attentionNames : [],
  };
}

/** Opens a session of the graph cut down to the given outputs. */
export type PrunedSessionFactory = (outputs: readonly string[]) => Promise<OrtSession>;

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
}

export interface DecoderModelOptions {
  /** Fused attention ops in the graph (com.microsoft Attention, GroupQueryAttention, …). */
  readonly fusedAttentionOps?: readonly string[];
  /** Where the attention-only session comes from; without it, attention runs on the full graph. */
  readonly prunedSession?: PrunedSessionFactory;
  readonly logitsMode?: LogitsMode;
  readonly source?: DecoderSource;
}

export class DecoderModel {
  readonly io: DecoderIo;
  readonly fusedAttentionOps: readonly string[];
  readonly logitsMode: LogitsMode;
  readonly source: DecoderSource | undefined;
  private readonly prunedSession: PrunedSessionFactory | undefined;
  private attentionSession: Promise<OrtSession> | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly session: OrtSession,
    readonly config: ModelConfig,
    options: DecoderModelOptions = {},
  ) {
    this.io = discoverDecoderIo(session, config, options.source?.file);
    this.fusedAttentionOps = options.fusedAttentionOps ?? [];
    this.prunedSession = options.prunedSession;
    this.source = options.source;
    this.logitsMode = options.logitsMode ?? (this.io.logitsToKeepInput ? 'keep-input' : 'all');
  }

  /** Why attention cannot be shown, in one line, or undefined when it can. */
  attentionUnavailableReason(name: string): string | undefined {
    if (this.io.attentionNames.length > 0) return undefined;
    if (this.fusedAttentionOps.length > 0) {
      const ops = [...new Set(this.fusedAttentionOps)].join(', ');
      return `${name} computes attention inside fused ${ops} ops, which hide the probabilities: re-export it without fusion and with attentions.{i} outputs (models/recipes/tealeaf_export.py)`;
    }
    return `${name} exports no attention outputs (attentions.{i}): re-export it with them (models/recipes/tealeaf_export.py) to inspect it`;
  }

  emptyCache(): KvCache {
    return KvCache.empty(this.runtime.ort, this.io.kv);
  }

  private feeds(cache: KvCache, newIds: readonly number[], allLogits = false): Feeds {
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
    if (this.io.logitsToKeepInput) feeds[this.io.logitsToKeepInput] = int64Tensor(ort, [allLogits ? 0 : 1], []); // scalar
    return feeds;
  }

  async forward(cache: KvCache, newIds: readonly number[], options: ForwardOptions = {}): Promise<ForwardResult> {
    if (options.allLogits && this.logitsMode === 'sliced') {
      throw new Error('this decoder was opened for last-position logits; open it with logits: "all" to read every row');
    }
    const feeds = this.feeds(cache, newIds, options.allLogits === true);
    const wantAttention = options.attention === true;
    if (wantAttention && this.io.attentionNames.length === 0) throw new ModelError(this.attentionUnavailableReason('this model') as string);
    const outputNames = ['logits', ...this.io.kv.presentNames, ...(wantAttention ? this.io.attentionNames : [])];
    const outputs = await run(this.session, feeds, outputNames);
    const logits = outputs.logits as OrtTensor; // [1, rows, vocab]: rows = new tokens, or 1 when only the last is computed
    const [, rows, vocab] = logits.dims as [number, number, number];
    if (options.allLogits && rows !== newIds.length) throw new InferenceError(`expected logits for ${newIds.length} positions, got ${rows}`);
    const last = floatData(logits, (rows - 1) * vocab, rows * vocab); // [vocab]
    return {
      // A copy when it would otherwise pin every row of a float32 output in memory.
      lastLogits: rows > 1 && logits.type === 'float32' ? last.slice() : last,
      allLogits: options.allLogits ? floatData(logits) : undefined,
      cache: cache.advanced(outputs, newIds),
      attentions: wantAttention ? this.io.attentionNames.map((name) => asFloat32Tensor(this.runtime.ort, outputs[name] as OrtTensor)) : undefined,
    };
  }

  /**
   * Runs two tokens from an empty cache and checks the logits come back as one row of the
   * vocabulary: the check an edited graph must pass before it serves requests.
   */
  async probeLastLogits(): Promise<void> {
    const outputs = await run(this.session, this.feeds(this.emptyCache(), [0, 0]), ['logits']);
    const dims = (outputs.logits as OrtTensor).dims;
    if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== 1) {
      throw new InferenceError(`the last-position graph returned logits of shape [${dims.join(', ')}]`);
    }
  }

  /**
   * One pass over `ids` from an empty cache that computes and fetches only attentions.{i}: per
   * layer [1, heads, ids, ids]. Runs on a copy of the graph pruned to those outputs (no LM head, no
   * last MLP), opened on first use; if the graph cannot be pruned, on the full graph.
   */
  async attentionPass(ids: readonly number[]): Promise<readonly OrtTensor[]> {
    if (this.io.attentionNames.length === 0) throw new ModelError(this.attentionUnavailableReason('this model') as string);
    const session = await this.openAttentionSession();
    const outputs = await run(session, this.feeds(this.emptyCache(), ids), this.io.attentionNames);
    return this.io.attentionNames.map((name) => asFloat32Tensor(this.runtime.ort, outputs[name] as OrtTensor));
  }

  /** Opens the attention-only session ahead of the first attentionPass (idempotent). */
  openAttentionSession(): Promise<OrtSession> {
    const factory = this.prunedSession;
    this.attentionSession ??= factory ? factory(this.io.attentionNames).catch(() => this.session) : Promise.resolve(this.session);
    return this.attentionSession;
  }

  async dispose(): Promise<void> {
    const attention = await this.attentionSession?.catch(() => undefined);
    if (attention && attention !== this.session) await attention.release();
    await this.session.release();
  }
}

export interface OpenDecoderOptions {
  readonly dtype?: DtypeChoice;
  /** `last` (default): prefill computes only the last position's logits; `all`: every row (reference checks). */
  readonly logits?: 'last' | 'all';
}

/**
 * Opens the decoder of a model folder: the file of the dtype asked for (`onnx/model{suffix}.onnx`,
 * or Optimum's `decoder_model_merged{suffix}.onnx`), with its external data, read once.
 */
export async function openDecoderModel(folder: ModelFolder, runtime: Runtime, options: OpenDecoderOptions = {}): Promise<DecoderModel> {
  const chosen = await chooseDtypeFiles(folder.files, onnxRoles('decoder'), options.dtype ?? 'auto', runtime.backend);
  const file = chosen.paths[0] as string;
  const onnx = await readOnnxFile(folder.files, file);
  const source: DecoderSource = {
    file,
    dtype: chosen.file.dtype,
    reason: chosen.reason,
    parameters: tiedParameters(onnx.summary, folder.config.tiedEmbeddings, folder.config.vocabSize * folder.config.hiddenSize),
    bytes: chosen.file.bytes,
    dtypes: chosen.dtypes,
  };
  // Read again when needed rather than keep the file's bytes for a session that may never open.
  const prunedSession: PrunedSessionFactory = async (outputs) => {
    const again = await readOnnxFile(folder.files, file);
    try {
      return await createSession(runtime, { ...again, bytes: pruneToOutputs(again.bytes, outputs).bytes });
    } finally {
      releaseExternalData(again);
    }
  };
  try {
    return await openSessions(folder, runtime, onnx, options, { fusedAttentionOps: onnx.summary.fusedAttentionOps, prunedSession, source });
  } finally {
    releaseExternalData(onnx);
  }
}

/** The last-position session when the graph allows it (checked on a probe), else the graph as exported. */
async function openSessions(folder: ModelFolder, runtime: Runtime, onnx: OnnxFile, options: OpenDecoderOptions, common: DecoderModelOptions): Promise<DecoderModel> {
  const keepsLogits = onnx.summary.inputNames.some((n) => n === 'num_logits_to_keep' || n === 'logits_to_keep');
  const edit = options.logits !== 'all' && !keepsLogits ? sliceLogitsToLastPosition(onnx.bytes) : undefined;
  if (edit) {
    const session = await createSession(runtime, { ...onnx, bytes: edit.bytes });
    try {
      const model = new DecoderModel(runtime, session, folder.config, { ...common, logitsMode: 'sliced' });
      await model.probeLastLogits();
      return model;
    } catch {
      // The head was not what it looked like: serve the graph as exported.
      await session.release();
    }
  }
  const session = await createSession(runtime, onnx);
  try {
    return new DecoderModel(runtime, session, folder.config, common);
  } catch (error) {
    await session.release();
    throw error;
  }
}
