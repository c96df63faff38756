// Decoder-only generation: prefill (reusing the cached prefix of the previous request), then one
// token per step with the KV cache, or full recomputation as the reference path.
import { AbortError } from './errors';
import type { DecoderModel, ForwardResult } from './decoderModel';
import { commonPrefixLength, type KvCache } from './kvCache';
import type { OrtTensor } from './onnx';
import { Sampler } from './sampling';
import { yieldToEventLoop } from './yield';
import type { FinishReason, GenerateCallOptions, SamplingOptions } from './types';
import type { ModelTokenizer } from './tokenizer';

export const DEFAULT_MAX_NEW_TOKENS = 64;

export interface GenerationInput {
  /** Prompt ids, already cut to fit the context window. */
  readonly promptIds: readonly number[];
  readonly maxNewTokens: number;
  readonly sampling?: SamplingOptions;
  readonly stop?: readonly string[];
  readonly eosTokenIds: readonly number[];
  readonly useKvCache: boolean;
  readonly reusePrefix: boolean;
  readonly captureAttention: boolean;
}

export interface CapturedRows {
  /** Per generated token, per layer: [heads, keys] where keys = prompt + tokens generated before it */
  readonly rows: Float32Array[][];
  readonly heads: number;
}

export interface GenerationOutput {
  readonly tokens: number[];
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly reusedTokens: number;
  readonly prefillMs: number;
  readonly decodeMsPerToken: number;
  readonly captured?: CapturedRows;
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

/** The last row of every layer's attention: per layer [heads, keys]. */
function lastRows(attentions: readonly OrtTensor[]): Float32Array[] {
  return attentions.map((tensor) => {
    const [, heads, queries, keys] = tensor.dims as [number, number, number, number]; // [1, heads, queries, keys]
    const data = tensor.data as Float32Array;
    const rows = new Float32Array(heads * keys);
    for (let h = 0; h < heads; h++) rows.set(data.subarray((h * queries + queries - 1) * keys, (h * queries + queries) * keys), h * keys);
    return rows;
  });
}

export class DecoderGenerator {
  /** KV cache of the last request's prompt + generated tokens (for prefix reuse). */
  private cache: KvCache;

  constructor(
    private readonly model: DecoderModel,
    private readonly tokenizer: ModelTokenizer,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.cache = model.emptyCache();
  }

  /** Drops the reusable cache (e.g. after an error left it in an unknown state). */
  reset(): void {
    this.cache = this.model.emptyCache();
  }

  async generate(input: GenerationInput, options: GenerateCallOptions = {}): Promise<GenerationOutput> {
    const { promptIds, maxNewTokens } = input;
    if (promptIds.length === 0) throw new Error('generate() needs a non-empty prompt');
    const sampler = new Sampler(input.sampling);
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError();

    // 1. Prefill. Reuse the longest common prefix, but always feed at least one token: its logits
    // choose the first new token.
    const start = this.now();
    let reused = 0;
    let cache = this.model.emptyCache();
    if (input.useKvCache && input.reusePrefix) {
      reused = Math.min(commonPrefixLength(promptIds, this.cache.ids), promptIds.length - 1);
      cache = this.cache.truncated(reused);
    }
    // Invalidate the stored cache while we run: if this request throws, nothing stale survives.
    this.cache = this.model.emptyCache();
    let step: ForwardResult = await this.model.forward(cache, promptIds.slice(reused), { attention: input.captureAttention });
    const prefillMs = this.now() - start;

    // 2. Decode.
    const tokens: number[] = [];
    const captured: Float32Array[][] = [];
    let finishReason: FinishReason = 'length';
    let text = '';
    const decodeStart = this.now();
    let decodeSteps = 0;
    while (tokens.length < maxNewTokens) {
      if (input.captureAttention && step.attentions) captured.push(lastRows(step.attentions));
      const next = sampler.next(step.lastLogits, () => [...promptIds, ...tokens]);
      if (input.eosTokenIds.includes(next)) {
        captured.pop();
        finishReason = 'eos';
        break;
      }
      tokens.push(next);
      text = this.tokenizer.decode(tokens);
      options.onToken?.({ id: next, textSoFar: text });
      const stopAt = input.stop ? findStop(text, input.stop) : -1;
      if (stopAt >= 0) {
        text = text.slice(0, stopAt);
        finishReason = 'stop';
        break;
      }
      if (tokens.length >= maxNewTokens) break;
      if (signal) await yieldToEventLoop(); // lets an abort request arrive
      if (signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      decodeSteps++;
      step = input.useKvCache
        ? await this.model.forward(step.cache, [next], { attention: input.captureAttention })
        : await this.model.forward(this.model.emptyCache(), [...promptIds, ...tokens], { attention: input.captureAttention });
    }
    const decodeMs = this.now() - decodeStart;
    if (input.useKvCache) this.cache = step.cache;
    const heads = step.attentions?.[0]?.dims[1] ?? 0;
    return {
      tokens,
      text,
      finishReason,
      reusedTokens: reused,
      prefillMs,
      decodeMsPerToken: decodeSteps > 0 ? decodeMs / decodeSteps : 0,
      captured: input.captureAttention ? { rows: captured.slice(0, tokens.length), heads } : undefined,
    };
  }
}
