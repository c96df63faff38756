// `npm run bench -- real-0p5b`: a model of real size. A synthetic Qwen2.5-0.5B (the published
// configuration, random weights) is built at bench time by models/recipes/make_synthetic_0p5b.py
// into a cache outside git, in fp32 (external data), q8 and q4. For each dtype, Tealeaf's engine
// (onnxruntime-web WASM) and a bare onnxruntime-node loop on the same .onnx file each run in a fresh
// child process (bench/realModelChild.ts): load, prefill a 1,024-token prompt, decode 32 tokens
// greedily. Reported: prefill ms, decode ms/token (median of the steps), peak RSS (VmHWM) after
// loading and after the prefill, the files' size, WASM ÷ native decode speed, the fastest dtype on
// WASM and the one `auto` picks. Python (torch) is needed only to build the model: without it the section says why it skipped and
// the other sections run as usual. `npm run bench -- real-0p5b-wasm-limit` (never part of a plain
// run) finds the largest fp32 weights onnxruntime-web's wasm32 heap takes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseDtypeFiles, ONNX_BASES, readModelFolder } from '../src/engine/modelFolder';
import { argmax } from '../src/engine/sampling';
import { NodeModelFiles } from '../src/host/nodeModelFiles';
import type { BenchRow, BenchSection } from './types';

const ROOT = path.resolve(__dirname, '..');
const RECIPE_DIR = path.join(ROOT, 'models', 'recipes');
const RECIPE = path.join(RECIPE_DIR, 'make_synthetic_0p5b.py');
/** Hashed into the recipe stamp, in this order (make_synthetic_0p5b.py's RECIPE_FILES). */
const RECIPE_FILES = ['make_synthetic_0p5b.py', 'tealeaf_export.py'] as const;
const MODEL_NAME = 'synthetic-qwen2.5-0.5b';
const STAMP = '.tealeaf-stamp.json';
/** Qwen2.5-0.5B's 24; TEALEAF_BENCH_REAL_LAYERS=2 checks the whole section in minutes (its own folder). */
const LAYERS = Number(process.env.TEALEAF_BENCH_REAL_LAYERS ?? 24);

export const BENCH_DTYPES = ['fp32', 'q8', 'q4'] as const;
export type BenchDtype = (typeof BENCH_DTYPES)[number];
/** transformers.js file names per dtype. */
export const DTYPE_FILES: Readonly<Record<BenchDtype, string>> = {
  fp32: 'onnx/model.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};

export type BenchSystem = 'tealeaf' | 'ort-node';

export interface ChildJob {
  readonly kind: 'measure';
  readonly system: BenchSystem;
  readonly dir: string;
  readonly dtype: BenchDtype;
  /** The dtype's .onnx file, relative to dir. */
  readonly file: string;
  readonly threads: number;
  readonly promptText: string;
  readonly promptIds: readonly number[];
  readonly newTokens: number;
  readonly round: number;
  readonly resultPath: string;
}

export interface ChildResult {
  readonly system: BenchSystem;
  readonly dtype: BenchDtype;
  readonly round: number;
  readonly loadedFile: string;
  readonly loadMs: number;
  readonly prefillMs: number;
  /** From the call to the first token (prefill, sampling, detokenising). */
  readonly firstTokenMs: number;
  /** One duration per decode step: token k-1 → token k. */
  readonly stepMs: readonly number[];
  /** Tealeaf only: the engine's own mean ms per decode step. */
  readonly engineDecodeMsPerToken?: number;
  readonly promptTokens: number;
  readonly tokens: readonly number[];
  readonly finishReason: string;
  /** VmHWM (peak RSS) read right after load, right after prefill, at the end; VmRSS at the end. */
  readonly rssLoadMb: number;
  readonly rssPrefillMb: number;
  readonly rssEndMb: number;
  readonly rssNowMb: number;
}

/** A child that did not return a result (crash, out of memory, timeout). */
export interface FailedRun {
  readonly system: BenchSystem;
  readonly dtype: BenchDtype;
  readonly round: number;
  readonly error: string;
}

export interface WasmLimitJob {
  readonly kind: 'wasm-limit';
  readonly dir: string;
  readonly chunks: readonly string[];
  readonly bytes: number;
  /** The MatMul's inner dimension (x is [1, inner]). */
  readonly inner: number;
  readonly threads: number;
  readonly resultPath: string;
}

export interface WasmLimitResult {
  readonly bytes: number;
  readonly loaded: boolean;
  readonly loadMs: number;
  readonly peakRssMb: number;
  readonly error?: string;
}

// ------------------------------------------------------------------------------------------------
// Pure helpers (test/unit/benchRealModel.test.ts)
// ------------------------------------------------------------------------------------------------

const MIB = 1024 * 1024;

function statusFieldMb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s*(\\d+)\\s*kB\\s*$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} line in /proc/self/status`);
  return Number(match[1]) / 1024;
}

/** Peak resident set (VmHWM) in MB (MiB) from the text of /proc/self/status. */
export function parseVmHwmMb(status: string): number {
  return statusFieldMb(status, 'VmHWM');
}

/** A process's VmRSS or VmHWM in MB (MiB) from /proc; NaN for a process that does not run (undefined). */
export function processMb(pid: number | 'self' | undefined, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return field === 'VmRSS' ? parseVmRssMb(status) : parseVmHwmMb(status);
}

/** Current resident set (VmRSS) in MB (MiB) from the text of /proc/self/status. */
export function parseVmRssMb(status: string): number {
  return statusFieldMb(status, 'VmRSS');
}

/** Index of the largest of data[offset, offset + length): the first one on ties (the engine's greedy rule). */
export function argmaxOf(data: Float32Array, offset: number, length: number): number {
  return argmax(data.subarray(offset, offset + length));
}

/** The recipe's stamp hash: sha256 over name, NUL, bytes, NUL of each file, then `layers=N`. */
export function recipeHash(files: readonly { readonly name: string; readonly bytes: Uint8Array }[], layers: number): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.name}\0`);
    hash.update(file.bytes);
    hash.update('\0');
  }
  hash.update(`layers=${layers}`);
  return hash.digest('hex');
}

