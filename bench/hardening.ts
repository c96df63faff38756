// `npm run bench -- hardening`: the keystroke storm and the long soak of issue 16, each in a fresh
// process (bench/hardeningChild.ts) that runs the extension's arrangement: completions through
// the CompletionService on the engine process, inspections through the inspector's host-side
// session with the panel's shared view cache on the inspector's own engine process.
// - Storm: 1,000 keystrokes at 5 ms intervals typed into a 1,000-token file (the window widened on
//   a copy, as for the other 1,000-token figures), once with the default debounce and once with
//   none: the most generations in flight at once (`storm_max_generations_in_flight`, must be 1),
//   suggestions answered for a keystroke that a newer one had already replaced
//   (`storm_stale_suggestions_shown`, must be 0), and last keystroke → the final text's suggestion
//   (`storm_final_suggestion_ms`) beside the bound, debounce + one cold prefill of the final
//   prompt + one decode step (`storm_final_bound_ms`).
// - Soak: 1,000 completions (typing through the largest sources, debounce 0: a wait costs no
//   memory) and 100 inspections of 512 tokens with a layer and a head of each viewed, interleaved;
//   the first tenth is warm-up. Each process's VmRSS: the host (the measuring process), the
//   completion engine's (`worker`) and the inspector's. `soak_rss_growth_pct` is the largest of the
//   three growths after warm-up; `soak_host_rss_mb_per_inspection` the host's growth over the
//   inspections after it.
//   The host keeps the views the panel has shown in a cache bounded by
//   tealeaf.inspector.memoryBudgetMB (256 MB): `soak_host_rss_growth_pct_beyond_view_cache` is the
//   host's growth less what that cache grew by, and `…_after_close` the growth once it is emptied.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom } from '../src/engine/sampling';
import type { HardeningJob, SoakFigures, StormFigures } from './hardeningChild';
import type { BenchRow, BenchSection } from './types';

const ROOT = path.resolve(__dirname, '..');
const CHILD = path.join(__dirname, 'hardeningChild.ts');

/** The storm and soak, as pinned there. */
export const STORM = { keystrokes: 1000, intervalMs: 5, fileTokens: 1000 } as const;
export const SOAK = { completions: 1000, inspections: 100, inspectTokens: 512, warmupShare: 0.1 } as const;
/** Declared window of the copy the storm types into: the file, the suggestion and specials fit. */
const STORM_WINDOW = STORM.fileTokens + 128;

export interface HardeningOptions {
  readonly codeModel: string;
  readonly threads: number;
  readonly log?: (line: string) => void;
}

