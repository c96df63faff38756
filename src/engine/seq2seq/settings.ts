// Generation settings of an encoder-decoder model, from generation_config.json over config.json
// (transformers' precedence), each validated: ids, beam defaults, and the logits processors an
// opus-mt export declares (bad_words_ids bans <pad>; forced_eos_token_id ends at max length).
import { ModelError } from '../errors';
import { isJsonObject, type JsonObject, parseJsonObject } from '../modelConfig';
import { FILE_LIMITS, type ModelFolder } from '../modelFolder';

export type EarlyStopping = boolean | 'never';

export interface Seq2SeqSettings {
  readonly decoderStartTokenId: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | undefined;
  /** Token sequences that may never be generated (single ids and multi-token phrases). */
  readonly badWordsIds: readonly (readonly number[])[];
  readonly forcedEosTokenId: number | undefined;
  readonly noRepeatNgramSize: number;
  readonly repetitionPenalty: number;
  /** Minimum decoder length including the start token (transformers' min_length). */
  readonly minLength: number;
  /** Maximum decoder length including the start token, when the model declares one. */
  readonly maxLength: number | undefined;
  readonly maxNewTokens: number | undefined;
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: EarlyStopping;
}

const decoder = new TextDecoder();

export async function readGenerationConfig(folder: ModelFolder): Promise<JsonObject> {
  const file = 'generation_config.json';
  if (!(await folder.files.exists(file))) return {};
  return parseJsonObject(decoder.decode(await folder.files.readBytes(file, FILE_LIMITS.json)), file);
}

function id(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function ids(value: unknown): number[] {
  if (id(value) !== undefined) return [value as number];
  return Array.isArray(value) ? value.map(id).filter((v): v is number => v !== undefined) : [];
}

export function parseSeq2SeqSettings(config: JsonObject, generation: JsonObject, vocabSize: number): Seq2SeqSettings {
  // generation_config.json wins over config.json, as in transformers.
  const get = (key: string): unknown => (key in generation ? generation[key] : config[key]);
  const checkId = (value: number | undefined, what: string): number | undefined => {
    if (value !== undefined && value >= vocabSize) throw new ModelError(`${what} = ${value} is outside the vocabulary (${vocabSize})`);
    return value;
  };
  const padTokenId = checkId(id(get('pad_token_id')), 'pad_token_id');
  const start = checkId(id(get('decoder_start_token_id')) ?? padTokenId, 'decoder_start_token_id');
  if (start === undefined) throw new ModelError('config.json declares neither decoder_start_token_id nor pad_token_id');
  const eosTokenIds = ids(get('eos_token_id'));
  eosTokenIds.forEach((e) => checkId(e, 'eos_token_id'));
  if (eosTokenIds.length === 0) throw new ModelError('config.json declares no eos_token_id');
  const badWords = get('bad_words_ids');
  // A phrase with one id that is no token is dropped whole: its other ids alone would ban another phrase.
  const wellFormed = (seq: unknown): seq is unknown[] => Array.isArray(seq) && seq.every((t) => id(t) !== undefined);
  const badWordsIds = Array.isArray(badWords)
    ? badWords.filter(wellFormed).map((seq) => ids(seq)).filter((seq) => seq.length > 0 && seq.every((t) => t < vocabSize))
    : [];
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const value = get(key);
    if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
    if (value < min || value > max) throw new ModelError(`${key} = ${value} is outside ${min}..${max}`);
    return value;
  };
  const optionalInt = (key: string, max: number): number | undefined => {
    const value = get(key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return undefined;
    return Math.min(value, max);
  };
  const earlyStoppingValue = get('early_stopping');
  return {
    decoderStartTokenId: start,
    eosTokenIds,
    padTokenId,
    badWordsIds,
    forcedEosTokenId: checkId(id(get('forced_eos_token_id')), 'forced_eos_token_id'),
    noRepeatNgramSize: Math.floor(number('no_repeat_ngram_size', 0, 0, 64)),
    repetitionPenalty: number('repetition_penalty', 1, 0.01, 100),
    minLength: Math.floor(number('min_length', 0, 0, 1_000_000)),
    maxLength: optionalInt('max_length', 1_000_000),
    maxNewTokens: optionalInt('max_new_tokens', 1_000_000),
    numBeams: Math.floor(number('num_beams', 1, 1, 64)),
    lengthPenalty: number('length_penalty', 1, -100, 100),
    earlyStopping: earlyStoppingValue === 'never' ? 'never' : earlyStoppingValue === true,
  };
}

export async function readSeq2SeqSettings(folder: ModelFolder): Promise<Seq2SeqSettings> {
  const generation = await readGenerationConfig(folder);
  return parseSeq2SeqSettings(folder.rawConfig, isJsonObject(generation) ? generation : {}, folder.config.vocabSize);
}
