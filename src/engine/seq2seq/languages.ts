// Which languages a Marian-style model translates between, read from the model folder, never
// hard-coded:
//  - multi-target models (opus-mt-en-ROMANCE, opus-mt-mul-en style, and our bundled en↔de model)
//    have `>>xx<<` target-language tokens in the vocabulary; the source text starts with one;
//  - single-pair models (opus-mt-en-de) declare `source_lang` / `target_lang` in
//    tokenizer_config.json, or say it in their name (`Helsinki-NLP/opus-mt-en-de` in config.json's
//    `_name_or_path`, or the folder name).
// Three-letter ISO 639 codes (>>deu<<) are reported as their two-letter equivalents (de) so that
// "Translate to German" finds them; the model's own token is still what goes into the source.
import type { TranslationPair } from '../types';
import { isJsonObject, type JsonObject } from '../modelConfig';

export interface ModelLanguages {
  /** Every language the model reads or writes (two-letter codes where one exists). */
  readonly languages: readonly string[];
  readonly pairs: readonly TranslationPair[];
  /** Target language → the `>>xx<<` token to start the source with (multi-target models only). */
  readonly targetTokens: ReadonlyMap<string, string>;
}

/**
 * The ISO 639-1 code of a language code where one exists (deu and ger → de, iw → he), from the
 * platform's locale data (CLDR's language aliases, through Intl), else undefined.
 */
function twoLetter(base: string): string | undefined {
  try {
    const canonical = Intl.getCanonicalLocales(base)[0];
    return canonical !== undefined && /^[a-z]{2}$/.test(canonical) ? canonical : undefined;
  } catch {
    return undefined; // not a language tag at all
  }
}

const TARGET_TOKEN = /^>>([A-Za-z]{2,3}(?:_[A-Za-z]+)?)<<$/;
/** `opus-mt-en-de`, `opus-mt-tc-big-en-de`, `Helsinki-NLP/opus-mt-de-en` */
const PAIR_IN_NAME = /opus-mt-(?:tc-[a-z]+-)?([a-z]{2,3})-([a-z]{2,3})$/i;

export function normalizeLanguage(code: string): string {
  const lower = code.toLowerCase();
  const base = lower.split(/[_-]/)[0] as string;
  return twoLetter(base) ?? lower;
}

/** Every token string of a tokenizer.json vocabulary (Unigram list, BPE/WordPiece map) and its added tokens. */
function vocabularyTokens(tokenizerJson: JsonObject): string[] {
  const tokens: string[] = [];
  const model = isJsonObject(tokenizerJson.model) ? tokenizerJson.model : {};
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    for (const entry of vocab) if (Array.isArray(entry) && typeof entry[0] === 'string') tokens.push(entry[0]);
  } else if (isJsonObject(vocab)) {
    tokens.push(...Object.keys(vocab));
  }
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  for (const token of added) if (isJsonObject(token) && typeof token.content === 'string') tokens.push(token.content);
  return tokens;
}

function declaredCodes(value: unknown): string[] {
  if (typeof value !== 'string' || value.trim() === '') return [];
  return value
    .split(/[+,\s]+/)
    .filter((c) => /^[A-Za-z]{2,3}(?:[_-][A-Za-z]+)?$/.test(c))
    .map(normalizeLanguage);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function detectLanguages(input: {
  readonly tokenizerJson: JsonObject;
  readonly tokenizerConfig: JsonObject;
  readonly config: JsonObject;
  /** The model folder's location (its last path segment may name the pair). */
  readonly location: string;
}): ModelLanguages {
  const targetTokens = new Map<string, string>();
  for (const token of vocabularyTokens(input.tokenizerJson)) {
    const match = TARGET_TOKEN.exec(token);
    if (match && !targetTokens.has(normalizeLanguage(match[1] as string))) targetTokens.set(normalizeLanguage(match[1] as string), token);
  }
  const names = [input.config._name_or_path, input.location.replace(/[\\/]+$/, '').split(/[\\/]/).pop()];
  const fromName = names.map((n) => (typeof n === 'string' ? PAIR_IN_NAME.exec(n) : null)).find((m) => m !== null && m !== undefined);
  let sources = declaredCodes(input.tokenizerConfig.source_lang);
  let targets = targetTokens.size > 0 ? [...targetTokens.keys()] : declaredCodes(input.tokenizerConfig.target_lang);
  if (sources.length === 0 && fromName) sources = [normalizeLanguage(fromName[1] as string)];
  if (targets.length === 0 && fromName) targets = [normalizeLanguage(fromName[2] as string)];
  // A multi-target model that names no source language reads the languages it writes.
  if (sources.length === 0 && targetTokens.size > 0) sources = targets;
  sources = unique(sources);
  targets = unique(targets);
  const pairs: TranslationPair[] = [];
  for (const from of sources) for (const to of targets) if (from !== to) pairs.push({ from, to });
  return { languages: unique([...sources, ...targets]), pairs, targetTokens };
}
