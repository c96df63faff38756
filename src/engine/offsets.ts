// Maps tokens back to exact UTF-16 spans of the source text. @huggingface/tokenizers returns no
// offsets, so we rebuild them from each token's surface bytes: byte-level BPE tokens map to bytes
// through GPT-2's byte↔unicode table; SentencePiece-style tokens use `▁` for spaces and `<0xNN>`
// byte-fallback pieces; WordPiece continuation pieces drop their `##`. The bytes are then aligned
// against the UTF-8 of the text, tolerating the spaces tokenizers add (Metaspace's prefix space)
// or drop (WordPiece), and converted to UTF-16 offsets snapped outward to whole code points, so a
// span never splits a surrogate pair (two tokens sharing one emoji both get the emoji's span).

export type SurfaceScheme =
  | { readonly kind: 'byte-level' }
  | { readonly kind: 'metaspace'; readonly replacement: string }
  | { readonly kind: 'wordpiece'; readonly continuingPrefix: string }
  | { readonly kind: 'plain' };

export interface RawSpan {
  /** UTF-16 offsets into the text. */
  readonly start: number;
  readonly end: number;
}

let byteDecoder: Map<string, number> | undefined;

/** GPT-2's bytes_to_unicode, inverted: printable stand-in character → byte. */
export function byteLevelDecoder(): Map<string, number> {
  if (byteDecoder) return byteDecoder;
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Map<string, number>();
  const printableSet = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const codePoint = printableSet.has(b) ? b : 256 + next++;
    table.set(String.fromCodePoint(codePoint), b);
  }
  byteDecoder = table;
  return table;
}

const utf8 = new TextEncoder();
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/** The UTF-8 bytes a token stands for in the text (before whitespace tolerance). */
export function surfaceBytes(token: string, scheme: SurfaceScheme, isSpecial: boolean): Uint8Array {
  if (isSpecial) return utf8.encode(token);
  switch (scheme.kind) {
    case 'byte-level': {
      const table = byteLevelDecoder();
      const bytes: number[] = [];
      for (const ch of token) {
        const b = table.get(ch);
        if (b === undefined) return utf8.encode(token); // an added token written in plain text
        bytes.push(b);
      }
      return Uint8Array.from(bytes);
    }
    case 'metaspace': {
      const fallback = BYTE_FALLBACK.exec(token);
      if (fallback) return Uint8Array.of(parseInt(fallback[1] as string, 16));
      return utf8.encode(token.split(scheme.replacement).join(' '));
    }
    case 'wordpiece':
      return utf8.encode(token.startsWith(scheme.continuingPrefix) ? token.slice(scheme.continuingPrefix.length) : token);
    case 'plain':
      return utf8.encode(token);
  }
}

/** UTF-8 bytes of a string plus, for every byte, the UTF-16 index of the code point it belongs to. */
interface Utf8View {
  readonly bytes: Uint8Array;
  /** [bytes.length + 1]: UTF-16 start of the code point containing byte i; last entry = text.length */
  readonly codePointStart: Int32Array;
  /** [bytes.length]: UTF-16 end of the code point containing byte i */
  readonly codePointEnd: Int32Array;
}

function utf8View(text: string): Utf8View {
  const bytes = utf8.encode(text);
  const codePointStart = new Int32Array(bytes.length + 1);
  const codePointEnd = new Int32Array(bytes.length);
  let byte = 0;
  for (let i = 0; i < text.length; ) {
    const codePoint = text.codePointAt(i) as number;
    const units = codePoint > 0xffff ? 2 : 1;
    // A lone surrogate (U+D800–DFFF) falls in the 3-byte range, as the U+FFFD TextEncoder writes for it does.
    const width = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    for (let k = 0; k < width; k++) {
      codePointStart[byte + k] = i;
      codePointEnd[byte + k] = i + units;
    }
    byte += width;
    i += units;
  }
  codePointStart[bytes.length] = text.length;
  return { bytes, codePointStart, codePointEnd };
}

function matchesAt(haystack: Uint8Array, at: number, needle: Uint8Array, from = 0): boolean {
  if (at + needle.length - from > haystack.length) return false;
  for (let k = from; k < needle.length; k++) if (haystack[at + k - from] !== needle[k]) return false;
  return true;
}

function isAsciiSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** How far ahead of the cursor we look for a token that does not match in place (skipped whitespace). */
const RESYNC_WINDOW_BYTES = 16;