/** A stamp is complete when it names this recipe and every file it lists has its recorded size. */
export function stampIsComplete(stamp: unknown, wantHash: string, sizeOf: (relativePath: string) => number | undefined): boolean {
  if (typeof stamp !== 'object' || stamp === null) return false;
  const { recipe_sha256: hash, files } = stamp as { recipe_sha256?: unknown; files?: unknown };
  if (hash !== wantHash || typeof files !== 'object' || files === null) return false;
  const entries = Object.entries(files as Record<string, unknown>);
  return entries.length > 0 && entries.every(([file, size]) => typeof size === 'number' && sizeOf(file) === size);
}

/** The issue's memory target: peak RSS at most 1.3 × the files plus 300 MB. */
export function rssBudgetMb(fileMb: number): number {
  return 1.3 * fileMb + 300;
}

/** Median of the middle two for even counts (decode steps, rounds). */
export function middle(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** The dtype with the lowest finite value, or undefined when none was measured. */
export function fastestOf<K extends string>(msByKey: Readonly<Partial<Record<K, number>>>): K | undefined {
  let best: K | undefined;
  for (const [key, ms] of Object.entries(msByKey) as [K, number | undefined][]) {
    if (ms === undefined || !Number.isFinite(ms)) continue;
    if (best === undefined || ms < msByKey[best]!) best = key;
  }
  return best;
}

export interface RealModelFigures {
  readonly results: BenchRow[];
  readonly metrics: Record<string, number>;
  readonly ratios: Record<string, number>;
  readonly table: Record<string, string | number>[];
  readonly fastest?: BenchDtype;
}

/**
 * Metrics from the runs of every round. Decode: per run the median step, then the median over
 * rounds; prefill likewise; peak RSS: the highest VmHWM of any run of the dtype (load or prefill).
 * `auto`: the dtype the engine's `auto` opens on WASM (ratios.wasm_vs_native_0p5b is its ratio).
 */
export function summarizeRuns(
  runs: readonly ChildResult[],
  fileMb: Readonly<Partial<Record<BenchDtype, number>>>,
  threads: number,
  auto: BenchDtype | undefined,
): RealModelFigures {
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  const table: Record<string, string | number>[] = [];
  const systemName = { tealeaf: `tealeaf-wasm-${threads}t`, 'ort-node': `ort-node-${threads}t` } as const;
  const decodeBy: Partial<Record<BenchDtype, number>> = {};
  for (const dtype of BENCH_DTYPES) {
    const model = `${MODEL_NAME}:${dtype}`;
    const of = (system: BenchSystem) => runs.filter((r) => r.dtype === dtype && r.system === system);
    const figures = (system: BenchSystem) => {
      const list = of(system);
      return {
        decode: middle(list.map((r) => middle(r.stepMs))),
        prefill: middle(list.map((r) => r.prefillMs)),
        load: middle(list.map((r) => r.loadMs)),
        rssLoad: list2max(list.map((r) => r.rssLoadMb)),
        rssPrefill: list2max(list.map((r) => r.rssPrefillMb)),
        runs: list.length,
      };
    };
    const wasm = figures('tealeaf');
    const native = figures('ort-node');
    if (wasm.runs === 0 && native.runs === 0) continue;
    const peak = list2max(of('tealeaf').map((r) => Math.max(r.rssLoadMb, r.rssPrefillMb)));
    const nativePeak = list2max(of('ort-node').map((r) => Math.max(r.rssLoadMb, r.rssPrefillMb)));
    // WASM ÷ native speed per round (each pair ran back to back), then the median over rounds.
    const pairRatios: number[] = [];
    for (const w of of('tealeaf')) {
      const n = of('ort-node').find((r) => r.round === w.round);
      if (n) pairRatios.push(middle(n.stepMs) / middle(w.stepMs));
    }
    const ratio = middle(pairRatios);
    const file = fileMb[dtype] ?? Number.NaN;
    const budget = rssBudgetMb(file);
    if (wasm.runs > 0) decodeBy[dtype] = wasm.decode;
    Object.assign(metrics, {
      [`decode_ms_0p5b_${dtype}`]: wasm.decode,
      [`prefill_ms_0p5b_${dtype}`]: wasm.prefill,
      [`load_ms_0p5b_${dtype}`]: wasm.load,
      [`native_decode_ms_0p5b_${dtype}`]: native.decode,
      [`native_prefill_ms_0p5b_${dtype}`]: native.prefill,
      [`native_load_ms_0p5b_${dtype}`]: native.load,
      [`peak_rss_mb_0p5b_${dtype}`]: peak,
      [`load_rss_mb_0p5b_${dtype}`]: wasm.rssLoad,
      [`prefill_rss_mb_0p5b_${dtype}`]: wasm.rssPrefill,
      [`native_peak_rss_mb_0p5b_${dtype}`]: nativePeak,
      [`file_mb_0p5b_${dtype}`]: file,
      [`rss_budget_mb_0p5b_${dtype}`]: budget,
    });
    ratios[`wasm_vs_native_0p5b_${dtype}`] = ratio;
    ratios[`peak_rss_vs_budget_0p5b_${dtype}`] = peak / budget;
    const same = sameTokenShare(of('tealeaf'), of('ort-node'));
    const row = (system: BenchSystem, metric: string, value: number, unit: string) => {
      if (Number.isFinite(value)) results.push({ system: systemName[system], model, metric, value, unit });
    };
    for (const [system, f, p] of [
      ['tealeaf', wasm, peak],
      ['ort-node', native, nativePeak],
    ] as const) {
      row(system, 'prefill_1024_tokens', f.prefill, 'ms');
      row(system, 'decode_per_token', f.decode, 'ms');
      row(system, 'load', f.load, 'ms');
      row(system, 'peak_rss_load', f.rssLoad, 'MB');
      row(system, 'peak_rss_prefill', f.rssPrefill, 'MB');
      row(system, 'peak_rss', p, 'MB');
    }
    row('tealeaf', 'file_size', file, 'MB');
    row('tealeaf', 'rss_budget', budget, 'MB');
    row('tealeaf', 'wasm_vs_native_decode', ratio, 'ratio');
    row('tealeaf', 'same_tokens_as_native', same, 'ratio');
    table.push({
      dtype,
      'file MB': round(file),
      'wasm prefill ms': round(wasm.prefill),
      'wasm decode ms/tok': round(wasm.decode, 1),
      'native prefill ms': round(native.prefill),
      'native decode ms/tok': round(native.decode, 1),
      'wasm/native speed': round(ratio, 2),
      'wasm RSS load MB': round(wasm.rssLoad),
      'wasm RSS prefill MB': round(wasm.rssPrefill),
      'budget MB': round(budget),
      'native RSS MB': round(nativePeak),
      'same tokens': round(same, 2),
    });
  }
  const fastest = fastestOf(decodeBy);
  if (fastest) {
    metrics.fastest_dtype_0p5b_wasm = BENCH_DTYPES.indexOf(fastest); // 0 fp32, 1 q8, 2 q4
    results.push({ system: systemName.tealeaf, model: `${MODEL_NAME}:${fastest}`, metric: 'fastest_dtype_wasm', value: 1, unit: 'bool' });
  }
  if (auto) {
    metrics.auto_dtype_0p5b_wasm = BENCH_DTYPES.indexOf(auto);
    ratios.wasm_vs_native_0p5b = ratios[`wasm_vs_native_0p5b_${auto}`] ?? Number.NaN;
    if (fastest) ratios.auto_is_fastest_0p5b = auto === fastest ? 1 : 0;
    results.push({ system: systemName.tealeaf, model: `${MODEL_NAME}:${auto}`, metric: 'auto_dtype_wasm', value: 1, unit: 'bool' });
  }
  return { results, metrics, ratios, table, ...(fastest ? { fastest } : {}) };
}

function list2max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Number.isFinite(value) ? Math.round(value * f) / f : Number.NaN;
}

