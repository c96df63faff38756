// The engine in a page on onnxruntime-web's WebGPU build (`onnxruntime-web/webgpu`: the native
// WebGPU execution provider, ort-wasm-simd-threaded.asyncify.wasm), which runs the 'wasm' backend
// too: the page compares both with one import. Bundled with esbuild by engineWebgpuHarness.ts and
// driven by engineWebgpu.test.ts through globalThis.webgpuTest. Compiled against the root
// tsconfig (no DOM library): the browser globals it touches are typed where they are read.
import * as ort from 'onnxruntime-web/webgpu';
import { FetchModelFiles } from '../../bench/sideBySide/browser/fetchModelFiles';
import { type DecoderModel, openDecoderModel } from '../../src/engine/decoderModel';
import type { DtypeChoice } from '../../src/engine/dtype';
import { DeviceLostError, GpuFeatureError } from '../../src/engine/errors';
import { type KvCache, succeed } from '../../src/engine/kvCache';
import { LocalEngine } from '../../src/engine/localEngine';
import { WasmFallbackEngine } from '../../src/engine/wasmFallback';
import { readModelFolder } from '../../src/engine/modelFolder';
import type { Runtime } from '../../src/engine/onnx';
import { argmax } from '../../src/engine/sampling';
import type { Backend, GenerateRequest } from '../../src/engine/types';
import { type GpuAdapterFacts, type GpuDeviceLike, navigatorWebGpu, type WebGpu } from '../../src/engine/webgpuDevice';
import type { BufferCounts, CompareResult, DeviceLossResult, Fp16Outcome, LeakResult, OtherPaths, WebgpuTestPage } from './engineWebgpuApi';

const page = globalThis as unknown as { location: { href: string }; webgpuTest?: WebgpuTestPage; __gpuBuffers?: BufferCounts };

ort.env.wasm.wasmPaths = new URL('/ort/', page.location.href).href;
ort.env.wasm.numThreads = 1; // as in a webview: not cross-origin isolated
ort.env.logLevel = 'error';

/** A WebGpu that remembers every device it handed out, so the test can destroy the current one. */
class TrackedWebGpu implements WebGpu {
  readonly devices: GpuDeviceLike[] = [];
  constructor(private readonly inner: WebGpu = navigatorWebGpu()) {}
  get lost(): boolean {
    return this.inner.lost;
  }
  adapter(): Promise<GpuAdapterFacts> {
    return this.inner.adapter();
  }
  async device(): Promise<GpuDeviceLike> {
    const device = await this.inner.device();
    if (this.devices[this.devices.length - 1] !== device) this.devices.push(device);
    return device;
  }
  drop(): void {
    this.inner.drop();
  }
  /** Destroys the device in use, as a driver reset or a discarded webview would lose it. */
  loseCurrent(): void {
    this.devices[this.devices.length - 1]?.destroy();
  }
}

function runtime(backend: Backend, gpu?: WebGpu): Runtime {
  return backend === 'webgpu' ? { ort, backend, gpu: gpu ?? new TrackedWebGpu() } : { ort, backend };
}

function files(model: string): FetchModelFiles {
  return new FetchModelFiles(new URL(`/models/${model}/`, page.location.href).href);
}

interface GreedyRun {
  readonly tokens: number[];
  /** [steps + 1, vocab]: the prefill's last row, then one row per decode step */
  readonly logits: Float32Array[];
  /** Decode steps whose every present tensor came back as a GPU buffer. */
  readonly stepsOnGpu: number;
  readonly ms: number;
}

/** Prefill then `steps` greedy decode steps over the KV cache, one token a pass, every row kept. */
async function greedy(model: DecoderModel, promptIds: readonly number[], steps: number): Promise<GreedyRun> {
  const start = performance.now();
  const logits: Float32Array[] = [];
  const tokens: number[] = [];
  let cache: KvCache = model.emptyCache();
  let stepsOnGpu = 0;
  let ids = promptIds;
  try {
    for (let step = 0; step <= steps; step++) {
      const result = await model.forward(cache, ids);
      cache = succeed(cache, result.cache);
      if (step > 0 && cache.tensors.every((t) => t.location === 'gpu-buffer')) stepsOnGpu++;
      logits.push(result.lastLogits.slice());
      const next = argmax(result.lastLogits);
      tokens.push(next);
      ids = [next];
    }
  } finally {
    cache.dispose();
  }
  return { tokens, logits, stepsOnGpu, ms: performance.now() - start };
}

