// LocalEngine behaviour on the tiny-llama fixture: sampling parameters, stop rules, abort,
// attention extraction (full, rows-only, selected heads, truncation) and captured generation attention.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAbortError } from '../../../src/engine/errors';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import type { Engine, EngineHost } from '../../../src/engine/types';
import { decoderGoldens, modelDir } from './helpers';
import { flatData } from '../../blocks';

const MODEL = 'tiny-llama';
const golden = decoderGoldens().find((g) => g.name === MODEL)?.golden;

function rowSums(data: Float32Array, keys: number): number[] {
  const sums: number[] = [];
  for (let i = 0; i < data.length; i += keys) sums.push(data.subarray(i, i + keys).reduce((a, b) => a + b, 0));
  return sums;
}

describe('LocalEngine', () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost();
    engine = await host.load(modelDir(MODEL), { threads: 1 });
  });
  after(async () => host.dispose());

  it('describes the model', () => {
    assert.equal(engine.info.kind, 'decoder');
    assert.equal(engine.info.modelType, 'llama');
    assert.equal(engine.info.hasAttentionOutputs, true);
    assert.ok(engine.info.kvHeads < engine.info.heads, 'the fixture uses grouped-query attention');
  });

  it('generates the golden greedy tokens from the prompt text', async () => {
    assert.ok(golden);
    const result = await engine.generate({ prompt: golden.prompt, maxNewTokens: 8, reusePrefix: false });
    // The tiny-llama golden encodes its prompt with BOS, as the engine does: the same prompt ids.
    assert.equal(golden.add_special_tokens, true);
    assert.equal(result.tokens.length, 8);
    assert.deepEqual(result.tokens, golden.greedy_tokens.slice(0, 8));
    assert.equal(result.promptTokens, golden.prompt_ids.length);
  });

  it('seeded sampling is reproducible and temperature changes the output', async () => {
    const run = (seed: number, temperature = 1.5) =>
      engine.generate({ prompt: 'def f(x):', maxNewTokens: 12, sampling: { temperature, seed, topK: 50 }, reusePrefix: false });
    const a = await run(1);
    const b = await run(1);
    assert.deepEqual(a.tokens, b.tokens);
    const others = await Promise.all([2, 3, 4].map((s) => run(s)));
    assert.ok(others.some((o) => o.tokens.join() !== a.tokens.join()), 'different seeds give different samples');
  });

  it('respects maxNewTokens and stop strings', async () => {
    const free = await engine.generate({ prompt: 'import os\n', maxNewTokens: 16, reusePrefix: false });
    assert.equal(free.tokens.length, 16);
    assert.equal(free.finishReason, 'length');
    const stopAt = free.text.slice(4, 6);
    assert.equal(stopAt.length, 2, `16 free tokens give at least 6 characters: ${JSON.stringify(free.text)}`);
    const stopped = await engine.generate({ prompt: 'import os\n', maxNewTokens: 16, stop: [stopAt] });
    assert.equal(stopped.finishReason, 'stop');
    assert.equal(stopped.text, free.text.slice(0, free.text.indexOf(stopAt)));
    assert.ok(!stopped.text.includes(stopAt));
    assert.ok(stopped.tokens.length < free.tokens.length);
  });

  it('abort stops within one step and returns what was generated', async () => {
    const controller = new AbortController();
    const streamed: number[] = [];
    const result = await engine.generate(
      { prompt: 'class A:', maxNewTokens: 50, reusePrefix: false },
      {
        signal: controller.signal,
        onToken: (t) => {
          streamed.push(t.id);
          if (streamed.length === 3) controller.abort();
        },
      },
    );
    assert.equal(result.finishReason, 'aborted');
    assert.equal(streamed.length, 3, 'no token was produced after the abort');
    assert.deepEqual(result.tokens, streamed);
    // An already-aborted signal never starts.
    await assert.rejects(engine.generate({ prompt: 'x' }, { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
  });

  it('attention rows are distributions over the causal prefix, with one stats entry per head', async () => {
    const result = await engine.attention({ text: 'for i in range(10):\n    print(i)' });
    const { attention, tokens } = result;
    assert.equal(attention.layers.length, engine.info.layers);
    assert.equal(attention.heads.length, engine.info.heads);
    assert.equal(attention.keys, tokens.length);
    for (const sum of rowSums(flatData(attention), attention.keys)) assert.ok(Math.abs(sum - 1) < 1e-5, `row sums to ${sum}`);
    // Causal: nothing attends to the future.
    const t = tokens.length;
    for (let q = 0; q < t; q++) for (let k = q + 1; k < t; k++) assert.equal(attention.layerData[0]![q * t + k], 0);
    assert.equal(result.stats.length, engine.info.layers * engine.info.heads);
  });

  it('rows-only and selected-heads requests return exactly the slice of the full tensor', async () => {
    const text = 'let total = a + b; // sum';
    const full = await engine.attention({ text });
    const t = full.attention.keys;
    const part = await engine.attention({ text, layers: [1], heads: [2, 0], rows: [t - 1, 0], withStats: false });
    assert.deepEqual(part.attention.layers, [1]);
    assert.equal(flatData(part.attention).length, 2 * 2 * t);
    assert.deepEqual(part.stats, []);
    const H = engine.info.heads;
    const expected = [2, 0].flatMap((h) => [t - 1, 0].flatMap((q) => Array.from(flatData(full.attention).subarray(((1 * H + h) * t + q) * t, ((1 * H + h) * t + q + 1) * t))));
    assert.deepEqual(Array.from(flatData(part.attention)), expected);
  });

  it('long texts are cut from the left to maxTokens, with offsets into the original text', async () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu';
    const result = await engine.attention({ text, maxTokens: 6 });
    assert.ok(result.tokens.length <= 6);
    assert.ok(result.truncatedTokens > 0);
    assert.ok(result.textOffset > 0);
    for (const token of result.tokens) assert.equal(text.slice(token.start, token.end).length, token.end - token.start);
    const last = result.tokens[result.tokens.length - 1];
    assert.equal(last?.end, text.length);
  });

  it('captures the attention of generated tokens over their context', async () => {
    const prompt = 'def add(a, b):\n    return';
    const result = await engine.generate({ prompt, maxNewTokens: 5, captureAttention: true, reusePrefix: false });
    assert.ok(result.attentionId !== undefined);
    const captured = await engine.generationAttention(result.attentionId);
    assert.ok(captured);
    assert.equal(captured.generatedTokens.length, result.tokens.length);
    assert.equal(captured.attention.keys, result.promptTokens + result.tokens.length);
    assert.equal(captured.contextText, prompt);
    const { keys } = captured.attention;
    const data = flatData(captured.attention);
    const sums = rowSums(data, keys);
    for (const sum of sums) assert.ok(Math.abs(sum - 1) < 1e-5);
    // Row i sees prompt + i keys and no more.
    const rows = result.tokens.length;
    for (let i = 0; i < rows; i++) {
      const row = data.subarray(i * keys, (i + 1) * keys);
      assert.ok(row.subarray(result.promptTokens + i).every((v) => v === 0));
    }
    assert.equal(await engine.generationAttention(result.attentionId + 1000), undefined);
  });

  it('a decoder model refuses to translate with a clear error', async () => {
    await assert.rejects(engine.translate({ text: 'hi', from: 'en', to: 'de' }), /decoder-only/);
  });
});