/** Share of generated positions where Tealeaf and the native loop chose the same token (same round). */
function sameTokenShare(wasm: readonly ChildResult[], native: readonly ChildResult[]): number {
  let same = 0;
  let total = 0;
  for (const w of wasm) {
    const n = native.find((r) => r.round === w.round);
    if (!n) continue;
    const length = Math.min(w.tokens.length, n.tokens.length);
    for (let k = 0; k < length; k++) if (w.tokens[k] === n.tokens[k]) same++;
    total += Math.max(w.tokens.length, n.tokens.length);
  }
  return total > 0 ? same / total : Number.NaN;
}

// ------------------------------------------------------------------------------------------------
// The model: cached, built by the recipe when missing
// ------------------------------------------------------------------------------------------------

export function cacheRoot(): string {
  return process.env.TEALEAF_CACHE ?? path.join(ROOT, '.tealeaf-cache');
}

function currentRecipeHash(): string {
  return recipeHash(
    RECIPE_FILES.map((name) => ({ name, bytes: readFileSync(path.join(RECIPE_DIR, name)) })),
    LAYERS,
  );
}

function isBuilt(dir: string): boolean {
  const stampPath = path.join(dir, STAMP);
  if (!existsSync(stampPath)) return false;
  let stamp: unknown;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return false;
  }
  return stampIsComplete(stamp, currentRecipeHash(), (file) => {
    try {
      const s = statSync(path.join(dir, file));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  });
}

