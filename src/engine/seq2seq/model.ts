// One encoder-decoder export (onnx/encoder_model.onnx + onnx/decoder_model_merged.onnx): the
// encoder runs once per source; each decoder step feeds one new token per batch row on top of the
// cached self-attention keys/values and, where the export allows, the cross-attention keys/values
// that the first step computed (they depend only on the encoder output, so recomputing them every
// step would be wasted work). Batch rows are beams; reorder() follows beam search's choices.
import { type AttentionSource, type CompleteTappedSession, openTappedSession, requireEveryLayer, staticAttentionSource } from '../attentionSurgery';
import type { Dtype, DtypeChoice } from '../dtype';
import { ModelError } from '../errors';
import { chooseDtypeFiles, type ModelFolder, onnxRoles, readOnnxFile, releaseExternalData } from '../modelFolder';
import { sharedParameters } from '../onnxProto';
import { asFloat32Tensor, createSession, type Feeds, floatData, gpuFacts, int64Tensor, onesInt64, type OrtSession, type OrtTensor, run, type Runtime } from '../onnx';
import { type DecoderIo, discoverDecoderIo, discoverEncoderIo, type EncoderIo } from './io';
import { emptyKv, gatherRows, lastQueryRows } from './tensors';
import { errorText } from '../../util/unknown';

export interface EncoderOutput {
  /** [1, source, hidden] */
  readonly hidden: OrtTensor;
  readonly length: number;
  /** When asked: per layer [1, heads, source, source] */
  readonly attentions?: readonly OrtTensor[];
}

/** Everything one decoder step needs besides the new tokens; immutable (steps return a new one). */
export interface DecoderState {
  readonly batch: number;
  /** [batch, source, hidden] */
  readonly encoderHidden: OrtTensor;
  /** [batch, source] */
  readonly encoderMask: OrtTensor;
  /** Decoder inputs fed so far, per row (start token first). */
  readonly inputs: readonly (readonly number[])[];
  /** past_key_values.{i}.decoder.key|value: [batch, heads, fed, headDim]; empty when recomputing. */
  readonly selfKv: readonly OrtTensor[];
  /** past_key_values.{i}.encoder.key|value: [batch, heads, source, headDim] after the first step, [batch, heads, 0, headDim] before. */
  readonly crossKv: readonly OrtTensor[];
}

export interface StepResult {
  /** [batch, vocab] logits of each row's newest position */
  readonly logits: Float32Array;
  readonly vocab: number;
  readonly state: DecoderState;
  /** When asked: per batch row, per layer [heads, source] — the new position's cross-attention. */
  readonly cross?: readonly (readonly Float32Array[])[];
}

/** The files an encoder-decoder was opened from, for messages and `check-model`. */
export interface Seq2SeqSource {
  readonly files: readonly string[];
  readonly dtype: Dtype;
  readonly reason: string;
  readonly parameters: number;
  readonly bytes: number;
  /** Every dtype the folder has encoder and decoder files for. */
  readonly dtypes: readonly Dtype[];
}

/** Per layer of a teacher-forced decoder pass: [1, heads, target, target] and [1, heads, target, source]. */
export interface DecoderAttentions {
  readonly self: readonly OrtTensor[];
  readonly cross: readonly OrtTensor[];
}

const PROBE_SOURCE = 3;
const PROBE_TARGET = 2;

export class Seq2SeqModel {
  /** Where the inspector's attention comes from (the encoder's; the decoder's follows the same export). */
  private attentionSourceValue: AttentionSource;
  private attentionWhy: string | undefined;
  private encoderTaps: Promise<CompleteTappedSession<'self'>> | undefined;
  private decoderTaps: Promise<CompleteTappedSession<'self' | 'cross'>> | undefined;

  private constructor(
    private readonly runtime: Runtime,
    private readonly encoder: OrtSession,
    private readonly decoder: OrtSession,
    readonly encoderIo: EncoderIo,
    readonly decoderIo: DecoderIo,
    readonly source: Seq2SeqSource,
    private readonly folder: ModelFolder,
    encoderSource: ReturnType<typeof staticAttentionSource>,
  ) {
    this.attentionSourceValue = encoderSource.attentionSource;
    this.attentionWhy = encoderSource.attentionWhy;
  }

  get attentionSource(): AttentionSource {
    return this.attentionSourceValue;
  }

