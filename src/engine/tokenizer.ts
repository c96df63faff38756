// Tokenizer of a model folder: @huggingface/tokenizers for ids (identical to Python's), plus exact
// UTF-16 spans per token (see offsets.ts) and incremental decoding for streaming.
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from './errors';
import type { JsonObject } from './modelConfig';
import { isJsonObject } from './modelConfig';
import { alignTokens, type SurfaceScheme } from './offsets';
import { hasNestedRepetition, tokenizerPatterns } from './regexRisk';
import type { TokenSpan } from './types';

/** Tokenizer regexes run on the whole input: cap it so a pathological text cannot hang the host. */
export const MAX_TOKENIZER_INPUT_CHARS = 1_000_000;

/**
 * Encodings kept for texts asked again: a completion's prompt is tokenized by the context builder
 * (to cut it to its budget) and again by the engine (to fit and run it), and a FIM prompt's parts
 * likewise; a few entries cover one request's texts.
 */
const RECENT_ENCODINGS = 4;
/**
 * Longest text whose encoding is kept: a prompt at the largest context setting (8,192 tokens) is
 * about 32,000 characters, while a whole file the inspector reads may be a million, whose spans
 * would hold tens of MB for nothing.
 */
const RECENT_MAX_CHARS = 65_536;

function typesIn(component: unknown): string[] {
  if (!isJsonObject(component)) return [];
  const own = typeof component.type === 'string' ? [component.type] : [];
  const children = [component.pretokenizers, component.decoders, component.normalizers];
  return own.concat(...children.filter(Array.isArray).flatMap((list) => (list as unknown[]).map(typesIn)));
}

function findComponent(component: unknown, type: string): JsonObject | undefined {
  if (!isJsonObject(component)) return undefined;
  if (component.type === type) return component;
  for (const key of ['pretokenizers', 'decoders']) {
    const list = component[key];
    if (Array.isArray(list)) {
      for (const child of list) {
        const found = findComponent(child, type);
        if (found) return found;
      }
    }
  }
  return undefined;
}

export function surfaceSchemeOf(tokenizerJson: JsonObject): SurfaceScheme {
  const model = isJsonObject(tokenizerJson.model) ? tokenizerJson.model : {};
  const types = [...typesIn(tokenizerJson.pre_tokenizer), ...typesIn(tokenizerJson.decoder)];
  if (types.includes('ByteLevel')) return { kind: 'byte-level' };
  if (model.type === 'WordPiece') {
    const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
    return { kind: 'wordpiece', continuingPrefix: prefix };
  }
  const metaspace = findComponent(tokenizerJson.pre_tokenizer, 'Metaspace') ?? findComponent(tokenizerJson.decoder, 'Metaspace');
  if (metaspace) return { kind: 'metaspace', replacement: typeof metaspace.replacement === 'string' ? metaspace.replacement : '▁' };
  // SentencePiece BPE exported with a Replace decoder (Llama) also writes spaces as ▁.
  if (types.includes('Replace') || model.byte_fallback === true) return { kind: 'metaspace', replacement: '▁' };
  return { kind: 'plain' };
}

export interface EncodeOptions {
  readonly addSpecialTokens?: boolean;
}

/** The BOS token `tokenizer_config.json` asks for (`add_bos_token`), when it says either way. */
interface BosPolicy {
  readonly add: boolean;
  readonly id: number;
  readonly token: string;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isJsonObject(value) && typeof value.content === 'string' ? value.content : undefined;
}

