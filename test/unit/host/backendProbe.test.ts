// probeEngine, the measurement `auto` picks a backend by, over a scripted engine: what it asks of
// the engine (prompt cut to the model's window, a warm-up then timed runs), which run counts (the
// fastest), and what must agree across backends (generated tokens, or each head's attention peak).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  AttentionRequest,
  AttentionResult,
  Engine,
  GenerateRequest,
  GenerateResult,
  ModelInfo,
  TokenSpan,
  TranslateRequest,
  TranslateResult,
} from '../../../src/engine/types';
import { PROBE_NEW_TOKENS, PROBE_PROMPT_TOKENS, probeEngine } from '../../../src/host/backendProbe';
import { fakeModelInfo, fakeTranslatorInfo } from '../fakeModelInfo';

/** Every 4 characters one token, so a cut at token n ends at character 4n. */
function fourCharTokens(text: string): TokenSpan[] {
  const spans: TokenSpan[] = [];
  for (let start = 0; start < text.length; start += 4) spans.push({ id: start, text: text.slice(start, start + 4), start, end: Math.min(start + 4, text.length) });
  return spans;
}

interface Scripted {
  readonly engine: Engine;
  readonly generated: GenerateRequest[];
  readonly attended: AttentionRequest[];
  readonly translated: TranslateRequest[];
}

/** An engine whose n-th call of each method answers with the n-th scripted result. */
function scripted(info: ModelInfo, script: { generate?: GenerateResult[]; attention?: AttentionResult[]; translate?: TranslateResult[] }): Scripted {
  const generated: GenerateRequest[] = [];
  const attended: AttentionRequest[] = [];
  const translated: TranslateRequest[] = [];
  const next = <T>(list: T[] | undefined, calls: unknown[]): T => {
    const result = list?.[calls.length - 1];
    if (result === undefined) throw new Error(`unscripted call ${calls.length}`);
    return result;
  };
  const engine = {
    info,
    tokenize: async (text: string) => fourCharTokens(text),
    generate: async (request: GenerateRequest) => (generated.push(request), next(script.generate, generated)),
    attention: async (request: AttentionRequest) => (attended.push(request), next(script.attention, attended)),
    translate: async (request: TranslateRequest) => (translated.push(request), next(script.translate, translated)),
  } as unknown as Engine;
  return { engine, generated, attended, translated };
}

const run = (prefillMs: number, decodeMsPerToken: number, tokens: number[]): GenerateResult => ({
  promptTokens: 64,
  reusedTokens: 0,
  tokens,
  text: '',
  finishReason: 'length',
  prefillMs,
  decodeMsPerToken,
});