export type Ensured = { readonly dir: string; readonly builtSeconds?: number } | { readonly skipped: string };

/** Python with the recipe's packages, or why not. */
function findPython(): { python: string } | { skipped: string } {
  const candidates = [process.env.TEALEAF_PYTHON, 'python3', 'python'].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch, transformers, onnx, onnxruntime, onnxscript'], { encoding: 'utf8' });
    if (probe.error) continue; // not on PATH
    if (probe.status === 0) return { python };
    const last = (probe.stderr ?? '').trim().split('\n').pop() ?? `exit ${probe.status}`;
    return { skipped: `${python} cannot build the model (${last}); pip install -r models/recipes/requirements.txt` };
  }
  return { skipped: 'no python3 on PATH to build the model (models/recipes/make_synthetic_0p5b.py)' };
}

export async function ensureModel(log: (line: string) => void): Promise<Ensured> {
  const dir = path.join(cacheRoot(), LAYERS === 24 ? MODEL_NAME : `${MODEL_NAME}-${LAYERS}layers`);
  if (isBuilt(dir)) return { dir };
  const found = findPython();
  if ('skipped' in found) return found;
  log(`real-0p5b: building ${path.relative(ROOT, dir) || dir} with ${found.python} (minutes; cached afterwards)`);
  const started = performance.now();
  const { code, tail } = await runProcess(found.python, [RECIPE, '--out', dir, '--layers', String(LAYERS)], 60 * 60 * 1000);
  if (code !== 0 || !isBuilt(dir)) return { skipped: `the model build failed (exit ${code}): ${tail}` };
  return { dir, builtSeconds: (performance.now() - started) / 1000 };
}

