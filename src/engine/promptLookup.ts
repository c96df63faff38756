// Prompt-lookup drafting: most of what a code completion writes (identifiers, repeated lines, the
// other half of `a.x + b.x` → `a.y + b.y`) is already in the file, so the tokens that followed the
// latest earlier occurrence of the last few tokens are a cheap guess at what comes next. The guess
// costs no model; the verify pass decides what of it is kept.

/** Longest and shortest suffix of the context looked up, in tokens. */
export const MAX_NGRAM = 3;
export const MIN_NGRAM = 1;

/**
 * Up to `max` tokens that followed the latest earlier occurrence of the context's last n tokens,
 * trying n from MAX_NGRAM down to MIN_NGRAM; [] when no suffix occurs earlier. The context is the
 * prompt followed by the tokens generated so far.
 */
export function promptLookupDraft(context: readonly number[], max: number, maxNgram = MAX_NGRAM, minNgram = MIN_NGRAM): number[] {
  const length = context.length;
  if (max <= 0) return [];
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
      if (match) return context.slice(start + n, Math.min(start + n + max, length));
    }
  }
  return [];
}
