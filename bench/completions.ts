// Inline-completion figures for `npm run bench`:
//  - keystroke → suggestion latency (p50/p95) over a scripted typing session on real source files,
//    through the same CompletionService the editor uses: (1) cold (every keystroke prefills the
//    whole prompt), (2) with KV prefix reuse, (3) answered from the suggestion cache (typing the
//    characters of a shown suggestion);
//  - decode tokens/s of Tealeaf's engine against a bare onnxruntime-web `session.run` greedy loop
//    with a KV cache on the same onnx/model.onnx (written here directly on the ORT API).
// Debounce is 0 here: the `tealeaf.completion.debounceMs` setting adds to every figure but cached ones.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CompletionService, type Suggestion } from '../src/completions/service';
import { DEFAULT_SETTINGS, type CompletionSettings } from '../src/completions/settings';
import type { Engine, EngineHost } from '../src/engine/types';
import { type OpenSystem, openNodeSystem } from './sideBySide/nodeSystems';
import { type BenchRow, type BenchSection, median, percentile } from './types';

export interface CompletionBenchOptions {
  /** Source files to type in; default: the largest TypeScript files under the repository's src/. */
  readonly files?: readonly string[];
  /** Typing sessions (one per file) and keystrokes measured in each. */
  readonly sessions?: number;
  readonly keystrokes?: number;
  /** Tokens of context before the cursor (capped by the model's positions). Default 1,000. */
  readonly contextTokens?: number;
  readonly maxNewTokens?: number;
  /** Tokens generated per decode-speed run. */
  readonly decodeTokens?: number;
  readonly repeats?: number;
  readonly log?: (line: string) => void;
}

const ROOT = path.resolve(__dirname, '..');

/** One keystroke of a session: the text before/after the cursor, as the editor would send it. */
interface Keystroke {
  readonly documentKey: string;
  readonly windowStart: number;
  readonly before: string;
  readonly after: string;
}

interface Session {
  readonly file: string;
  readonly text: string;
  /** Document offset where the context window starts (a line start ~contextTokens before cursor). */
  readonly windowStart: number;
  /** Cursor offset of the first keystroke. */
  readonly cursor: number;
}

export async function benchCompletions(
  host: EngineHost,
  modelDir: string,
  threads: number,
  options: CompletionBenchOptions = {},
): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const model = path.basename(modelDir);
  const system = `tealeaf-wasm-${threads}t`;
  const engine = await host.load(modelDir, { threads });
  try {
    if (engine.info.kind !== 'decoder') throw new Error(`${modelDir} is not a decoder-only model`);
    const maxNewTokens = options.maxNewTokens ?? DEFAULT_SETTINGS.maxTokens;
    const keystrokes = options.keystrokes ?? 12;
    // Room for the keystrokes typed during a session, generated tokens and specials.
    const contextTokens = Math.min(options.contextTokens ?? 1000, engine.info.maxPositions - maxNewTokens - keystrokes - 16);
    const settings: CompletionSettings = {
      ...DEFAULT_SETTINGS,
      debounceMs: 0,
      maxTokens: maxNewTokens,
      // No re-cut during a session: the prompt grows from ~contextTokens by what is typed.
      contextTokens: contextTokens + keystrokes + 8,
    };
    const files = options.files ?? largestSources(path.join(ROOT, 'src'), options.sessions ?? 3);
    const sessions = await Promise.all(files.map((file) => sessionIn(engine, file, contextTokens)));
    log(`completions: ${model}, ${sessions.length} sessions × ${keystrokes} keystrokes at ~${contextTokens} tokens of context`);

    // Warm-up: V8 compiles WASM with its baseline tier first and optimises hot functions later, and
    // the allocator grows on the first long prefill; the first runs are several times slower.
    for (let i = 0; i < 3; i++) {
      await engine.generate({ prompt: sessions[0]!.text.slice(sessions[0]!.windowStart, sessions[0]!.cursor), maxNewTokens: 16, reusePrefix: false });
    }

    const { cold, reuse, sameSuggestions } = await typeSessions(engine, settings, sessions, keystrokes);
    const cached = await typeSuggestions(engine, settings, sessions, keystrokes);
    log(`completions: cold p50 ${median(cold.latencies).toFixed(1)} ms, reuse p50 ${median(reuse.latencies).toFixed(1)} ms, cache p50 ${median(cached).toFixed(3)} ms`);

    const decode = await decodeSpeed(engine, modelDir, threads, sessions[0]!, options.decodeTokens ?? 64, options.repeats ?? 16);
    log(`completions: decode ${decode.tealeaf.toFixed(1)} tok/s (Tealeaf) vs ${decode.bare.toFixed(1)} tok/s (bare ORT)`);

    const results: BenchRow[] = [];
    const metrics: Record<string, number> = {};
    const row = (metric: string, value: number, unit: string, sys = system): void => {
      if (Number.isFinite(value)) results.push({ system: sys, model, metric, value, unit });
    };
    for (const [name, samples] of [
      ['cold', cold.latencies],
      ['reuse', reuse.latencies],
      ['cache', cached],
    ] as const) {
      row(`completion_latency_${name}_p50`, percentile(samples, 50), 'ms');
      row(`completion_latency_${name}_p95`, percentile(samples, 95), 'ms');
      row(`completion_latency_${name}_samples`, samples.length, 'count');
      metrics[`completion_latency_${name}_p50_ms`] = percentile(samples, 50);
      metrics[`completion_latency_${name}_p95_ms`] = percentile(samples, 95);
    }
    row('completion_context_tokens', mean(reuse.promptTokens), 'tokens');
    row('completion_reused_share', reuse.prompt > 0 ? reuse.reused / reuse.prompt : Number.NaN, 'ratio');
    row('completion_reuse_same_suggestion_as_cold', sameSuggestions, 'ratio');
    row('completion_prefill_cold', median(cold.prefillMs), 'ms');
    row('completion_prefill_reuse', median(reuse.prefillMs), 'ms');
    row('completion_generated_tokens', mean(reuse.generatedTokens), 'tokens');
    row('completion_tokens_per_s', median(reuse.tokensPerSecond), 'tokens/s');
    row('decode_tokens_per_s', decode.tealeaf, 'tokens/s');
    row('decode_tokens_per_s', decode.bare, 'tokens/s', `ort-web-bare-loop-${threads}t`);
    row('decode_same_tokens_as_bare', decode.sameTokens ? 1 : 0, 'bool');
    metrics.completion_context_tokens = mean(reuse.promptTokens);
    metrics.completion_tokens_per_s = median(reuse.tokensPerSecond);
    metrics.decode_tokens_per_s_tealeaf = decode.tealeaf;
    metrics.decode_tokens_per_s_bare_ort = decode.bare;

    const ratios: Record<string, number> = {
      prefix_reuse_speedup: median(cold.latencies) / median(reuse.latencies),
      decode_vs_bare_ort: decode.ratio,
    };
    return { results, ratios, metrics };
  } finally {
    await engine.dispose();
  }
}

