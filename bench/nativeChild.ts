// One backend on one model in a fresh process (bench/native.ts), so that each gets memory of its
// own (a WebAssembly heap never shrinks): load, a warm-up, then `repeats` times a prefill of
// `promptTokens` tokens of real code and `newTokens` greedy decode steps.
//   node --import tsx bench/nativeChild.ts '{"modelDir":…,"backend":"native","dtype":"fp32",…}'
// Prints a NativeChildResult as JSON on the last line of stdout.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DtypeChoice } from '../src/engine/dtype';
import type { CpuBackend } from '../src/host/backendSelection';
import { createInProcessHost } from '../src/host/inProcessHost';

export interface NativeChildJob {
  readonly modelDir: string;
  readonly backend: CpuBackend;
  readonly dtype: DtypeChoice;
  readonly threads: number;
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly repeats: number;
}

export interface NativeChildResult {
  readonly backend: string;
  readonly file: string;
  readonly dtype: string;
  readonly loadMs: number;
  readonly prefillMs: readonly number[];
  readonly decodeMsPerToken: readonly number[];
  readonly tokens: readonly number[];
}

const ROOT = path.resolve(__dirname, '..');
const SOURCES = ['src/completions/service.ts', 'src/engine/decoderModel.ts', 'src/engine/localEngine.ts', 'src/host/workerHost.ts'];

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as NativeChildJob;
  const host = createInProcessHost({ threads: job.threads, backend: job.backend });
  const started = performance.now();
  const engine = await host.load(job.modelDir, { dtype: job.dtype });
  const loadMs = performance.now() - started;
  if (engine.info.backend !== job.backend) throw new Error(`asked for ${job.backend}, got ${engine.info.backend}: ${engine.info.backendReason}`);
  const text = SOURCES.map((file) => readFileSync(path.join(ROOT, file), 'utf8')).join('\n');
  const spans = await engine.tokenize(text);
  if (spans.length < job.promptTokens) throw new Error(`the sample has only ${spans.length} tokens`);
  const prompt = text.slice(0, spans[job.promptTokens - 1]?.end);
  await engine.generate({ prompt: prompt.slice(0, 2000), maxNewTokens: 4, reusePrefix: false }); // warm-up
  const prefillMs: number[] = [];
  const decodeMsPerToken: number[] = [];
  let tokens: readonly number[] = [];
  for (let i = 0; i < job.repeats; i++) {
    const result = await engine.generate({ prompt, maxNewTokens: job.newTokens, reusePrefix: false });
    prefillMs.push(result.prefillMs);
    decodeMsPerToken.push(result.decodeMsPerToken);
    tokens = result.tokens;
  }
  const out: NativeChildResult = { backend: engine.info.backend, file: engine.info.onnxFiles.join(' + '), dtype: engine.info.dtype, loadMs, prefillMs, decodeMsPerToken, tokens };
  await host.dispose();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