  /** Why the encoder's attention cannot be shown, or undefined when it can. */
  get attentionUnavailableReason(): string | undefined {
    return this.attentionSourceValue === 'none' ? (this.attentionWhy ?? 'the encoder exports no attention outputs') : undefined;
  }

  /** Opens the encoder and decoder files of one dtype (`encoder_model{suffix}.onnx`, `decoder_model_merged{suffix}.onnx`). */
  static async open(folder: ModelFolder, runtime: Runtime, dtype: DtypeChoice = 'auto'): Promise<Seq2SeqModel> {
    const chosen = await chooseDtypeFiles(folder.files, onnxRoles('encoder-decoder'), dtype, runtime.backend, await gpuFacts(runtime));
    const [encoderPath, decoderPath] = chosen.paths as [string, string];
    const encoderFile = await readOnnxFile(folder.files, encoderPath);
    let encoder: OrtSession;
    try {
      encoder = await createSession(runtime, encoderFile);
    } finally {
      releaseExternalData(encoderFile);
    }
    const encoderSource = staticAttentionSource(encoderFile.summary, /^encoder_attentions\.\d+$/);
    let decoder: OrtSession;
    let decoderParameters: number;
    try {
      const decoderFile = await readOnnxFile(folder.files, decoderPath);
      decoderParameters = decoderFile.summary.parameters - sharedParameters(encoderFile.summary, decoderFile.summary, folder.config.vocabSize);
      try {
        decoder = await createSession(runtime, decoderFile);
      } finally {
        releaseExternalData(decoderFile);
      }
    } catch (error) {
      await encoder.release();
      throw error;
    }
    const source: Seq2SeqSource = {
      files: chosen.paths,
      dtype: chosen.file.dtype,
      reason: chosen.reason,
      parameters: encoderFile.summary.parameters + decoderParameters,
      bytes: chosen.file.bytes,
      dtypes: chosen.dtypes,
    };
    try {
      return new Seq2SeqModel(
        runtime,
        encoder,
        decoder,
        discoverEncoderIo(encoder, encoderPath),
        discoverDecoderIo(decoder, folder.config, decoderPath),
        source,
        folder,
        encoderSource,
      );
    } catch (error) {
      await Promise.all([encoder.release(), decoder.release()]);
      throw error;
    }
  }

  get hasCrossAttentions(): boolean {
    return this.decoderIo.crossAttentionNames.length > 0;
  }

  private encoderFeeds(ids: readonly number[]): Feeds {
    const { ort } = this.runtime;
    const feeds: Feeds = { input_ids: int64Tensor(ort, ids, [1, ids.length]) }; // [1, source]
    if (this.encoderIo.hasAttentionMask) feeds.attention_mask = onesInt64(ort, [1, ids.length]);
    return feeds;
  }

  async encode(ids: readonly number[], options: { readonly attention?: boolean } = {}): Promise<EncoderOutput> {
    if (ids.length === 0) throw new ModelError('the source encodes to no tokens');
    const { ort } = this.runtime;
    const own = this.encoderIo.attentionNames;
    if (options.attention && own.length === 0) {
      // The inspector's copy computes the hidden states too: one run gives both.
      const taps = await this.openEncoderTaps();
      const outputs = await run(taps.session, this.encoderFeeds(ids), ['last_hidden_state', ...taps.names.self]);
      return { hidden: outputs.last_hidden_state as OrtTensor, length: ids.length, attentions: taps.names.self.map((name) => asFloat32Tensor(ort, outputs[name] as OrtTensor)) };
    }
    const attentionNames = options.attention ? own : [];
    const outputs = await run(this.encoder, this.encoderFeeds(ids), ['last_hidden_state', ...attentionNames]);
    return {
      hidden: outputs.last_hidden_state as OrtTensor,
      length: ids.length,
      ...(options.attention ? { attentions: attentionNames.map((name) => asFloat32Tensor(ort, outputs[name] as OrtTensor)) } : {}),
    };
  }

  /** The inspector's copy of the encoder (graph surgery), opened on first use; a failure makes attentionSource `none`. */
  private openEncoderTaps(): Promise<CompleteTappedSession<'self'>> {
    this.encoderTaps ??= this.openTaps('encoder', async (onnx) => {
      const { config } = this.folder;
      const probe = { feeds: async () => this.encoderFeeds(Array(PROBE_SOURCE).fill(0)), queries: PROBE_SOURCE, heads: config.heads, kinds: { self: PROBE_SOURCE }, layers: { self: config.layers } };
      return requireEveryLayer(await openTappedSession(this.runtime, onnx, probe, ['last_hidden_state']));
    });
    return this.encoderTaps;
  }

