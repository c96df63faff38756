// Fill-in-the-middle and the KV cache: the same typing session with the text after the cursor
// sent (FIM on) and not (off), on the Qwen2.5-Coder-layout fixture. Qwen documents only
// prefix-suffix-middle prompts, so every keystroke changes the prompt before the suffix: the cache
// is reused up to the cursor and the suffix is prefilled again. This section measures that cost.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineHost } from '../src/engine/types';
import { type BenchRow, type BenchSection, median } from './types';

const ROOT = path.resolve(__dirname, '..');
export const FIM_MODEL = path.join(ROOT, 'test', 'fixtures', 'models', 'hub-qwen2.5-coder');
const SAMPLE = path.join(ROOT, 'test', 'e2e', 'sample-workspace', 'src', 'shapes.ts');
const TYPED = '  const total = first.width + second.width;';
/** As the completion service sends it: a quarter of its default 1,024-token context. */
const SUFFIX_TOKENS = 256;

interface KeystrokeFigures {
  readonly promptTokens: number;
  readonly prefilledTokens: number;
  readonly prefillMs: number;
}

export async function benchFim(host: EngineHost, threads: number): Promise<BenchSection> {
  const engine = await host.load(FIM_MODEL, { threads });
  const text = readFileSync(SAMPLE, 'utf8');
  // Type a new line in the middle of the file, one character per request.
  const at = text.indexOf('\n', Math.floor(text.length / 2)) + 1;
  const before = text.slice(0, at);
  const afterSpans = await engine.tokenize(`\n${text.slice(at)}`);
  const suffix = `\n${text.slice(at)}`.slice(0, afterSpans[Math.min(SUFFIX_TOKENS, afterSpans.length) - 1]?.end ?? 0);
  const session = async (fim: boolean): Promise<KeystrokeFigures[]> => {
    const figures: KeystrokeFigures[] = [];
    for (let typed = 1; typed <= TYPED.length; typed++) {
      const prompt = before + TYPED.slice(0, typed);
      const result = await engine.generate({ prompt, ...(fim ? { suffix } : {}), maxNewTokens: 2 });
      figures.push({ promptTokens: result.promptTokens, prefilledTokens: result.promptTokens - result.reusedTokens, prefillMs: result.prefillMs });
    }
    return figures.slice(1); // the first keystroke prefills the whole file either way
  };
  const rows: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  for (const [label, fim] of [
    ['off', false],
    ['on', true],
  ] as const) {
    await session(fim); // warm-up pass: the same work, not measured
    const figures = await session(fim);
    const prefilled = median(figures.map((f) => f.prefilledTokens));
    const prompt = median(figures.map((f) => f.promptTokens));
    const ms = median(figures.map((f) => f.prefillMs));
    const reusedShare = figures.reduce((s, f) => s + (f.promptTokens - f.prefilledTokens), 0) / figures.reduce((s, f) => s + f.promptTokens, 0);
    metrics[`fim_${label}_prefilled_tokens_per_keystroke`] = prefilled;
    metrics[`fim_${label}_prompt_tokens`] = prompt;
    metrics[`fim_${label}_prefill_ms_p50`] = ms;
    metrics[`fim_${label}_reused_share`] = reusedShare;
    rows.push(
      { system: `tealeaf fim ${label}`, model: 'hub-qwen2.5-coder', metric: 'prefilled tokens per keystroke (p50)', value: prefilled, unit: 'tokens' },
      { system: `tealeaf fim ${label}`, model: 'hub-qwen2.5-coder', metric: 'prompt tokens (p50)', value: prompt, unit: 'tokens' },
      { system: `tealeaf fim ${label}`, model: 'hub-qwen2.5-coder', metric: 'prompt reused from the cache', value: reusedShare * 100, unit: '%' },
      { system: `tealeaf fim ${label}`, model: 'hub-qwen2.5-coder', metric: 'prefill per keystroke (p50)', value: ms, unit: 'ms' },
    );
  }
  await engine.dispose();
  return { results: rows, metrics };
}
