// Input/output names of an encoder-decoder export, discovered from the sessions (never assumed):
// the Optimum / transformers.js layout (README, "Bring your own model"). What the decoder export allows decides how
// generation runs: with `past_key_values.{i}.decoder.*` the self-attention keys/values are cached;
// with `past_key_values.{i}.encoder.*` the cross-attention keys/values of the first step are fed
// back instead of being recomputed; Optimum's merged decoder also wants `use_cache_branch`.
// What it reads from the graph it reads as the decoder-only discovery does (../graphIo.ts).
import { ModelError } from '../errors';
import { cacheShape, everyLayer, namesByLayer, presentOutputs } from '../graphIo';
import type { ModelConfig } from '../modelConfig';
import { inputInfo, type OrtSession } from '../onnx';

export interface KvNames {
  /** Per layer, key then value: past_key_values.{i}.decoder.key, …value. */
  readonly past: readonly string[];
  /** The matching outputs: present.{i}.decoder.key, … */
  readonly present: readonly string[];
}

export interface EncoderIo {
  readonly hasAttentionMask: boolean;
  /** encoder_attentions.{i} by layer; empty when the export has none. */
  readonly attentionNames: readonly string[];
}

export interface DecoderIo {
  readonly hasEncoderAttentionMask: boolean;
  /** Optimum's merged decoder: a bool input choosing the with-past branch. */
  readonly hasUseCacheBranch: boolean;
  /** Self-attention cache; undefined: the decoder recomputes the whole target prefix every step. */
  readonly selfKv: KvNames | undefined;
  /** Cross-attention cache; undefined: the decoder projects encoder_hidden_states every step. */
  readonly crossKv: KvNames | undefined;
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  readonly kvDtype: 'float32' | 'float16';
  /** cross_attentions.{i} by layer; empty when the export has none (or not for every layer). */
  readonly crossAttentionNames: readonly string[];
  /** decoder_attentions.{i} (decoder self-attention) by layer; empty when the export has none. */
  readonly selfAttentionNames: readonly string[];
}

/** The self-attention (`decoder`) and cross-attention (`encoder`) caches. */
const PAST = {
  decoder: /^past_key_values\.(\d+)\.decoder\.(key|value)$/,
  encoder: /^past_key_values\.(\d+)\.encoder\.(key|value)$/,
} as const;
const CROSS_ATTENTIONS = /^cross_attentions\.(\d+)$/;
const ENCODER_ATTENTIONS = /^encoder_attentions\.(\d+)$/;
const DECODER_ATTENTIONS = /^decoder_attentions\.(\d+)$/;

export function discoverEncoderIo(session: OrtSession, file: string): EncoderIo {
  const inputs = session.inputNames;
  if (!inputs.includes('input_ids')) throw new ModelError(`${file} has no input_ids input`);
  if (!session.outputNames.includes('last_hidden_state')) throw new ModelError(`${file} has no last_hidden_state output`);
  return { hasAttentionMask: inputs.includes('attention_mask'), attentionNames: namesByLayer(session.outputNames, ENCODER_ATTENTIONS) };
}

export function discoverDecoderIo(session: OrtSession, config: ModelConfig, file: string): DecoderIo {
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  for (const name of ['input_ids', 'encoder_hidden_states']) {
    if (!inputs.includes(name)) throw new ModelError(`${file} has no ${name} input`);
  }
  if (!outputs.includes('logits')) throw new ModelError(`${file} has no logits output`);
  const layers = config.decoderLayers;
  const kv = (part: keyof typeof PAST): KvNames | undefined => {
    const past = namesByLayer(inputs, PAST[part]);
    if (past.length === 0) return undefined;
    if (past.length !== 2 * layers) {
      throw new ModelError(`${file} has ${past.length / 2} cached ${part} layers but config.json declares ${layers} decoder layers`);
    }
    const { present, missing } = presentOutputs(past, outputs);
    if (missing.length > 0) throw new ModelError(`${file} lacks outputs ${missing.join(', ')}`);
    return { past, present };
  };
  const selfKv = kv('decoder');
  const crossKv = kv('encoder');
  if (crossKv !== undefined && selfKv === undefined) {
    throw new ModelError(`${file} caches cross-attention but not self-attention keys/values: an export this engine does not know`);
  }
  const { heads, headDim, dtype } = cacheShape(inputInfo(session), selfKv?.past[0], { heads: config.decoderHeads, headDim: config.hiddenSize / config.decoderHeads });
  if (!Number.isInteger(headDim) || headDim < 1) throw new ModelError(`${file}: cannot tell the attention head size`);
  return {
    hasEncoderAttentionMask: inputs.includes('encoder_attention_mask'),
    hasUseCacheBranch: inputs.includes('use_cache_branch'),
    selfKv,
    crossKv,
    layers,
    heads,
    headDim,
    kvDtype: dtype,
    crossAttentionNames: everyLayer(outputs, CROSS_ATTENTIONS, layers),
    selfAttentionNames: everyLayer(outputs, DECODER_ATTENTIONS, layers),
  };
}
