// `npm run bench -- native`: the native backend (onnxruntime-node) against WebAssembly
// (onnxruntime-web), Tealeaf's engine on both, on the default code model and on the synthetic
// 0.5B model (built on first use, as for real-0p5b) side by side. Each backend runs in a fresh
// process per round (bench/nativeChild.ts), the order alternating round by round; a busy machine
// only adds time, so each backend's fastest round counts. Reported per model: prefill of 1,024
// tokens and the mean decode step, and ratios WASM ÷ native (above 1: native is faster):
//   ratios.native_vs_wasm_decode, ratios.native_vs_wasm_prefill_1024 (the default code model),
//   ratios.native_vs_wasm_decode_0p5b, ratios.native_vs_wasm_prefill_1024_0p5b.
// Then completion latency p50/p95 per backend on the default code model, typing as an editor does.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { DtypeChoice } from '../src/engine/dtype';
import type { CpuBackend } from '../src/host/backendSelection';
import { createInProcessHost } from '../src/host/inProcessHost';
import { benchCompletions } from './completions';
import type { NativeChildJob, NativeChildResult } from './nativeChild';
import { ensureModel } from './realModel';
import { type BenchRow, type BenchSection, median } from './types';

const ROOT = path.resolve(__dirname, '..');
const BACKENDS: readonly CpuBackend[] = ['wasm', 'native'];
/** The prompt the prefill ratio is measured at. */
export const NATIVE_PREFILL_TOKENS = 1024;
const NEW_TOKENS = 32;

export interface NativeBenchOptions {
  /** The default code model, and a copy of it whose declared window holds NATIVE_PREFILL_TOKENS. */
  readonly codeModel: string;
  readonly wideCodeModel: string;
  readonly threads: number;
  readonly log?: (line: string) => void;
}

function runChild(job: NativeChildJob): Promise<NativeChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'nativeChild.ts'), JSON.stringify(job)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${job.backend} on ${job.modelDir} exited with ${code}`));
      else resolve(JSON.parse(last) as NativeChildResult);
    });
  });
}

interface Figures {
  readonly prefillMs: number;
  readonly decodeMsPerToken: number;
  readonly loadMs: number;
  readonly tokens: readonly number[];
  readonly file: string;
}

/** Prefill and decode of both backends on one model: the fastest round of each. */
async function measureModel(modelDir: string, job: Omit<NativeChildJob, 'modelDir' | 'backend'>, rounds: number, log: (line: string) => void): Promise<Record<CpuBackend, Figures>> {
  const best: Partial<Record<CpuBackend, Figures>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const backend of round % 2 === 0 ? BACKENDS : [...BACKENDS].reverse()) {
      const result = await runChild({ ...job, modelDir, backend });
      const figures = { prefillMs: median(result.prefillMs), decodeMsPerToken: median(result.decodeMsPerToken), loadMs: result.loadMs, tokens: result.tokens, file: `${result.file} (${result.dtype})` };
      log(`native: ${path.basename(modelDir)} ${backend} round ${round + 1}: prefill ${figures.prefillMs.toFixed(0)} ms, decode ${figures.decodeMsPerToken.toFixed(2)} ms/token, load ${figures.loadMs.toFixed(0)} ms`);
      const previous = best[backend];
      best[backend] = previous
        ? { ...previous, prefillMs: Math.min(previous.prefillMs, figures.prefillMs), decodeMsPerToken: Math.min(previous.decodeMsPerToken, figures.decodeMsPerToken), loadMs: Math.min(previous.loadMs, figures.loadMs) }
        : figures;
    }
  }
  return best as Record<CpuBackend, Figures>;
}

function section(model: string, figures: Record<CpuBackend, Figures>, threads: number, suffix: string): BenchSection {
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  for (const backend of BACKENDS) {
    const f = figures[backend];
    const system = `tealeaf-${backend}-${threads}t`;
    results.push(
      { system, model, metric: `prefill_${NATIVE_PREFILL_TOKENS}_tokens`, value: f.prefillMs, unit: 'ms' },
      { system, model, metric: 'decode_per_token', value: f.decodeMsPerToken, unit: 'ms' },
      { system, model, metric: 'load', value: f.loadMs, unit: 'ms' },
    );
    metrics[`${backend}_prefill_${NATIVE_PREFILL_TOKENS}_ms${suffix}`] = f.prefillMs;
    metrics[`${backend}_decode_ms_per_token${suffix}`] = f.decodeMsPerToken;
  }
  const same = figures.native.tokens.join() === figures.wasm.tokens.join() ? 1 : 0;
  results.push({ system: `tealeaf-native-${threads}t`, model, metric: 'same_greedy_tokens_as_wasm', value: same, unit: 'bool' });
  metrics[`native_same_tokens_as_wasm${suffix}`] = same;
  return {
    results,
    metrics,
    ratios: {
      [`native_vs_wasm_decode${suffix}`]: figures.wasm.decodeMsPerToken / figures.native.decodeMsPerToken,
      [`native_vs_wasm_prefill_${NATIVE_PREFILL_TOKENS}${suffix}`]: figures.wasm.prefillMs / figures.native.prefillMs,
    },
  };
}

/** Completion latency (cold and with prefix reuse) p50/p95 on each backend, as the completions section types. */
async function completionLatencies(codeModel: string, threads: number, log: (line: string) => void): Promise<BenchSection> {
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  for (const backend of BACKENDS) {
    const host = createInProcessHost({ threads, backend });
    try {
      const typed = await benchCompletions(host, codeModel, threads, { sessions: 2, keystrokes: 8, repeats: 4, log });
      for (const row of typed.results.filter((r) => /^completion_latency_(cold|reuse)_p(50|95)$/.test(r.metric))) {
        results.push({ ...row, system: `tealeaf-${backend}-${threads}t` });
        metrics[`${backend}_${row.metric}_ms`] = row.value;
      }
    } finally {
      await host.dispose();
    }
  }
  return { results, metrics };
}

export async function benchNative(options: NativeBenchOptions): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const job = { threads: options.threads, promptTokens: NATIVE_PREFILL_TOKENS, newTokens: NEW_TOKENS };
  const code = section(
    path.basename(options.codeModel),
    // A small model's step is short, so the machine's load moves it most: more rounds.
    await measureModel(options.wideCodeModel, { ...job, dtype: 'auto' as DtypeChoice, repeats: 5 }, 4, log),
    options.threads,
    '',
  );
  const parts = [code];
  const large = await ensureModel(log);
  if ('skipped' in large) log(`native: the 0.5B model is skipped: ${large.skipped}`);
  else parts.push(section(path.basename(large.dir), await measureModel(large.dir, { ...job, dtype: 'fp32', repeats: 1 }, 2, log), options.threads, '_0p5b'));
  parts.push(await completionLatencies(options.codeModel, options.threads, log));
  return {
    results: parts.flatMap((p) => p.results),
    ratios: Object.assign({}, ...parts.map((p) => p.ratios ?? {})),
    metrics: Object.assign({}, ...parts.map((p) => p.metrics ?? {})),
  };
}
