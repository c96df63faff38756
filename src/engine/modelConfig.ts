// Parses config.json / generation_config.json / tokenizer_config.json of a model folder in the
// transformers.js / Optimum layout into the few numbers the engine needs. Every declared size is
// capped before anything is allocated from it: a model folder is untrusted input. A new model
// family or export: docs/architecture.md, "Adding a model layout".
import { ModelError } from './errors';
import type { FimTokens, ModelKind } from './types';

export type JsonObject = { readonly [key: string]: unknown };

/** Upper bounds on declared sizes; larger values mean a broken or hostile config. */
export const CONFIG_LIMITS = {
  layers: 256,
  heads: 256,
  hiddenSize: 65_536,
  vocabSize: 1_048_576,
  maxPositions: 1_048_576,
} as const;

/** How a model encodes token positions. */
export type PositionKind = 'learned' | 'sinusoidal' | 'rope' | 'alibi' | 'relative';

/** Position encoding per model_type, for the families transformers.js runs; rope is the modern default. */
const POSITIONS_BY_TYPE: Readonly<Record<string, PositionKind>> = {
  gpt2: 'learned',
  gpt_neo: 'learned',
  opt: 'learned',
  codegen: 'rope',
  gptj: 'rope',
  bloom: 'alibi',
  mpt: 'alibi',
  falcon: 'rope',
  marian: 'sinusoidal',
  t5: 'relative',
  mt5: 'relative',
  bart: 'learned',
  mbart: 'learned',
  m2m_100: 'sinusoidal',
  nllb: 'sinusoidal',
  pegasus: 'sinusoidal',
  bert: 'learned',
  roberta: 'learned',
};

