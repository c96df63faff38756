// What IO discovery reads from a graph: names in layer order, every layer's or none, the present.*
// output of each past input, and the KV cache's shape with config.json as the fallback.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheShape, everyLayer, namesByLayer, presentOutputs } from '../../../src/engine/graphIo';

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

describe('graph IO', () => {
  it('orders names by layer number (not as text), key before value, and drops the rest', () => {
    const names = ['past_key_values.10.value', 'input_ids', 'past_key_values.2.value', 'past_key_values.10.key', 'past_key_values.2.key', 'past_key_values.1.key'];
    assert.deepEqual(namesByLayer(names, PAST), ['past_key_values.1.key', 'past_key_values.2.key', 'past_key_values.2.value', 'past_key_values.10.key', 'past_key_values.10.value']);
    // One group: the layer alone orders them.
    assert.deepEqual(namesByLayer(['attentions.3', 'attentions.0', 'logits'], /^attentions\.(\d+)$/), ['attentions.0', 'attentions.3']);
    // An optional last group that did not match sorts first in its layer, whichever side it is on.
    const optional = /^present\.(\d+)(?:\.(key|value))?$/;
    assert.deepEqual(namesByLayer(['present.0.key', 'present.0'], optional), ['present.0', 'present.0.key']);
    assert.deepEqual(namesByLayer(['present.0', 'present.0.value'], optional), ['present.0', 'present.0.value']);
  });

  it('gives every layer’s output, or none when a layer lacks one', () => {
    assert.deepEqual(everyLayer(['attentions.1', 'attentions.0'], /^attentions\.(\d+)$/, 2), ['attentions.0', 'attentions.1']);
    assert.deepEqual(everyLayer(['attentions.0'], /^attentions\.(\d+)$/, 2), []);
    assert.deepEqual(everyLayer(['attentions.0', 'attentions.1', 'attentions.2'], /^attentions\.(\d+)$/, 2), []);
  });

  it('names the present output of each past input, and those the graph lacks', () => {
    const past = ['past_key_values.0.key', 'past_key_values.0.value'];
    assert.deepEqual(presentOutputs(past, ['logits', 'present.0.key', 'present.0.value']), { present: ['present.0.key', 'present.0.value'], missing: [] });
    assert.deepEqual(presentOutputs(past, ['logits', 'present.0.key']), { present: ['present.0.key', 'present.0.value'], missing: ['present.0.value'] });
  });

  it('reads heads, head size and element type from the first cache input; config.json fills symbolic dims', () => {
    const inputs = [
      { name: 'input_ids', type: 'int64', shape: ['batch', 'seq'] },
      { name: 'past_key_values.0.key', type: 'float16', shape: ['batch', 4, 'past', 32] },
    ];
    assert.deepEqual(cacheShape(inputs, 'past_key_values.0.key', { heads: 8, headDim: 64 }), { heads: 4, headDim: 32, dtype: 'float16' });
    const symbolic = [{ name: 'past.0', type: 'float32', shape: ['batch', 'heads', 'past', 'dim'] }];
    assert.deepEqual(cacheShape(symbolic, 'past.0', { heads: 8, headDim: 64 }), { heads: 8, headDim: 64, dtype: 'float32' });
    assert.deepEqual(cacheShape(inputs, undefined, { heads: 2, headDim: 16 }), { heads: 2, headDim: 16, dtype: 'float32' });
  });
});