/** The largest .ts files under `dir` (real source, deterministic order). */
export function largestSources(dir: string, count: number): string[] {
  const found: { file: string; size: number }[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) found.push({ file: full, size: statSync(full).size });
    }
  };
  walk(dir);
  return found
    .sort((a, b) => b.size - a.size || a.file.localeCompare(b.file))
    .slice(0, count)
    .map((f) => f.file);
}

/** A session's cursor is the first line start with more than `contextTokens` tokens before it. */
async function sessionIn(engine: Engine, file: string, contextTokens: number): Promise<Session> {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const spans = await engine.tokenize(text);
  if (spans.length < contextTokens + 200) throw new Error(`${file} is too short for ${contextTokens} tokens of context`);
  const after = spans[contextTokens]!.start;
  const cursor = text.indexOf('\n', after) + 1;
  // The window starts at the first line start that leaves at most contextTokens tokens before the
  // cursor (so the context builder never has to cut it during the session).
  const target = spans.findIndex((s) => s.end > cursor) - contextTokens;
  const windowStart = text.indexOf('\n', spans[Math.max(0, target)]!.start) + 1;
  return { file, text, windowStart, cursor };
}

function keystrokeAt(session: Session, cursor: number, typed = ''): Keystroke {
  return {
    documentKey: session.file,
    windowStart: session.windowStart,
    before: session.text.slice(session.windowStart, cursor) + typed,
    after: session.text.slice(cursor),
  };
}

interface TypingFigures {
  readonly latencies: number[];
  readonly prefillMs: number[];
  readonly promptTokens: number[];
  readonly generatedTokens: number[];
  readonly tokensPerSecond: number[];
  reused: number;
  prompt: number;
}

function emptyFigures(): TypingFigures {
  return { latencies: [], prefillMs: [], promptTokens: [], generatedTokens: [], tokensPerSecond: [], reused: 0, prompt: 0 };
}

/**
 * Types `keystrokes` characters of each file through two CompletionServices without their cache,
 * so that every keystroke generates: one with prefix reuse, one cold (every prefill from scratch).
 * They alternate keystroke by keystroke (reuse first: the cold run then leaves the engine's cache
 * holding exactly what the reuse run would have left), so both see the same machine load — this
 * machine is shared. The first keystroke of a session (the file's first prefill) is not counted.
 */
