// LocalEngine's device-loss handling in Node: a 'webgpu' runtime whose sessions are WASM sessions
// (openSession drops the WebGPU options) and whose runs fail with WebGPU's device-lost message on
// demand. The replay gives the same tokens; a second loss in one request is a DeviceLostError; a
// device that cannot be reopened leaves an engine that says so on every request and still disposes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { DeviceLostError } from '../../../src/engine/errors';
import { LocalEngine } from '../../../src/engine/localEngine';
import type { Runtime } from '../../../src/engine/onnx';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { DEVICE_LOST_MESSAGE, fakeWebGpu, scriptedOpenSession } from './fakeGpu';
import { modelDir } from './helpers';

/** What the fake GPU does next: runs to fail as lost, whether opening a session fails. */
interface Script {
  failRuns: number;
  refuseOpen: boolean;
  opens: number;
  lost: boolean;
}

function fakeRuntime(script: Script): Runtime {
  const gpu = fakeWebGpu(script);
  const openSession = scriptedOpenSession({
    beforeOpen: () => {
      if (script.refuseOpen) throw new Error('no adapter');
      script.opens++;
    },
    // Generation passes only (they fetch present.*): the probe a reopening runs is left alone.
    beforeRun: (fetches) => {
      if (script.failRuns > 0 && Array.isArray(fetches) && fetches.some((name) => String(name).startsWith('present.'))) {
        script.failRuns--;
        throw new Error(DEVICE_LOST_MESSAGE);
      }
    },
  });
  return { ort, backend: 'webgpu', gpu, openSession };
}

describe('LocalEngine on a GPU that loses its device', () => {
  const request = { prompt: 'def add(a, b):', maxNewTokens: 6 };

  it('replays once on a reopened session, gives up on the second loss, and stays usable', async () => {
    const script: Script = { failRuns: 0, refuseOpen: false, opens: 0, lost: false };
    const engine = await LocalEngine.load(await NodeModelFiles.open(modelDir('tiny-llama')), fakeRuntime(script), 'tiny-llama', { dtype: 'fp32' });
    try {
      const reference = (await engine.generate(request)).tokens;
      const opened = script.opens;
      script.failRuns = 1;
      const streamed: number[] = [];
      assert.deepEqual((await engine.generate(request, { onToken: (t) => streamed.push(t.id) })).tokens, reference);
      assert.deepEqual(streamed, reference);
      assert.equal(script.opens, 2 * opened, 'the sessions were opened again');
      script.failRuns = 2;
      await assert.rejects(engine.generate(request), (e: unknown) => e instanceof DeviceLostError && /lost twice/.test(e.message));
      assert.deepEqual((await engine.generate(request)).tokens, reference, 'reopened for whatever the host does next');
    } finally {
      await engine.dispose();
    }
  });

  it('a device that cannot be reopened: DeviceLostError now and on every later request; dispose still resolves', async () => {
    const script: Script = { failRuns: 0, refuseOpen: false, opens: 0, lost: false };
    const engine = await LocalEngine.load(await NodeModelFiles.open(modelDir('tiny-llama')), fakeRuntime(script), 'tiny-llama', { dtype: 'fp32' });
    script.lost = true; // lost between requests
    script.refuseOpen = true;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(engine.generate(request), (e: unknown) => e instanceof DeviceLostError && /could not be opened on a new one: .*no adapter/.test(e.message));
    }
    await engine.dispose();
  });
});