async function openModel(model: string, backend: Backend, dtype: DtypeChoice, gpu?: WebGpu): Promise<DecoderModel> {
  const folder = await readModelFolder(files(model));
  return openDecoderModel(folder, runtime(backend, gpu), { dtype, logits: 'all' });
}

function maxDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  a.forEach((row, r) => row.forEach((v, i) => (max = Math.max(max, Math.abs(v - (b[r]?.[i] ?? Number.NaN))))));
  return Number.isNaN(max) ? Number.POSITIVE_INFINITY : max;
}

async function compare(model: string, dtype: DtypeChoice, promptIds: readonly number[], steps: number): Promise<CompareResult> {
  const gpu = await openModel(model, 'webgpu', dtype); // first: the one that may refuse the file
  const wasm = await openModel(model, 'wasm', dtype).catch(async (error: unknown) => {
    await gpu.dispose();
    throw error;
  });
  try {
    const onWasm = await greedy(wasm, promptIds, steps);
    const onGpu = await greedy(gpu, promptIds, steps);
    return {
      file: gpu.source?.file ?? '?',
      wasmTokens: onWasm.tokens,
      gpuTokens: onGpu.tokens,
      maxLogitDiff: maxDiff(onGpu.logits, onWasm.logits),
      steps: onGpu.logits.length - 1,
      stepsOnGpu: onGpu.stepsOnGpu,
      wasmMs: onWasm.ms,
      gpuMs: onGpu.ms,
    };
  } finally {
    await wasm.dispose();
    await gpu.dispose();
  }
}

/**
 * An explicit fp16 file on WebGPU: compared with WASM where the adapter has shader-f16, refused
 * with a GpuFeatureError where it has not (the documented choice: no silent swap to fp32).
 */
async function fp16(model: string, promptIds: readonly number[], steps: number): Promise<Fp16Outcome> {
  try {
    const result = await compare(model, 'fp16', promptIds, steps);
    return { kind: 'compared', file: result.file, maxLogitDiff: result.maxLogitDiff, sameTokens: result.gpuTokens.join() === result.wasmTokens.join() };
  } catch (error) {
    return { kind: 'refused', gpuFeatureError: error instanceof GpuFeatureError, message: (error as Error).message };
  }
}

async function autoDtype(model: string): Promise<{ dtype: string; reason: string }> {
  const engine = await LocalEngine.load(files(model), runtime('webgpu'), model, { dtype: 'auto' });
  try {
    return { dtype: engine.info.dtype, reason: engine.info.dtypeReason };
  } finally {
    await engine.dispose();
  }
}

/** Requests in a row on one engine: each reuses what it can of the previous one's cache. */
async function engineTokens(model: string, backend: Backend, requests: readonly GenerateRequest[]): Promise<{ tokens: number[]; reused: number }[]> {
  const engine = await LocalEngine.load(files(model), runtime(backend), model, { dtype: 'fp32' });
  try {
    const results: { tokens: number[]; reused: number }[] = [];
    for (const request of requests) {
      const result = await engine.generate(request);
      results.push({ tokens: [...result.tokens], reused: result.reusedTokens });
    }
    return results;
  } finally {
    await engine.dispose();
  }
}

/** A translation (encoder-decoder: its sessions on WebGPU, outputs on the CPU) and an inspection's attention. */
async function otherPaths(backend: Backend): Promise<OtherPaths> {
  const marian = await LocalEngine.load(files('tiny-marian'), runtime(backend), 'tiny-marian', { dtype: 'fp32' });
  const llama = await LocalEngine.load(files('tiny-llama'), runtime(backend), 'tiny-llama', { dtype: 'fp32' });
  try {
    const translation = await marian.translate({ text: 'The file could not be opened.', from: 'en', to: 'de', maxLengthOffset: 6 });
    const attention = await llama.attention({ text: 'def add(a, b):\n    return a + b', withStats: false });
    return { translation: [...translation.tokens], attention: attention.attention.layerData.map((layer) => [...layer]) };
  } finally {
    await marian.dispose();
    await llama.dispose();
  }
}

