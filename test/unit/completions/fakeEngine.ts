// Fake engines for the completion tests (no ONNX): a GPT-2-like pre-tokenizer with exact offsets,
// the engine's stop/abort/streaming semantics, and an in-flight counter.
//  - OracleEngine "knows" a document: it continues a prompt with the text that follows it there,
//    so a suggestion made for an older context is visibly different from the right one.
//  - HashChainEngine is a causal toy model with a per-position state cache (like a KV cache) and
//    real prefix reuse: the next token depends on every earlier token.
import { fakeModelInfo } from '../fakeModelInfo';
import { AbortError } from '../../../src/engine/errors';
import type {
  AttentionRequest,
  AttentionResult,
  Engine,
  FinishReason,
  GenerateCallOptions,
  GenerateRequest,
  GenerateResult,
  GenerationAttention,
  ModelInfo,
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from '../../../src/engine/types';

const PRETOKEN = / ?[A-Za-z_]+| ?[0-9]+| ?[^\sA-Za-z_0-9]+|\s+(?!\S)|\s+/g;

export function fakeTokenize(text: string): TokenSpan[] {
  const spans: TokenSpan[] = [];
  for (const match of text.matchAll(PRETOKEN)) {
    const start = match.index ?? 0;
    spans.push({ id: tokenId(match[0]), text: match[0], start, end: start + match[0].length });
  }
  return spans;
}

/** FNV-1a: the same token text always gets the same id. */
function tokenId(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h % 50_000;
}

export function fakeInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return fakeModelInfo(overrides);
}