  /** The inspector's copy of the decoder: self- and cross-attention of a teacher-forced pass. */
  private openDecoderTaps(): Promise<CompleteTappedSession<'self' | 'cross'>> {
    this.decoderTaps ??= this.openTaps('decoder', async (onnx) => {
      const { config } = this.folder;
      const feeds = async () => this.teacherForcedFeeds(await this.encode(Array(PROBE_SOURCE).fill(0)), Array(PROBE_TARGET).fill(0));
      const probe = { feeds, queries: PROBE_TARGET, heads: config.decoderHeads, kinds: { self: PROBE_TARGET, cross: PROBE_SOURCE }, layers: { self: config.decoderLayers, cross: config.decoderLayers } };
      return requireEveryLayer(await openTappedSession(this.runtime, onnx, probe));
    });
    return this.decoderTaps;
  }

  private async openTaps<T>(part: 'encoder' | 'decoder', open: (onnx: Awaited<ReturnType<typeof readOnnxFile>>) => Promise<T>): Promise<T> {
    const file = this.source.files[part === 'encoder' ? 0 : 1] as string;
    const onnx = await readOnnxFile(this.folder.files, file);
    try {
      return await open(onnx);
    } catch (error) {
      if (part === 'encoder') {
        this.attentionSourceValue = 'none';
        this.attentionWhy = errorText(error);
      }
      throw error;
    } finally {
      releaseExternalData(onnx);
    }
  }

  /** The state before the first decoder step: one row, nothing fed yet (feed the start token). */
  start(encoder: EncoderOutput): DecoderState {
    const { ort } = this.runtime;
    const io = this.decoderIo;
    const empty = (names: readonly string[] | undefined): OrtTensor[] =>
      (names ?? []).map(() => emptyKv(ort, io.kvDtype, 1, io.heads, io.headDim)); // [1, heads, 0, headDim]
    return {
      batch: 1,
      encoderHidden: encoder.hidden,
      encoderMask: onesInt64(ort, [1, encoder.length]), // [1, source]
      inputs: [[]],
      selfKv: empty(io.selfKv?.past),
      crossKv: empty(io.crossKv?.past),
    };
  }

  /** Feeds one new token per row. */
  async step(state: DecoderState, tokens: readonly number[], options: { readonly crossAttention?: boolean } = {}): Promise<StepResult> {
    if (tokens.length !== state.batch) throw new Error(`step() got ${tokens.length} tokens for ${state.batch} rows`);
    const { ort } = this.runtime;
    const io = this.decoderIo;
    const inputs = state.inputs.map((row, i) => [...row, tokens[i] as number]);
    const cached = io.selfKv !== undefined;
    // With a cache only the new token goes in; without one, the whole target prefix every step.
    const fed = cached ? tokens.map((t) => [t]) : inputs;
    const width = (fed[0] as number[]).length;
    const feeds: Feeds = {
      input_ids: int64Tensor(ort, fed.flat(), [state.batch, width]), // [batch, new]
      encoder_hidden_states: state.encoderHidden, // [batch, source, hidden]
    };
    if (io.hasEncoderAttentionMask) feeds.encoder_attention_mask = state.encoderMask; // [batch, source]
    const firstStep = (state.inputs[0] as readonly number[]).length === 0;
    io.selfKv?.past.forEach((name, i) => {
      feeds[name] = state.selfKv[i] as OrtTensor; // [batch, heads, past, headDim]
    });
    io.crossKv?.past.forEach((name, i) => {
      feeds[name] = state.crossKv[i] as OrtTensor; // [batch, heads, 0 | source, headDim]
    });
    if (io.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([firstStep ? 0 : 1]), [1]);
    const wantCross = options.crossAttention === true && this.hasCrossAttentions;
    // Cross keys/values are read once, on the first step; later steps keep feeding those.
    const crossPresents = firstStep ? (io.crossKv?.present ?? []) : [];
    const outputNames = ['logits', ...(io.selfKv?.present ?? []), ...crossPresents, ...(wantCross ? io.crossAttentionNames : [])];
    const outputs = await run(this.decoder, feeds, outputNames);
    const logitsTensor = outputs.logits as OrtTensor; // [batch, new, vocab]
    const all = floatData(logitsTensor);
    const vocab = logitsTensor.dims[2] as number;
    const logits = new Float32Array(state.batch * vocab); // [batch, vocab]
    for (let b = 0; b < state.batch; b++) {
      const from = (b * width + width - 1) * vocab;
      logits.set(all.subarray(from, from + vocab), b * vocab);
    }
    const next: DecoderState = {
      ...state,
      inputs,
      selfKv: io.selfKv?.present.map((name) => required(outputs, name)) ?? [],
      crossKv: firstStep ? (io.crossKv?.present.map((name) => required(outputs, name)) ?? []) : state.crossKv,
    };
    let cross: Float32Array[][] | undefined;
    if (wantCross) {
      const perLayer = io.crossAttentionNames.map((name) => lastQueryRows(asFloat32Tensor(ort, required(outputs, name)))); // [layer][batch] → [heads, source]
      cross = Array.from({ length: state.batch }, (_, b) => perLayer.map((rows) => rows[b] as Float32Array));
    }
    return { logits, vocab, state: next, ...(cross ? { cross } : {}) };
  }

