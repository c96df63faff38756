// The tokens a generation has chosen so far, and when it ends: at an end token (not kept), at a stop
// string (the text is cut before it), at the length limit, or at an abort seen right after a token
// (the completion's line rules abort from onToken, synchronously: nothing after that token is wanted).
import type { FinishReason, GenerateCallOptions } from './types';
import type { ModelTokenizer } from './tokenizer';

/** What the loop does after a token was chosen: go on, or why generation ends. */
export type Verdict = 'continue' | FinishReason;

export interface EndRules {
  readonly maxNewTokens: number;
  readonly eosTokenIds: readonly number[];
  readonly stop?: readonly string[];
}

/** The first index in `text` where any stop string starts, or -1. */
export function findStop(text: string, stop: readonly string[]): number {
  let first = -1;
  for (const s of stop) {
    if (s.length === 0) continue;
    const at = text.indexOf(s);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

export class ChosenTokens {
  readonly ids: number[] = [];
  /** The decoded tokens (decoded whole, so multi-byte characters are intact), cut at a stop string. */
  text = '';

  constructor(
    private readonly rules: EndRules,
    private readonly tokenizer: ModelTokenizer,
    private readonly options: GenerateCallOptions,
  ) {}

  take(next: number): Verdict {
    if (this.rules.eosTokenIds.includes(next)) return 'eos';
    this.ids.push(next);
    this.text = this.tokenizer.decode(this.ids);
    this.options.onToken?.({ id: next, textSoFar: this.text });
    const stopAt = this.rules.stop ? findStop(this.text, this.rules.stop) : -1;
    if (stopAt >= 0) {
      this.text = this.text.slice(0, stopAt);
      return 'stop';
    }
    if (this.ids.length >= this.rules.maxNewTokens) return 'length';
    if (this.options.signal?.aborted) return 'aborted';
    return 'continue';
  }
}
