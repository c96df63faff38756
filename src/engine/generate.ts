// Decoder-only generation: prefill (reusing the cached prefix of the previous request, in chunks
// that an abort can stop between), then decoding over the KV cache: one token per pass, or, with a
// drafter, speculative decoding (every drafted token verified in one pass, the cache rolled back to
// what was accepted). Full recomputation without a cache is the reference path.
import { ChosenTokens, findStop, type Verdict } from './chosenTokens';
import { prefillAllButLastChunk, PREFILL_CHUNK_TOKENS } from './chunkedPrefill';
import { AbortError } from './errors';
import type { DecoderModel, ForwardResult } from './decoderModel';
import { commonPrefixLength, type KvCache, succeed } from './kvCache';
import type { OrtTensor } from './onnx';
import { isGreedy, Sampler } from './sampling';
import type { SpeculationPlan } from './speculation';
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
  /** Drafts to verify (greedy decoding over the KV cache only; ignored otherwise). */
  readonly speculation?: SpeculationPlan;
  /** Most prompt tokens per prefill pass; default PREFILL_CHUNK_TOKENS. */
  readonly prefillChunk?: number;
}

export interface CapturedRows {
  /** Per generated token, per layer of `layers`: [heads, keys] where keys = prompt + tokens generated before it */
  readonly rows: Float32Array[][];
  readonly heads: number;
  /** The layers the rows hold; absent: every layer. */
  readonly layers?: readonly number[];
}

export interface GenerationOutput {
  readonly tokens: number[];
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly reusedTokens: number;
  /** Until the first pass that reads logits has run (every prefill chunk, and the drafts verified with it). */
  readonly prefillMs: number;
  /** The rest, per token it chose (an end token counts). */
  readonly decodeMsPerToken: number;
  /** Forward passes of the model, prefill chunks included. */
  readonly forwardPasses: number;
  /** Tokens drafted, and how many of them were accepted. */
  readonly drafted: number;
  readonly accepted: number;
  readonly captured?: CapturedRows;
}

/** Row `query` of every layer's attention, its first `width` keys: per layer [heads, width]. */
function attentionRows(attentions: readonly OrtTensor[], query: number, width: number): Float32Array[] {
  return attentions.map((tensor) => {
    const [, heads, queries, keys] = tensor.dims as [number, number, number, number]; // [1, heads, queries, keys]
    const data = tensor.data as Float32Array;
    const rows = new Float32Array(heads * width);
    for (let h = 0; h < heads; h++) rows.set(data.subarray((h * queries + query) * keys, (h * queries + query) * keys + width), h * width);
    return rows;
  });
}

/** Tokens of a prompt's end kept with its suggestion as the next request's drafting hint. */
const RECENT_PROMPT_TOKENS = 16;

/** Estimates of drafters that cost a pass to ask are kept under this kind until a draft says its own. */
const MODEL_DRAFT = 'draft-model';

/** A prompt whose text ends at the start of a line, after its indentation, if any. */
const LINE_START = /\n[ \t]*$/;
/** Tokens of the prompt's end decoded to tell (indentation is a token or two). */
const LINE_START_TOKENS = 4;

/**
 * The first pass drafts only when that promises this many times plain decoding's rate: many
 * completions end after a token or two (a line break), where every drafted row is extra, so a
 * marginal bet there loses (the replay's line starts, one-token completions, lost 20% on it).
 */
const FIRST_PASS_MIN_GAIN = 1.2;

/** What one pass verifies: the drafts, their kind, and a free draft that is only checked (not fed). */
interface DraftsForPass {
  readonly drafts: readonly number[];
  readonly kind: string;
  readonly shadow?: number;
}

const NO_DRAFT: DraftsForPass = { drafts: [], kind: '' };

export class DecoderGenerator {
  /** KV cache of the last request's prompt + generated tokens (for prefix reuse). */
  private cache: KvCache;
  /** The last request's suggestion and the prompt tokens before it: a drafting hint for the next. */
  private recent: readonly number[] = [];