export async function benchHardening(options: HardeningOptions): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const work = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-hardening-'));
  try {
    const dir = path.join(work, 'model');
    cpSync(options.codeModel, dir, { recursive: true, dereference: true });
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, max_position_embeddings: Math.max(Number(config.max_position_embeddings ?? 0), STORM_WINDOW) }));
    const common = { dir, threads: options.threads } as const;

    log(`hardening: storm of ${STORM.keystrokes} keystrokes every ${STORM.intervalMs} ms on a ${STORM.fileTokens}-token file`);
    const storm = runChild<StormFigures>({ kind: 'storm', ...common, ...STORM }, work);
    log(`hardening: soak of ${SOAK.completions} completions and ${SOAK.inspections} inspections of ${SOAK.inspectTokens} tokens`);
    const soak = runChild<SoakFigures>({ kind: 'soak', ...common, ...SOAK }, work);

    const system = `tealeaf-wasm-process-${options.threads}t`;
    const model = `${path.basename(options.codeModel)}@${STORM_WINDOW}`;
    const results: BenchRow[] = [];
    const row = (metric: string, value: number, unit: string): void => {
      results.push({ system, model, metric, value, unit });
    };
    for (const run of storm.runs) {
      const at = `debounce_${run.debounceMs}`;
      row(`storm_final_suggestion_${at}`, run.finalSuggestionMs, 'ms');
      row(`storm_final_first_token_${at}`, run.finalFirstTokenMs, 'ms');
      row(`storm_generations_started_${at}`, run.generationsStarted, 'count');
      row(`storm_suggestions_shown_${at}`, run.suggestionsShown, 'count');
      row(`storm_keystrokes_late_max_${at}`, run.keystrokeLateMaxMs, 'ms');
    }
    row('storm_final_prompt_tokens', storm.finalPromptTokens, 'tokens');
    row('storm_cold_prefill_final_prompt', storm.coldPrefillMs, 'ms');
    row('soak_host_rss_after_warmup', soak.base.hostMb, 'MB');
    row('soak_host_rss_end', soak.end.hostMb, 'MB');
    row('soak_host_rss_after_close', soak.afterClose.hostMb, 'MB');
    row('soak_worker_rss_after_warmup', soak.base.workerMb, 'MB');
    row('soak_worker_rss_end', soak.end.workerMb, 'MB');
    row('soak_inspector_rss_after_warmup', soak.base.inspectorMb, 'MB');
    row('soak_inspector_rss_end', soak.end.inspectorMb, 'MB');
    row('soak_view_cache_end', soak.viewCacheMb, 'MB');
    row('soak_generations', soak.generations, 'count');
    row('soak_minutes', soak.minutes, 'min');

    const atDefault = storm.runs.find((r) => r.debounceMs === storm.defaultDebounceMs);
    const measured = (soak.inspections - soak.warmupInspections) || Number.NaN;
    const hostGrowth = growthPct(soak.base.hostMb, soak.end.hostMb);
    const workerGrowth = growthPct(soak.base.workerMb, soak.end.workerMb);
    const inspectorGrowth = growthPct(soak.base.inspectorMb, soak.end.inspectorMb);
    const metrics: Record<string, number> = {
      storm_max_generations_in_flight: Math.max(...storm.runs.map((r) => r.maxGenerationsInFlight)),
      storm_stale_suggestions_shown: storm.runs.reduce((sum, r) => sum + r.staleSuggestionsShown, 0),
      storm_final_suggestion_ms: atDefault?.finalSuggestionMs ?? Number.NaN,
      storm_final_first_token_ms: atDefault?.finalFirstTokenMs ?? Number.NaN,
      storm_final_bound_ms: storm.defaultDebounceMs + storm.coldPrefillMs + (atDefault?.finalDecodeMsPerToken ?? Number.NaN),
      storm_final_suggestion_ms_debounce_0: storm.runs.find((r) => r.debounceMs === 0)?.finalSuggestionMs ?? Number.NaN,
      soak_rss_growth_pct: Math.max(hostGrowth, workerGrowth, inspectorGrowth),
      soak_host_rss_growth_pct: hostGrowth,
      soak_worker_rss_growth_pct: workerGrowth,
      soak_inspector_rss_growth_pct: inspectorGrowth,
      soak_host_rss_growth_pct_beyond_view_cache: growthPct(soak.base.hostMb, soak.end.hostMb - (soak.viewCacheMb - soak.viewCacheBaseMb)),
      soak_host_rss_growth_pct_after_close: growthPct(soak.base.hostMb, soak.afterClose.hostMb),
      soak_host_rss_mb_per_inspection: (soak.end.hostMb - soak.base.hostMb) / measured,
      soak_view_cache_mb: soak.viewCacheMb,
    };
    const ratios = { storm_final_suggestion_vs_bound: metrics.storm_final_suggestion_ms / metrics.storm_final_bound_ms };
    return { results, metrics, ratios };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function runChild<R>(job: HardeningJob, work: string): R {
  const resultPath = path.join(work, `${job.kind}.json`);
  const args = ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(job), resultPath];
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
  if (child.status !== 0) throw new Error(`hardening child ${job.kind} failed with status ${child.status}`);
  // JSON writes NaN (a figure that could not be taken) as null.
  return JSON.parse(readFileSync(resultPath, 'utf8'), (_key, value: unknown) => (value === null ? Number.NaN : value)) as R;
}

// ------------------------------------------------------------------------------------------------
// Pure helpers (test/unit/benchHardening.test.ts)
// ------------------------------------------------------------------------------------------------

/** Growth from `before` to `after` in percent of `before`. */
export function growthPct(before: number, after: number): number {
  return ((after - before) / before) * 100;
}

/**
 * Cursor offsets (from where typing starts) after each of `count` keystrokes: mostly one character
 * forward, sometimes a backspace (never before the start). Deterministic for a seed.
 */
export function keystrokeWalk(count: number, backspaceShare: number, seed: number): number[] {
  const random = seededRandom(seed);
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    at = random() < backspaceShare && at > 0 ? at - 1 : at + 1;
    offsets.push(at);
  }
  return offsets;
}
