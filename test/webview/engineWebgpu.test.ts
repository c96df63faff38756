// The engine on onnxruntime-web's WebGPU backend in headless Chromium (SwiftShader here: WebGPU on
// the CPU, no shader-f16), checked against the WASM backend in the same page and the same
// onnxruntime build: logits, greedy tokens over 64 decode steps with the KV cache on the GPU, the
// fp16 rule, device loss, and GPU buffers over 200 generations. About a minute and a half on 2 cores.
// Run: node --import tsx --test test/webview/engineWebgpu.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SHADER_F16 } from '../../src/engine/webgpuDevice';
import type { Fp16Outcome } from './engineWebgpuApi';
import { openWebgpuPage, type WebgpuPage } from './engineWebgpuHarness';

/** The bound for fp32 files: WebGPU's logits within this of WASM's. */
const FP32_TOLERANCE = 1e-3;
/**
 * fp16 computes in half precision on the GPU (10-bit mantissa: an ulp of logits near 8 is 7.8e-3),
 * while WASM widens to fp32 inside its kernels: 1e-3 is below fp16's resolution at that size.
 */
const FP16_TOLERANCE = 3e-2;

const PROMPT = [1, 5, 9, 23, 42];

/** Buffers onnxruntime's cache may add after the 10th generation as it meets new tensor sizes (3 seen). */
const CACHE_WARM_UP_BUFFERS = 8; // ids below every fixture's vocabulary

let page: WebgpuPage;
let adapter: { name: string; features: string[] };

before(async () => {
  page = await openWebgpuPage();
  adapter = await page.call('adapter');
});

after(async () => {
  await page?.close();
});

