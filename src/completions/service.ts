// The inline-completion pipeline without VS Code: cache lookup, debounce, one generation in flight
// (latest wins), context building, generation with stop rules, cleanup, statistics and the
// "error shown once" policy. The vscode adapter (provider.ts) only converts documents, positions
// and cancellation tokens. Pure: no vscode. The whole path, worker included: docs/architecture.md.
import { AbortError, isAbortError, throwIfAborted } from '../engine/errors';
import type { Engine, FinishReason, GenerateResult } from '../engine/types';
import { cleanupSuggestion } from './cleanup';
import { CompletionCache, type CacheContext } from './completionCache';
import { ContextBuilder, type BuiltContext, type ContextInput } from './context';
import { Emitter } from './emitter';
import { applyLineRules, removeHeal, type Shaped } from './lineRules';
import { LatestWinsScheduler, type Sleep } from './scheduler';
import type { CompletionSettings } from './settings';
import { anySignal, sleep } from './signals';
import { errorText } from '../util/unknown';

export interface CompletionRequest extends ContextInput {
  readonly tabSize?: number;
  /** VS Code's CancellationToken, as a signal. */
  readonly signal?: AbortSignal;
}

/** What one generation cost; the status bar shows latency and tokens/s. */
export interface GenerationStats {
  /** Request → suggestion, including the debounce wait. */
  readonly latencyMs: number;
  readonly debounceMs: number;
  readonly promptTokens: number;
  readonly generatedTokens: number;
  /**
   * The engine's own figures; undefined when the line rules stopped a generation through its
   * signal and the engine answered the abort by throwing (so it reported nothing).
   */
  readonly reusedTokens: number | undefined;
  readonly prefillMs: number | undefined;
  readonly decodeMsPerToken: number | undefined;
  /** Decode speed; undefined when fewer than one decode step ran. */
  readonly tokensPerSecond: number | undefined;
  readonly finishReason: FinishReason | 'rule';
}

/** A suggestion as made by one generation (what the cache holds). */
export interface Completion {
  /** The whole suggestion, to insert at the cursor it was made for. */
  readonly text: string;
  readonly modelId: string;
  /** Id for engine.generationAttention() ("why this suggestion?"), if captured. */
  readonly attentionId?: number;
  readonly prompt: string;
  /** Document offset where the prompt starts (the prompt ends at promptStart + prompt.length). */
  readonly promptStart: number;
  /** The text after the cursor the model was given (fill-in-the-middle), cut to its token budget. */
  readonly suffix?: string;
  readonly stats: GenerationStats;
}

export interface Suggestion {
  /** Text to insert at the cursor now (the rest of `completion.text` after a cache hit). */
  readonly text: string;
  readonly source: 'generation' | 'cache';
  readonly completion: Completion;
  readonly latencyMs: number;
}

/** What a generation was given: the text before the cursor and, for FIM models, after it. */
export interface GenerationInputText {
  readonly prompt: string;
  readonly suffix?: string;
}

/** The last suggestion returned to the editor, for "why this suggestion?". */
export interface ShownCompletion {
  readonly documentKey: string;
  /** Cursor offset the shown text was offered at. */
  readonly offset: number;
  readonly shownText: string;
  readonly completion: Completion;
}

export interface CompletionServiceOptions {
  /** The completion engine if it is loaded (the service never starts a load). */
  readonly engine: () => Engine | undefined;
  /** Settings used when complete() is given none. */
  readonly settings: () => CompletionSettings;
  readonly now?: () => number;
  readonly sleep?: Sleep;
  /** false: every generation prefills the whole prompt (benchmark baseline). Default true. */
  readonly reusePrefix?: boolean;
  /** false: never answer from the suggestion cache (benchmark). Default true. */
  readonly useCache?: boolean;
  /** Keep attention for "why this suggestion?". Default true. */
  readonly captureAttention?: boolean;
}

/** FIM suffix budget: a quarter of the context budget, at most this many tokens. */
const MAX_SUFFIX_TOKENS = 256;
/** Room kept for FIM special tokens and BOS. */
const SPECIAL_TOKENS = 8;

export class CompletionService {
  private readonly scheduler: LatestWinsScheduler;
  private readonly builder = new ContextBuilder();
  private readonly cache = new CompletionCache<Completion>();
  private readonly now: () => number;
  private readonly activity = new Emitter<boolean>();
  private readonly generated = new Emitter<GenerationStats>();
  private readonly failed = new Emitter<string>();
  private readonly shown = new Emitter<ShownCompletion>();
  private errorReported = false;
  private last: ShownCompletion | undefined;
  private lastStats: GenerationStats | undefined;
  private lastInput: GenerationInputText | undefined;

