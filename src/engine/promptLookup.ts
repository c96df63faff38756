// Prompt-lookup drafting: most of what a code completion writes (identifiers, repeated lines, the
// other half of `a.x + b.x` → `a.y + b.y`) is already in the file, so the tokens that followed the
// latest earlier occurrence of the last few tokens are a cheap guess at what comes next. The guess
// costs no model; the verify pass decides what of it is kept.

/** Longest and shortest suffix of the context looked up, in tokens. */
export const MAX_NGRAM = 3;
export const MIN_NGRAM = 1;

export interface LookupDraft {
  readonly tokens: number[];
  /** Tokens of the suffix that matched (0: none did): longer matches guess better. */
  readonly ngram: number;
}

/**
 * Up to `max` tokens that followed the latest earlier occurrence of the context's last n tokens,
 * trying n from MAX_NGRAM down to MIN_NGRAM; no tokens when no suffix occurs earlier. The context is
 * the prompt followed by the tokens generated so far. A continuation that runs into the end of the
 * context goes on with its own start: a match a few tokens back is a loop (the same line again, a
 * list of similar items), and a loop goes on repeating.
 */
export function promptLookup(context: readonly number[], max: number, maxNgram = MAX_NGRAM, minNgram = MIN_NGRAM): LookupDraft {
  const length = context.length;
  if (max <= 0) return { tokens: [], ngram: 0 };
  for (let n = Math.min(maxNgram, length - 1); n >= minNgram; n--) {
    const key = length - n; // the suffix is context[key, length)
    // Latest first: the nearest repetition is the likeliest to continue the same way.
    for (let start = key - 1; start >= 0; start--) {
      let match = true;
      for (let i = 0; i < n; i++) {
        if (context[start + i] !== context[key + i]) {
          match = false;
          break;
        }
      }
      if (!match) continue;
      const tokens: number[] = [];
      // Past the end of the context, the draft reads its own tokens: start + n < length, so the
      // position read is always one already drafted.
      for (let at = start + n; tokens.length < max; at++) tokens.push(at < length ? (context[at] as number) : (tokens[at - length] as number));
      return { tokens, ngram: n };
    }
  }
  return { tokens: [], ngram: 0 };
}
