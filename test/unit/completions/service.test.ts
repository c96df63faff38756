import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { AbortError, InferenceError } from '../../../src/engine/errors';
import type { Engine, GenerateResult } from '../../../src/engine/types';
import type { Sleep } from '../../../src/completions/scheduler';
import { CompletionService, type CompletionRequest, type Suggestion } from '../../../src/completions/service';
import { DEFAULT_SETTINGS, type CompletionSettings } from '../../../src/completions/settings';
import { fakeInfo, fakeTokenize, HashChainEngine, OracleEngine, type FakeTiming } from './fakeEngine';

/** A real source file is the text being typed. */
// Typed text: a frozen copy of a source (see test/fixtures/text/README.md).
const SOURCE = readFileSync(path.join(__dirname, '../../fixtures/text/scheduler.ts.txt'), 'utf8');

function settings(overrides: Partial<CompletionSettings> = {}): CompletionSettings {
  return { ...DEFAULT_SETTINGS, debounceMs: 0, contextTokens: 256, maxTokens: 64, ...overrides };
}

/** A debounce clock the test moves: waits end when it says so (or when their request is aborted). */
class ManualClock {
  time = 1000;
  readonly waits: number[] = [];
  private readonly pending: { ms: number; resolve: (elapsed: boolean) => void }[] = [];
  readonly now = (): number => this.time;
  readonly sleep: Sleep = (ms, signal) =>
    new Promise((resolve) => {
      this.waits.push(ms);
      this.pending.push({ ms, resolve });
      signal?.addEventListener('abort', () => resolve(false), { once: true });
    });
  /** Ends every wait begun so far, the clock moving on by the longest. */
  async elapse(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const due = this.pending.splice(0);
    this.time += Math.max(0, ...due.map((w) => w.ms));
    for (const w of due) w.resolve(true);
  }
}

