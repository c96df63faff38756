// DecoderModel.forward's options on small fixtures: the rows a verify pass reads, attention outputs
// while generating, an inspector-only model, and where the session came from.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { DecoderModel } from '../../../src/engine/decoderModel';
import { ModelError } from '../../../src/engine/errors';
import { loadDecoder } from './helpers';

const IDS = [5, 17, 300, 42];

describe('DecoderModel.forward', () => {
  let all: DecoderModel;
  let sliced: DecoderModel;
  before(async () => {
    all = (await loadDecoder('tiny-gpt2', { logits: 'all' })).model;
    sliced = (await loadDecoder('tiny-gpt2')).model;
  });

  it('serves prefill from an edited last-position head unless every row is asked for', () => {
    assert.equal(sliced.logitsMode, 'sliced');
    assert.equal(all.logitsMode, 'all');
  });

  it('reads the last lastRows rows (at least one, at most the tokens fed), equal to those of every row', async () => {
    const every = await all.forward(all.emptyCache(), IDS, { allLogits: true });
    const vocab = every.lastLogits.length;
    const allRows = every.allLogits as Float32Array; // [4, vocab]
    assert.equal(allRows.length, IDS.length * vocab);
    assert.deepEqual([...every.lastLogits], [...allRows.subarray(3 * vocab)]);
    assert.equal(every.rows, undefined, 'no rows unless asked');
    for (const model of [all, sliced]) {
      for (const [lastRows, expected] of [[2, 2], [10, 4], [0, 1], [1, 1]] as const) {
        const result = await model.forward(model.emptyCache(), IDS, { lastRows });
        const rows = result.rows as Float32Array;
        assert.equal(rows.length, expected * vocab, `${model.logitsMode}, lastRows ${lastRows}`);
        const reference = allRows.subarray((IDS.length - expected) * vocab);
        let worst = 0;
        for (let i = 0; i < rows.length; i++) worst = Math.max(worst, Math.abs((rows[i] as number) - (reference[i] as number)));
        assert.ok(worst < 1e-5, `${model.logitsMode}, lastRows ${lastRows}: ${worst}`);
        assert.equal(result.allLogits, undefined);
        result.cache.dispose();
      }
    }
    every.cache.dispose();
  });

  it('continues over its cache: logits of a second pass equal those of one pass over both', async () => {
    const first = await sliced.forward(sliced.emptyCache(), IDS.slice(0, 2));
    assert.deepEqual(first.cache.ids, IDS.slice(0, 2));
    const second = await sliced.forward(first.cache, IDS.slice(2));
    assert.deepEqual(second.cache.ids, IDS);
    const whole = await sliced.forward(sliced.emptyCache(), IDS);
    let worst = 0;
    second.lastLogits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (whole.lastLogits[i] as number)))));
    assert.ok(worst < 1e-4, `${worst}`);
  });

  it('returns each layer’s attention over the keys so far when asked, and refuses when the export has none', async () => {
    const first = await sliced.forward(sliced.emptyCache(), IDS.slice(0, 2));
    const step = await sliced.forward(first.cache, IDS.slice(2), { attention: true });
    const attentions = step.attentions ?? [];
    assert.equal(attentions.length, 2, 'one per layer');
    for (const tensor of attentions) {
      assert.deepEqual(tensor.dims, [1, 4, 2, 4]); // [1, heads, new, keys so far]
      const data = tensor.data as Float32Array;
      for (let row = 0; row < 8; row++) assert.ok(Math.abs(data.subarray(row * 4, row * 4 + 4).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    assert.equal((await sliced.forward(sliced.emptyCache(), IDS)).attentions, undefined, 'none unless asked');
    const hub = (await loadDecoder('hub-gpt2')).model;
    await assert.rejects(hub.forward(hub.emptyCache(), IDS, { attention: true }), (e: unknown) => e instanceof ModelError && e.message === 'this model exports no attention outputs to capture while generating (attentions.{i})');
    assert.equal(hub.attentionSource, 'surgery');
    assert.equal(hub.attentionUnavailableReason('hub-gpt2'), undefined);
  });

  it('needs a token to feed', async () => {
    await assert.rejects(sliced.forward(sliced.emptyCache(), []), /^Error: forward\(\) needs at least one new token$/);
  });

  it('an inspector-only model shows attention and refuses to generate', async () => {
    const inspector = (await loadDecoder('tiny-gpt2', { attentionOnly: true })).model;
    assert.equal(inspector.attentionSource, 'outputs');
    await assert.rejects(inspector.forward(inspector.emptyCache(), IDS), (e: unknown) => e instanceof ModelError && e.message === 'this model was opened for the inspector only: it does not generate');
  });

  it('says which file it runs and why', async () => {
    const source = sliced.source;
    assert.equal(source?.file, 'onnx/model.onnx');
    assert.equal(source?.dtype, 'fp32');
    assert.deepEqual(source?.dtypes, ['fp32']);
    assert.match(source?.reason ?? '', /\S/);
    assert.ok((source?.parameters ?? 0) > 0);
    assert.ok((source?.bytes ?? 0) > 0);
    assert.equal(source?.perRunQuantization, false);
    const q8 = (await loadDecoder('hub-gpt2', { dtype: 'q8' })).model.source;
    assert.equal(q8?.file, 'onnx/decoder_model_merged_quantized.onnx');
    assert.equal(q8?.perRunQuantization, true, 'DynamicQuantizeLinear scales each run as a whole');
  });
});