  constructor(
    private readonly model: DecoderModel,
    private readonly tokenizer: ModelTokenizer,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.cache = model.emptyCache();
  }

  /** Drops the reusable cache (e.g. after an error left it in an unknown state). */
  reset(): void {
    this.cache.dispose();
    this.cache = this.model.emptyCache();
  }

  /** Releases the reusable cache's GPU tensors (the model's sessions are the engine's to release). */
  dispose(): void {
    this.cache.dispose();
    this.cache = this.model.emptyCache();
  }

  /** The reusable cache: the ids it holds and their keys and values (tests compare it with a prefill of its ids). */
  get cachedState(): KvCache {
    return this.cache;
  }

  async generate(input: GenerationInput, options: GenerateCallOptions = {}): Promise<GenerationOutput> {
    if (input.promptIds.length === 0) throw new Error('generate() needs a non-empty prompt');
    if (input.maxNewTokens < 1) throw new Error('generate() needs maxNewTokens ≥ 1');
    if (options.signal?.aborted) throw new AbortError();
    return input.useKvCache ? this.generateCached(input, options) : this.generateRecomputed(input, options);
  }

  /**
   * Prefill and decoding over the KV cache. Each pass feeds the tokens not cached yet (the prompt's
   * rest, then the last chosen token) followed by the drafts, and reads the logits of its last
   * drafts + 1 positions: row r chooses the token after drafts[0..r), so the drafts are kept while
   * each equals the token chosen before it, and the first that differs is replaced by that choice.
   */
  private async generateCached(input: GenerationInput, options: GenerateCallOptions): Promise<GenerationOutput> {
    // Invalidate the stored cache while we run: if this request throws, nothing stale survives.
    // From here on `cache` is this request's to dispose when it is replaced or the request fails.
    let cache = this.cache;
    this.cache = this.model.emptyCache();
    try {
      return await this.decodeCached(input, options, cache, (next) => (cache = next));
    } catch (error) {
      cache.dispose();
      throw error;
    }
  }

