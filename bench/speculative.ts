// `npm run bench -- speculative`: completion time with and without speculative decoding (prompt
// lookup) on a replay of real edits of this project's own sources (bench/editReplay.ts), through
// the CompletionService the editor uses, with the engine in its worker as in the extension.
// Every typed character asks for a completion (no suggestion cache, no debounce, prefix reuse on);
// the two settings alternate keystroke by keystroke, each going first every other time, so both see
// the same machine load. Each has an engine of its own, in a worker of its own, so each sees only
// its own history, as a user with that setting would. On one shared engine (as this bench ran until
// 2026-12-06) the second setting at each keystroke drafted from the first's suggestion for the same
// prompt (an engine keeps its last suggestion as a drafting hint), a perfect draft, and reused the
// prefill the first had paid after the prompt's start moved: the speedup read 1.34–1.50 where prompt
// lookup on its own engine gives 1.05–1.15 on the same replay. Reported per model:
// median completion time each way and their ratio (`speculative_speedup`), per prompt class and
// the worst class, the median of the per-keystroke ratios and the ratio of the total times (the
// times are bimodal, short suggestions and long ones, so the ratio of medians alone moves with
// where the median falls), decode tokens/s each way, the share of drafted tokens accepted, forward
// passes per generated token, and the share of keystrokes whose suggestions were identical (must be 1).
import * as path from 'node:path';
import { CompletionService } from '../src/completions/service';
import { DEFAULT_SETTINGS, type CompletionSettings } from '../src/completions/settings';
import type { Engine, EngineHost, GenerateCallOptions, GenerateRequest, GenerateResult, Speculation } from '../src/engine/types';
import { keystrokesOf, type PromptClass, type ReplayKeystroke, readReplay } from './editReplay';
import { type BenchRow, type BenchSection, median } from './types';

export interface SpeculativeBenchOptions {
  /** Replay sessions used (from the start of the replay) and typed keystrokes measured in each. */
  readonly sessions?: number;
  readonly keystrokes?: number;
  readonly maxTokens?: number;
  /** Characters of text before the cursor the editor sends (the context builder then cuts to the token budget). */
  readonly contextChars?: number;
  readonly contextTokens?: number;
  /** Suffix of metric and ratio names (e.g. `_0p5b`); '' for the default model. */
  readonly suffix?: string;
  readonly log?: (line: string) => void;
}

interface Sample {
  readonly promptClass: PromptClass;
  readonly ms: number;
  readonly text: string | undefined;
  readonly result: GenerateResult | undefined;
}

const MODES = ['off', 'prompt-lookup'] as const satisfies readonly Speculation[];
const CLASSES: readonly PromptClass[] = ['line-start', 'comment', 'identifier', 'punctuation'];

/** The engine as the service sees it, keeping the last result (drafts, passes) for the figures. */
export function recording(engine: Engine): { engine: Engine; last: () => GenerateResult | undefined; clear: () => void } {
  let last: GenerateResult | undefined;
  const wrapped: Engine = {
    info: engine.info,
    tokenize: (text) => engine.tokenize(text),
    generate: async (request: GenerateRequest, options?: GenerateCallOptions) => {
      last = await engine.generate(request, options);
      return last;
    },
    attention: (request, options) => engine.attention(request, options),
    generationAttention: (id) => engine.generationAttention(id),
    translate: (request, options) => engine.translate(request, options),
    translationAttention: (id) => engine.translationAttention(id),
    dispose: () => engine.dispose(),
  };
  return {
    engine: wrapped,
    last: () => last,
    clear: () => {
      last = undefined;
    },
  };
}

export type SpeculationMode = (typeof MODES)[number];

