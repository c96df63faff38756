// One measurement of bench/realModel.ts in a fresh process, so that its peak RSS belongs to one
// dtype and one system: load, prefill the prompt, decode greedily; writes a ChildResult as JSON.
//   node --import tsx bench/realModelChild.ts JOB.json
// Systems: `tealeaf` (the engine through the in-process host: onnxruntime-web WASM) and `ort-node`
// (a bare onnxruntime-node InferenceSession on the same .onnx file, the reference native loop, with
// the same number of threads and no spinning).
// A `wasm-limit` job loads a synthetic fp32 MatMul model of a given size into onnxruntime-web.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Tensor as NodeTensor } from 'onnxruntime-node';
import type { ChildJob, ChildResult, WasmLimitJob, WasmLimitResult } from './realModel';
import { argmaxOf, parseVmHwmMb, parseVmRssMb } from './realModel';

function vm(): { hwm: number; rss: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  return { hwm: parseVmHwmMb(status), rss: parseVmRssMb(status) };
}

async function runTealeaf(job: ChildJob): Promise<ChildResult> {
  const { createInProcessHost } = await import('../src/host/inProcessHost');
  const host = createInProcessHost();
  const loadStart = performance.now();
  const engine = await host.load(job.dir, { threads: job.threads, dtype: job.dtype });
  const loadMs = performance.now() - loadStart;
  const afterLoad = vm();
  const info = engine.info;
  try {
    if (info.dtype !== job.dtype) throw new Error(`asked for ${job.dtype}, the engine opened ${info.dtype} (${info.onnxFiles.join(', ')})`);
    const spans = await engine.tokenize(job.promptText);
    const ids = spans.map((s) => s.id);
    if (ids.length !== job.promptIds.length || ids.some((id, k) => id !== job.promptIds[k])) {
      throw new Error(`the engine tokenizes the prompt into ${ids.length} other ids than the ${job.promptIds.length} given`);
    }
    const stamps: number[] = [];
    let afterPrefill: { hwm: number; rss: number } | undefined;
    const started = performance.now();
    const result = await engine.generate(
      { prompt: job.promptText, maxNewTokens: job.newTokens, reusePrefix: false, captureAttention: false },
      {
        onToken: () => {
          stamps.push(performance.now());
          afterPrefill ??= vm();
        },
      },
    );
    const end = vm();
    return {
      system: 'tealeaf',
      dtype: job.dtype,
      round: job.round,
      loadedFile: info.onnxFiles.join(', '),
      loadMs,
      prefillMs: result.prefillMs,
      firstTokenMs: (stamps[0] ?? performance.now()) - started,
      stepMs: stamps.slice(1).map((t, k) => t - stamps[k]!),
      engineDecodeMsPerToken: result.decodeMsPerToken,
      promptTokens: result.promptTokens,
      tokens: [...result.tokens],
      finishReason: result.finishReason,
      rssLoadMb: afterLoad.hwm,
      rssPrefillMb: (afterPrefill ?? end).hwm,
      rssEndMb: end.hwm,
      rssNowMb: end.rss,
    };
  } finally {
    await host.dispose();
  }
}

