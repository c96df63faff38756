// `npm run bench -- side-by-side`: Tealeaf beside transformers.js, the bare onnxruntime loop and
// onnxruntime-node, on the same model folders, prompts, lengths, backend and thread count, the
// systems alternating over rounds (each round a fresh process or page, so load changes hit all).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelTokenizer } from '../../src/engine/tokenizer';
import type { JsonObject } from '../../src/engine/modelConfig';
import { largestSources } from '../completions';
import { type BenchRow, type BenchSection, median, percentile } from '../types';
import { openBrowserBench } from './browser';
import type { NodeChildJob } from './nodeChild';
import type { ReplayFigures } from './replay';
import type { BrowserSystem, DecodeJob, DecodeRun, ModelRef, NodeSystem, Prompt, SystemName } from './types';

const ROOT = path.resolve(__dirname, '..', '..');

export const NODE_SYSTEMS: readonly NodeSystem[] = ['tealeaf-wasm', 'tealeaf-native', 'transformersjs-node', 'ort-web-bare', 'ort-node-bare'];
export const BROWSER_SYSTEMS: readonly BrowserSystem[] = ['tealeaf-web', 'transformersjs-web', 'ort-web-bare-web'];

/** The prompt length the headline figures are read at, and the tokens generated after each prompt. */
export const HEADLINE_CONTEXT = 256;
const NEW_TOKENS = 32;

/** One model of the comparison: where it runs, at which prompt lengths. */
export interface SideBySideModel {
  /** Its name in the results (the folder may be a widened temporary copy). */
  readonly label: string;
  readonly model: ModelRef;
  readonly contexts: readonly number[];
  readonly newTokens?: number;
  /** Also in headless Chromium (WASM heaps of a few hundred MB at most). */
  readonly browser: boolean;
  readonly rounds: number;
  /** Runs of each prompt per round, the fastest counted; default 3. */
  readonly repeats?: number;
}

export interface SideBySideOptions {
  readonly models: readonly SideBySideModel[];
  /** The model the ratios and the replay are read on (its label). */
  readonly headline: string;
  readonly threads: number;
  readonly replay: { readonly sessions: number; readonly keystrokes: number };
  readonly log?: (line: string) => void;
}

