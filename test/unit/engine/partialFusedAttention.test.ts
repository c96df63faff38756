// A fused graph where one layer's operator cannot be reproduced (GroupQueryAttention with
// smooth_softmax on its last layer only): the inspector shows the layers that can be shown, says
// which are not and why, and the shown layer equals the same layer of the unedited graph (the
// edit comes after it, so its attention is the same).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planAttentionSurgery, type SurgeryPlan } from '../../../src/engine/attentionSurgery';
import { ModelError } from '../../../src/engine/errors';
import type { Engine, EngineHost } from '../../../src/engine/types';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { hiddenLayersNotice, inspectText } from '../../../src/inspector/session';
import { smoothSoftmaxFolder } from '../onnxEdit';
import { FIXTURES, maxAbsDiff } from './helpers';

const TEXT = 'def add(a, b):\n    return a + b\n';
const WHY = /^1 of 2 fused attention layers cannot be reproduced: com\.microsoft GroupQueryAttention with attribute smooth_softmax = 1 cannot be reproduced exactly$/;

describe('fused attention with one layer that cannot be reproduced', () => {
  const folder = smoothSoftmaxFolder('last');
  let host: EngineHost;
  let partial: Engine;
  let whole: Engine;
  before(async () => {
    host = createInProcessHost({ threads: 1 });
    partial = await host.load(folder.dir, { backend: 'wasm' });
    whole = await host.load(path.join(FIXTURES, 'fused-qwen2-gqa'), { backend: 'wasm', dtype: 'fp32' });
  });
  after(async () => {
    await host.dispose();
    folder.remove();
  });

  it('plans the layer it can reproduce, by its place in the graph, and names the one it cannot', () => {
    const plan = planAttentionSurgery(new Uint8Array(readFileSync(path.join(folder.dir, 'onnx', 'model.onnx'))));
    assert.equal(plan.source, 'fused-surgery');
    const { taps, hidden } = plan as SurgeryPlan;
    assert.deepEqual(taps.map((t) => t.layer), [0]);
    assert.deepEqual(hidden?.layers, [1]);
    assert.match(hidden?.why ?? '', WHY);
  });

  it('shows layer 0 as the unedited graph shows it, with its statistics, and says layer 1 is hidden', async () => {
    const shown = await partial.attention({ text: TEXT });
    const reference = await whole.attention({ text: TEXT, layers: [0] });
    assert.deepEqual(shown.attention.layers, [0]);
    assert.equal(shown.totalLayers, 2);
    assert.deepEqual(shown.hiddenLayers?.layers, [1]);
    assert.match(shown.hiddenLayers?.why ?? '', WHY);
    assert.ok(maxAbsDiff(shown.attention.layerData[0] as Float32Array, reference.attention.layerData[0] as Float32Array) < 1e-6);
    assert.deepEqual([...new Set(shown.stats.map((s) => s.layer))], [0]);
    assert.equal(shown.stats.length, shown.totalHeads);
  });

  it('refuses to show the hidden layer, with the reason', async () => {
    await assert.rejects(partial.attention({ text: TEXT, layers: [1] }), (error: unknown) => error instanceof ModelError && /^layer 1's attention cannot be shown: 1 of 2 fused/.test(error.message));
  });

  it('the inspector paints layer 0 only, without rollout, under a notice naming layer 1', async () => {
    const session = await inspectText(partial, { text: TEXT }, { docId: 1, title: 'partial', modelName: 'partial' });
    const summary = session.document.sections[0]!;
    assert.deepEqual(summary.layers, [0]);
    assert.equal(summary.rollout, false);
    assert.match(session.document.notice ?? '', /^Layer 1 is not shown: 1 of 2 fused attention layers cannot be reproduced: .*smooth_softmax = 1 cannot be reproduced exactly\.$/);
  });
});

describe('fused attention whose first layer cannot be reproduced', () => {
  const folder = smoothSoftmaxFolder('first');
  after(() => folder.remove());

  it('shows layer 1 under its own number, as the graph’s structure says, not as the first tap', async () => {
    const plan = planAttentionSurgery(new Uint8Array(readFileSync(path.join(folder.dir, 'onnx', 'model.onnx')))) as SurgeryPlan;
    assert.deepEqual(plan.taps.map((t) => t.layer), [1]);
    assert.deepEqual(plan.hidden?.layers, [0]);
    const host = createInProcessHost({ threads: 1 });
    try {
      const shown = await (await host.load(folder.dir, { backend: 'wasm' })).attention({ text: TEXT });
      assert.deepEqual(shown.attention.layers, [1]);
      assert.deepEqual(shown.hiddenLayers?.layers, [0]);
    } finally {
      await host.dispose();
    }
  });
});

describe('hiddenLayersNotice', () => {
  it('names one layer or several, and nothing when every layer is shown', () => {
    assert.equal(hiddenLayersNotice({ hiddenLayers: { layers: [3], why: 'because' } }), 'Layer 3 is not shown: because.');
    assert.equal(hiddenLayersNotice({ hiddenLayers: { layers: [0, 2], why: 'because' } }), 'Layers 0, 2 are not shown: because.');
    assert.equal(hiddenLayersNotice({}), undefined);
  });
});
