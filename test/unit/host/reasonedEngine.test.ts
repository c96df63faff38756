// ReasonedEngine: the engine it wraps, with the reasons for its backend and file in its info.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Engine } from '../../../src/engine/types';
import { ReasonedEngine } from '../../../src/host/reasonedEngine';
import { fakeModelInfo } from '../fakeModelInfo';

/** An engine whose every method returns its own name and arguments, so forwarding shows. */
function echoEngine(calls: string[]): Engine {
  const echo =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push(name);
      return { name, args } as never;
    };
  return {
    info: fakeModelInfo({ backendReason: 'inner backend reason', dtypeReason: 'inner dtype reason' }),
    tokenize: echo('tokenize'),
    generate: echo('generate'),
    attention: echo('attention'),
    generationAttention: echo('generationAttention'),
    translate: echo('translate'),
    translationAttention: echo('translationAttention'),
    dispose: echo('dispose'),
  };
}

describe('ReasonedEngine', () => {
  it('puts its reasons in the wrapped engine’s info, and keeps the file’s own reason when it has none', () => {
    const inner = echoEngine([]);
    const both = new ReasonedEngine(inner, 'auto: native measured faster', 'auto: q8 chosen on wasm');
    assert.deepEqual(both.info, { ...inner.info, backendReason: 'auto: native measured faster', dtypeReason: 'auto: q8 chosen on wasm' });
    const backendOnly = new ReasonedEngine(inner, 'setting: wasm');
    assert.equal(backendOnly.info.backendReason, 'setting: wasm');
    assert.equal(backendOnly.info.dtypeReason, 'inner dtype reason');
    assert.equal(backendOnly.info.layers, inner.info.layers);
  });

  it('passes every call and its arguments straight through', async () => {
    const calls: string[] = [];
    const engine = new ReasonedEngine(echoEngine(calls), 'reason');
    const signal = new AbortController().signal;
    const onToken = () => {};
    assert.deepEqual(await engine.tokenize('text'), { name: 'tokenize', args: ['text'] });
    assert.deepEqual(await engine.generate({ prompt: 'p' }, { signal, onToken }), { name: 'generate', args: [{ prompt: 'p' }, { signal, onToken }] });
    assert.deepEqual(await engine.attention({ text: 't' }, { signal }), { name: 'attention', args: [{ text: 't' }, { signal }] });
    assert.deepEqual(await engine.generationAttention(3), { name: 'generationAttention', args: [3] });
    assert.deepEqual(await engine.translate({ text: 'Hi', from: 'en', to: 'de' }, { signal }), { name: 'translate', args: [{ text: 'Hi', from: 'en', to: 'de' }, { signal }] });
    assert.deepEqual(await engine.translationAttention(4), { name: 'translationAttention', args: [4] });
    assert.deepEqual(await engine.dispose(), { name: 'dispose', args: [] });
    assert.deepEqual(calls, ['tokenize', 'generate', 'attention', 'generationAttention', 'translate', 'translationAttention', 'dispose']);
  });
});
