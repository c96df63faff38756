// Which text the inspector sends to the engine for a selection: the selection plus up to N tokens
// of preceding context, pre-cut so a huge selection never reaches the tokenizer whole.
// Pure (no vscode): the tokenizer comes in as a function.
import type { TokenSpan } from '../engine/types';

/**
 * Characters read before the selection per context token wanted. Code averages 3–5 characters per
 * BPE token; 16 leaves room for long indentation runs, and the tokenizer then picks the exact cut.
 */
export const CONTEXT_CHARS_PER_TOKEN = 16;

/**
 * A selection longer than maxTokens × this many characters is cut (from its start) before
 * tokenizing: no tokenizer in use has tokens longer than 64 UTF-16 units on average, so at least
 * maxTokens tokens survive, and the engine makes the exact cut.
 */
export const MAX_CHARS_PER_TOKEN = 64;

export interface InspectedText {
  readonly text: string;
  /** Offset of text[0] in the document. */
  readonly base: number;
  /** Characters of the selection dropped before tokenizing (reported in the cut notice). */
  readonly precutCharacters: number;
}

export async function textWithContext(
  documentText: string,
  selectionStart: number,
  selectionEnd: number,
  contextTokens: number,
  maxTokens: number,
  tokenize: (text: string) => Promise<readonly TokenSpan[]>,
): Promise<InspectedText> {
  const maxChars = maxTokens * MAX_CHARS_PER_TOKEN;
  if (selectionEnd - selectionStart >= maxChars) {
    // The selection alone fills the token budget: no context, and cut its start.
    const base = selectionEnd - maxChars;
    return { text: documentText.slice(base, selectionEnd), base, precutCharacters: base - selectionStart };
  }
  if (contextTokens <= 0 || selectionStart === 0) {
    return { text: documentText.slice(selectionStart, selectionEnd), base: selectionStart, precutCharacters: 0 };
  }
  const windowStart = Math.max(0, selectionStart - contextTokens * CONTEXT_CHARS_PER_TOKEN);
  const before = documentText.slice(windowStart, selectionStart);
  // Count only tokens that cover text: BOS and other specials have empty spans.
  const tokens = (await tokenize(before)).filter((t) => t.end > t.start);
  let base = windowStart;
  if (tokens.length > contextTokens) base = windowStart + tokens[tokens.length - contextTokens]!.start;
  base = avoidSplitSurrogate(documentText, base);
  return { text: documentText.slice(base, selectionEnd), base, precutCharacters: 0 };
}

/** Moves an offset off the low half of a surrogate pair (a cut there would corrupt a character). */
export function avoidSplitSurrogate(text: string, offset: number): number {
  if (offset > 0 && offset < text.length) {
    const code = text.charCodeAt(offset);
    const prev = text.charCodeAt(offset - 1);
    if (code >= 0xdc00 && code <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) return offset + 1;
  }
  return offset;
}

/** Index of the token whose span contains the offset (relative to the same text), or −1. */
export function tokenAt(tokens: readonly { readonly start: number; readonly end: number }[], offset: number): number {
  // spans are sorted and disjoint: binary search for the last token starting at or before offset
  let lo = 0;
  let hi = tokens.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return -1;
  const t = tokens[found]!;
  // an empty span (special token) or an offset past the end belongs to no token, except that the
  // cursor right after the last character of a token still selects it
  if (offset < t.end || (offset === t.end && t.end > t.start)) return found;
  return -1;
}