describe(`engine on WebGPU (headless Chromium)`, () => {
  test('the adapter is there (SwiftShader with --enable-unsafe-webgpu)', () => {
    assert.ok(adapter.features.length > 0, `adapter ${adapter.name} with no features`);
  });

  for (const model of ['hub-gpt2', 'hub-qwen2.5-coder']) {
    test(`${model} fp32: prefill and 8 decode steps, logits within ${FP32_TOLERANCE} of WASM's`, async (t) => {
      const r = await page.call('compare', model, 'fp32', PROMPT, 8);
      t.diagnostic(`${model}: max |WebGPU − WASM| ${r.maxLogitDiff.toExponential(2)} over ${r.steps + 1} rows`);
      assert.equal(r.file.endsWith('model.onnx'), true, r.file);
      assert.ok(r.maxLogitDiff < FP32_TOLERANCE, `max |WebGPU − WASM| = ${r.maxLogitDiff}`);
      assert.deepEqual(r.gpuTokens, r.wasmTokens);
    });
  }

  test(`tiny-llama fp32: 64 decode steps with the KV cache on the GPU give WASM's greedy tokens, logits within ${FP32_TOLERANCE}`, async () => {
    const r = await page.call('compare', 'tiny-llama', 'fp32', PROMPT, 64);
    assert.equal(r.steps, 64);
    assert.equal(r.stepsOnGpu, 64, 'every decode step returned present.* as GPU buffers (and fed them to the next)');
    assert.deepEqual(r.gpuTokens, r.wasmTokens);
    assert.ok(r.maxLogitDiff < FP32_TOLERANCE, `max |WebGPU − WASM| = ${r.maxLogitDiff}`);
    console.log(`# tiny-llama 64 steps: max logit diff ${r.maxLogitDiff.toExponential(2)}; WebGPU ${Math.round(r.gpuMs)} ms, WASM ${Math.round(r.wasmMs)} ms (${adapter.name})`);
  });

  test('LocalEngine.generate on WebGPU gives WASM’s tokens: prefix reuse cuts the cache on the GPU, speculation rolls it back', async () => {
    const prompt = 'def add(a, b):\n    return a + b\n\ndef add(a, b):\n    return';
    const requests = [
      { prompt, maxNewTokens: 16 },
      { prompt: `${prompt} a`, maxNewTokens: 12 }, // reuses the first request's prompt: a cut cache
      { prompt: `${prompt} b`, maxNewTokens: 12, speculation: 'prompt-lookup' as const },
      { prompt: `${prompt} b`, maxNewTokens: 12, speculation: 'prompt-lookup' as const, draftLength: 4 },
    ];
    const gpu = await page.call('engineTokens', 'tiny-llama', 'webgpu', requests);
    const wasm = await page.call('engineTokens', 'tiny-llama', 'wasm', requests);
    assert.equal(gpu[0]?.tokens.length, 16);
    assert.ok((gpu[1]?.reused ?? 0) > 0, 'the second request reused a prefix');
    assert.deepEqual(gpu, wasm);
  });

  test('translation (encoder-decoder) and the inspector’s attention on WebGPU equal WASM’s', async (t) => {
    const [gpu, wasm] = [await page.call('otherPaths', 'webgpu'), await page.call('otherPaths', 'wasm')];
    assert.ok(gpu.translation.length > 0);
    assert.deepEqual(gpu.translation, wasm.translation);
    assert.equal(gpu.attention.length, wasm.attention.length);
    let max = 0;
    gpu.attention.forEach((layer, l) => layer.forEach((p, i) => (max = Math.max(max, Math.abs(p - (wasm.attention[l]?.[i] ?? Number.NaN))))));
    t.diagnostic(`attention probabilities: max |WebGPU − WASM| ${max.toExponential(2)}`);
    assert.ok(max < FP32_TOLERANCE, `attention differs by ${max}`);
  });

  // The adapter decides the documented behaviour: compared with WASM where it has shader-f16,
  // refused with a GpuFeatureError (no silent fp32) where it has not. Both outcomes are asserted
  // whole, against the one this adapter calls for.
  const hasF16 = (): boolean => adapter.features.includes(SHADER_F16);
  test(`an fp16 file follows the adapter's ${SHADER_F16}: compared within ${FP16_TOLERANCE} where it has it, a GpuFeatureError naming it where not`, async (t) => {
    const outcome: Fp16Outcome = await page.call('fp16', 'hub-qwen2.5-coder', PROMPT, 8);
    t.diagnostic(`${adapter.name} ${hasF16() ? 'has' : 'lacks'} ${SHADER_F16}: ${JSON.stringify(outcome)}`);
    const normalized =
      outcome.kind === 'compared'
        ? { kind: outcome.kind, withinTolerance: outcome.maxLogitDiff < FP16_TOLERANCE, sameTokens: outcome.sameTokens }
        : { kind: outcome.kind, gpuFeatureError: outcome.gpuFeatureError, namesTheFeature: outcome.message.includes(SHADER_F16) && outcome.message.includes('model_fp16.onnx') };
    const expected = hasF16() ? { kind: 'compared', withinTolerance: true, sameTokens: true } : { kind: 'refused', gpuFeatureError: true, namesTheFeature: true };
    assert.deepEqual(normalized, expected);
  });

  test(`dtype auto on WebGPU takes a half-precision file only with ${SHADER_F16}`, async () => {
    const chosen = await page.call('autoDtype', 'hub-qwen2.5-coder');
    // hub-qwen2.5-coder has q4f16, fp16, q4 and fp32: WebGPU's order puts q4f16 first, q4 after the half ones.
    const expected = hasF16() ? 'q4f16' : 'q4';
    assert.equal(chosen.dtype, expected, chosen.reason);
    assert.equal(chosen.reason.includes(SHADER_F16), !hasF16(), chosen.reason);
  });

  test('device loss: mid-request and between requests the engine reopens on a new device and replays; twice in one request is a DeviceLostError, which WasmFallbackEngine turns into WASM', async () => {
    const r = await page.call('deviceLoss', 'tiny-llama', { prompt: 'a b c', maxNewTokens: 8 });
    assert.equal(r.reference.length, 8);
    assert.deepEqual(r.afterMid.tokens, r.reference, 'the replayed request gives the same tokens');
    assert.deepEqual(r.afterMid.streamed, r.reference, 'each token streamed once: the replay does not repeat the three before the loss');
    assert.equal(r.afterMid.devices, 2, 'a second device after the loss');
    assert.deepEqual(r.between.tokens, r.reference);
    assert.equal(r.between.devices, 3);
    assert.equal(r.twiceName, 'DeviceLostError', r.twice);
    assert.match(r.twice, /lost twice/);
    assert.deepEqual(r.afterTwice, r.reference, 'after giving up, the engine still serves on a fresh device');
    assert.deepEqual(r.fallback, { tokens: r.reference, backend: 'wasm', reason: r.fallback.reason }, 'under WasmFallbackEngine the request completes on WASM');
    assert.match(r.fallback.reason, /lost twice/);
  });

  test('GPU buffers do not leak over 200 generations (prefix reuse, speculation rollbacks, fresh prompts)', async () => {
    const r = await page.call('leak', 'tiny-llama', 200, [10, 50, 100, 200]);
    const live = (n: number): number => r.samples[n] as number;
    console.log(`# live GPUBuffers: after load ${r.liveAfterLoad}, after 10 generations ${live(10)}, 50 ${live(50)}, 100 ${live(100)}, 200 ${live(200)}, after dispose ${r.liveAfterDispose}; ${r.msPerGeneration.toFixed(0)} ms a generation`);
    // onnxruntime's buffer cache keeps one buffer per new size it meets (the prompts' lengths
    // cycle over 210 generations); a leaked cache would add 4 buffers (2 layers × key, value) per
    // generation: 800 over the run.
    assert.ok(live(200) - live(10) <= CACHE_WARM_UP_BUFFERS, `live buffers after 200 generations (${live(200)}) vs after 10 (${live(10)})`);
    assert.equal(live(200), live(100), 'none more from generation 100 to 200');
    assert.ok(r.liveAfterDispose < r.liveAfterLoad, `dispose() left ${r.liveAfterDispose} buffers alive (${r.liveAfterLoad} after load)`);
    assert.deepEqual(page.errors, []);
  });
});
