// `npm run bench -- memory`: the inspector's footprint, each measurement in a fresh process
// (bench/memoryChild.ts) so that its RSS is its own.
// - The extension's arrangement on the default code model (its window widened to 1,100 tokens on a
//   copy, as for the other 1,024-token figures): 20 inspections of 1,024 tokens in the inspector's
//   engine process interleaved with 1,000 completions in the completion engine's, a layer and a
//   head viewed after each; the extension host's RSS before, at the end
//   (`host_rss_mb_after_inspections`) and one minute after the panel closed
//   (`host_rss_mb_after_close`), and beside it each engine process's RSS and the total.
// - The 0.5B synthetic model (bench/realModel.ts builds it) opened for the inspector only, first
//   paint at 1,024 tokens: peak RSS (`peak_rss_mb_inspect_0p5b_1024`) beside the model file's size.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MemoryJob, MemoryResult } from './memoryChild';
import { DTYPE_FILES, ensureModel } from './realModel';
import type { BenchRow, BenchSection } from './types';

const ROOT = path.resolve(__dirname, '..');
const INSPECT_TOKENS = 1024;
const INSPECTIONS = 20;
const COMPLETIONS_PER_INSPECTION = 50;
const CLOSE_WAIT_MS = 60_000;
const DTYPE_0P5B = 'q8';

function runChild(job: MemoryJob): MemoryResult {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'memoryChild.ts'), writeJob(job)], { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
  if (child.status !== 0) throw new Error(`memory child ${job.kind} failed with status ${child.status}`);
  return JSON.parse(readFileSync(job.resultPath, 'utf8')) as MemoryResult;
}

let jobs = 0;
function writeJob(job: MemoryJob): string {
  const file = path.join(path.dirname(job.resultPath), `job-${++jobs}.json`);
  writeFileSync(file, JSON.stringify(job));
  return file;
}

export async function benchMemory(options: { readonly codeModel: string; readonly threads: number; readonly log?: (line: string) => void }): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const work = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-memory-'));
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  const system = `tealeaf-wasm-${options.threads}t`;
  try {
    const wide = path.join(work, 'model');
    cpSync(options.codeModel, wide, { recursive: true, dereference: true });
    const configPath = path.join(wide, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, max_position_embeddings: Math.max(Number(config.max_position_embeddings ?? 0), INSPECT_TOKENS + 76) }));
    log(`memory: ${INSPECTIONS} inspections of ${INSPECT_TOKENS} tokens and ${INSPECTIONS * COMPLETIONS_PER_INSPECTION} completions, then ${CLOSE_WAIT_MS / 1000} s after closing`);
    const host = runChild({
      kind: 'host',
      dir: wide,
      threads: options.threads,
      inspections: INSPECTIONS,
      completionsPerInspection: COMPLETIONS_PER_INSPECTION,
      inspectTokens: INSPECT_TOKENS,
      closeWaitMs: CLOSE_WAIT_MS,
      resultPath: path.join(work, 'host.json'),
    });
    const model = `${path.basename(options.codeModel)}@${INSPECT_TOKENS + 76}`;
    const row = (metric: string, value: number, unit = 'MB') => results.push({ system, model, metric, value, unit });
    row('host_rss_loaded', host.rssLoadedMb);
    row('host_rss_before_inspections', host.rssBeforeMb ?? Number.NaN);
    row('host_rss_after_inspections', host.rssAfterInspectionsMb ?? Number.NaN);
    row('host_rss_after_close', host.rssAfterCloseMb ?? Number.NaN);
    row('host_rss_peak', host.hwmEndMb);
    metrics.host_rss_mb_before_inspections = host.rssBeforeMb ?? Number.NaN;
    metrics.host_rss_mb_after_inspections = host.rssAfterInspectionsMb ?? Number.NaN;
    metrics.host_rss_mb_after_close = host.rssAfterCloseMb ?? Number.NaN;
    metrics.host_rss_mb_close_minus_before = (host.rssAfterCloseMb ?? Number.NaN) - (host.rssBeforeMb ?? Number.NaN);
    // The engines run in processes of their own: their memory, beside the host's.
    row('engine_rss_before_inspections', host.engineRssBeforeMb ?? Number.NaN);
    row('engine_rss_after_inspections', host.engineRssAfterInspectionsMb ?? Number.NaN);
    row('engine_rss_after_close', host.engineRssAfterCloseMb ?? Number.NaN);
    row('inspector_rss_after_inspections', host.inspectorRssAfterInspectionsMb ?? Number.NaN);
    row('inspector_rss_peak', host.inspectorHwmMb ?? Number.NaN);
    metrics.engine_rss_mb_before_inspections = host.engineRssBeforeMb ?? Number.NaN;
    metrics.engine_rss_mb_after_inspections = host.engineRssAfterInspectionsMb ?? Number.NaN;
    metrics.inspector_rss_mb_after_inspections = host.inspectorRssAfterInspectionsMb ?? Number.NaN;
    metrics.total_rss_mb_after_inspections = (host.rssAfterInspectionsMb ?? Number.NaN) + metrics.engine_rss_mb_after_inspections + metrics.inspector_rss_mb_after_inspections;
    metrics.total_rss_mb_after_close = (host.rssAfterCloseMb ?? Number.NaN) + (host.engineRssAfterCloseMb ?? Number.NaN);

    const ensured = await ensureModel(log);
    if ('skipped' in ensured) {
      log(`memory: the 0.5B inspection skipped: ${ensured.skipped}`);
      return { results, metrics };
    }
    const fileMb = statSync(path.join(ensured.dir, DTYPE_FILES[DTYPE_0P5B])).size / 1024 / 1024;
    const inspect = runChild({ kind: 'inspect', dir: ensured.dir, dtype: DTYPE_0P5B, purpose: 'inspector', threads: options.threads, inspectTokens: INSPECT_TOKENS, resultPath: path.join(work, 'inspect.json') });
    const big = `synthetic-qwen2.5-0.5b-${DTYPE_0P5B}`;
    results.push({ system, model: big, metric: 'model_file', value: fileMb, unit: 'MB' });
    results.push({ system, model: big, metric: 'inspect_peak_rss_after_load', value: inspect.hwmLoadedMb, unit: 'MB' });
    results.push({ system, model: big, metric: `inspect_peak_rss_${INSPECT_TOKENS}`, value: inspect.hwmEndMb, unit: 'MB' });
    results.push({ system, model: big, metric: `inspect_first_paint_${INSPECT_TOKENS}`, value: inspect.firstPaintMs ?? Number.NaN, unit: 'ms' });
    metrics.peak_rss_mb_inspect_0p5b_1024 = inspect.hwmEndMb;
    metrics.peak_rss_mb_inspect_0p5b_1024_over_files = inspect.hwmEndMb - fileMb;
    return { results, metrics };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