export class ModelTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly scheme: SurfaceScheme;
  private readonly specialIds: ReadonlySet<number>;
  private readonly bos: BosPolicy | undefined;
  /** The normalizer's Unicode form (Qwen2: NFC), so token spans map back to the original text. */
  private readonly unicodeForm: 'NFC' | 'NFKC' | 'NFD' | 'NFKD' | undefined;
  /** The latest encodings with spans, by options and text, oldest first (a Map keeps insertion order). */
  private readonly recent = new Map<string, readonly TokenSpan[]>();

  constructor(tokenizerJson: JsonObject, tokenizerConfig: JsonObject) {
    const risky = tokenizerPatterns(tokenizerJson).find(hasNestedRepetition);
    if (risky !== undefined) {
      throw new ModelError(`tokenizer.json: the pattern ${risky} repeats a group that itself repeats, which can take exponential time on some texts: refused`);
    }
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new ModelError(`tokenizer.json could not be loaded: ${(error as Error).message}`);
    }
    this.scheme = surfaceSchemeOf(tokenizerJson);
    const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
    this.specialIds = new Set(
      added.filter((t): t is JsonObject => isJsonObject(t) && t.special === true && typeof t.id === 'number').map((t) => t.id as number),
    );
    const form = ['NFC', 'NFKC', 'NFD', 'NFKD'].find((f) => typesIn(tokenizerJson.normalizer).includes(f));
    this.unicodeForm = form as ModelTokenizer['unicodeForm'];
    const bosToken = tokenContent(tokenizerConfig.bos_token);
    const bosId = bosToken === undefined ? undefined : this.tokenizer.token_to_id(bosToken);
    if (typeof tokenizerConfig.add_bos_token === 'boolean' && bosToken !== undefined && bosId !== undefined) {
      this.bos = { add: tokenizerConfig.add_bos_token, id: bosId, token: bosToken };
    }
  }

  /**
   * Ids with special tokens as the tokenizer's post-processor adds them, then the front corrected
   * to what `add_bos_token` declares: some exports' post-processors add BOS although the config
   * says not to, others leave it out although the model was trained with it.
   */
  private encodeIds(text: string, addSpecialTokens: boolean): { ids: number[]; tokens: string[]; bosAdded: boolean } {
    const encoding = this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
    const ids = [...encoding.ids];
    const tokens = [...encoding.tokens];
    const bos = this.bos;
    if (!addSpecialTokens || !bos) return { ids, tokens, bosAdded: false };
    const startsWithBos = ids[0] === bos.id;
    // The BOS is the text's own when the text starts with the token written out (it is a special token).
    const textStartsWithBos = startsWithBos && text.startsWith(bos.token);
    if (bos.add && !startsWithBos) {
      ids.unshift(bos.id);
      tokens.unshift(this.tokenizer.id_to_token(bos.id) ?? '');
      return { ids, tokens, bosAdded: true };
    }
    if (!bos.add && startsWithBos && !textStartsWithBos) {
      ids.shift();
      tokens.shift();
    }
    return { ids, tokens, bosAdded: false };
  }

  private checkInput(text: string): void {
    if (text.length > MAX_TOKENIZER_INPUT_CHARS) {
      throw new ModelError(`Input of ${text.length} characters exceeds the tokenizer cap of ${MAX_TOKENIZER_INPUT_CHARS}`);
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    this.checkInput(text);
    return this.encodeIds(text, options.addSpecialTokens ?? true).ids;
  }

  /** Ids plus the exact span of every token in `text`. */
  encodeWithSpans(text: string, options: EncodeOptions = {}): TokenSpan[] {
    this.checkInput(text);
    const addSpecialTokens = options.addSpecialTokens ?? true;
    if (text.length > RECENT_MAX_CHARS) return this.spansOf(text, addSpecialTokens);
    const key = `${addSpecialTokens ? 1 : 0}${text}`;
    let spans = this.recent.get(key);
    if (spans) {
      this.recent.delete(key); // most recent again
    } else {
      spans = this.spansOf(text, addSpecialTokens);
      if (this.recent.size >= RECENT_ENCODINGS) this.recent.delete(this.recent.keys().next().value as string);
    }
    this.recent.set(key, spans);
    // The spans are immutable; the array is the caller's to change.
    return [...spans];
  }

  private spansOf(text: string, addSpecialTokens: boolean): TokenSpan[] {
    const encoding = this.encodeIds(text, addSpecialTokens);
    const form = this.unicodeForm;
    const spans = alignTokens(
      text,
      encoding.tokens,
      this.scheme,
      (i) => this.specialIds.has(encoding.ids[i] as number) || (encoding.bosAdded && i === 0),
      form ? (s) => s.normalize(form) : undefined,
    );
    return encoding.ids.map((id, i) => {
      const span = spans[i] as { start: number; end: number };
      const surface = text.slice(span.start, span.end);
      return Object.freeze({ id, start: span.start, end: span.end, text: surface.length > 0 ? surface : (encoding.tokens[i] as string) });
    });
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    // A model that ends at once (EOS first) has generated nothing; the library refuses empty input.
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  tokenString(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /**
   * Spans for generated ids over their own decoded text (for "why this suggestion?"): each token's
   * text is the growth of the decoded string, so multi-byte characters split over tokens stay whole.
   */
  spansOfGenerated(ids: readonly number[]): { text: string; spans: TokenSpan[] } {
    const spans: TokenSpan[] = [];
    let previous = '';
    ids.forEach((id, i) => {
      const decoded = this.decode(ids.slice(0, i + 1));
      // A partial UTF-8 sequence decodes to U+FFFD until its last byte arrives; hold it back.
      const stable = decoded.endsWith('\uFFFD') ? previous : decoded;
      const start = Math.min(previous.length, stable.length);
      spans.push({ id, start, end: stable.length, text: stable.slice(start) || (this.tokenString(id) ?? '') });
      previous = stable;
    });
    return { text: this.decode(ids), spans };
  }
}
