// Fits a text into a token budget by cutting it from the left at a token boundary (the end of a
// prompt or selection matters most), re-encoding the cut text so special tokens (BOS) come back.
import type { EncodeOptions, ModelTokenizer } from './tokenizer';
import type { TokenSpan } from './types';

export interface FittedText {
  /** The kept text (a suffix of the input). */
  readonly text: string;
  /** Where the kept text starts in the input. */
  readonly offset: number;
  /** Tokens of the kept text, with spans into the input text. */
  readonly tokens: TokenSpan[];
  readonly droppedTokens: number;
}

export function fitText(tokenizer: ModelTokenizer, text: string, budget: number, options: EncodeOptions = {}): FittedText {
  let tokens = tokenizer.encodeWithSpans(text, options);
  if (tokens.length <= budget) return { text, offset: 0, tokens, droppedTokens: 0 };
  const total = tokens.length;
  // Specials at the front (BOS) come back when the cut text is re-encoded, so count them once.
  const leadingSpecials = tokens.findIndex((t) => !tokenizer.isSpecial(t.id));
  let keep = Math.max(1, budget - Math.max(0, leadingSpecials));
  let offset = 0;
  let cut = text;
  // Re-encoding a cut text can merge differently; shrink until it fits.
  for (;;) {
    offset = (tokens[Math.max(0, tokens.length - keep)] as TokenSpan).start;
    cut = text.slice(offset);
    const recoded = tokenizer.encodeWithSpans(cut, options);
    if (recoded.length <= budget || keep <= 1) {
      tokens = recoded;
      break;
    }
    keep--;
  }
  const shifted = tokens.map((t) => ({ ...t, start: t.start + offset, end: t.end + offset }));
  return { text: cut, offset, tokens: shifted, droppedTokens: total - tokens.length };
}