describe('LocalEngine on an export without attention outputs', () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost();
    engine = await host.load(modelDir('hub-smollm2'), { threads: 1 });
  });
  after(async () => host.dispose());

  it('explains a suggestion from one attention pass: row i is position prompt + i − 1 over prompt + i keys', async () => {
    assert.equal(engine.info.attentionSource, 'surgery');
    const prompt = 'def add(a, b):\n    return';
    const result = await engine.generate({ prompt, maxNewTokens: 4, captureAttention: true, reusePrefix: false });
    assert.equal(result.tokens.length, 4);
    const explained = await engine.generationAttention(result.attentionId as number);
    assert.ok(explained);
    const { keys } = explained.attention;
    assert.equal(keys, result.promptTokens + 4);
    assert.deepEqual(explained.attention.rows, [0, 1, 2, 3]);
    assert.equal(explained.attention.layerData.length, engine.info.layers);
    const data = flatData(explained.attention); // [layers, heads, rows, keys]
    for (const sum of rowSums(data, keys)) assert.ok(Math.abs(sum - 1) < 1e-5, `row sum ${sum}`);
    for (let r = 0; r < data.length / keys; r++) {
      const i = r % 4;
      const row = data.subarray(r * keys, (r + 1) * keys);
      assert.ok(row.subarray(result.promptTokens + i).every((v) => v === 0), `row ${i} sees no key past prompt + ${i}`);
      assert.ok((row[result.promptTokens + i - 1] as number) > 0, `row ${i} sees its own position`);
    }
    // Row 0 is the prompt's last row of the inspector's own pass.
    const inspected = await engine.attention({ text: prompt, layers: [0], heads: [0], withStats: false });
    const lastRow = inspected.attention.layerData[0]!.subarray((result.promptTokens - 1) * result.promptTokens);
    assert.ok(maxDiff(lastRow, data.subarray(0, result.promptTokens)) < 1e-6);
  });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

describe('LocalEngine translating with an export without attention outputs', () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost();
    engine = await host.load(modelDir('hub-opus-mt-en-de'), { threads: 1 });
  });
  after(async () => host.dispose());

  it('shows the cross-attention of a translation from one decoder pass, and the encoder in the inspector', async () => {
    assert.equal(engine.info.attentionSource, 'surgery');
    const result = await engine.translate({ text: 'The file could not be opened.', from: 'en', to: 'de', captureAttention: true, maxLengthOffset: 4 });
    assert.ok(result.tokens.length > 0);
    const shown = await engine.translationAttention(result.attentionId as number);
    assert.ok(shown);
    const { cross } = shown;
    assert.equal(cross.keys, shown.sourceTokens.length);
    assert.equal(cross.rows.length, result.tokens.length);
    assert.equal(cross.layerData.length, engine.info.decoderLayers);
    for (const sum of rowSums(flatData(cross), cross.keys)) assert.ok(Math.abs(sum - 1) < 1e-4, `row sum ${sum}`);
    assert.equal(shown.decoderSelf?.rows.length, result.tokens.length);
    const inspected = await engine.attention({ text: 'The file could not be opened.' });
    assert.equal(inspected.kind, 'encoder');
    assert.equal(inspected.attention.layerData.length, engine.info.layers);
  });
});
