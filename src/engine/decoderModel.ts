// One decoder-only ONNX model with KV cache: discovers its input/output names (exporter
// conventions kept exactly) and runs one forward pass over new tokens on top of a cache.
import { ModelError } from './errors';
import { KvCache, type KvLayout } from './kvCache';
import type { ModelConfig } from './modelConfig';
import { findOnnxFile, type ModelFolder, ONNX_FILES, readOnnxFile } from './modelFolder';
import { createSession, type Feeds, inputInfo, int64Tensor, onesInt64, type OrtSession, type OrtTensor, run, type Runtime, floatData } from './onnx';
import { pruneToOutputs } from './onnxPrune';

export interface DecoderIo {
  readonly hasAttentionMask: boolean;
  readonly hasPositionIds: boolean;
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

export function discoverDecoderIo(session: OrtSession, config: ModelConfig): DecoderIo {
  const inputs = inputInfo(session);
  const inputNames = inputs.map((i) => i.name);
  if (!inputNames.includes('input_ids')) throw new ModelError('onnx/model.onnx has no input_ids input');
  const pastNames = byLayer(inputNames, PAST); // key before value within a layer
  if (pastNames.length === 0) {
    throw new ModelError('onnx/model.onnx has no past_key_values.* inputs: export it with KV cache (a merged decoder)');
  }
  if (pastNames.length !== 2 * config.layers) {
    throw new ModelError(`onnx/model.onnx has ${pastNames.length / 2} cached layers but config.json declares ${config.layers}`);
  }
  const presentNames = pastNames.map((name) => name.replace('past_key_values.', 'present.'));
  const missing = presentNames.filter((name) => !session.outputNames.includes(name));
  if (missing.length > 0 || !session.outputNames.includes('logits')) {
    throw new ModelError(`onnx/model.onnx lacks outputs ${['logits', ...missing].filter((n) => !session.outputNames.includes(n)).join(', ')}`);
  }
  const first = inputs.find((i) => i.name === pastNames[0]);
  const shape = first?.shape ?? [];
  const kvHeads = typeof shape[1] === 'number' ? shape[1] : config.kvHeads;
  const headDim = typeof shape[3] === 'number' ? shape[3] : config.hiddenSize / config.heads;
  const dtype = first?.type === 'float16' ? 'float16' : 'float32';
  const attentionNames = byLayer(session.outputNames, ATTENTIONS);
  return {
    hasAttentionMask: inputNames.includes('attention_mask'),
    hasPositionIds: inputNames.includes('position_ids'),
    kv: { pastNames, presentNames, kvHeads, headDim, dtype },
    attentionNames: attentionNames.length === config.layers ? attentionNames : [],
  };
}

/** Opens a session of the graph cut down to the given outputs. */
export type PrunedSessionFactory = (outputs: readonly string[]) => Promise<OrtSession>;

export class DecoderModel {
  readonly io: DecoderIo;
  private attentionSession: Promise<OrtSession> | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly session: OrtSession,
    readonly config: ModelConfig,
    /** Fused attention ops in the graph (com.microsoft Attention, GroupQueryAttention, …). */
    readonly fusedAttentionOps: readonly string[] = [],
    /** Where the attention-only session comes from; without it, attention runs on the full graph. */
    private readonly prunedSession?: PrunedSessionFactory,
  ) {
    this.io = discoverDecoderIo(session, config);
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

  private feeds(cache: KvCache, newIds: readonly number[]): Feeds {
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
    return feeds;
  }

  async forward(cache: KvCache, newIds: readonly number[], options: ForwardOptions = {}): Promise<ForwardResult> {
    const feeds = this.feeds(cache, newIds);
    const wantAttention = options.attention === true;
    if (wantAttention && this.io.attentionNames.length === 0) throw new ModelError(this.attentionUnavailableReason('this model') as string);
    const outputNames = ['logits', ...this.io.kv.presentNames, ...(wantAttention ? this.io.attentionNames : [])];
    const outputs = await run(this.session, feeds, outputNames);
    const logits = floatData(outputs.logits as OrtTensor); // [1, new, vocab]
    const vocab = logits.length / newIds.length;
    const lastLogits = logits.slice((newIds.length - 1) * vocab);
    return {
      lastLogits,
      allLogits: options.allLogits ? logits : undefined,
      cache: cache.advanced(outputs, newIds),
      attentions: wantAttention ? this.io.attentionNames.map((name) => outputs[name] as OrtTensor) : undefined,
    };
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
    return this.io.attentionNames.map((name) => outputs[name] as OrtTensor);
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

/** Opens the decoder ONNX file of a model folder (onnx/model.onnx, or Optimum's merged decoder). */
export async function openDecoderModel(folder: ModelFolder, runtime: Runtime): Promise<DecoderModel> {
  const file = await findOnnxFile(folder.files, ONNX_FILES.decoder);
  const onnx = await readOnnxFile(folder.files, file);
  const session = await createSession(runtime, onnx);
  // Read again when needed rather than keep the file's bytes for a session that may never open.
  const prunedSession: PrunedSessionFactory = async (outputs) => {
    const again = await readOnnxFile(folder.files, file);
    return createSession(runtime, { ...again, bytes: pruneToOutputs(again.bytes, outputs).bytes });
  };
  return new DecoderModel(runtime, session, folder.config, onnx.summary.fusedAttentionOps, prunedSession);
}