export async function benchSideBySide(options: SideBySideOptions): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const text = sourceText();
  const runs = new Map<string, DecodeRun[]>(); // `${label} ${system}` → rounds
  const failures: string[] = [];
  const record = (label: string, run: DecodeRun) => runs.set(`${label} ${run.system}`, [...(runs.get(`${label} ${run.system}`) ?? []), run]);

  const browserModels = options.models.filter((m) => m.browser);
  const browser = browserModels.length > 0 ? await openBrowserBench(browserModels.map((m) => m.model.dir), log) : undefined;
  try {
    for (const entry of options.models) {
      const job: DecodeJob = { model: entry.model, prompts: promptsAt(entry.model.dir, text, entry.contexts), newTokens: entry.newTokens ?? NEW_TOKENS, threads: options.threads, repeats: entry.repeats ?? 3 };
      const systems: SystemName[] = [...NODE_SYSTEMS, ...(entry.browser ? BROWSER_SYSTEMS : [])];
      for (let round = 0; round < entry.rounds; round++) {
        // Each round starts with another system, so no system always runs on a machine warmed (or tired) by the same neighbour.
        const order = systems.map((_, k) => systems[(k + round) % systems.length] as SystemName);
        for (const system of order) {
          try {
            const run = isBrowserSystem(system)
              ? await (browser as NonNullable<typeof browser>).decode(system, { ...job, model: { ...job.model, dir: (browser as NonNullable<typeof browser>).modelUrl(job.model.dir) } })
              : await inChild(system, job);
            record(entry.label, run);
            const head = run.points.find((p) => p.contextTokens >= HEADLINE_CONTEXT) ?? run.points[0];
            log(`side-by-side: ${entry.label} round ${round + 1} ${system}: prefill ${head?.prefillMs.toFixed(0)} ms, decode ${head?.decodeMsPerToken.toFixed(2)} ms/token at ${head?.contextTokens} tokens`);
          } catch (error) {
            const why = `${entry.label} ${system}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
            if (!failures.includes(why)) failures.push(why);
            log(`side-by-side: FAILED ${why}`);
          }
        }
      }
    }
  } finally {
    await browser?.close();
  }

  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  const row = (system: string, model: string, metric: string, value: number, unit: string) => {
    if (Number.isFinite(value)) results.push({ system, model, metric, value, unit });
  };
  const headlineRate = new Map<string, number>(); // `${label} ${system}` → tokens/s at the headline context
  for (const [key, rounds] of runs) {
    const [label, system] = key.split(' ') as [string, SystemName];
    // Named by the length asked for (a prompt cut at a token start re-tokenizes within a token or two of it).
    const contexts = options.models.find((m) => m.label === label)?.contexts ?? [];
    for (const [k, context] of contexts.entries()) {
      const prefill = median(rounds.map((r) => r.points[k]?.prefillMs ?? Number.NaN));
      const decode = median(rounds.map((r) => r.points[k]?.decodeMsPerToken ?? Number.NaN));
      row(system, label, `prefill_ms_at_${context}`, prefill, 'ms');
      row(system, label, `decode_ms_per_token_at_${context}`, decode, 'ms/token');
    }
    const head = contexts.findIndex((c) => c >= HEADLINE_CONTEXT);
    const at = head >= 0 ? head : 0;
    const rate = 1000 / median(rounds.map((r) => r.points[at]?.decodeMsPerToken ?? Number.NaN));
    headlineRate.set(key, rate);
    row(system, label, 'decode_tokens_per_s', rate, 'tokens/s');
    row(system, label, 'prefill_ms', median(rounds.map((r) => r.points[at]?.prefillMs ?? Number.NaN)), 'ms');
    row(system, label, 'load_ms', median(rounds.map((r) => r.loadMs)), 'ms');
    row(system, label, 'peak_rss_mb', Math.max(...rounds.map((r) => r.peakRssMb ?? Number.NaN)), 'MB');
    row(system, label, 'rounds', rounds.length, 'count');
    row(system, label, 'warm_up_runs', median(rounds.map((r) => r.warmUpRuns)), 'count');
    // The same work: greedy tokens equal to Tealeaf's (WASM in Node; in the page, Tealeaf's page).
    const reference = runs.get(`${label} ${isBrowserSystem(system) ? 'tealeaf-web' : 'tealeaf-wasm'}`)?.[0];
    if (reference) row(system, label, 'same_tokens_as_tealeaf', sameTokens(reference, rounds[0] as DecodeRun), 'ratio');
  }
  for (const entry of options.models) row('all', entry.label, 'kv_cache_bytes_per_token', kvBytesPerToken(entry.model.dir), 'bytes');

  const rate = (system: SystemName) => headlineRate.get(`${options.headline} ${system}`) ?? Number.NaN;
  const ratios: Record<string, number> = {
    decode_vs_transformersjs: rate('tealeaf-web') / rate('transformersjs-web'),
    decode_vs_transformersjs_node: rate('tealeaf-native') / rate('transformersjs-node'),
    decode_vs_bare_ort: rate('tealeaf-wasm') / rate('ort-web-bare'),
    wasm_vs_native: rate('tealeaf-wasm') / rate('ort-node-bare'),
  };
  metrics.decode_vs_transformersjs_node_tealeaf_wasm = rate('tealeaf-wasm') / rate('transformersjs-node');
  metrics.decode_vs_bare_ort_web = rate('tealeaf-web') / rate('ort-web-bare-web');
  metrics.side_by_side_failures = failures.length;
  for (const why of failures) log(`side-by-side: not measured: ${why}`);

  const headline = options.models.find((m) => m.label === options.headline);
  if (headline) {
    // A failed replay leaves the decode figures standing.
    await replayRows(headline).catch((error: unknown) => {
      metrics.side_by_side_failures = (metrics.side_by_side_failures ?? 0) + 1;
      log(`side-by-side: not measured: the keystroke replay: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  async function replayRows(headline: SideBySideModel): Promise<void> {
    const replay = await inChildProcess<ReplayFigures>('replayChild.ts', { modelDir: headline.model.dir, threads: options.threads, ...options.replay }, log);
    for (const [system, samples] of [['tealeaf-native-worker', replay.tealeaf], ['transformersjs-node-naive', replay.transformersjs]] as const) {
      for (const [phase, chosen] of [['all', samples], ['cold', samples.filter((s) => s.cold)], ['warm', samples.filter((s) => !s.cold)]] as const) {
        const ms = chosen.map((s) => s.ms);
        row(system, headline.label, `keystroke_latency_${phase}_p50`, percentile(ms, 50), 'ms');
        row(system, headline.label, `keystroke_latency_${phase}_p95`, percentile(ms, 95), 'ms');
      }
      row(system, headline.label, 'keystroke_samples', samples.length, 'count');
    }
    row('all', headline.label, 'keystroke_context_tokens', replay.contextTokens, 'tokens');
    const p50 = (samples: readonly { ms: number }[]) => percentile(samples.map((s) => s.ms), 50);
    ratios.keystroke_latency_vs_transformersjs = p50(replay.transformersjs) / p50(replay.tealeaf);
    metrics.keystroke_latency_p50_ms_tealeaf = p50(replay.tealeaf);
    metrics.keystroke_latency_p50_ms_transformersjs = p50(replay.transformersjs);
  }
  return { results, ratios, metrics };
}

/**
 * `npm run bench -- side-by-side-profile`: where the time of each Node system goes on one model
 * (V8's sampling profiler over the measured runs): shares of WebAssembly, JavaScript by package,
 * the garbage collector and native code, and the costliest JavaScript functions in the log.
 */
export async function benchProfiles(entry: SideBySideModel, systems: readonly NodeSystem[], threads: number, log = (line: string) => process.stderr.write(`${line}\n`)): Promise<BenchSection> {
  const job: DecodeJob = { model: entry.model, prompts: promptsAt(entry.model.dir, sourceText(), entry.contexts), newTokens: entry.newTokens ?? NEW_TOKENS, threads, repeats: entry.repeats ?? 3 };
  const results: BenchRow[] = [];
  for (const system of systems) {
    const run = await inChild(system, job, true);
    const profile = run.profile;
    if (!profile) throw new Error(`${system}: no profile came back`);
    const decodeMs = run.points.reduce((n, p) => n + p.decodeMsPerToken * (p.tokens.length - 1), 0);
    log(`side-by-side-profile: ${system}: ${profile.totalMs.toFixed(0)} ms sampled (decode ${decodeMs.toFixed(0)} ms); ${Object.entries(profile.ms).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / profile.totalMs).toFixed(1)}%`).join(', ')}`);
    for (const [name, ms] of profile.topJs) log(`side-by-side-profile:   ${ms.toFixed(1)} ms ${name}`);
    for (const [category, ms] of Object.entries(profile.ms)) results.push({ system, model: entry.label, metric: `profile_share_${category}`, value: ms / profile.totalMs, unit: 'ratio' });
  }
  return { results };
}

function isBrowserSystem(system: SystemName): system is BrowserSystem {
  return (BROWSER_SYSTEMS as readonly string[]).includes(system);
}

function sameTokens(a: DecodeRun, b: DecodeRun): number {
  const pairs = a.points.flatMap((p, k) => p.tokens.map((t, i) => t === b.points[k]?.tokens[i]));
  return pairs.length > 0 ? pairs.filter(Boolean).length / pairs.length : Number.NaN;
}

/** Real code to cut prompts from: the project's largest sources, one after another. */
function sourceText(): string {
  return largestSources(path.join(ROOT, 'src'), 4)
    .map((file) => readFileSync(file, 'utf8').replace(/\r\n/g, '\n'))
    .join('\n');
}

/** The last `n` tokens of `text` under the model's own tokenizer, for each n (text cut at a token start). */
export function promptsAt(modelDir: string, text: string, lengths: readonly number[]): Prompt[] {
  const json = (file: string) => JSON.parse(readFileSync(path.join(modelDir, file), 'utf8')) as JsonObject;
  const tokenizer = new ModelTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  const spans = tokenizer.encodeWithSpans(text, { addSpecialTokens: false });
  return lengths.map((n) => {
    if (spans.length < n) throw new Error(`the source text has ${spans.length} tokens, fewer than ${n}`);
    const cut = text.slice((spans[spans.length - n] as { start: number }).start);
    return { text: cut, ids: tokenizer.encodeWithSpans(cut).map((s) => s.id) };
  });
}

/** Bytes of keys and values one token adds to an fp32 cache: 2 × layers × kvHeads × headDim × 4. */
export function kvBytesPerToken(modelDir: string): number {
  const config = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, number | undefined>;
  const layers = config.num_hidden_layers ?? config.n_layer ?? Number.NaN;
  const heads = config.num_attention_heads ?? config.n_head ?? Number.NaN;
  const kvHeads = config.num_key_value_heads ?? heads;
  const headDim = config.head_dim ?? (config.hidden_size ?? config.n_embd ?? Number.NaN) / heads;
  return 2 * layers * kvHeads * headDim * 4;
}

/** One Node system's round in a process of its own (nodeChild.ts). */
function inChild(system: NodeSystem, job: DecodeJob, profile = false): Promise<DecodeRun> {
  const childJob: NodeChildJob = { system, job, profile };
  return inChildProcess<DecodeRun>('nodeChild.ts', childJob);
}

/** Runs `script` (beside this file) on `input` in a fresh process; its stderr goes to `log` when given. */
async function inChildProcess<T>(script: string, input: unknown, log?: (line: string) => void): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-side-'));
  try {
    const inFile = path.join(dir, 'in.json');
    const outFile = path.join(dir, 'out.json');
    writeFileSync(inFile, JSON.stringify(input));
    const stderr: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), inFile, outFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk.toString());
        for (const line of chunk.toString().split('\n')) if (line.startsWith('side-by-side:')) log?.(line);
      });
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(stderr.join('').trim().split('\n').filter((l) => !l.startsWith('side-by-side:')).slice(0, 3).join(' ') || `exit ${code}`);
    return JSON.parse(readFileSync(outFile, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