  /**
   * generateCached's body over `start` (the stored cache, whose prefix it reuses). `own` is told
   * each cache the request holds from then on, so that a failure disposes the current one.
   */
  private async decodeCached(input: GenerationInput, options: GenerateCallOptions, start: KvCache, own: (cache: KvCache) => KvCache): Promise<GenerationOutput> {
    const { promptIds, maxNewTokens } = input;
    const sampler = new Sampler(input.sampling);
    const signal = options.signal;
    const speculation = input.speculation && isGreedy(input.sampling) ? input.speculation : undefined;
    const startTime = this.now();
    // Reuse the longest common prefix, but always feed at least one token: its logits choose the
    // first new token.
    const reused = input.reusePrefix ? Math.min(commonPrefixLength(promptIds, start.ids), promptIds.length - 1) : 0;
    let cache = own(succeed(start, input.reusePrefix ? await start.truncated(reused) : this.model.emptyCache()));
    const prefill = await prefillAllButLastChunk(this.model, cache, promptIds.slice(reused), input.prefillChunk ?? PREFILL_CHUNK_TOKENS, signal);
    cache = own(prefill.cache);
    let forwardPasses = prefill.passes;
    if (prefill.aborted) {
      // What was prefilled is valid for its ids: the newer request that aborted this one reuses it.
      this.cache = cache;
      return { tokens: [], text: '', finishReason: 'aborted', reusedTokens: reused, prefillMs: this.now() - startTime, decodeMsPerToken: 0, forwardPasses, drafted: 0, accepted: 0 };
    }

    const chosen = new ChosenTokens(input, this.tokenizer, options);
    const tokens = chosen.ids;
    const captured: Float32Array[][] = [];
    let finishReason: FinishReason = 'length';
    let drafted = 0;
    let accepted = 0;
    let prefillMs = 0;
    let decodeStart = 0;
    let decodeChoices = 0;
    let heads = 0;

    let pending: readonly number[] = prefill.rest; // fed in the next pass; its last row chooses
    for (;;) {
      // Nothing is drafted past the last token allowed: the pass itself chooses one more.
      const room = maxNewTokens - tokens.length - 1;
      const { drafts, kind, shadow } = speculation && room > 0 ? await this.draft(speculation, promptIds, tokens, room, input.stop, signal) : NO_DRAFT;
      const passStart = this.now();
      const past = cache.length;
      const step: ForwardResult = await this.model.forward(cache, [...pending, ...drafts], { attention: input.captureAttention, lastRows: drafts.length + 1 });
      cache = own(succeed(cache, step.cache)); // the pass's input is no longer needed
      const firstPass = forwardPasses === prefill.passes;
      // Decoding passes only: a prefill pass's cost is the prompt's, not the drafts'.
      if (!firstPass) speculation?.length.timed(1 + drafts.length, this.now() - passStart);
      forwardPasses++;
      if (firstPass) {
        decodeStart = this.now();
        prefillMs = decodeStart - startTime;
      }
      heads = step.attentions?.[0]?.dims[1] ?? heads;
      const rows = step.rows as Float32Array; // [drafts + 1, vocab]
      const vocab = rows.length / (drafts.length + 1);
      const firstQuery = pending.length - 1; // the position whose row chooses the first token
      let verdict: Verdict = 'continue';
      let row = 0;
      let next = -1;
      for (; row <= drafts.length; row++) {
        if (input.captureAttention && step.attentions) captured.push(attentionRows(step.attentions, firstQuery + row, past + firstQuery + row + 1));
        const choice = sampler.next(rows.subarray(row * vocab, (row + 1) * vocab), () => [...promptIds, ...tokens]);
        if (shadow !== undefined) speculation?.length.update(kind, 1, choice === shadow ? 1 : 0);
        verdict = chosen.take(choice);
        if (verdict !== 'continue') break;
        if (row < drafts.length && choice === drafts[row]) continue;
        next = choice;
        break;
      }
      const kept = Math.min(row, drafts.length); // drafts accepted in this pass
      if (!firstPass) decodeChoices += row + 1; // the rows read
      drafted += drafts.length;
      accepted += kept;
      speculation?.length.update(kind, drafts.length, kept);
      // Roll back to the positions whose rows were read: the pending tokens and the kept drafts.
      cache = own(succeed(cache, await cache.truncated(past + firstQuery + kept + 1)));
      if (verdict !== 'continue') {
        finishReason = verdict;
        break;
      }
      pending = [next];
      if (signal) await yieldToEventLoop(); // lets an abort request arrive
      if (signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
    }
    const decodeMs = this.now() - decodeStart;
    this.cache = cache;
    this.recent = [...promptIds.slice(-RECENT_PROMPT_TOKENS), ...tokens];
    return {
      tokens,
      text: chosen.text,
      finishReason,
      reusedTokens: reused,
      prefillMs,
      decodeMsPerToken: decodeChoices > 0 ? decodeMs / decodeChoices : 0,
      forwardPasses,
      drafted,
      accepted,
      captured: input.captureAttention ? { rows: captured.slice(0, tokens.length), heads } : undefined,
    };
  }

  /**
   * The drafts for the next pass, at most `room`. A free drafter is asked for its longest draft, of
   * which as much is fed as its kind has earned; one that costs a pass is asked for only that much.
   * `tokens`: those chosen so far. Drafts for the first pass (none chosen yet) are a kind apart,
   * and those at the start of a line another: right after a keystroke they guess worse than in the
   * middle of a suggestion, and at the start of a line worst (a match of the indentation continues
   * some other line).
   */
  private async draft(
    speculation: SpeculationPlan,
    promptIds: readonly number[],
    tokens: readonly number[],
    room: number,
    stop: readonly string[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<DraftsForPass> {
    const { drafter, length } = speculation;
    const context = [...promptIds, ...tokens];
    const where = tokens.length > 0 ? '' : LINE_START.test(this.tokenizer.decode(promptIds.slice(-LINE_START_TOKENS))) ? '@line-start' : '@first';
    const kindOf = (kind: string): string => `${kind}${where}`;
    const minGain = tokens.length > 0 ? 1 : FIRST_PASS_MIN_GAIN;
    if (drafter.free) {
      const proposal = await drafter.draft(context, Math.min(length.max, room), signal, this.recent);
      const kind = kindOf(proposal.kind);
      const drafts = this.cutAtStop(proposal.tokens.slice(0, Math.min(length.next(kind, true, minGain), room)), tokens, stop);
      return { drafts, kind, ...(drafts.length === 0 && proposal.tokens.length > 0 ? { shadow: proposal.tokens[0] } : {}) };
    }
    const wanted = Math.min(length.next(kindOf(MODEL_DRAFT), false, minGain), room);
    if (wanted === 0) return { drafts: [], kind: kindOf(MODEL_DRAFT) };
    const proposal = await drafter.draft(context, wanted, signal, this.recent);
    return { drafts: this.cutAtStop(proposal.tokens.slice(0, wanted), tokens, stop), kind: kindOf(proposal.kind) };
  }

  /** Drafts past the one that completes a stop string are never reached: generation stops there. */
  private cutAtStop(drafts: readonly number[], tokens: readonly number[], stop: readonly string[] | undefined): readonly number[] {
    if (!stop || stop.length === 0) return drafts;
    for (let i = 0; i < drafts.length - 1; i++) {
      if (findStop(this.tokenizer.decode([...tokens, ...drafts.slice(0, i + 1)]), stop) >= 0) return drafts.slice(0, i + 1);
    }
    return drafts;
  }

  /** The reference path: every step recomputes the whole sequence from an empty cache. */
  private async generateRecomputed(input: GenerationInput, options: GenerateCallOptions): Promise<GenerationOutput> {
    const { promptIds } = input;
    const sampler = new Sampler(input.sampling);
    const signal = options.signal;
    const start = this.now();
    const pass = async (ids: readonly number[]): Promise<ForwardResult> => {
      const result = await this.model.forward(this.model.emptyCache(), ids, { attention: input.captureAttention });
      result.cache.dispose(); // recomputed every step: no cache is kept
      return result;
    };
    let step: ForwardResult = await pass(promptIds);
    let forwardPasses = 1;
    const prefillMs = this.now() - start;
    const chosen = new ChosenTokens(input, this.tokenizer, options);
    const tokens = chosen.ids;
    const captured: Float32Array[][] = [];
    let finishReason: FinishReason = 'length';
    const decodeStart = this.now();
    let decodeSteps = 0;
    for (;;) {
      if (input.captureAttention && step.attentions) {
        const [, , queries, keys] = step.attentions[0]?.dims as [number, number, number, number];
        captured.push(attentionRows(step.attentions, queries - 1, keys));
      }
      const verdict = chosen.take(sampler.next(step.lastLogits, () => [...promptIds, ...tokens]));
      if (verdict !== 'continue') {
        finishReason = verdict;
        break;
      }
      if (signal) await yieldToEventLoop(); // lets an abort request arrive
      if (signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      decodeSteps++;
      step = await pass([...promptIds, ...tokens]);
      forwardPasses++;
    }
    const decodeMs = this.now() - decodeStart;
    const heads = step.attentions?.[0]?.dims[1] ?? 0;
    return {
      tokens,
      text: chosen.text,
      finishReason,
      reusedTokens: 0,
      prefillMs,
      decodeMsPerToken: decodeSteps > 0 ? decodeMs / decodeSteps : 0,
      forwardPasses,
      drafted: 0,
      accepted: 0,
      captured: input.captureAttention ? { rows: captured.slice(0, tokens.length), heads } : undefined,
    };
  }
}
