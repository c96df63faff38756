// `npm run bench -- prefill-chunks`: what chunked prefill costs, to choose PREFILL_CHUNK_TOKENS
// (src/engine/chunkedPrefill.ts). A prompt of real code is prefilled from an empty cache in chunks
// of 16 … 256 tokens and in one pass, the sizes taking turns round by round so that the machine's
// load drifts over all of them alike; per size: the whole prefill (the fastest round: a busy machine
// only adds time), its overhead over one pass, and the longest chunk, which bounds how long a newer
// keystroke waits for a stale prefill to stop.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { openDecoderModel } from '../src/engine/decoderModel';
import type { DtypeChoice } from '../src/engine/dtype';
import { readModelFolder } from '../src/engine/modelFolder';
import { NodeModelFiles } from '../src/host/nodeModelFiles';
import type { BenchRow, BenchSection } from './types';

const ROOT = path.resolve(__dirname, '..');
export const CHUNK_SIZES = [16, 32, 64, 128, 256] as const;

export interface PrefillChunkOptions {
  readonly tokens: number;
  readonly rounds: number;
  readonly dtype?: DtypeChoice;
  /** Suffix of metric names (`_0p5b`). */
  readonly suffix?: string;
  readonly log?: (line: string) => void;
}

/** Needs onnxruntime-web configured (threads) by the caller; opens and releases its own session. */
export async function benchPrefillChunks(modelDir: string, options: PrefillChunkOptions): Promise<BenchSection> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const suffix = options.suffix ?? '';
  const model = path.basename(modelDir);
  const folder = await readModelFolder(await NodeModelFiles.open(modelDir));
  const decoder = await openDecoderModel(folder, { ort, backend: 'wasm' }, { dtype: options.dtype ?? 'auto' });
  try {
    let text = '';
    for (const file of ['src/completions/service.ts', 'src/engine/decoderModel.ts', 'src/engine/localEngine.ts']) text += readFileSync(path.join(ROOT, file), 'utf8');
    const ids = folder.tokenizer.encode(text).slice(0, options.tokens);
    if (ids.length < options.tokens) throw new Error(`the sample has only ${ids.length} tokens`);
    const sizes = [...CHUNK_SIZES.filter((c) => c < ids.length), ids.length];
    await decoder.forward(decoder.emptyCache(), ids.slice(0, 32)); // warm-up
    const best = new Map<number, { total: number; longest: number }>();
    for (let round = 0; round < options.rounds; round++) {
      for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
        let cache = decoder.emptyCache();
        let longest = 0;
        const started = performance.now();
        for (let at = 0; at < ids.length; at += size) {
          const chunkStart = performance.now();
          cache = (await decoder.forward(cache, ids.slice(at, at + size))).cache;
          longest = Math.max(longest, performance.now() - chunkStart);
        }
        const total = performance.now() - started;
        const previous = best.get(size);
        if (!previous || total < previous.total) best.set(size, { total, longest });
      }
    }
    const whole = best.get(ids.length)?.total ?? Number.NaN;
    const results: BenchRow[] = [];
    const metrics: Record<string, number> = {};
    for (const size of sizes) {
      const figures = best.get(size);
      if (!figures) continue;
      const label = size === ids.length ? 'whole' : String(size);
      const overhead = figures.total / whole - 1;
      results.push(
        { system: 'tealeaf-wasm', model, metric: `prefill_${ids.length}_chunk_${label}_ms`, value: figures.total, unit: 'ms' },
        { system: 'tealeaf-wasm', model, metric: `prefill_${ids.length}_chunk_${label}_longest_chunk_ms`, value: figures.longest, unit: 'ms' },
      );
      metrics[`prefill_chunk_${label}_overhead${suffix}`] = overhead;
      metrics[`prefill_chunk_${label}_longest_ms${suffix}`] = figures.longest;
      log(`prefill-chunks: ${model} ${ids.length} tokens, chunk ${label}: ${figures.total.toFixed(0)} ms (${(100 * overhead).toFixed(1)}% over one pass), longest chunk ${figures.longest.toFixed(0)} ms`);
    }
    return { results, metrics };
  } finally {
    await decoder.dispose();
  }
}

/** Runs benchPrefillChunks in a child process (bench/prefillChunksChild.ts) and returns its section. */
export function benchPrefillChunksInChild(modelDir: string, threads: number, options: Omit<PrefillChunkOptions, 'log'>): Promise<BenchSection> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'prefillChunksChild.ts'), JSON.stringify({ ...options, modelDir, threads })], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`prefill-chunks for ${modelDir} exited with ${code}`));
      else resolve(JSON.parse(last) as BenchSection);
    });
  });
}