  /** Feeds of a teacher-forced decoder pass over `inputs` from empty caches (the no-past branch). */
  private teacherForcedFeeds(encoder: EncoderOutput, inputs: readonly number[]): Feeds {
    const io = this.decoderIo;
    const { ort } = this.runtime;
    const feeds: Feeds = {
      input_ids: int64Tensor(ort, inputs, [1, inputs.length]), // [1, target]
      encoder_hidden_states: encoder.hidden, // [1, source, hidden]
    };
    if (io.hasEncoderAttentionMask) feeds.encoder_attention_mask = onesInt64(ort, [1, encoder.length]);
    for (const name of [...(io.selfKv?.past ?? []), ...(io.crossKv?.past ?? [])]) {
      feeds[name] = emptyKv(ort, io.kvDtype, 1, io.heads, io.headDim); // [1, heads, 0, headDim]
    }
    if (io.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([0]), [1]);
    return feeds;
  }

  /**
   * One teacher-forced decoder pass over a whole target prefix (no cache), returning the decoder
   * self- and cross-attention of every position. Used after a search to show the chosen
   * translation's attention without carrying it through every beam: from the export's outputs
   * when it has them for every layer, else from the inspector's copy (graph surgery).
   */
  async decoderAttention(encoder: EncoderOutput, inputs: readonly number[]): Promise<DecoderAttentions> {
    const io = this.decoderIo;
    const { ort } = this.runtime;
    const feeds = this.teacherForcedFeeds(encoder, inputs);
    if (io.selfAttentionNames.length > 0 && io.crossAttentionNames.length > 0) {
      const outputs = await run(this.decoder, feeds, [...io.selfAttentionNames, ...io.crossAttentionNames]);
      const read = (names: readonly string[]) => names.map((name) => asFloat32Tensor(ort, required(outputs, name)));
      return { self: read(io.selfAttentionNames), cross: read(io.crossAttentionNames) };
    }
    const taps = await this.openDecoderTaps();
    const outputs = await run(taps.session, feeds, [...taps.names.self, ...taps.names.cross]);
    const read = (names: readonly string[]) => names.map((name) => asFloat32Tensor(ort, required(outputs, name)));
    return { self: read(taps.names.self), cross: read(taps.names.cross) };
  }

  /** The state with rows `rows` of `state` (beam reordering; repeats tile a row). */
  reorder(state: DecoderState, rows: readonly number[]): DecoderState {
    const { ort } = this.runtime;
    const identity = rows.length === state.batch && rows.every((r, i) => r === i);
    if (identity) return state;
    return {
      batch: rows.length,
      encoderHidden: gatherRows(ort, state.encoderHidden, rows),
      encoderMask: gatherRows(ort, state.encoderMask, rows),
      inputs: rows.map((r) => state.inputs[r] as readonly number[]),
      selfKv: state.selfKv.map((t) => gatherRows(ort, t, rows)),
      crossKv: state.crossKv.map((t) => gatherRows(ort, t, rows)),
    };
  }

  async dispose(): Promise<void> {
    const taps = await Promise.all([this.encoderTaps?.catch(() => undefined), this.decoderTaps?.catch(() => undefined)]);
    await Promise.all([this.encoder.release(), this.decoder.release(), ...taps.map((t) => t?.session.release())]);
  }
}

function required(outputs: Record<string, OrtTensor>, name: string): OrtTensor {
  const tensor = outputs[name];
  if (tensor === undefined) throw new ModelError(`the decoder did not return ${name}`);
  return tensor;
}
