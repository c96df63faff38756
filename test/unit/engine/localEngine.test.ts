// LocalEngine behaviour on the tiny-llama fixture: sampling parameters, stop rules, abort,
// attention extraction (full, rows-only, selected heads, truncation) and captured generation attention.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { DeviceLostError, isAbortError, ModelError, UnsupportedError } from '../../../src/engine/errors';
import { LocalEngine } from '../../../src/engine/localEngine';
import type { Runtime } from '../../../src/engine/onnx';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { DEVICE_LOST_MESSAGE, fakeWebGpu, scriptedOpenSession } from './fakeGpu';
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

  it('refuses to complete text with a clear error', async () => {
    await assert.rejects(engine.generate({ prompt: 'The file' }), (e: unknown) => e instanceof UnsupportedError && /hub-opus-mt-en-de is an encoder-decoder model: it translates/.test(e.message));
  });
});

/**
 * What the scripted runtime does and saw: sessions opened and released, runs of any session, and
 * generation passes (those that fetch present.*) to fail, after `failAfter` more passes succeed.
 */
interface Script {
  opens: number;
  releases: number;
  runs: number;
  failAfter: number | undefined;
  failures: number;
  failWith: string;
  refuseOpen: boolean;
  lost: boolean;
  /** Called as each generation pass starts. */
  onGenerationRun?: () => void;
}

function newScript(): Script {
  return { opens: 0, releases: 0, runs: 0, failAfter: undefined, failures: 0, failWith: 'boom', refuseOpen: false, lost: false };
}

/** WASM sessions behind openSession; on 'webgpu' a fake device whose loss the script decides. */
function scriptedRuntime(script: Script, backend: 'wasm' | 'webgpu'): Runtime {
  const gpu = fakeWebGpu(script);
  const openSession = scriptedOpenSession({
    beforeOpen: () => {
      if (script.refuseOpen) throw new Error('no adapter');
      script.opens++;
    },
    beforeRun: (fetches) => {
      script.runs++;
      const generating = Array.isArray(fetches) && fetches.some((name) => String(name).startsWith('present.') || name === 'logits');
      if (generating) script.onGenerationRun?.();
      if (generating && script.failAfter !== undefined && script.failures > 0) {
        if (script.failAfter === 0) {
          script.failures--;
          throw new Error(script.failWith);
        }
        script.failAfter--;
      }
    },
    onRelease: () => void script.releases++,
  });
  return backend === 'webgpu' ? { ort, backend, gpu, openSession } : { ort, backend, openSession };
}

async function loadScripted(model: string, script: Script, backend: 'wasm' | 'webgpu'): Promise<LocalEngine> {
  return LocalEngine.load(await NodeModelFiles.open(modelDir(model)), scriptedRuntime(script, backend), model, { dtype: 'fp32' });
}

