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

test('the tooltip of a ready model says the model, its file and why, the backend and why, the last suggestion, then the menu', () => {
  const info = fakeInfo({
    name: 'my_model',
    modelType: 'qwen2',
    layers: 24,
    backend: 'native',
    fim: { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' },
    onnxFiles: ['onnx/model_q4.onnx', 'onnx/model_q4.onnx_data'],
    dtype: 'q4',
    dtypeReason: 'auto: q4 (the fastest)',
    backendReason: 'auto: 2.2× faster [probe]',
  });
  const view = statusView({ enabled: true, model: { status: 'ready', info }, generating: true, stats });
  assert.equal(view.kind, 'generating');
  assert.equal(view.text, '$(sync~spin) Tealeaf · native · 85 ms · 125 tok/s');
  assert.deepEqual(view.tooltip.split('\n\n'), [
    '**Tealeaf inline completions**: on',
    'Model: my\\_model (qwen2, 24 layers, native, fill-in-the-middle)',
    'File: onnx/model\\_q4\\.onnx \\+ onnx/model\\_q4\\.onnx\\_data (q4): auto: q4 \\(the fastest\\)',
    'Backend: native: auto: 2\\.2× faster \\[probe\\]',
    'Last suggestion: 85 ms (debounce 75 ms, prefill 3 ms for 4 new of 900 prompt tokens), 12 tokens, 125 tokens/s',
    'Generating…',
    'Click for the menu',
  ]);
});

test('the tooltip of each other state: off, loading, idle, a model error, a failed completion', () => {
  assert.deepEqual(statusView({ enabled: false, model: { status: 'idle' }, generating: false }), {
    kind: 'disabled',
    text: '$(circle-slash) Tealeaf',
    tooltip: '**Tealeaf inline completions**: off\n\nModel: loads with the first completion\n\nClick for the menu',
  });
  assert.equal(statusView({ enabled: true, model: { status: 'idle' }, generating: false }).text, '$(sparkle) Tealeaf');
  assert.equal(
    statusView({ enabled: true, model: { status: 'loading', modelDir: '/m/tealeaf-code' }, generating: false }).tooltip,
    '**Tealeaf inline completions**: on\n\nModel: loading /m/tealeaf\\-code…\n\nClick for the menu',
  );
  const failed = statusView({ enabled: true, model: { status: 'error', message: 'a <b>bad</b> file!' }, generating: false, generationError: 'aborted: `x`' });
  assert.equal(failed.text, '$(error) Tealeaf');
  assert.deepEqual(failed.tooltip.split('\n\n').slice(1, 3), ['Model error: a \\<b\\>bad\\</b\\> file\\!', 'Last completion failed: aborted: \\`x\\`']);
});

test('a ready model while off shows no backend or figures; without prefill figures the tooltip counts prompt tokens', () => {
  assert.equal(statusView({ enabled: false, model: ready, generating: false, stats }).text, '$(circle-slash) Tealeaf');
  const plain = statusView({ enabled: true, model: ready, generating: false, stats: { ...stats, prefillMs: undefined, tokensPerSecond: undefined } });
  assert.match(plain.tooltip, /\n\nLast suggestion: 85 ms \(debounce 75 ms, 900 prompt tokens\), 12 tokens\n\n/);
  assert.doesNotMatch(plain.tooltip, /Backend:|fill-in-the-middle/);
  assert.equal(statusView({ enabled: true, model: ready, generating: false, stats: { ...stats, reusedTokens: undefined } }).tooltip.includes(', 900 prompt tokens)'), true);
});

test('times of a second or more are in seconds with one decimal, below in whole milliseconds', () => {
  const at = (latencyMs: number) => statusView({ enabled: true, model: ready, generating: false, stats: { ...stats, latencyMs, tokensPerSecond: undefined } }).text;
  assert.equal(at(999.4), '$(sparkle) Tealeaf · wasm · 999 ms');
  assert.equal(at(1000), '$(sparkle) Tealeaf · wasm · 1.0 s');
  assert.equal(at(0.4), '$(sparkle) Tealeaf · wasm · 0 ms');
});

test('every Markdown character of a path or message is shown literally', () => {
  const text = '\\`*_{}[]()#+-.!|<>';
  const tooltip = statusView({ enabled: true, model: { status: 'error', message: text }, generating: false }).tooltip;
  assert.ok(tooltip.includes(`Model error: ${[...text].map((c) => `\\${c}`).join('')}\n`), tooltip);
});

test('the tooltip of a ready model without fill-in-the-middle or a backend reason says neither', () => {
  const view = statusView({ enabled: true, model: ready, generating: false });
  assert.deepEqual(view.tooltip.split('\n\n'), [
    '**Tealeaf inline completions**: on',
    'Model: tealeaf\\-code (llama, 2 layers, wasm)',
    'File: onnx/model\\.onnx (fp32): auto: fp32 is the fastest on wasm of the files present \\(fp32\\)',
    'Click for the menu',
  ]);
});
