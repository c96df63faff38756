// loadNativeOrt in this process (npm installs onnxruntime-node's addon): loaded once, a CPU
// backend, and sessions on onnxruntime-node's own backend that run a model. And, with a stand-in
// for onnxruntime-node, the sentence a user reads when the addon has no CPU provider or fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { addonFolder } from '../../../src/host/nativeAddonFolder';
import { loadNativeOrt, type NativeOrt } from '../../../src/host/nativeOrt';
import { modelDir } from '../engine/helpers';

describe('loadNativeOrt', () => {
  it('loads onnxruntime-node once, records the addon folder asked for, and opens sessions that run', async () => {
    const first = loadNativeOrt({ addonFolder: '/addon/here' });
    assert.equal(loadNativeOrt({ addonFolder: '/another' }), first, 'the first load stands');
    const native = await first;
    assert.ok(native.ok, native.ok ? '' : native.reason);
    assert.equal(addonFolder('/bundle'), '/addon/here');
    const bytes = readFileSync(path.join(modelDir('tiny-llama'), 'onnx', 'model.onnx'));
    const session = await native.openSession(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      assert.ok(session.inputNames.includes('input_ids'));
      assert.ok(session.outputNames.includes('logits'));
    } finally {
      await session.release();
    }
  });

  /** A fresh loadNativeOrt (its first answer stands) whose require('onnxruntime-node') gives `ort`. */
  async function loadWith(ort: { listSupportedBackends: () => { name: string }[] }): Promise<NativeOrt> {
    const ortPath = require.resolve('onnxruntime-node');
    const ownPath = require.resolve('../../../src/host/nativeOrt');
    const real = require.cache[ortPath];
    const own = require.cache[ownPath];
    require.cache[ortPath] = { id: ortPath, filename: ortPath, loaded: true, exports: ort } as NodeJS.Module;
    delete require.cache[ownPath];
    try {
      return await (require(ownPath) as typeof import('../../../src/host/nativeOrt')).loadNativeOrt();
    } finally {
      require.cache[ortPath] = real;
      require.cache[ownPath] = own;
    }
  }

  it('says so when the addon offers no CPU provider, or fails, in its first line', async () => {
    const noCpu = await loadWith({ listSupportedBackends: () => [{ name: 'webgpu' }] });
    assert.deepEqual(noCpu, { ok: false, reason: 'onnxruntime-node loaded but offers no CPU execution provider' });
    const failing = await loadWith({
      listSupportedBackends: () => {
        throw new Error('libonnxruntime.so.1: cannot open shared object file\n    at Module._extensions..node');
      },
    });
    assert.deepEqual(failing, { ok: false, reason: `onnxruntime-node could not be loaded on ${process.platform}-${process.arch}: libonnxruntime.so.1: cannot open shared object file` });
  });
});