/** `hosts`: where each setting's engine runs (one worker each, as in run.ts). */
export async function benchSpeculative(hosts: Readonly<Record<SpeculationMode, EngineHost>>, modelDir: string, options: SpeculativeBenchOptions = {}): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const suffix = options.suffix ?? '';
  const model = path.basename(modelDir);
  const replay = readReplay();
  const sessions = replay.sessions.slice(0, options.sessions ?? replay.sessions.length);
  const engines: Partial<Record<SpeculationMode, Engine>> = {};
  try {
    for (const mode of MODES) engines[mode] = await hosts[mode].load(modelDir);
    const recorded = Object.fromEntries(MODES.map((mode) => [mode, recording(engines[mode] as Engine)])) as Record<SpeculationMode, ReturnType<typeof recording>>;
    const settingsOf = (speculation: Speculation): CompletionSettings => ({
      ...DEFAULT_SETTINGS,
      debounceMs: 0,
      maxTokens: options.maxTokens ?? DEFAULT_SETTINGS.maxTokens,
      contextTokens: options.contextTokens ?? DEFAULT_SETTINGS.contextTokens,
      speculation,
    });
    const samples: Record<SpeculationMode, Sample[]> = { off: [], 'prompt-lookup': [] };
    let compared = 0;
    let same = 0;
    for (const session of sessions) {
      const keystrokes = keystrokesOf(session, (options.keystrokes ?? 30) + 1, options.contextChars ?? 6000);
      const services = Object.fromEntries(
        MODES.map((mode) => [mode, new CompletionService({ engine: () => recorded[mode].engine, settings: () => settingsOf(mode), useCache: false })]),
      ) as Record<SpeculationMode, CompletionService>;
      for (const [i, keystroke] of keystrokes.entries()) {
        const order = i % 2 === 0 ? MODES : [...MODES].reverse();
        const texts = new Map<string, string | undefined>();
        for (const mode of order) {
          const sample = await complete(services[mode], keystroke, recorded[mode]);
          texts.set(mode, sample.text);
          // The session's first keystroke prefills the whole window: it is not counted.
          if (i > 0) samples[mode].push(sample);
        }
        if (i > 0) {
          compared++;
          if (texts.get('off') === texts.get('prompt-lookup')) same++;
        }
      }
      for (const service of Object.values(services)) service.dispose();
      log(`speculative${suffix}: ${model} ${session.commit} ${session.file}: ${samples.off.length} keystrokes so far`);
    }

    const results: BenchRow[] = [];
    const metrics: Record<string, number> = {};
    const ratios: Record<string, number> = {};
    const row = (metric: string, value: number, unit: string, system = 'tealeaf-worker'): void => {
      if (Number.isFinite(value)) results.push({ system, model, metric, value, unit });
    };
    for (const mode of MODES) {
      const ms = samples[mode].map((s) => s.ms);
      const rates = samples[mode].flatMap((s) => (s.result && s.result.decodeMsPerToken > 0 ? [1000 / s.result.decodeMsPerToken] : []));
      row('completion_ms_p50', median(ms), 'ms', `tealeaf-worker-speculation-${mode}`);
      row('decode_tokens_per_s', median(rates), 'tokens/s', `tealeaf-worker-speculation-${mode}`);
      metrics[`speculative_completion_ms_p50_${mode}${suffix}`] = median(ms);
      metrics[`speculative_decode_tokens_per_s_${mode}${suffix}`] = median(rates);
    }
    const lookup = samples['prompt-lookup'].flatMap((s) => (s.result ? [s.result] : []));
    const drafted = lookup.reduce((n, r) => n + (r.drafted ?? 0), 0);
    const accepted = lookup.reduce((n, r) => n + (r.accepted ?? 0), 0);
    const tokens = lookup.reduce((n, r) => n + r.tokens.length, 0);
    const passes = lookup.reduce((n, r) => n + (r.forwardPasses ?? 0), 0);
    metrics[`speculative_acceptance${suffix}`] = drafted > 0 ? accepted / drafted : 0;
    metrics[`speculative_drafted_per_completion${suffix}`] = lookup.length > 0 ? drafted / lookup.length : 0;
    metrics[`speculative_passes_per_token${suffix}`] = tokens > 0 ? passes / tokens : Number.NaN;
    metrics[`speculative_same_suggestions${suffix}`] = compared > 0 ? same / compared : Number.NaN;
    metrics[`speculative_keystrokes${suffix}`] = samples.off.length;
    row('speculative_acceptance', metrics[`speculative_acceptance${suffix}`] as number, 'ratio');
    row('speculative_same_suggestions', metrics[`speculative_same_suggestions${suffix}`] as number, 'ratio');

    ratios[`speculative_speedup${suffix}`] = median(samples.off.map((s) => s.ms)) / median(samples['prompt-lookup'].map((s) => s.ms));
    // Both lists hold the same keystrokes in the same order.
    metrics[`speculative_speedup_paired_median${suffix}`] = median(samples.off.map((s, i) => s.ms / (samples['prompt-lookup'][i]?.ms ?? Number.NaN)));
    metrics[`speculative_speedup_total${suffix}`] = samples.off.reduce((n, s) => n + s.ms, 0) / samples['prompt-lookup'].reduce((n, s) => n + s.ms, 0);
    let worst: { name: PromptClass; value: number } | undefined;
    for (const name of CLASSES) {
      const off = samples.off.filter((s) => s.promptClass === name).map((s) => s.ms);
      const on = samples['prompt-lookup'].filter((s) => s.promptClass === name).map((s) => s.ms);
      if (off.length === 0 || on.length === 0) continue;
      const value = median(off) / median(on);
      metrics[`speculative_speedup_${name}${suffix}`] = value;
      metrics[`speculative_keystrokes_${name}${suffix}`] = off.length;
      row(`speculative_speedup_${name}`, value, 'ratio');
      if (!worst || value < worst.value) worst = { name, value };
    }
    if (worst) {
      ratios[`speculative_speedup_worst_class${suffix}`] = worst.value;
      row(`speculative_speedup_worst_class_is_${worst.name}`, worst.value, 'ratio');
    }
    log(
      `speculative${suffix}: ${model}: speedup ${ratios[`speculative_speedup${suffix}`]?.toFixed(2)} (worst class ${worst?.name} ${worst?.value.toFixed(2)}), ` +
        `acceptance ${(metrics[`speculative_acceptance${suffix}`] ?? 0).toFixed(2)}, same suggestions ${(metrics[`speculative_same_suggestions${suffix}`] ?? 0).toFixed(3)}`,
    );
    return { results, ratios, metrics };
  } finally {
    await Promise.all(Object.values(engines).map((engine) => engine.dispose()));
  }
}

async function complete(service: CompletionService, keystroke: ReplayKeystroke, recorded: ReturnType<typeof recording>): Promise<Sample> {
  recorded.clear();
  const started = performance.now();
  const suggestion = await service.complete({ documentKey: keystroke.documentKey, windowStart: keystroke.windowStart, before: keystroke.before, after: keystroke.after });
  const ms = performance.now() - started;
  return { promptClass: keystroke.promptClass, ms, text: suggestion?.text, result: recorded.last() };
}
