import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusView } from '../../../src/completions/statusText';
import type { GenerationStats } from '../../../src/completions/service';
import { fakeInfo } from './fakeEngine';

const stats: GenerationStats = {
  latencyMs: 84.6,
  debounceMs: 75,
  promptTokens: 900,
  reusedTokens: 896,
  generatedTokens: 12,
  prefillMs: 3.2,
  decodeMsPerToken: 8,
  tokensPerSecond: 125,
  finishReason: 'stop',
};
const ready = { status: 'ready', info: fakeInfo({ name: 'tealeaf-code' }) } as const;

test('states map to icons and kinds', () => {
  assert.equal(statusView({ enabled: false, model: ready, generating: false }).kind, 'disabled');
  assert.equal(statusView({ enabled: true, model: { status: 'idle' }, generating: false }).kind, 'idle');
  const loading = statusView({ enabled: true, model: { status: 'loading', modelDir: '/m' }, generating: false });
  assert.equal(loading.kind, 'loading');
  assert.equal(loading.text, '$(loading~spin) Tealeaf');
  assert.equal(statusView({ enabled: true, model: ready, generating: true }).kind, 'generating');
  const error = statusView({ enabled: true, model: { status: 'error', message: 'onnx/model.onnx is missing' }, generating: false });
  assert.equal(error.kind, 'error');
  assert.match(error.tooltip, /onnx\/model\\\.onnx is missing/);
  assert.equal(statusView({ enabled: true, model: ready, generating: false, generationError: 'boom' }).kind, 'error');
});

test('ready shows backend, last latency and tokens/s', () => {
  const view = statusView({ enabled: true, model: ready, generating: false, stats });
  assert.equal(view.text, '$(sparkle) Tealeaf · wasm · 85 ms · 125 tok/s');
  assert.match(view.tooltip, /prefill 3 ms for 4 new of 900 prompt tokens/);
  assert.match(view.tooltip, /tealeaf\\-code/);
  const slow = statusView({ enabled: true, model: ready, generating: false, stats: { ...stats, latencyMs: 1520, tokensPerSecond: undefined } });
  assert.equal(slow.text, '$(sparkle) Tealeaf · wasm · 1.5 s');
});