/** Runs a process with its stderr passed through (and its last lines kept); stdout is dropped. */
function runProcess(command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : null), tail: lastLines(tail, 3) });
    });
  });
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}

// ------------------------------------------------------------------------------------------------
// The section
// ------------------------------------------------------------------------------------------------

/** Some code, repeated: the prompt's text, cut to exactly `tokens` tokens of the model's tokenizer. */
const SAMPLE = `export function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), wait);\n  };\n}\n`;

async function promptOf(dir: string, tokens: number): Promise<{ text: string; ids: number[] }> {
  const { tokenizer } = await readModelFolder(await NodeModelFiles.open(dir));
  let text = SAMPLE;
  while (tokenizer.encodeWithSpans(text).length < tokens + 16) text += SAMPLE;
  const spans = tokenizer.encodeWithSpans(text);
  // A cut between two tokens can merge differently: take the first cut that encodes to `tokens`.
  for (let k = tokens; k < spans.length; k++) {
    const cut = text.slice(0, spans[k - 1]!.end);
    const ids = tokenizer.encodeWithSpans(cut).map((s) => s.id);
    if (ids.length === tokens) return { text: cut, ids };
  }
  throw new Error(`no cut of the sample encodes to exactly ${tokens} tokens`);
}

/** The dtype the engine's `auto` opens on WASM for this folder (the engine's own rule). */
async function autoDtype(dir: string): Promise<BenchDtype | undefined> {
  const chosen = await chooseDtypeFiles(await NodeModelFiles.open(dir), [ONNX_BASES.decoder], 'auto', 'wasm');
  const dtype: string = chosen.file.dtype;
  return (BENCH_DTYPES as readonly string[]).includes(dtype) ? (dtype as BenchDtype) : undefined;
}

/** TEALEAF_BENCH_REAL_DTYPES=fp32,q4 measures only those. */
function dtypesFromEnv(): BenchDtype[] | undefined {
  const value = process.env.TEALEAF_BENCH_REAL_DTYPES;
  if (!value) return undefined;
  const list = value.split(',').map((d) => d.trim());
  const bad = list.filter((d) => !(BENCH_DTYPES as readonly string[]).includes(d));
  if (bad.length > 0) throw new Error(`TEALEAF_BENCH_REAL_DTYPES: unknown ${bad.join(', ')} (use ${BENCH_DTYPES.join(', ')})`);
  return list as BenchDtype[];
}

function fileMbOf(dir: string, file: string): number {
  const bytes = [file, `${file}_data`].map((f) => path.join(dir, f)).filter((f) => existsSync(f)).reduce((sum, f) => sum + statSync(f).size, 0);
  return bytes / MIB;
}

async function runChild(job: Omit<ChildJob, 'resultPath'> | Omit<WasmLimitJob, 'resultPath'>, work: string, timeoutMs: number): Promise<{ result?: unknown; error?: string }> {
  const name = 'system' in job ? `${job.system}-${job.dtype}-r${job.round}` : `wasm-limit-${job.bytes}`;
  const jobPath = path.join(work, `${name}.job.json`);
  const resultPath = path.join(work, `${name}.result.json`);
  writeFileSync(jobPath, JSON.stringify({ ...job, resultPath }));
  const { code, tail } = await runProcess(process.execPath, ['--import', 'tsx', path.join(__dirname, 'realModelChild.ts'), jobPath], timeoutMs);
  if (code === 0 && existsSync(resultPath)) return { result: JSON.parse(readFileSync(resultPath, 'utf8')) };
  return { error: `exit ${code}${code === 137 || code === 128 ? ' (killed: out of memory or timeout)' : ''}: ${tail}` };
}