describe('LocalEngine requests: defaults, budgets and ids', () => {
  let engine: LocalEngine;
  before(async () => {
    engine = await loadScripted(MODEL, newScript(), 'wasm');
  });
  after(async () => engine.dispose());

  it('reuses the cached prompt prefix by default (useKvCache and reusePrefix default to on)', async () => {
    const prompt = 'def mean(values):\n    total =';
    await engine.generate({ prompt, maxNewTokens: 2 });
    const again = await engine.generate({ prompt, maxNewTokens: 2 });
    // All of the prompt but its last token comes from the cache of the first request.
    assert.equal(again.reusedTokens, again.promptTokens - 1);
  });

  it('an already-aborted request keeps the cache for the next one', async () => {
    const prompt = 'while queue:\n    item = queue.pop()';
    await engine.generate({ prompt, maxNewTokens: 2 });
    await assert.rejects(engine.generate({ prompt, maxNewTokens: 2 }, { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
    const afterAbort = await engine.generate({ prompt, maxNewTokens: 2 });
    assert.equal(afterAbort.reusedTokens, afterAbort.promptTokens - 1, 'an abort leaves the cache valid');
  });

  it('cuts the prompt from the left to leave room for maxNewTokens within maxPositions', async () => {
    const max = engine.info.maxPositions;
    const prompt = Array.from({ length: 200 }, (_, i) => `x${i} = ${i}`).join('\n');
    assert.ok((await engine.tokenize(prompt)).length > max, 'the prompt alone is longer than the context');
    const result = await engine.generate({ prompt, maxNewTokens: 6, reusePrefix: false });
    assert.equal(result.promptTokens, max - 6);
    assert.equal(result.tokens.length, 6);
  });

  it('gives no attention id unless captureAttention asks for one', async () => {
    const plain = await engine.generate({ prompt: 'x = 1', maxNewTokens: 2 });
    assert.equal('attentionId' in plain, false);
    const first = await engine.generate({ prompt: 'x = 1', maxNewTokens: 2, captureAttention: true });
    const second = await engine.generate({ prompt: 'x = 2', maxNewTokens: 2, captureAttention: true });
    assert.ok(first.attentionId !== undefined && second.attentionId !== undefined);
    assert.notEqual(first.attentionId, second.attentionId);
    // Only the latest generation is kept: the earlier id is no longer served.
    assert.equal(await engine.generationAttention(first.attentionId), undefined);
    assert.equal((await engine.generationAttention(second.attentionId))?.id, second.attentionId);
  });

  it('describes the fixture: its ONNX file, no attention excuse, no FIM tokens', () => {
    assert.deepEqual(engine.info.onnxFiles, ['onnx/model.onnx']);
    assert.equal('attentionWhy' in engine.info, false, 'the export has attention outputs');
    assert.equal(engine.info.fim, undefined);
  });
});

describe('LocalEngine on a model without BOS (tiny-gpt2)', () => {
  let engine: LocalEngine;
  before(async () => {
    engine = await loadScripted('tiny-gpt2', newScript(), 'wasm');
  });
  after(async () => engine.dispose());

  it('a maxNewTokens past the context is cut to maxPositions − 1, leaving one prompt token', async () => {
    const max = engine.info.maxPositions;
    const result = await engine.generate({ prompt: 'import sys\nprint(sys.argv)', maxNewTokens: 10 * max, reusePrefix: false });
    assert.equal(result.promptTokens, 1);
    assert.equal(result.finishReason, 'length', 'the fixture writes no EOS from this prompt');
    assert.equal(result.tokens.length, max - 1);
  });

  it('an empty prompt or text is refused by name: no BOS makes it no tokens', async () => {
    await assert.rejects(engine.generate({ prompt: '' }), (e: unknown) => e instanceof ModelError && e.message === 'the prompt encodes to no tokens');
    await assert.rejects(engine.attention({ text: '' }), (e: unknown) => e instanceof ModelError && e.message === 'the text encodes to no tokens');
  });
});

describe('LocalEngine on scripted sessions (tiny-llama)', () => {
  const prompt = 'def add(a, b):\n    return';

  it('a request that fails drops the cache, so the next one prefills its prompt again', async () => {
    const script = newScript();
    const engine = await loadScripted(MODEL, script, 'wasm');
    try {
      await engine.generate({ prompt, maxNewTokens: 3 });
      script.failAfter = 1; // the first pass succeeds, the second fails
      script.failures = 1;
      await assert.rejects(engine.generate({ prompt, maxNewTokens: 3 }), /boom/);
      // The failed run may have left the cache half-written: it is not trusted.
      assert.equal((await engine.generate({ prompt, maxNewTokens: 3 })).reusedTokens, 0);
      // Nor after a failure of a request that ran without the cache: after any failure the
      // session's state is unknown, so the next request starts from an empty cache.
      script.failAfter = 1;
      script.failures = 1;
      await assert.rejects(engine.generate({ prompt, maxNewTokens: 3, useKvCache: false }), /boom/);
      assert.equal((await engine.generate({ prompt, maxNewTokens: 3 })).reusedTokens, 0);
    } finally {
      await engine.dispose();
    }
  });

  it('captured attention is explained from the rows kept while generating: no second pass', async () => {
    const script = newScript();
    const engine = await loadScripted(MODEL, script, 'wasm');
    try {
      const result = await engine.generate({ prompt, maxNewTokens: 3, captureAttention: true, reusePrefix: false });
      const runs = script.runs;
      const explained = await engine.generationAttention(result.attentionId as number);
      assert.equal(explained?.generatedTokens.length, 3);
      assert.equal(script.runs, runs, 'no session ran for the explanation');
    } finally {
      await engine.dispose();
    }
  });

  it('a generation aborted during its prefill has no tokens and so no attention id', async () => {
    const script = newScript();
    const engine = await loadScripted(MODEL, script, 'wasm');
    try {
      // Over one prefill chunk (128 tokens): the abort is seen between the first chunk and the rest.
      const long = Array.from({ length: 25 }, (_, i) => `y${i} = ${i}`).join('\n');
      const tokens = (await engine.tokenize(long)).length;
      assert.ok(tokens > 128 && tokens < engine.info.maxPositions - 3, `${tokens} tokens`);
      const controller = new AbortController();
      script.onGenerationRun = () => controller.abort();
      const result = await engine.generate({ prompt: long, maxNewTokens: 3, captureAttention: true }, { signal: controller.signal });
      assert.equal(result.finishReason, 'aborted');
      assert.deepEqual(result.tokens, []);
      assert.equal('attentionId' in result, false, 'nothing was generated to explain');
    } finally {
      await engine.dispose();
    }
  });

  it('an attention request stops at its signal', async () => {
    const engine = await loadScripted(MODEL, newScript(), 'wasm');
    try {
      await assert.rejects(engine.attention({ text: prompt }, { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
    } finally {
      await engine.dispose();
    }
  });

  it('dispose releases every session it opened', async () => {
    const script = newScript();
    const engine = await loadScripted(MODEL, script, 'wasm');
    await engine.generate({ prompt, maxNewTokens: 2 });
    assert.ok(script.opens > 0);
    assert.equal(script.releases, 0);
    await engine.dispose();
    assert.equal(script.releases, script.opens);
  });

  it('a device lost while streaming replays without streaming the tokens already sent again', async () => {
    const script = newScript();
    const engine = await loadScripted(MODEL, script, 'webgpu');
    try {
      const request = { prompt, maxNewTokens: 8, reusePrefix: false };
      const reference = (await engine.generate(request)).tokens;
      script.failWith = DEVICE_LOST_MESSAGE;
      script.failAfter = 4; // prefill and three decoding steps: three tokens streamed, then the loss
      script.failures = 1;
      const streamed: number[] = [];
      const result = await engine.generate(request, { onToken: (t) => streamed.push(t.id) });
      assert.equal(script.failures, 0, 'the device was lost once');
      assert.deepEqual(result.tokens, reference);
      assert.deepEqual(streamed, reference, 'each token streamed once, in order');
    } finally {
      await engine.dispose();
    }
  });

  it('a device that cannot be reopened makes every later request a DeviceLostError', async () => {
    const script = newScript();
    const engine = await loadScripted(MODEL, script, 'webgpu');
    script.lost = true;
    script.refuseOpen = true;
    const lost = (e: unknown) => e instanceof DeviceLostError && /could not be opened on a new one: .*no adapter/.test(e.message);
    await assert.rejects(engine.generate({ prompt }), lost);
    script.refuseOpen = false; // even a GPU that would open now is not tried again: the host moves on
    await assert.rejects(engine.generate({ prompt }), lost);
    await engine.dispose();
  });
});

describe('LocalEngine on a model with FIM tokens (fused-qwen2-gqa-variants)', () => {
  let engine: LocalEngine;
  before(async () => {
    engine = await loadScripted('fused-qwen2-gqa-variants', newScript(), 'wasm');
  });
  after(async () => engine.dispose());

  it('describes the model from its config: architecture, sliding window, FIM tokens', () => {
    assert.equal(engine.info.architecture, 'Qwen2ForCausalLM');
    assert.equal(engine.info.slidingWindow, 8);
    assert.deepEqual(engine.info.fim, { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' });
  });

  it('a suffix makes a prefix-suffix-middle prompt; without one the prompt is the text alone', async () => {
    const prefix = 'def area(r):\n    return ';
    const suffix = '\n\nprint(area(2))';
    const fim = await engine.generate({ prompt: prefix, suffix, maxNewTokens: 1, reusePrefix: false });
    const psm = await engine.tokenize(`<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`);
    assert.equal(fim.promptTokens, psm.length);
    const plain = await engine.generate({ prompt: prefix, maxNewTokens: 1, reusePrefix: false });
    assert.equal(plain.promptTokens, (await engine.tokenize(prefix)).length);
  });
});

describe('LocalEngine loading options', () => {
  it('names the draft model by its folder', async () => {
    const files = await NodeModelFiles.open(modelDir(MODEL));
    // A folder given with a trailing separator (a webview's folder URI may end in one).
    const draftFiles = await NodeModelFiles.open(modelDir(MODEL));
    const trailing = new Proxy(draftFiles, {
      get(target, property) {
        if (property === 'location') return `${target.location}/`;
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const draft = { files: trailing };
    const engine = await LocalEngine.load(files, { ort, backend: 'wasm' }, MODEL, { dtype: 'fp32', draft });
    try {
      assert.equal(engine.info.draftModel, MODEL);
    } finally {
      await engine.dispose();
    }
  });

  it('an inspector load opens the attention session alone: the weights are held once', async () => {
    const script = newScript();
    const engine = await LocalEngine.load(await NodeModelFiles.open(modelDir('hub-smollm2')), scriptedRuntime(script, 'wasm'), 'hub-smollm2', { purpose: 'inspector' });
    try {
      const shown = await engine.attention({ text: 'x = 1', withStats: false });
      assert.equal(shown.attention.layers.length, engine.info.layers);
      assert.equal(script.opens, 1, 'no generation session was opened');
    } finally {
      await engine.dispose();
    }
  });

  it('a file that quantizes activations per pass says why it decodes without speculation', async () => {
    const model = 'hub-qwen2.5-coder';
    const engine = await LocalEngine.load(await NodeModelFiles.open(modelDir(model)), { ort, backend: 'wasm' }, model);
    try {
      assert.equal(engine.info.dtype, 'q8');
      assert.match(engine.info.speculationUnavailable ?? '', /^hub-qwen2\.5-coder \(onnx\/model_quantized\.onnx\) quantizes activations with one scale per pass/);
    } finally {
      await engine.dispose();
    }
  });

  it('a webgpu runtime without a device of its own takes navigator.gpu, which Node lacks', async () => {
    const runtime: Runtime = { ...scriptedRuntime(newScript(), 'wasm'), backend: 'webgpu' };
    await assert.rejects(LocalEngine.load(await NodeModelFiles.open(modelDir(MODEL)), runtime, MODEL, { dtype: 'fp32' }), /no navigator\.gpu/);
  });

  it('loads the dtype asked for rather than the backend default', async () => {
    const model = 'hub-qwen2.5-coder';
    const engine = await LocalEngine.load(await NodeModelFiles.open(modelDir(model)), { ort, backend: 'wasm' }, model, { dtype: 'fp32' });
    try {
      assert.equal(engine.info.dtype, 'fp32');
      assert.deepEqual(engine.info.onnxFiles, ['onnx/model.onnx']);
    } finally {
      await engine.dispose();
    }
  });
});
