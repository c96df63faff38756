// Tokenizer patterns come from the model folder and run, as JavaScript regular expressions, over
// the user's text: a pattern that repeats a group which itself repeats (`(a+)+`, `(\w+\s?)*`)
// backtracks exponentially on a text that almost matches and would hang the engine. The
// tokenizers of real models (GPT-2, Llama 3, Qwen2, BLOOM, Marian) repeat single atoms only.

/** How often the construct just read may repeat, from its quantifier: 1 when it has none. */
function quantifierMaximum(pattern: string, at: number): { max: number; next: number } {
  const c = pattern[at];
  if (c === '*' || c === '+') return { max: Infinity, next: skipLazy(pattern, at + 1) };
  if (c === '?') return { max: 1, next: skipLazy(pattern, at + 1) };
  if (c === '{') {
    // {n}, {n,}, {n,m}, and Oniguruma's {,m} (= {0,m}), which the tokenizer library runs as one.
    const match = /^\{(?:(\d+)(,(\d*))?|,(\d+))\}/.exec(pattern.slice(at));
    if (match) {
      const max = match[4] !== undefined ? Number(match[4]) : match[2] === undefined ? Number(match[1]) : match[3] ? Number(match[3]) : Infinity;
      return { max, next: skipLazy(pattern, at + match[0].length) };
    }
  }
  return { max: 1, next: at };
}

function skipLazy(pattern: string, at: number): number {
  return pattern[at] === '?' ? at + 1 : at;
}

/**
 * The index after a character class that starts at `at` (`[`). As in JavaScript's `u` mode, a `[`
 * inside a class is a literal and the first unescaped `]` ends it.
 */
function skipClass(pattern: string, at: number): number {
  let i = at + 1;
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * Whether `pattern` repeats (more than once) a group whose contents can themselves repeat: the
 * shape of catastrophic backtracking. Lookarounds and alternations are read as groups.
 */
export function hasNestedRepetition(pattern: string): boolean {
  // Per open group: whether something inside it repeats.
  const repeatsInside: boolean[] = [false];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    let atomEnd: number;
    let atomRepeats = false;
    if (c === '(') {
      repeatsInside.push(false);
      i++;
      continue;
    }
    if (c === ')') {
      atomRepeats = repeatsInside.pop() ?? false;
      atomEnd = i + 1;
    } else if (c === '[') atomEnd = skipClass(pattern, i);
    // \p{…}, \P{…}, \u{…} and Oniguruma's \x{…} are one atom, not an escape and a quantifier.
    else if (c === '\\') atomEnd = /^\\[pPux]\{/.test(pattern.slice(i, i + 3)) ? pattern.indexOf('}', i) + 1 || pattern.length : i + 2;
    else atomEnd = i + 1;
    const { max, next } = quantifierMaximum(pattern, atomEnd);
    if (max > 1 && atomRepeats) return true;
    if (repeatsInside.length > 0 && (max > 1 || atomRepeats)) repeatsInside[repeatsInside.length - 1] = true;
    i = next;
  }
  return false;
}

/** Every `{ "Regex": … }` pattern of a tokenizer.json's normalizer, pre-tokenizer, post-processor and decoder. */
export function tokenizerPatterns(tokenizerJson: { readonly [key: string]: unknown }): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Regex' && typeof inner === 'string') found.push(inner);
        else visit(inner);
      }
    }
  };
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) visit(tokenizerJson[key]);
  return found;
}