describe('probeEngine', () => {
  it('a decoder: a warm-up and two timed greedy runs of a 64-token prompt; the fastest counts', async () => {
    const probe = scripted(fakeModelInfo(), {
      // Warm-up (ignored however fast), then 10 + 16 × 2 = 42 ms against 30 + 16 × 0.5 = 38 ms.
      generate: [run(1, 0.1, [9]), run(10, 2, [1, 2]), run(30, 0.5, [3, 4])],
    });
    const result = await probeEngine(probe.engine);
    assert.deepEqual(result, { tokens: [3, 4], promptTokens: 64, prefillMs: 30, decodeMsPerToken: 0.5, ms: 30 + PROBE_NEW_TOKENS * 0.5 });
    assert.equal(probe.generated.length, 3);
    for (const request of probe.generated) {
      assert.deepEqual({ ...request, prompt: request.prompt.length }, { prompt: 4 * PROBE_PROMPT_TOKENS, maxNewTokens: PROBE_NEW_TOKENS, reusePrefix: false, useKvCache: true });
    }
    assert.equal(probe.generated[0]?.prompt, probe.generated[2]?.prompt);
  });

  it('keeps a short window’s room for the new tokens, and at least one prompt token', async () => {
    const short = scripted(fakeModelInfo({ maxPositions: 30 }), { generate: [run(1, 1, []), run(1, 1, []), run(1, 1, [])] });
    await probeEngine(short.engine);
    assert.equal(short.generated[0]?.prompt.length, 4 * (30 - PROBE_NEW_TOKENS - 2));
    const tiny = scripted(fakeModelInfo({ maxPositions: 8 }), { generate: [run(1, 1, []), run(1, 1, []), run(1, 1, [])] });
    await probeEngine(tiny.engine);
    assert.equal(tiny.generated[0]?.prompt.length, 4);
  });

  it('an inspector-only engine: attention passes, compared by each head’s strongest key in its last row', async () => {
    // One layer of 2 heads, 2 rows, 3 keys: [heads, rows, keys].
    const attention = (forwardMs: number, layer: number[]): AttentionResult =>
      ({ tokens: fourCharTokens('abcdefgh'), forwardMs, attention: { layers: [0], heads: [0, 1], rows: [0, 1], keys: 3, layerData: [Float32Array.from(layer)] } }) as unknown as AttentionResult;
    const probe = scripted(fakeModelInfo({ maxPositions: 40 }), {
      attention: [
        attention(1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        attention(9, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
        // Head 0's last row peaks at key 1 (its first row at key 2), head 1's at key 0 (ties keep the first).
        attention(5, [0, 0, 9, 0.2, 0.7, 0.1, 0, 0, 0, 0.5, 0.4, 0.5]),
      ],
    });
    const result = await probeEngine(probe.engine, 'inspector');
    assert.deepEqual(result, { tokens: [1, 0], compared: 'attention peaks', promptTokens: 2, ms: 5 });
    assert.equal(probe.attended.length, 3);
    assert.deepEqual({ ...probe.attended[0], text: probe.attended[0]?.text.length }, { text: 4 * 40, withStats: false });
    assert.equal(probe.generated.length, 0);
  });

  it('the fastest run counts wherever it comes, and of two as fast the first', async () => {
    // 10 + 16 × 1 = 26 ms first, then 42 ms; then a tie at 42 ms (10 + 16 × 2 against 26 + 16 × 1).
    const first = scripted(fakeModelInfo(), { generate: [run(1, 0.1, [9]), run(10, 1, [1]), run(10, 2, [2])] });
    assert.deepEqual(await probeEngine(first.engine), { tokens: [1], promptTokens: 64, prefillMs: 10, decodeMsPerToken: 1, ms: 26 });
    const tie = scripted(fakeModelInfo(), { generate: [run(1, 0.1, [9]), run(10, 2, [1]), run(26, 1, [2])] });
    assert.deepEqual(await probeEngine(tie.engine), { tokens: [1], promptTokens: 64, prefillMs: 10, decodeMsPerToken: 2, ms: 42 });
  });

  it('a tokenizer that gives the probe prompt no spans probes the whole prompt', async () => {
    const none = { tokens: [], forwardMs: 1, attention: { layers: [], heads: [], rows: [], keys: 0, layerData: [] } } as unknown as AttentionResult;
    for (const purpose of ['all', 'inspector'] as const) {
      const probe = scripted(fakeModelInfo(), { generate: [run(1, 1, []), run(1, 1, []), run(1, 1, [])], attention: [none, none, none] });
      const engine: Engine = { ...probe.engine, tokenize: async () => [] };
      await probeEngine(engine, purpose);
      const sent = purpose === 'all' ? probe.generated[0]?.prompt : probe.attended[0]?.text;
      // The probe prompt's last line.
      assert.match(sent ?? '', /return \[\.\.\.counts\.entries\(\)\]\n$/, purpose);
    }
  });

  it('an attention peak is found in each head’s own last row, never in the next head’s keys', async () => {
    // 2 heads, 2 rows, 2 keys: head 0's last row peaks at key 1, head 1's at key 0; head 1's first row is the largest of all.
    const layer = Float32Array.from([0, 0, 0.2, 0.8, 5, 5, 0.7, 0.3]);
    const result = { tokens: fourCharTokens('abcdefgh'), forwardMs: 1, attention: { layers: [0], heads: [0, 1], rows: [0, 1], keys: 2, layerData: [layer] } } as unknown as AttentionResult;
    const probe = scripted(fakeModelInfo(), { attention: [result, result, result] });
    assert.deepEqual((await probeEngine(probe.engine, 'inspector')).tokens, [1, 0]);
  });

  it('a translator: the model’s first declared pair, else its first two languages, else English → German', async () => {
    const result = (ms: number, tokens: number[]): TranslateResult => ({ source: '', target: '', tokens, ms });
    const declared = scripted(fakeTranslatorInfo({ translationPairs: [{ from: 'de', to: 'en' }], languages: ['en', 'de'] }), {
      translate: [result(1, [0]), result(7, [1]), result(6, [2])],
    });
    const sentence = 'The file could not be opened because another program is using it.';
    assert.deepEqual(await probeEngine(declared.engine), { tokens: [2], promptTokens: fourCharTokens(sentence).length, ms: 6 });
    assert.deepEqual(declared.translated, Array(3).fill({ text: sentence, from: 'de', to: 'en', beams: 1 }));

    const byLanguages = scripted(fakeTranslatorInfo({ translationPairs: undefined, languages: ['fr', 'it'] }), { translate: [result(1, []), result(1, []), result(1, [])] });
    await probeEngine(byLanguages.engine);
    assert.deepEqual([byLanguages.translated[0]?.from, byLanguages.translated[0]?.to], ['fr', 'it']);
    const unnamed = scripted(fakeTranslatorInfo({ translationPairs: undefined, languages: undefined }), { translate: [result(1, []), result(1, []), result(1, [])] });
    await probeEngine(unnamed.engine, 'inspector');
    assert.deepEqual([unnamed.translated[0]?.from, unnamed.translated[0]?.to], ['en', 'de']);
  });
});