/** An engine over `oracle` whose generate the test rewraps (results, token stream, failures). */
function wrapped(oracle: Engine, generate: Engine['generate']): Engine {
  const engine: Engine = Object.create(oracle) as Engine;
  engine.generate = generate;
  return engine;
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The document while the user types [start, end) of `final`: typed part + untouched rest. */
function requestAt(final: string, cursor: number, end: number, signal?: AbortSignal): CompletionRequest {
  return {
    documentKey: 'file:///typed.ts',
    windowStart: 0,
    before: final.slice(0, cursor),
    after: final.slice(end),
    ...(signal ? { signal } : {}),
  };
}

/** What the oracle model must suggest at `cursor` (single line): the rest of that line of `final`. */
function expectedAt(final: string, cursor: number, maxTokens: number): string {
  const heal = /[ \t]+$/.exec(final.slice(final.lastIndexOf('\n', cursor - 1) + 1, cursor))?.[0] ?? '';
  const generated = fakeTokenize(final.slice(cursor - heal.length))
    .slice(0, maxTokens)
    .map((t) => t.text)
    .join('');
  const line = generated.slice(heal.length).split('\n')[0] ?? '';
  return line.replace(/[ \t\r]+$/, '');
}

function region(final: string, length: number): { start: number; end: number } {
  const start = final.lastIndexOf('\n', Math.floor(final.length * 0.3)) + 1;
  const end = final.indexOf('\n', start + length);
  return { start, end };
}

const storms = [
  { onAbort: 'throw', useCache: true, debounceMs: 0, seed: 1 },
  { onAbort: 'resolve', useCache: true, debounceMs: 0, seed: 2 },
  { onAbort: 'throw', useCache: false, debounceMs: 2, seed: 3 },
  { onAbort: 'resolve', useCache: false, debounceMs: 2, seed: 4 },
] as const;

for (const { onAbort, useCache, debounceMs, seed } of storms) {
  test(`typing storm (engine ${onAbort}s on abort, cache ${useCache ? 'on' : 'off'}, debounce ${debounceMs} ms): 1,000 keystrokes, ≤ 1 generation in flight, every promise settles, no stale result`, async () => {
    const timing: FakeTiming = { decodeMs: 0, prefillMsPerToken: 0, onAbort };
    const engine = new OracleEngine(SOURCE, timing);
    const current = settings({ debounceMs });
    const service = new CompletionService({ engine: () => engine, settings: () => current, useCache });
    const random = prng(seed);
    const { start, end } = region(SOURCE, 700);

    let cursor = start;
    let latest = -1;
    let maxServiceInFlight = 0;
    const failures: string[] = [];
    const shown: { i: number; suggestion: Suggestion }[] = [];
    const settled: Promise<void>[] = [];
    let vscodeToken: AbortController | undefined;

    for (let i = 0; i < 1000; i++) {
      // Mostly typing forward, sometimes a backspace; the text stays a prefix of the file.
      cursor = random() < 0.12 && cursor > start ? cursor - 1 : Math.min(cursor + 1, end);
      // VS Code usually cancels the previous request's token; sometimes not yet.
      if (random() < 0.6) vscodeToken?.abort();
      vscodeToken = new AbortController();
      latest = i;
      const at = cursor;
      const expected = expectedAt(SOURCE, at, current.maxTokens);
      settled.push(
        service.complete(requestAt(SOURCE, at, end, vscodeToken.signal)).then((suggestion) => {
          if (!suggestion) return;
          if (latest !== i) failures.push(`stale: result of keystroke ${i} delivered after keystroke ${latest}`);
          const ok =
            suggestion.text === expected || (suggestion.source === 'cache' && expected.startsWith(suggestion.text));
          if (!ok) failures.push(`keystroke ${i}: got ${JSON.stringify(suggestion.text)}, expected ${JSON.stringify(expected)}`);
          shown.push({ i, suggestion });
        }),
      );
      maxServiceInFlight = Math.max(maxServiceInFlight, service.inFlight);
      const pause = random();
      if (pause < 0.5) await new Promise((resolve) => setImmediate(resolve));
      else if (pause < 0.9) await new Promise((resolve) => setTimeout(resolve, 1));
      else await new Promise((resolve) => setTimeout(resolve, 5)); // a pause long enough to finish
    }

    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
    assert.notEqual(await Promise.race([Promise.all(settled).then(() => 'ok' as const), timeout]), 'timeout');
    assert.deepEqual(failures, []);
    assert.ok(engine.maxInFlight <= 1, `engine saw ${engine.maxInFlight} generations at once`);
    assert.ok(maxServiceInFlight <= 1);
    assert.equal(engine.inFlight, 0);
    assert.equal(service.inFlight, 0);
    // The storm is not answered by silence: suggestions were shown, from both paths. (How many
    // depends on how late the machine's timers fire against the 2 ms debounce: not asserted.)
    assert.ok(engine.results.some((r) => r.finishReason === 'aborted') || onAbort === 'throw' || !useCache);
    assert.equal(shown.some((s) => s.suggestion.source === 'cache'), useCache);
    assert.ok(shown.some((s) => s.suggestion.source === 'generation'));
    // The last keystroke got its suggestion exactly when the model has one for it.
    assert.equal(shown.at(-1)?.i === 999, expectedAt(SOURCE, cursor, current.maxTokens) !== '', 'the last keystroke');
    assert.ok(engine.requests.length < 1000, `${engine.requests.length} generations for 1,000 keystrokes`);
    service.dispose();
  });
}

test('prefix reuse yields the same tokens and suggestions as cold runs, while prefilling far less', async () => {
  const warm = new HashChainEngine();
  const cold = new HashChainEngine();
  const current = settings({ contextTokens: 1024, maxTokens: 24 });
  const withReuse = new CompletionService({ engine: () => warm, settings: () => current, useCache: false });
  const without = new CompletionService({ engine: () => cold, settings: () => current, useCache: false, reusePrefix: false });
  const long = SOURCE.repeat(3);
  const start = long.indexOf('\n', 5000) + 1;
  for (let cursor = start; cursor < start + 200; cursor++) {
    const request = requestAt(long, cursor, cursor);
    const a = await withReuse.complete(request);
    const b = await without.complete(request);
    assert.equal(a?.text, b?.text, `suggestion at ${cursor}`);
  }
  // A generation that cannot fit the cursor is stopped early (heal mismatch): no result either way.
  assert.equal(warm.results.length, cold.results.length);
  assert.ok(warm.results.length > 150);
  assert.deepEqual(
    warm.results.map((r) => r.tokens),
    cold.results.map((r) => r.tokens),
  );
  assert.deepEqual(
    warm.requests.map((r) => r.prompt),
    cold.requests.map((r) => r.prompt),
  );
  const prompt = warm.results.reduce((n, r) => n + r.promptTokens, 0);
  const reused = warm.results.reduce((n, r) => n + r.reusedTokens, 0);
  assert.ok(reused / prompt > 0.9, `reused ${((100 * reused) / prompt).toFixed(1)}% of prompt tokens`);
  assert.ok(warm.results.some((r) => r.promptTokens > 700), 'contexts reach the 1,000-token scale');
  assert.equal(cold.results.reduce((n, r) => n + r.reusedTokens, 0), 0);
  assert.ok(warm.computedPositions * 10 < cold.computedPositions);
});

test('typing the characters of a shown suggestion shows its rest without a new generation', async () => {
  const final = 'function area(r) {\n  return Math.PI * r * r;\n}\n';
  const engine = new OracleEngine(final);
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const cursor = final.indexOf('return');
  const first = await service.complete(requestAt(final, cursor, final.indexOf('\n}')));
  assert.equal(first?.text, 'return Math.PI * r * r;');
  assert.equal(first?.source, 'generation');
  const generations = engine.requests.length;
  for (let typed = 1; typed < 'return Math.PI * r * r;'.length; typed++) {
    const next = await service.complete(requestAt(final, cursor + typed, final.indexOf('\n}')));
    assert.equal(next?.source, 'cache');
    assert.equal(next?.text, 'return Math.PI * r * r;'.slice(typed));
  }
  assert.equal(engine.requests.length, generations);
  // The shown completion keeps the generation's attention id for "why this suggestion?".
  const shown = service.lastShownCompletion();
  assert.equal(shown?.shownText, ';');
  assert.ok(shown?.completion.attentionId !== undefined);
  assert.ok(await engine.generationAttention(shown.completion.attentionId));
});

test('indentation before the cursor is healed: the suggestion does not repeat it', async () => {
  const final = 'if (ok) {\n    launch();\n}\n';
  const engine = new OracleEngine(final);
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const cursor = final.indexOf('launch');
  const suggestion = await service.complete(requestAt(final, cursor, final.indexOf('\n}')));
  assert.equal(suggestion?.text, 'launch();');
  assert.equal(engine.requests[0]?.prompt, 'if (ok) {\n');
});

test('multi-line: a block is suggested up to its close, and the generation is stopped there', async () => {
  const final = 'function f(x) {\n  if (x) {\n    go(x);\n  }\n  return x;\n}\n' + 'const pad = 1;\n'.repeat(50);
  for (const onAbort of ['throw', 'resolve'] as const) {
    const engine = new OracleEngine(final, { onAbort });
    const service = new CompletionService({ engine: () => engine, settings: () => settings({ multiline: true, maxTokens: 200 }) });
    const cursor = final.indexOf('if (x)');
    const suggestion = await service.complete({ documentKey: 'k', windowStart: 0, before: final.slice(0, cursor), after: '' });
    assert.equal(suggestion?.text, 'if (x) {\n    go(x);\n  }');
    assert.ok(engine.tokensEmitted < 40, `${engine.tokensEmitted} tokens: stopped at the rule, not at maxTokens`);
    assert.equal(engine.requests[0]?.maxNewTokens, 200);
  }
});

test('single line by default; what follows the cursor is not repeated', async () => {
  const final = 'const total = sum(values) + 1;\nnext();\n';
  const engine = new OracleEngine(final);
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const cursor = final.indexOf('values');
  // The document already holds ") + 1;" after the cursor: the suggestion stops before it.
  const suggestion = await service.complete({
    documentKey: 'k',
    windowStart: 0,
    before: final.slice(0, cursor),
    after: ') + 1;\nnext();\n',
  });
  assert.equal(suggestion?.text, 'values');
  assert.ok(engine.requests[0]?.stop?.includes(') + 1;'));
});

test('no engine (model not ready): undefined, no generation; an aborted request: undefined', async () => {
  const service = new CompletionService({ engine: () => undefined, settings: () => settings() });
  assert.equal(await service.complete(requestAt('abc', 1, 1)), undefined);
  const engine = new OracleEngine('abc def');
  const ready = new CompletionService({ engine: () => engine, settings: () => settings() });
  const controller = new AbortController();
  controller.abort();
  assert.equal(await ready.complete(requestAt('abc def', 3, 3, controller.signal)), undefined);
  assert.equal(engine.requests.length, 0);
});

test('a failing engine: every request settles to undefined and the error is reported once', async () => {
  let fail = true;
  const oracle = new OracleEngine('let a = 1;\nlet b = 2;\n');
  const engine: Engine = Object.create(oracle) as Engine;
  engine.generate = (request, options) =>
    fail ? Promise.reject(new InferenceError('ORT: out of memory')) : oracle.generate(request, options);
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const messages: string[] = [];
  service.onDidFail((message) => messages.push(message));
  const doc = 'let a = 1;\nlet b = 2;\n';
  for (let i = 0; i < 5; i++) assert.equal(await service.complete(requestAt(doc, 15 + i, doc.length)), undefined);
  assert.deepEqual(messages, ['ORT: out of memory']);
  fail = false;
  assert.equal((await service.complete(requestAt(doc, 15, doc.length)))?.text, 'b = 2;');
  fail = true;
  await service.complete(requestAt(doc, 13, doc.length)); // not a cache hit: a new generation
  assert.equal(messages.length, 2, 'reported again after a success');
});

test('debounce: a burst of keystrokes inside the debounce window starts one generation', async () => {
  const engine = new OracleEngine(SOURCE);
  const service = new CompletionService({ engine: () => engine, settings: () => settings({ debounceMs: 30 }), useCache: false });
  const { start, end } = region(SOURCE, 10);
  const pending = [];
  for (let i = 0; i < 10; i++) pending.push(service.complete(requestAt(SOURCE, start + i, end)));
  const results = await Promise.all(pending);
  assert.equal(engine.requests.length, 1);
  assert.deepEqual(results.slice(0, 9), Array(9).fill(undefined));
  assert.ok(results[9]);
});

test('statistics and activity events', async () => {
  const engine = new OracleEngine('alpha beta gamma delta\n');
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const activity: boolean[] = [];
  service.onDidChangeActivity((busy) => activity.push(busy));
  await service.complete(requestAt('alpha beta gamma delta\n', 6, 6));
  assert.deepEqual(activity, [true, false]);
  const stats = service.lastGeneration;
  assert.ok(stats);
  assert.equal(stats.generatedTokens, 3);
  assert.equal(stats.tokensPerSecond, 500); // fake: 2 ms per decode step
  assert.equal(stats.finishReason, 'stop');
});

test('fill-in-the-middle: the text after the cursor goes to a model with FIM tokens, unless tealeaf.completion.fim is off', async () => {
  const fim = { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' };
  const engine = new OracleEngine(SOURCE, {}, fakeInfo({ fim }));
  let current = settings();
  const service = new CompletionService({ engine: () => engine, settings: () => current, useCache: false });
  // Mid-line, after `const ` in the second half of the file: the oracle suggests the rest of the line.
  const cursor = SOURCE.indexOf('const ', Math.floor(SOURCE.length / 2)) + 'const '.length;
  const lineEnd = SOURCE.indexOf('\n', cursor);
  const request = requestAt(SOURCE, cursor, lineEnd); // the rest of the line is still to be typed
  const withFim = await service.complete(request);
  const sent = engine.requests.at(-1);
  assert.ok(sent?.suffix !== undefined && sent.suffix.length > 0, 'a suffix was sent');
  assert.ok(SOURCE.slice(lineEnd).startsWith(sent.suffix), 'the suffix is the text right after the cursor');
  assert.equal(withFim?.completion.suffix, sent.suffix, 'the completion records what the model saw');
  assert.equal(service.lastGenerationInput?.suffix, sent.suffix);

  current = settings({ fim: 'off' });
  const without = await service.complete(request);
  assert.equal(engine.requests.at(-1)?.suffix, undefined);
  assert.equal(without?.completion.suffix, undefined);
  assert.equal(service.lastGenerationInput?.suffix, undefined);

  const noFimModel = new OracleEngine(SOURCE);
  const plain = new CompletionService({ engine: () => noFimModel, settings: () => settings(), useCache: false });
  await plain.complete(request);
  assert.equal(noFimModel.requests.at(-1)?.suffix, undefined, 'a model without FIM tokens gets no suffix');
});

test('speculation: each generation asks for tealeaf.completion.speculation', async () => {
  const engine = new OracleEngine(SOURCE);
  let current = settings();
  const service = new CompletionService({ engine: () => engine, settings: () => current, useCache: false });
  const cursor = SOURCE.indexOf('\n', Math.floor(SOURCE.length / 2)) + 1;
  await service.complete(requestAt(SOURCE, cursor, cursor));
  assert.equal(engine.requests.at(-1)?.speculation, 'prompt-lookup', 'the default');
  current = settings({ speculation: 'draft-model' });
  await service.complete(requestAt(SOURCE, cursor + 1, cursor + 1));
  assert.equal(engine.requests.at(-1)?.speculation, 'draft-model');
  current = settings({ speculation: 'off' });
  await service.complete(requestAt(SOURCE, cursor + 2, cursor + 2));
  assert.equal(engine.requests.at(-1)?.speculation, 'off');
});

test('the debounce waits through the given sleep; latency counts it, and a cache hit costs only its lookup', async () => {
  const clock = new ManualClock();
  const final = 'const total = sum(values);\n';
  const engine = new OracleEngine(final);
  const service = new CompletionService({ engine: () => engine, settings: () => settings({ debounceMs: 40 }), now: clock.now, sleep: clock.sleep });
  const cursor = final.indexOf('sum');
  const pending = service.complete(requestAt(final, cursor, final.length - 1));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(clock.waits, [40]);
  assert.equal(engine.requests.length, 0, 'nothing runs before the debounce ends');
  await clock.elapse();
  const generated = await pending;
  assert.equal(generated?.text, 'sum(values);');
  assert.equal(generated.latencyMs, 40);
  assert.equal(service.lastGeneration?.latencyMs, 40);
  clock.time += 500;
  const hit = await service.complete(requestAt(final, cursor + 1, final.length - 1));
  assert.equal(hit?.source, 'cache');
  assert.equal(hit.latencyMs, 0);
});

test('cancel() ends the pending request with nothing, before it generates', async () => {
  const clock = new ManualClock();
  const engine = new OracleEngine('let a = 1;\nlet b = 2;\n');
  const service = new CompletionService({ engine: () => engine, settings: () => settings({ debounceMs: 40 }), sleep: clock.sleep });
  const pending = service.complete(requestAt('let a = 1;\nlet b = 2;\n', 15, 22));
  service.cancel();
  await clock.elapse();
  assert.equal(await pending, undefined);
  assert.equal(engine.requests.length, 0);
});

test('dispose() ends the pending request with nothing, and listeners hear no more', async () => {
  const clock = new ManualClock();
  const doc = 'let a = 1;\nlet b = 2;\n';
  const engine = new OracleEngine(doc);
  const service = new CompletionService({ engine: () => engine, settings: () => settings({ debounceMs: 40 }), sleep: clock.sleep });
  const heard: string[] = [];
  service.onDidChangeActivity(() => heard.push('activity'));
  service.onDidGenerate(() => heard.push('generate'));
  service.onDidShow(() => heard.push('show'));
  const pending = service.complete(requestAt(doc, 15, 22));
  service.dispose();
  await clock.elapse();
  assert.equal(await pending, undefined);
  assert.equal(engine.requests.length, 0);
  const after = service.complete(requestAt(doc, 16, 22));
  await clock.elapse();
  await after;
  assert.deepEqual(heard, []);
});

test('token budgets: the prompt and the FIM suffix fit the model’s positions with the suggestion', async () => {
  // 17 short lines (136 tokens) before the cursor and as many after it.
  const lines = Array.from({ length: 17 }, (_, i) => `x${i} = f(${i});`).join('\n') + '\n';
  const count = (text: string | undefined) => fakeTokenize(text ?? '').length;
  assert.ok(count(lines) > 128 && count(lines) < 144, `${count(lines)} tokens before the cursor`);
  const fim = { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' };
  const current = settings({ contextTokens: 256, maxTokens: 64 });
  const sent = async (engine: OracleEngine) => {
    const service = new CompletionService({ engine: () => engine, settings: () => current, useCache: false });
    await service.complete({ documentKey: 'k', windowStart: 0, before: lines, after: lines });
    return engine.requests[0]!;
  };
  // 200 positions − 64 generated − 8 special tokens: 128 tokens of prompt at most.
  const plain = await sent(new OracleEngine(lines, {}, fakeInfo({ maxPositions: 200 })));
  assert.ok(count(plain.prompt) <= 128 && count(plain.prompt) > 64, `${count(plain.prompt)} prompt tokens`);
  // With FIM, a quarter of contextTokens (64) goes to the suffix: 200 − 64 − 64 − 8 = 64 for the prompt.
  const withFim = await sent(new OracleEngine(lines, {}, fakeInfo({ maxPositions: 200, fim })));
  assert.ok(count(withFim.suffix) <= 64 && count(withFim.suffix) > 32, `${count(withFim.suffix)} suffix tokens`);
  assert.ok(count(withFim.prompt) <= 64 && count(withFim.prompt) > 32, `${count(withFim.prompt)} prompt tokens`);
});

test('a request the editor cancels mid-generation shows nothing and leaves nothing in the cache', async () => {
  const final = 'function area(r) {\n  return Math.PI * r * r;\n}\n';
  const oracle = new OracleEngine(final, { onAbort: 'resolve' });
  let cancelOnToken: AbortController | undefined;
  const engine = wrapped(oracle, (request, options) =>
    oracle.generate(request, {
      ...options,
      onToken: (token) => {
        options?.onToken?.(token);
        cancelOnToken?.abort();
      },
    }),
  );
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const generated: string[] = [];
  service.onDidGenerate((stats) => generated.push(stats.finishReason));
  const cursor = final.indexOf('return');
  cancelOnToken = new AbortController();
  assert.equal(await service.complete(requestAt(final, cursor, final.indexOf('\n}'), cancelOnToken.signal)), undefined);
  assert.equal(oracle.results.at(-1)?.finishReason, 'aborted', 'the engine resolved with a partial text');
  assert.deepEqual(generated, []);
  cancelOnToken = undefined;
  const again = await service.complete(requestAt(final, cursor, final.indexOf('\n}')));
  assert.equal(again?.source, 'generation');
  assert.equal(again.text, 'return Math.PI * r * r;');
});

test('a generation that does not continue the spaces typed before the cursor suggests nothing', async () => {
  // The model writes "launch" where the user has already typed four spaces of indentation.
  const engine = new OracleEngine('if (ok) {\nlaunch();\n}\n');
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  assert.equal(await service.complete({ documentKey: 'k', windowStart: 0, before: 'if (ok) {\n    ', after: '\n}\n' }), undefined);
  assert.equal(engine.requests.length, 1);
  // The model ends after two of the four spaces: nothing is left to suggest either.
  const short = new OracleEngine('if (ok) {\n  ');
  const shortService = new CompletionService({ engine: () => short, settings: () => settings() });
  assert.equal(await shortService.complete({ documentKey: 'k', windowStart: 0, before: 'if (ok) {\n    ', after: '' }), undefined);
  assert.equal(short.results.at(-1)?.finishReason, 'eos');
});

test('tokens per second: only from a positive decode time over more than one generated token', async () => {
  const doc = 'alpha beta gamma delta\n';
  const oracle = new OracleEngine(doc);
  let shape: (result: GenerateResult) => GenerateResult = (result) => result;
  const engine = wrapped(oracle, async (request, options) => shape(await oracle.generate(request, options)));
  const service = new CompletionService({ engine: () => engine, settings: () => settings(), useCache: false });
  const speed = async (tokens: number, decodeMsPerToken: number) => {
    shape = (result) => ({ ...result, tokens: result.tokens.slice(0, tokens), decodeMsPerToken });
    await service.complete(requestAt(doc, 6, 6));
    return service.lastGeneration?.tokensPerSecond;
  };
  assert.equal(await speed(3, 4), 250);
  assert.equal(await speed(3, 0), undefined, 'no decode time measured');
  assert.equal(await speed(1, 4), undefined, 'one token: no decode step ran');
});

test('captureAttention: false keeps no attention, so the suggestion cannot be explained', async () => {
  const final = 'function area(r) {\n  return Math.PI * r * r;\n}\n';
  const engine = new OracleEngine(final);
  const service = new CompletionService({ engine: () => engine, settings: () => settings(), captureAttention: false });
  const suggestion = await service.complete(requestAt(final, final.indexOf('return'), final.indexOf('\n}')));
  assert.equal(suggestion?.text, 'return Math.PI * r * r;');
  assert.equal(engine.requests[0]?.captureAttention, false);
  assert.equal(suggestion.completion.attentionId, undefined);
});

test('multi-line stopped by the rules on an engine that throws on abort: counted tokens and reason "rule"', async () => {
  const final = 'function f(x) {\n  if (x) {\n    go(x);\n  }\n  return x;\n}\n' + 'const pad = 1;\n'.repeat(50);
  const engine = new OracleEngine(final, { onAbort: 'throw' });
  const service = new CompletionService({ engine: () => engine, settings: () => settings({ multiline: true, maxTokens: 200 }) });
  const cursor = final.indexOf('if (x)');
  const suggestion = await service.complete({ documentKey: 'k', windowStart: 0, before: final.slice(0, cursor), after: '' });
  assert.equal(suggestion?.text, 'if (x) {\n    go(x);\n  }');
  assert.equal(engine.results.length, 0, 'the engine threw instead of resolving');
  assert.equal(service.lastGeneration?.finishReason, 'rule');
  assert.equal(service.lastGeneration?.generatedTokens, engine.tokensEmitted);
  assert.ok(engine.tokensEmitted > 5);
});

test('an engine that aborts on its own (no one asked) shows nothing of what it streamed, and is no failure', async () => {
  const final = 'function area(r) {\n  return Math.PI * r * r;\n}\n';
  const oracle = new OracleEngine(final);
  const engine = wrapped(oracle, async (_request, options) => {
    // The text fits the cursor (it starts with the two spaces healed): no rule stopped it.
    options?.onToken?.({ id: 1, textSoFar: '  return' });
    options?.onToken?.({ id: 2, textSoFar: '  return Math' });
    throw new AbortError();
  });
  const service = new CompletionService({ engine: () => engine, settings: () => settings() });
  const failures: string[] = [];
  service.onDidFail((message) => failures.push(message));
  assert.equal(await service.complete(requestAt(final, final.indexOf('return'), final.indexOf('\n}'))), undefined);
  assert.deepEqual(failures, []);
});

test('a block closes where the editor’s tab width puts its closer', async () => {
  // A tab is two columns in this editor: "  }" closes the block that "\tif" opened.
  const final = 'function f() {\n\tif (x) {\n\t\tgo();\n  }\n}\n';
  const cursor = final.indexOf('if (x)');
  const suggest = async (tabSize: number | undefined) => {
    const engine = new OracleEngine(final);
    const service = new CompletionService({ engine: () => engine, settings: () => settings({ multiline: true }) });
    const request = { documentKey: 'k', windowStart: 0, before: final.slice(0, cursor), after: '' };
    return (await service.complete(tabSize === undefined ? request : { ...request, tabSize }))?.text;
  };
  assert.equal(await suggest(2), 'if (x) {\n\t\tgo();\n  }');
  // At the default width of 4, "  }" is a dedent: the suggestion stops before it.
  assert.equal(await suggest(undefined), 'if (x) {\n\t\tgo();');
});

test('a suggestion is reused only under the settings it was made with', async () => {
  const final = 'const total = sum(values);\n';
  const engine = new OracleEngine(final);
  let current = settings({ maxTokens: 4, contextTokens: 8102 });
  const service = new CompletionService({ engine: () => engine, settings: () => current });
  const cursor = final.indexOf('sum');
  const ask = () => service.complete(requestAt(final, cursor, final.length - 1));
  assert.equal((await ask())?.source, 'generation');
  assert.equal((await ask())?.source, 'cache');
  current = settings({ maxTokens: 4, contextTokens: 8102, multiline: true });
  assert.equal((await ask())?.source, 'generation', 'multi-line on');
  // 48 and 102 after 4 and 8102: the same digits in a row, still other settings.
  current = settings({ maxTokens: 48, contextTokens: 102, multiline: true });
  assert.equal((await ask())?.source, 'generation', 'other token limits');
  assert.equal(engine.requests.length, 3);
});
