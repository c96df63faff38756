// loadNativeOrt in this process (npm installs onnxruntime-node's addon): loaded once, a CPU
// backend, and sessions on onnxruntime-node's own backend that run a model.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { addonFolder } from '../../../src/host/nativeAddonFolder';
import { loadNativeOrt } from '../../../src/host/nativeOrt';
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
});