  /** true while a generation runs; false when it ends. */
  readonly onDidChangeActivity = this.activity.event;
  /** After every finished generation. */
  readonly onDidGenerate = this.generated.event;
  /** A generation failed: fired once until a generation succeeds or reset() is called. */
  readonly onDidFail = this.failed.event;
  readonly onDidShow = this.shown.event;

  constructor(private readonly options: CompletionServiceOptions) {
    this.now = options.now ?? (() => performance.now());
    this.scheduler = new LatestWinsScheduler(options.sleep ?? sleep);
  }

  get inFlight(): number {
    return this.scheduler.inFlight;
  }

  get lastGeneration(): GenerationStats | undefined {
    return this.lastStats;
  }

  /** The text the last generation was given, whether or not it produced a suggestion. */
  get lastGenerationInput(): GenerationInputText | undefined {
    return this.lastInput;
  }

  lastShownCompletion(): ShownCompletion | undefined {
    return this.last;
  }

  /** Model or output settings changed: cached suggestions and the sticky prompt start are void. */
  reset(): void {
    this.scheduler.supersedeAll();
    this.cache.clear();
    this.builder.reset();
    this.errorReported = false;
    this.last = undefined;
  }

  /** Aborts the pending request, if any (e.g. completions were turned off). */
  cancel(): void {
    this.scheduler.supersedeAll();
  }

  /**
   * Never rejects: undefined when there is nothing (new) to show.
   * @param settings the settings for this document (language overrides); default options.settings().
   */
  async complete(request: CompletionRequest, settings = this.options.settings()): Promise<Suggestion | undefined> {
    const started = this.now();
    const engine = this.options.engine();
    if (!engine || request.signal?.aborted) return undefined;
    const cacheContext: CacheContext = {
      variant: variantOf(engine, settings),
      documentKey: request.documentKey,
      offset: request.windowStart + request.before.length,
      before: request.before,
      after: request.after,
    };

    if (this.options.useCache !== false) {
      const hit = this.cache.lookup(cacheContext);
      if (hit) {
        // The newest keystroke is answered: whatever is pending is for an older context.
        this.scheduler.supersedeAll();
        return this.show(cacheContext, {
          text: hit.rest,
          source: 'cache',
          completion: hit.value,
          latencyMs: this.now() - started,
        });
      }
    }

    const outcome = await this.scheduler.run(
      (signal) => this.generate(engine, request, settings, cacheContext, started, signal),
      { signal: request.signal, debounceMs: settings.debounceMs },
    );
    switch (outcome.kind) {
      case 'done':
        return outcome.value ? this.show(cacheContext, outcome.value) : undefined;
      case 'failed':
        this.reportError(outcome.error);
        return undefined;
      case 'superseded':
      case 'cancelled':
        return undefined;
    }
  }

  dispose(): void {
    this.scheduler.supersedeAll();
    this.activity.dispose();
    this.generated.dispose();
    this.failed.dispose();
    this.shown.dispose();
  }

  private show(context: CacheContext, suggestion: Suggestion): Suggestion {
    this.last = {
      documentKey: context.documentKey,
      offset: context.offset,
      shownText: suggestion.text,
      completion: suggestion.completion,
    };
    this.shown.fire(this.last);
    return suggestion;
  }