export interface RealModelOptions {
  readonly threads: number;
  /** Rounds of (every dtype × both systems); default 2, TEALEAF_BENCH_REAL_ROUNDS overrides. */
  readonly rounds?: number;
  readonly promptTokens?: number;
  readonly newTokens?: number;
  readonly dtypes?: readonly BenchDtype[];
  readonly log?: (line: string) => void;
}

export async function benchRealModel(options: RealModelOptions): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ensured = await ensureModel(log);
  if ('skipped' in ensured) {
    log(`real-0p5b: skipped: ${ensured.skipped}`);
    return { results: [], metrics: { real_0p5b_skipped: 1 } };
  }
  const { dir } = ensured;
  const threads = options.threads;
  const rounds = options.rounds ?? Number(process.env.TEALEAF_BENCH_REAL_ROUNDS ?? 2);
  const promptTokens = options.promptTokens ?? 1024;
  const newTokens = options.newTokens ?? 32;
  const dtypes = options.dtypes ?? dtypesFromEnv() ?? BENCH_DTYPES;
  const prompt = await promptOf(dir, promptTokens);
  const fileMb = Object.fromEntries(dtypes.map((d) => [d, fileMbOf(dir, DTYPE_FILES[d])])) as Record<BenchDtype, number>;
  const auto = await autoDtype(dir);
  log(`real-0p5b: ${dir}: ${dtypes.map((d) => `${d} ${Math.round(fileMb[d])} MB`).join(', ')}; auto on WASM opens ${auto ?? '(none of these)'}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-real-'));
  const runs: ChildResult[] = [];
  const failed: FailedRun[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const dtype of dtypes) {
        // Alternate which system goes first, so that drifting machine load hits both.
        const order: BenchSystem[] = round % 2 === 0 ? ['tealeaf', 'ort-node'] : ['ort-node', 'tealeaf'];
        for (const system of order) {
          const started = performance.now();
          const job = { kind: 'measure', system, dir, dtype, file: DTYPE_FILES[dtype], threads, promptText: prompt.text, promptIds: prompt.ids, newTokens, round } as const;
          const { result, error } = await runChild(job, work, 45 * 60 * 1000);
          const seconds = ((performance.now() - started) / 1000).toFixed(0);
          if (result) {
            const r = result as ChildResult;
            runs.push(r);
            log(
              `real-0p5b: round ${round + 1}/${rounds} ${system} ${dtype}: load ${r.loadMs.toFixed(0)} ms, prefill ${r.prefillMs.toFixed(0)} ms, ` +
                `decode ${middle(r.stepMs).toFixed(1)} ms/token (${r.stepMs.length} steps, ${r.finishReason}), ` +
                `VmHWM ${r.rssLoadMb.toFixed(0)} MB after load, ${r.rssPrefillMb.toFixed(0)} MB after prefill (${seconds} s, ${r.loadedFile})`,
            );
          } else {
            failed.push({ system, dtype, round, error: error ?? 'no result' });
            log(`real-0p5b: round ${round + 1}/${rounds} ${system} ${dtype} failed: ${error}`);
          }
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const figures = summarizeRuns(runs, fileMb, threads, auto);
  printTable(figures.table, log);
  if (figures.fastest) log(`real-0p5b: fastest on WASM: ${figures.fastest}; auto opens ${auto ?? '?'}`);
  for (const f of failed) figures.metrics[`failed_runs_0p5b_${f.system === 'tealeaf' ? 'wasm' : 'native'}_${f.dtype}`] = (figures.metrics[`failed_runs_0p5b_${f.system === 'tealeaf' ? 'wasm' : 'native'}_${f.dtype}`] ?? 0) + 1;
  if (ensured.builtSeconds !== undefined) figures.metrics.build_s_0p5b = ensured.builtSeconds;
  return { results: figures.results, metrics: figures.metrics, ratios: figures.ratios };
}

function printTable(table: readonly Record<string, string | number>[], log: (line: string) => void): void {
  if (table.length === 0) return;
  const columns = Object.keys(table[0]!);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isNaN(v) ? '–' : v.toLocaleString('en-US')) : (v ?? ''));
  const widths = columns.map((c) => Math.max(c.length, ...table.map((r) => String(cell(r[c])).length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  log(line(columns));
  for (const r of table) log(line(columns.map((c) => String(cell(r[c])))));
}

// ------------------------------------------------------------------------------------------------
// Where onnxruntime-web's wasm32 heap ends: `npm run bench -- real-0p5b-wasm-limit`
// ------------------------------------------------------------------------------------------------

/**
 * Loads fp32 MatMul models of growing size (weights as external data in 256 MiB files, as a big
 * export keeps them) into onnxruntime-web, each in a fresh process, until one fails; reports the
 * largest that loaded and the error past it. The files are sparse (zeros) and deleted afterwards.
 */
export async function benchWasmLimit(options: { threads: number; sizesGiB?: readonly number[]; log?: (line: string) => void }): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const found = findPython();
  if ('skipped' in found) {
    log(`real-0p5b-wasm-limit: skipped: ${found.skipped}`);
    return { results: [], metrics: { wasm_limit_skipped: 1 } };
  }
  const sizes = options.sizesGiB ?? [2, 2.5, 2.75, 3, 3.5, 3.9];
  const work = mkdtempSync(path.join(cacheRootForScratch(), 'wasm-limit-'));
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  let largest = 0;
  try {
    for (const gib of sizes) {
      const chunkMiB = 256;
      const inner = 4096;
      const chunks = Math.round((gib * 1024) / chunkMiB);
      const outer = (chunkMiB * MIB) / 4 / inner; // columns per chunk
      const dir = path.join(work, `${gib}`);
      const script = [
        'import onnx, os, sys',
        'from onnx import helper, TensorProto',
        `d, n, inner, outer, chunk = sys.argv[1], ${chunks}, ${inner}, ${outer}, ${chunkMiB * MIB}`,
        'os.makedirs(d, exist_ok=True)',
        'inits, nodes, outs = [], [], []',
        'for i in range(n):',
        '    name = f"w{i}.bin"',
        '    with open(os.path.join(d, name), "wb") as f: f.truncate(chunk)',
        '    t = TensorProto(); t.name = f"w{i}"; t.data_type = TensorProto.FLOAT; t.dims.extend([inner, outer])',
        '    t.data_location = TensorProto.EXTERNAL',
        '    for k, v in (("location", name), ("offset", "0"), ("length", str(chunk))):',
        '        e = t.external_data.add(); e.key = k; e.value = v',
        '    inits.append(t)',
        '    nodes.append(helper.make_node("MatMul", ["x", f"w{i}"], [f"y{i}"]))',
        '    outs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, [1, outer]))',
        'g = helper.make_graph(nodes, "wasm_limit", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, inner])], outs, inits)',
        'm = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])',
        'm.ir_version = 9',
        'open(os.path.join(d, "model.onnx"), "wb").write(m.SerializeToString())',
      ].join('\n');
      const made = spawnSync(found.python, ['-c', script, dir], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`could not write the ${gib} GiB model: ${made.stderr}`);
      const bytes = chunks * chunkMiB * MIB;
      const job = { kind: 'wasm-limit', dir, chunks: Array.from({ length: chunks }, (_, i) => `w${i}.bin`), bytes, inner, threads: options.threads } as const;
      const { result, error } = await runChild(job, work, 20 * 60 * 1000);
      rmSync(dir, { recursive: true, force: true });
      const r = result as WasmLimitResult | undefined;
      const ok = r?.loaded === true;
      const why = r?.error ?? error ?? '';
      log(`real-0p5b-wasm-limit: ${gib} GiB of fp32 weights: ${ok ? `loaded in ${r!.loadMs.toFixed(0)} ms` : `failed: ${why}`}${r ? `, peak RSS ${r.peakRssMb.toFixed(0)} MB` : ''}`);
      results.push({ system: 'ort-web-wasm', model: `matmul-${gib}GiB`, metric: 'loads', value: ok ? 1 : 0, unit: 'bool' });
      if (r) results.push({ system: 'ort-web-wasm', model: `matmul-${gib}GiB`, metric: 'peak_rss', value: r.peakRssMb, unit: 'MB' });
      if (!ok) break;
      largest = bytes;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  metrics.wasm_largest_fp32_weights_mb = largest / MIB;
  return { results, metrics };
}

function cacheRootForScratch(): string {
  const root = cacheRoot();
  if (!existsSync(root)) return os.tmpdir();
  return root;
}