async function typeSessions(
  engine: Engine,
  settings: CompletionSettings,
  sessions: readonly Session[],
  keystrokes: number,
): Promise<{ cold: TypingFigures; reuse: TypingFigures; sameSuggestions: number }> {
  const cold = emptyFigures();
  const reuse = emptyFigures();
  let same = 0;
  let compared = 0;
  for (const session of sessions) {
    const services = {
      reuse: new CompletionService({ engine: () => engine, settings: () => settings, useCache: false, reusePrefix: true }),
      cold: new CompletionService({ engine: () => engine, settings: () => settings, useCache: false, reusePrefix: false }),
    };
    for (let i = 0; i <= keystrokes; i++) {
      const texts: (string | undefined)[] = [];
      for (const [mode, figures] of [
        ['reuse', reuse],
        ['cold', cold],
      ] as const) {
        const service = services[mode];
        const previous = service.lastGeneration;
        const started = performance.now();
        const suggestion = await service.complete(keystrokeAt(session, session.cursor + i));
        const latency = performance.now() - started;
        texts.push(suggestion?.text);
        const stats = service.lastGeneration;
        if (i === 0 || stats === undefined || stats === previous) continue;
        figures.latencies.push(latency);
        figures.promptTokens.push(stats.promptTokens);
        figures.generatedTokens.push(stats.generatedTokens);
        if (stats.tokensPerSecond !== undefined) figures.tokensPerSecond.push(stats.tokensPerSecond);
        // Unknown when the line rules stopped the generation (the engine reports nothing then).
        if (stats.prefillMs !== undefined) figures.prefillMs.push(stats.prefillMs);
        if (stats.reusedTokens !== undefined) {
          figures.prompt += stats.promptTokens;
          figures.reused += stats.reusedTokens;
        }
      }
      compared++;
      if (texts[0] === texts[1]) same++;
    }
    services.reuse.dispose();
    services.cold.dispose();
  }
  return { cold, reuse, sameSuggestions: compared > 0 ? same / compared : Number.NaN };
}

/**
 * Latency of suggestions answered from the cache: after each generated suggestion, type its
 * characters one by one (each keystroke shows the rest without a generation).
 */
async function typeSuggestions(
  engine: Engine,
  settings: CompletionSettings,
  sessions: readonly Session[],
  keystrokes: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (const session of sessions) {
    const service = new CompletionService({ engine: () => engine, settings: () => settings });
    for (let i = 0; i < keystrokes; i++) {
      const first = await service.complete(keystrokeAt(session, session.cursor + i));
      if (!first) continue;
      let typed = '';
      let shown: Suggestion | undefined = first;
      while (shown && shown.text.length > 1 && latencies.length < keystrokes * sessions.length * 4) {
        typed += shown.text[0];
        const started = performance.now();
        shown = await service.complete(keystrokeAt(session, session.cursor + i, typed));
        const latency = performance.now() - started;
        if (shown?.source !== 'cache') break;
        latencies.push(latency);
      }
    }
    service.dispose();
  }
  return latencies;
}

interface DecodeFigures {
  readonly tealeaf: number;
  readonly bare: number;
  /** Median over back-to-back pairs of Tealeaf tokens/s ÷ bare tokens/s. */
  readonly ratio: number;
  readonly sameTokens: boolean;
}

/**
 * Decode tokens/s: Tealeaf's engine.generate (greedy, no attention capture, cold prefix) against
 * the bare loop, generating the same number of tokens from the same prompt ids. Both measure the
 * decode phase only: from the end of the prefill to the last token, per decode step.
 */
async function decodeSpeed(engine: Engine, modelDir: string, threads: number, session: Session, tokens: number, repeats: number): Promise<DecodeFigures> {
  // A prompt of real code that leaves room for the generated tokens in the model's positions.
  const promptTokens = Math.min(256, Math.floor(engine.info.maxPositions / 2));
  tokens = Math.min(tokens, Math.floor(engine.info.maxPositions / 4));
  const promptText = session.text.slice(Math.max(0, session.cursor - 8 * promptTokens), session.cursor);
  const spans = await engine.tokenize(promptText);
  const prompt = promptText.slice(spans[Math.max(0, spans.length - promptTokens)]!.start);
  const bare = await openNodeSystem('ort-web-bare', { dir: modelDir, file: 'model.onnx', dtype: 'fp32' }, threads);
  try {
    const tealeafRates: number[] = [];
    const bareRates: number[] = [];
    const pairRatios: number[] = [];
    const ids = (await engine.tokenize(prompt)).map((t) => t.id);
    let sameTokens = true;
    for (let r = 0; r < repeats + 2; r++) {
      // Alternate which runs first; each pair runs back to back, so load changes hit both.
      const runTealeaf = () => engine.generate({ prompt, maxNewTokens: tokens, reusePrefix: false, captureAttention: false });
      let result: Awaited<ReturnType<typeof runTealeaf>>;
      let loop: Awaited<ReturnType<OpenSystem['run']>>;
      if (r % 2 === 0) {
        result = await runTealeaf();
        loop = await bare.run({ text: prompt, ids }, result.tokens.length);
      } else {
        loop = await bare.run({ text: prompt, ids }, tokens);
        result = await runTealeaf();
      }
      if (r < 2) {
        if (r === 0) sameTokens = result.tokens.every((t, k) => t === loop.tokens[k]);
        continue; // warm-up for both (one pair in each order)
      }
      if (result.decodeMsPerToken > 0 && loop.decodeMsPerToken > 0) {
        tealeafRates.push(1000 / result.decodeMsPerToken);
        bareRates.push(1000 / loop.decodeMsPerToken);
        pairRatios.push(loop.decodeMsPerToken / result.decodeMsPerToken);
      }
    }
    return { tealeaf: median(tealeafRates), bare: median(bareRates), ratio: median(pairRatios), sameTokens };
  } finally {
    await bare.dispose();
  }
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