async function deviceLoss(model: string, request: GenerateRequest): Promise<DeviceLossResult> {
  const gpu = new TrackedWebGpu();
  const engine = await LocalEngine.load(files(model), runtime('webgpu', gpu), model, { dtype: 'fp32' });
  try {
    const reference = [...(await engine.generate(request)).tokens];
    // Lost in the middle of a request: after its third token.
    let streamed: number[] = [];
    const midRequest = await engine.generate(request, {
      onToken: (t) => {
        streamed.push(t.id);
        if (streamed.length === 3) gpu.loseCurrent();
      },
    });
    const afterMid = { tokens: [...midRequest.tokens], streamed, devices: gpu.devices.length };
    // Lost between requests (a hidden webview's device destroyed).
    gpu.loseCurrent();
    const between = { tokens: [...(await engine.generate(request)).tokens], devices: gpu.devices.length };
    // Lost again during the replay: the request gives up with DeviceLostError.
    streamed = [];
    let twice = '';
    let twiceName = '';
    await engine
      .generate(request, {
        onToken: (t) => {
          streamed.push(t.id);
          if (streamed.length === 3 || streamed.length === 4) gpu.loseCurrent();
        },
      })
      .catch((error: unknown) => {
        twice = (error as Error).message;
        twiceName = error instanceof DeviceLostError ? 'DeviceLostError' : (error as Error).name;
      });
    const after = [...(await engine.generate(request)).tokens];
    return { reference, afterMid, between, twiceName, twice, afterTwice: after, devices: gpu.devices.length, fallback: await fallback(model, request) };
  } finally {
    await engine.dispose();
  }
}

/** The host's last resort: the same double loss under WasmFallbackEngine completes on WASM. */
async function fallback(model: string, request: GenerateRequest): Promise<{ tokens: number[]; backend: string; reason: string }> {
  const gpu = new TrackedWebGpu();
  let reason = '';
  const engine = new WasmFallbackEngine(await LocalEngine.load(files(model), runtime('webgpu', gpu), model, { dtype: 'fp32' }), (why) => {
    reason = why;
    return LocalEngine.load(files(model), runtime('wasm'), model, { dtype: 'fp32' });
  });
  try {
    let streamed = 0;
    const result = await engine.generate(request, {
      onToken: () => {
        streamed++;
        if (streamed === 3 || streamed === 4) gpu.loseCurrent();
      },
    });
    return { tokens: [...result.tokens], backend: engine.info.backend, reason };
  } finally {
    await engine.dispose();
  }
}

function buffers(): BufferCounts {
  const counts = page.__gpuBuffers;
  if (!counts) throw new Error('the buffer counter was not installed before onnxruntime started');
  return { created: counts.created, destroyed: counts.destroyed };
}

/** Generations with prefix reuse, speculation's rollbacks and fresh prompts; live GPU buffers sampled. */
async function leak(model: string, generations: number, sampleAt: readonly number[]): Promise<LeakResult> {
  const engine = await LocalEngine.load(files(model), runtime('webgpu'), model, { dtype: 'fp32' });
  const samples: Record<number, number> = {};
  const start = performance.now();
  try {
    const loaded = buffers();
    for (let i = 1; i <= generations; i++) {
      // Same start (prefix reuse, a truncated GPU cache), a repeated pattern (prompt lookup drafts,
      // rejected drafts roll the cache back), and now and then no reuse at all.
      const prompt = `${'a b c d '.repeat(1 + (i % 3))}${i % 7}`;
      await engine.generate({ prompt, maxNewTokens: 4, reusePrefix: i % 10 !== 0, speculation: i % 2 === 0 ? 'prompt-lookup' : 'off' });
      if (sampleAt.includes(i)) {
        const b = buffers();
        samples[i] = b.created - b.destroyed;
      }
    }
    const ms = performance.now() - start;
    await engine.dispose();
    const end = buffers();
    return { samples, msPerGeneration: ms / generations, liveAfterLoad: loaded.created - loaded.destroyed, liveAfterDispose: end.created - end.destroyed };
  } catch (error) {
    await engine.dispose();
    throw error;
  }
}

page.webgpuTest = {
  adapter: async () => {
    const facts = await navigatorWebGpu().adapter();
    return { name: facts.name, features: [...facts.features] };
  },
  compare,
  fp16,
  autoDtype,
  engineTokens,
  otherPaths,
  deviceLoss,
  leak,
};