/** A run of the original text (a base character and the marks that follow it) and its normalized form. */
interface NormalizedRun {
  readonly originalStart: number;
  readonly originalEnd: number;
  readonly normalizedStart: number;
  readonly normalizedEnd: number;
}

/**
 * The text as a normalizer (NFC, NFKC) sees it, in runs that each start at a character that is not
 * a combining mark: composition only joins a base with the marks after it, so each run normalizes
 * on its own and offsets map back run by run.
 */
function normalizedRuns(text: string, normalize: (s: string) => string): { text: string; runs: NormalizedRun[] } {
  const runs: NormalizedRun[] = [];
  let normalized = '';
  let i = 0;
  while (i < text.length) {
    let end = i + ((text.codePointAt(i) as number) > 0xffff ? 2 : 1);
    while (end < text.length && /^\p{M}/u.test(text.slice(end, end + 2))) end += (text.codePointAt(end) as number) > 0xffff ? 2 : 1;
    const piece = normalize(text.slice(i, end));
    runs.push({ originalStart: i, originalEnd: end, normalizedStart: normalized.length, normalizedEnd: normalized.length + piece.length });
    normalized += piece;
    i = end;
  }
  return { text: normalized, runs };
}

/** Spans over normalized text mapped back to the original, snapped outward to whole runs. */
function mapBack(spans: readonly RawSpan[], runs: readonly NormalizedRun[], originalLength: number): RawSpan[] {
  const runAt = (offset: number): NormalizedRun | undefined => {
    let lo = 0;
    let hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = runs[mid] as NormalizedRun;
      if (offset < run.normalizedStart) hi = mid - 1;
      else if (offset >= run.normalizedEnd) lo = mid + 1;
      else return run;
    }
    return undefined;
  };
  return spans.map(({ start, end }) => {
    const from = runAt(start)?.originalStart ?? originalLength;
    const to = end > start ? (runAt(end - 1)?.originalEnd ?? originalLength) : from;
    return { start: from, end: Math.max(from, to) };
  });
}

/**
 * Spans for `tokens` (token strings as in the vocabulary) over `text`. `normalize` is the
 * tokenizer's Unicode normalization (NFC/NFKC), when it has one: tokens are aligned against the
 * normalized text and their spans mapped back to the original.
 * Always returns monotone spans inside the text that start and end on code point boundaries.
 */
export function alignTokens(
  text: string,
  tokens: readonly string[],
  scheme: SurfaceScheme,
  isSpecial: (index: number) => boolean,
  normalize?: (s: string) => string,
): RawSpan[] {
  if (normalize) {
    const normalized = normalizedRuns(text, normalize);
    if (normalized.text !== text) {
      const spans = alignTokens(normalized.text, tokens, scheme, isSpecial);
      return mapBack(spans, normalized.runs, text.length);
    }
  }
  const view = utf8View(text);
  const { bytes } = view;
  const spans: RawSpan[] = [];
  let cursor = 0; // byte position in text
  tokens.forEach((token, index) => {
    const special = isSpecial(index);
    const surface = surfaceBytes(token, scheme, special);
    let start = -1;
    let length = surface.length;
    if (surface.length > 0 && matchesAt(bytes, cursor, surface)) {
      start = cursor;
    } else if (surface[0] === 0x20 && matchesAt(bytes, cursor, surface, 1)) {
      // A space the tokenizer prepended (Metaspace prefix space) that the text does not have; a
      // lone `▁` piece of it gets an empty span. The text may start with a space of its own: a
      // legacy Llama tokenizer reads " x" as `▁▁` (prefix and text space) then `x`.
      start = cursor;
      length = surface.length - 1;
    } else if (!special && surface.length > 0) {
      for (let skip = 1; skip <= RESYNC_WINDOW_BYTES && cursor + skip < bytes.length; skip++) {
        if (!isAsciiSpace(bytes[cursor + skip - 1])) break;
        if (matchesAt(bytes, cursor + skip, surface)) {
          start = cursor + skip;
          break;
        }
      }
    }
    if (start < 0) {
      // Special tokens absent from the text (BOS/EOS) get an empty span; an unalignable token
      // (a normalizer changed the text) takes its byte length so later tokens stay close.
      start = cursor;
      length = special ? 0 : Math.min(surface.length, bytes.length - cursor);
    }
    const endByte = start + length;
    const startUnit = view.codePointStart[start] as number;
    const endUnit = length === 0 ? startUnit : (view.codePointEnd[endByte - 1] as number);
    spans.push({ start: startUnit, end: endUnit });
    cursor = endByte;
  });
  return spans;
}
