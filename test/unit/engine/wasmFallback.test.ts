// WasmFallbackEngine with fake engines: a DeviceLostError moves the model to WASM once (the failed
// request runs there, tokens streamed before are not streamed again), other errors pass through,
// and the GPU engine is disposed when it is left.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceLostError, InferenceError } from '../../../src/engine/errors';
import type { Engine, GenerateCallOptions, GenerateRequest, GenerateResult, ModelInfo } from '../../../src/engine/types';
import { isDeviceLostError, WasmFallbackEngine } from '../../../src/engine/wasmFallback';

/** An engine that streams `tokens` and then, while `failWith` is set, throws it. */
function fakeEngine(backend: 'webgpu' | 'wasm', tokens: number[], failWith?: () => Error): Engine & { disposed: number; calls: number } {
  const engine = {
    disposed: 0,
    calls: 0,
    info: { backend } as ModelInfo,
    async generate(_request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
      engine.calls++;
      for (const id of tokens) {
        options.onToken?.({ id, textSoFar: '' });
        if (failWith && id === tokens[1]) throw failWith();
      }
      return { tokens } as unknown as GenerateResult;
    },
    tokenize: async () => [],
    attention: async () => assert.fail('not used'),
    generationAttention: async () => undefined,
    translate: async () => assert.fail('not used'),
    translationAttention: async () => undefined,
    async dispose() {
      engine.disposed++;
    },
  };
  return engine;
}

describe('WasmFallbackEngine', () => {
  it('a DeviceLostError moves to WASM once: the request runs there, each token streamed once', async () => {
    const gpu = fakeEngine('webgpu', [7, 8, 9], () => new DeviceLostError('the GPU device was lost twice in one request'));
    const wasm = fakeEngine('wasm', [7, 8, 9]);
    const reasons: string[] = [];
    const engine = new WasmFallbackEngine(gpu, async (reason) => {
      reasons.push(reason);
      return wasm;
    });
    assert.equal(engine.info.backend, 'webgpu');
    const streamed: number[] = [];
    const result = await engine.generate({ prompt: 'x' }, { onToken: (t) => streamed.push(t.id) });
    assert.deepEqual(result.tokens, [7, 8, 9]);
    assert.deepEqual(streamed, [7, 8, 9]);
    assert.equal(engine.info.backend, 'wasm');
    assert.deepEqual(reasons, ['the GPU device was lost twice in one request']);
    assert.equal(gpu.disposed, 1, 'the GPU engine is released');
    await engine.generate({ prompt: 'y' });
    assert.equal(gpu.calls, 1, 'later requests go to WASM only');
    assert.equal(wasm.calls, 2);
    await engine.dispose();
    assert.equal(wasm.disposed, 1);
  });

  it('other errors pass through and keep the GPU engine', async () => {
    const gpu = fakeEngine('webgpu', [1, 2], () => new InferenceError('onnxruntime run failed: bad shape'));
    const engine = new WasmFallbackEngine(gpu, async () => assert.fail('moved to WASM'));
    await assert.rejects(engine.generate({ prompt: 'x' }), InferenceError);
    assert.equal(engine.info.backend, 'webgpu');
  });

  it('recognises a DeviceLostError by its name (as revived from a webview)', () => {
    const revived = new Error('lost');
    revived.name = 'DeviceLostError';
    assert.equal(isDeviceLostError(revived), true);
    assert.equal(isDeviceLostError(new DeviceLostError('x')), true);
    assert.equal(isDeviceLostError(new InferenceError('Device was lost')), false);
  });
});