export interface FakeTiming {
  /** Wait per prefilled token, in ms (0: one macrotask turn for the whole prefill). */
  readonly prefillMsPerToken?: number;
  /** Wait per decode step, in ms (0: one macrotask turn per step). */
  readonly decodeMs?: number;
  /** How the engine answers an abort: throw AbortError (LocalEngine) or resolve with 'aborted'. */
  readonly onAbort?: 'throw' | 'resolve';
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

function firstStop(text: string, stop: readonly string[] | undefined): number {
  let first = -1;
  for (const s of stop ?? []) {
    if (s.length === 0) continue;
    const at = text.indexOf(s);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

abstract class FakeEngineBase implements Engine {
  inFlight = 0;
  maxInFlight = 0;
  /** Tokens produced over the engine's life (shows when a generation was stopped early). */
  tokensEmitted = 0;
  readonly requests: GenerateRequest[] = [];
  readonly results: GenerateResult[] = [];
  private nextAttentionId = 1;
  private lastAttention: number | undefined;

  constructor(
    readonly info: ModelInfo,
    protected readonly timing: FakeTiming = {},
  ) {}

  async tokenize(text: string): Promise<readonly TokenSpan[]> {
    return fakeTokenize(text);
  }

  /** Prompt token ids and how many of them the cache already holds. */
  protected abstract prefill(request: GenerateRequest): { ids: number[]; reused: number };
  /** The next token's text, or undefined for end of sequence. */
  protected abstract next(generated: readonly string[]): string | undefined;
  /** Called after every emitted token (to extend a state cache). */
  protected abstract accept(token: string): void;

  async generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    this.requests.push(request);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const signal = options.signal;
      if (signal?.aborted) throw new AbortError();
      const { ids, reused } = this.prefill(request);
      await wait((this.timing.prefillMsPerToken ?? 0) * (ids.length - reused));
      const generated: string[] = [];
      let text = '';
      let finishReason: FinishReason = 'length';
      const max = request.maxNewTokens ?? 64;
      while (generated.length < max) {
        const token = this.next(generated);
        if (token === undefined) {
          finishReason = 'eos';
          break;
        }
        generated.push(token);
        this.tokensEmitted++;
        this.accept(token);
        text = generated.join('');
        options.onToken?.({ id: tokenId(token), textSoFar: text });
        const at = firstStop(text, request.stop);
        if (at >= 0) {
          text = text.slice(0, at);
          finishReason = 'stop';
          break;
        }
        if (generated.length >= max) break;
        if (signal?.aborted) {
          if (this.timing.onAbort === 'resolve') {
            finishReason = 'aborted';
            break;
          }
          throw new AbortError();
        }
        await wait(this.timing.decodeMs ?? 0);
      }
      const attentionId = request.captureAttention ? this.nextAttentionId++ : undefined;
      if (attentionId !== undefined) this.lastAttention = attentionId;
      const result: GenerateResult = {
        promptTokens: ids.length,
        reusedTokens: reused,
        tokens: generated.map(tokenId),
        text,
        finishReason,
        prefillMs: 1,
        decodeMsPerToken: generated.length > 1 ? 2 : 0,
        ...(attentionId !== undefined ? { attentionId } : {}),
      };
      this.results.push(result);
      return result;
    } finally {
      this.inFlight -= 1;
    }
  }

  async generationAttention(id: number): Promise<GenerationAttention | undefined> {
    if (id !== this.lastAttention) return undefined;
    return {
      id,
      contextTokens: [],
      generatedTokens: [],
      contextText: '',
      generatedText: '',
      attention: { layers: [], heads: [], rows: [], keys: 0, layerData: [] },
      totalLayers: this.info.layers,
      totalHeads: this.info.heads,
    };
  }

  attention(_request: AttentionRequest): Promise<AttentionResult> {
    return Promise.reject(new Error('not used by completions'));
  }

  translate(_request: TranslateRequest): Promise<TranslateResult> {
    return Promise.reject(new Error('not used by completions'));
  }

  translationAttention(_id: number): Promise<TranslationAttention | undefined> {
    return Promise.resolve(undefined);
  }

  async dispose(): Promise<void> {}
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** Continues the prompt with what follows it in `document` (FIM suffix ignored). */
export class OracleEngine extends FakeEngineBase {
  private cachedIds: number[] = [];
  private continuation: TokenSpan[] = [];

  constructor(
    private readonly document: string,
    timing: FakeTiming = {},
    info: ModelInfo = fakeInfo(),
  ) {
    super(info, timing);
  }

  protected prefill(request: GenerateRequest): { ids: number[]; reused: number } {
    const ids = fakeTokenize(request.prompt).map((t) => t.id);
    const reused = request.reusePrefix === false ? 0 : Math.min(commonPrefix(ids, this.cachedIds), ids.length - 1);
    this.cachedIds = ids;
    const at = this.document.indexOf(request.prompt);
    this.continuation = at < 0 ? [] : fakeTokenize(this.document.slice(at + request.prompt.length));
    return { ids, reused };
  }

  protected next(generated: readonly string[]): string | undefined {
    return this.continuation[generated.length]?.text;
  }

  protected accept(): void {}
}

const VOCAB = [' x', ' =', ' 1', ';', '\n', '  ', '(', ')', ' foo', ' bar', '.', ',', ' return', ' {', '}', ' +', ' y', '"a"'];

/**
 * A causal toy model: state_i = mix(state_{i-1}, token_i); the next token is VOCAB[state % |VOCAB|].
 * The per-position states play the KV cache: with reuse, only positions after the common token
 * prefix are recomputed, exactly as the real engine does.
 */
export class HashChainEngine extends FakeEngineBase {
  private ids: number[] = [];
  private states: number[] = [];
  /** Prompt positions computed (prefilled) over the engine's life. */
  computedPositions = 0;

  constructor(timing: FakeTiming = {}, info: ModelInfo = fakeInfo()) {
    super(info, timing);
  }

  protected prefill(request: GenerateRequest): { ids: number[]; reused: number } {
    const ids = fakeTokenize(request.prompt).map((t) => t.id);
    const reused = request.reusePrefix === false ? 0 : Math.min(commonPrefix(ids, this.ids), ids.length - 1);
    this.ids = ids.slice(0, reused);
    this.states = this.states.slice(0, reused);
    for (const id of ids.slice(reused)) this.push(id);
    this.computedPositions += ids.length - reused;
    return { ids, reused };
  }

  protected next(): string | undefined {
    const state = this.states[this.states.length - 1] ?? 0;
    return VOCAB[state % VOCAB.length];
  }

  protected accept(token: string): void {
    this.push(tokenId(token));
  }

  private push(id: number): void {
    const previous = this.states[this.states.length - 1] ?? 17;
    this.ids.push(id);
    this.states.push(Math.imul(previous ^ id, 0x9e3779b1) >>> 7);
  }
}