async function runOrtNode(job: ChildJob): Promise<ChildResult> {
  // onnxruntime-node comes with @huggingface/transformers (a dev dependency), CPU binary included.
  const ort = await import('onnxruntime-node');
  const loadStart = performance.now();
  const session = await ort.InferenceSession.create(path.join(job.dir, job.file), {
    executionProviders: ['cpu'],
    intraOpNumThreads: job.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Threads that spin between runs fight for the cores on a shared machine: with spinning
    // (the default) fp32 decode measured 252 ms/token here, without it 109–153 ms.
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  });
  const loadMs = performance.now() - loadStart;
  const afterLoad = vm();
  try {
    const meta = session.inputMetadata;
    const pastInputs = meta.filter((m) => m.name.startsWith('past_key_values.'));
    const fetches = session.outputNames.filter((n) => n === 'logits' || n.startsWith('present.'));
    const int64 = (values: readonly number[], dims: readonly number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
    let past: Record<string, NodeTensor> = {};
    for (const m of pastInputs) {
      if (!m.isTensor) throw new Error(`${m.name} is not a tensor`);
      const dims = m.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? 1 : 0));
      past[m.name] = new ort.Tensor('float32', new Float32Array(0), dims);
    }
    const tokens: number[] = [];
    const stepMs: number[] = [];
    let prefillMs = 0;
    let afterPrefill: { hwm: number; rss: number } | undefined;
    let input = [...job.promptIds];
    let pastLength = 0;
    while (tokens.length < job.newTokens) {
      const t0 = performance.now();
      const feeds: Record<string, NodeTensor> = {
        ...past,
        input_ids: int64(input, [1, input.length]),
        attention_mask: int64(new Array<number>(pastLength + input.length).fill(1), [1, pastLength + input.length]),
        position_ids: int64(input.map((_, k) => pastLength + k), [1, input.length]),
      };
      const out = await session.run(feeds, fetches);
      const logits = out.logits!; // [1, rows, vocab]
      const [, rows, vocab] = logits.dims as [number, number, number];
      tokens.push(argmaxOf(logits.data as Float32Array, (rows - 1) * vocab, vocab));
      const ms = performance.now() - t0;
      if (tokens.length === 1) {
        prefillMs = ms;
        afterPrefill = vm();
      } else stepMs.push(ms);
      const next: typeof past = {};
      for (const m of pastInputs) next[m.name] = out[m.name.replace('past_key_values.', 'present.')]!;
      logits.dispose();
      past = next;
      pastLength += input.length;
      input = [tokens[tokens.length - 1]!];
    }
    const end = vm();
    return {
      system: 'ort-node',
      dtype: job.dtype,
      round: job.round,
      loadedFile: job.file,
      loadMs,
      prefillMs,
      firstTokenMs: prefillMs,
      stepMs,
      promptTokens: job.promptIds.length,
      tokens,
      finishReason: 'length',
      rssLoadMb: afterLoad.hwm,
      rssPrefillMb: (afterPrefill ?? end).hwm,
      rssEndMb: end.hwm,
      rssNowMb: end.rss,
    };
  } finally {
    await session.release();
  }
}

/**
 * Loads a MatMul model whose fp32 weights (external data, one file per chunk) total job.bytes, as
 * the engine opens a model: its session options (large sessions unpacked) and lazy reads.
 */
async function runWasmLimit(job: WasmLimitJob): Promise<WasmLimitResult> {
  const ort = await import('onnxruntime-web');
  const { createSession } = await import('../src/engine/onnx');
  const { LazyFileBytes } = await import('../src/host/lazyFileBytes');
  ort.env.wasm.numThreads = job.threads;
  ort.env.logLevel = 'error';
  const model = new Uint8Array(readFileSync(path.join(job.dir, 'model.onnx')));
  const externalData = job.chunks.map((name) => ({ path: name, data: new LazyFileBytes(path.join(job.dir, name)) }));
  const started = performance.now();
  try {
    const runtime = { ort: ort as unknown as import('../src/engine/onnx').Ort, backend: 'wasm' as const };
    const session = await createSession(runtime, { path: 'model.onnx', bytes: model, externalData });
    for (const d of externalData) d.data.close();
    const loadMs = performance.now() - started;
    const x = new ort.Tensor('float32', new Float32Array(job.inner).fill(1), [1, job.inner]);
    const out = await session.run({ x });
    const ok = Object.values(out).every((t) => t.dims.length === 2);
    await session.release();
    return { bytes: job.bytes, loaded: ok, loadMs, peakRssMb: vm().hwm };
  } catch (error) {
    return { bytes: job.bytes, loaded: false, loadMs: performance.now() - started, peakRssMb: vm().hwm, error: error instanceof Error ? error.message : String(error) };
  }
}

async function main(): Promise<void> {
  const jobPath = process.argv[2];
  if (!jobPath) throw new Error('usage: realModelChild.ts JOB.json');
  const job = JSON.parse(readFileSync(jobPath, 'utf8')) as ChildJob | WasmLimitJob;
  let result: ChildResult | WasmLimitResult;
  if (job.kind === 'wasm-limit') result = await runWasmLimit(job);
  else result = job.system === 'tealeaf' ? await runTealeaf(job) : await runOrtNode(job);
  writeFileSync(job.resultPath, JSON.stringify(result));
  // onnxruntime's thread pools can keep the process alive; the result is written.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