export interface ModelConfig {
  readonly kind: ModelKind;
  readonly modelType: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly decoderLayers: number;
  readonly decoderHeads: number;
  /** Width of one attention head: `head_dim` when the config declares it (Qwen3, Gemma), else hidden / heads. */
  readonly headDim: number;
  /** `architectures[0]` when declared, e.g. Qwen2ForCausalLM. */
  readonly architecture?: string;
  readonly positions: PositionKind;
  /** Sliding-window attention span in tokens, when the model uses one. */
  readonly slidingWindow?: number;
  readonly tiedEmbeddings: boolean;
  /** Every end-of-sequence id of config.json and generation_config.json. */
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
  readonly decoderStartTokenId?: number;
  /** Defaults from generation_config.json. */
  readonly generation: {
    readonly maxNewTokens?: number;
    readonly numBeams?: number;
    readonly lengthPenalty?: number;
    readonly repetitionPenalty?: number;
  };
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonObject(text: string, file: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw new ModelError(`${file} must contain a JSON object`);
  return value;
}

function firstNumber(config: JsonObject, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = config[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

function requiredSize(config: JsonObject, keys: readonly string[], limit: number, what: string): number {
  const value = firstNumber(config, keys);
  if (value === undefined) throw new ModelError(`config.json does not declare ${what} (${keys.join(' / ')})`);
  return checkSize(value, limit, what);
}

function checkSize(value: number, limit: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > limit) {
    throw new ModelError(`config.json declares ${what} = ${value}, outside 1..${limit}`);
  }
  return value;
}

function tokenIds(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0);
  return [];
}

const ENCODER_DECODER_TYPES = new Set(['marian', 'bart', 'mbart', 't5', 'mt5', 'pegasus', 'm2m_100', 'nllb', 'fsmt']);

export function parseModelConfig(config: JsonObject, generationConfig: JsonObject | undefined): ModelConfig {
  const modelType = typeof config.model_type === 'string' ? config.model_type : undefined;
  if (!modelType) throw new ModelError('config.json has no "model_type"');
  const kind: ModelKind = config.is_encoder_decoder === true || ENCODER_DECODER_TYPES.has(modelType) ? 'encoder-decoder' : 'decoder';

  const layers = requiredSize(config, ['num_hidden_layers', 'n_layer', 'encoder_layers', 'num_layers'], CONFIG_LIMITS.layers, 'the number of layers');
  const heads = requiredSize(config, ['num_attention_heads', 'n_head', 'encoder_attention_heads', 'num_heads'], CONFIG_LIMITS.heads, 'the number of attention heads');
  const hiddenSize = requiredSize(config, ['hidden_size', 'n_embd', 'd_model'], CONFIG_LIMITS.hiddenSize, 'the hidden size');
  const vocabSize = requiredSize(config, ['vocab_size'], CONFIG_LIMITS.vocabSize, 'the vocabulary size');
  const kvHeads = checkSize(firstNumber(config, ['num_key_value_heads', 'num_kv_heads']) ?? heads, CONFIG_LIMITS.heads, 'the number of key/value heads');
  if (heads % kvHeads !== 0) throw new ModelError(`config.json: ${heads} attention heads are not a multiple of ${kvHeads} key/value heads`);
  const maxPositions = checkSize(
    firstNumber(config, ['max_position_embeddings', 'n_positions', 'n_ctx', 'seq_length']) ?? 2048,
    CONFIG_LIMITS.maxPositions,
    'the maximum sequence length',
  );
  const decoderLayers = checkSize(firstNumber(config, ['decoder_layers', 'num_decoder_layers']) ?? layers, CONFIG_LIMITS.layers, 'the number of decoder layers');
  const decoderHeads = checkSize(firstNumber(config, ['decoder_attention_heads']) ?? heads, CONFIG_LIMITS.heads, 'the number of decoder heads');

  const declaredHeadDim = firstNumber(config, ['head_dim']);
  const headDim = checkSize(declaredHeadDim ?? Math.floor(hiddenSize / heads), CONFIG_LIMITS.hiddenSize, 'the attention head size');
  const window = firstNumber(config, ['sliding_window']);
  // Qwen2 declares a window but turns it off with use_sliding_window: false.
  const slidingWindow = window !== undefined && window > 0 && config.use_sliding_window !== false ? checkSize(window, CONFIG_LIMITS.maxPositions, 'the sliding window') : undefined;
  const architecture = Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : undefined;
  const positions: PositionKind =
    POSITIONS_BY_TYPE[modelType] ??
    (config.position_embedding_type === 'absolute' ? 'learned' : config.alibi === true ? 'alibi' : 'rope');
  // transformers ties input and output embeddings unless the config says otherwise.
  const tiedEmbeddings = config.tie_word_embeddings !== false;

  const generation = generationConfig ?? {};
  // Generation stops at any end id either file declares (Qwen's generation_config adds <|im_end|>).
  const eos = [...new Set([...tokenIds(generation.eos_token_id), ...tokenIds(config.eos_token_id)])];
  const pick = (key: string): number | undefined => {
    const ids = tokenIds(generation[key] ?? config[key]);
    return ids[0];
  };
  const optionalNumber = (key: string): number | undefined => firstNumber(generation, [key]);
  return {
    kind,
    modelType,
    layers,
    heads,
    kvHeads,
    hiddenSize,
    vocabSize,
    maxPositions,
    decoderLayers,
    decoderHeads,
    headDim,
    ...(architecture ? { architecture } : {}),
    positions,
    ...(slidingWindow ? { slidingWindow } : {}),
    tiedEmbeddings,
    eosTokenIds: eos,
    bosTokenId: pick('bos_token_id'),
    padTokenId: pick('pad_token_id'),
    decoderStartTokenId: pick('decoder_start_token_id'),
    generation: {
      maxNewTokens: optionalNumber('max_new_tokens'),
      numBeams: optionalNumber('num_beams'),
      lengthPenalty: optionalNumber('length_penalty'),
      repetitionPenalty: optionalNumber('repetition_penalty'),
    },
  };
}

/** FIM tokens, from tokenizer_config.json (`fim_prefix_token`…) or the well-known names in the vocabulary. */
export function findFimTokens(tokenizerConfig: JsonObject, hasToken: (token: string) => boolean): FimTokens | undefined {
  const declared = [tokenizerConfig.fim_prefix_token, tokenizerConfig.fim_suffix_token, tokenizerConfig.fim_middle_token];
  if (declared.every((t): t is string => typeof t === 'string' && hasToken(t))) {
    return { prefix: declared[0] as string, suffix: declared[1] as string, middle: declared[2] as string };
  }
  const conventions: readonly FimTokens[] = [
    { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>' },
    { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' },
    { prefix: '<PRE>', suffix: '<SUF>', middle: '<MID>' },
  ];
  return conventions.find((c) => hasToken(c.prefix) && hasToken(c.suffix) && hasToken(c.middle));
}