  private async generate(
    engine: Engine,
    request: CompletionRequest,
    settings: CompletionSettings,
    cacheContext: CacheContext,
    started: number,
    signal: AbortSignal,
  ): Promise<Suggestion | undefined> {
    this.activity.fire(true);
    try {
      const info = engine.info;
      const suffixTokens = info.fim && settings.fim === 'auto' ? Math.min(MAX_SUFFIX_TOKENS, Math.floor(settings.contextTokens / 4)) : 0;
      const contextTokens = Math.max(
        16,
        Math.min(settings.contextTokens, info.maxPositions - settings.maxTokens - suffixTokens - SPECIAL_TOKENS),
      );
      const context = await this.builder.build(
        request,
        { contextTokens, suffixTokens, multiline: settings.multiline, ...(request.tabSize ? { tabSize: request.tabSize } : {}) },
        (text) => engine.tokenize(text),
      );
      throwIfAborted(signal);

      const { raw, result, ruleStopped, streamedTokens } = await this.run(engine, context, settings, signal);
      // Superseded or cancelled: an engine that resolves with a partial result is not shown either.
      if (signal.aborted) throw new AbortError();

      const shaped = shape(raw, context, settings.multiline, true);
      const text = shaped ? cleanupSuggestion(shaped.text, context) : '';
      const generatedTokens = result?.tokens.length ?? streamedTokens;
      const decodeMsPerToken = result?.decodeMsPerToken;
      const stats: GenerationStats = {
        latencyMs: this.now() - started,
        debounceMs: settings.debounceMs,
        promptTokens: result?.promptTokens ?? context.promptTokens,
        generatedTokens,
        reusedTokens: result?.reusedTokens,
        prefillMs: result?.prefillMs,
        decodeMsPerToken,
        tokensPerSecond: decodeMsPerToken !== undefined && decodeMsPerToken > 0 && generatedTokens > 1 ? 1000 / decodeMsPerToken : undefined,
        finishReason: ruleStopped ? 'rule' : (result?.finishReason ?? 'aborted'),
      };
      this.lastStats = stats;
      this.lastInput = { prompt: context.prompt, ...(context.suffix !== undefined ? { suffix: context.suffix } : {}) };
      this.errorReported = false;
      this.generated.fire(stats);
      if (text.length === 0) return undefined;

      const completion: Completion = {
        text,
        modelId: info.id,
        ...(result?.attentionId !== undefined ? { attentionId: result.attentionId } : {}),
        prompt: context.prompt,
        promptStart: context.promptStart,
        ...(context.suffix !== undefined ? { suffix: context.suffix } : {}),
        stats,
      };
      if (this.options.useCache !== false) this.cache.put(cacheContext, completion);
      return { text, source: 'generation', completion, latencyMs: stats.latencyMs };
    } finally {
      this.activity.fire(false);
    }
  }

  /** One engine.generate, stopped early (through its signal) once the line rules are met. */
  private async run(
    engine: Engine,
    context: BuiltContext,
    settings: CompletionSettings,
    signal: AbortSignal,
  ): Promise<{ raw: string; result: GenerateResult | undefined; ruleStopped: boolean; streamedTokens: number }> {
    const ruleStop = new AbortController();
    const linked = anySignal([signal, ruleStop.signal]);
    let streamed = '';
    let streamedTokens = 0;
    try {
      const result = await engine.generate(
        {
          prompt: context.prompt,
          ...(context.suffix !== undefined ? { suffix: context.suffix } : {}),
          maxNewTokens: settings.maxTokens,
          stop: context.stop,
          reusePrefix: this.options.reusePrefix !== false,
          captureAttention: this.options.captureAttention !== false,
          speculation: settings.speculation,
        },
        {
          signal: linked.signal,
          onToken: (token) => {
            streamed = token.textSoFar;
            streamedTokens++;
            const shaped = shape(streamed, context, settings.multiline, false);
            if (!shaped || shaped.complete) ruleStop.abort();
          },
        },
      );
      // An engine that honours the abort by resolving keeps the text it had: the rules cut it.
      return { raw: result.text, result, ruleStopped: ruleStop.signal.aborted, streamedTokens };
    } catch (error) {
      if (isAbortError(error) && ruleStop.signal.aborted && !signal.aborted) {
        return { raw: streamed, result: undefined, ruleStopped: true, streamedTokens };
      }
      throw error;
    } finally {
      linked.dispose();
    }
  }

  private reportError(error: unknown): void {
    if (this.errorReported) return;
    this.errorReported = true;
    this.failed.fire(errorText(error));
  }
}

/** Heal removal then the line rules; undefined when the text cannot fit the cursor. */
function shape(raw: string, context: BuiltContext, multiline: boolean, finished: boolean): Shaped | undefined {
  const healed = removeHeal(raw, context.heal);
  if (healed === undefined) return undefined;
  if (healed === 'pending') return finished ? undefined : { text: '', complete: false };
  return applyLineRules(healed, { multiline, baseIndent: context.baseIndent, tabSize: context.tabSize }, finished);
}

function variantOf(engine: Engine, settings: CompletionSettings): string {
  return [engine.info.id, settings.multiline ? 'multi' : 'single', settings.maxTokens, settings.contextTokens].join('|');
}
