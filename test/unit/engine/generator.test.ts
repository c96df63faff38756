// DecoderGenerator over the model of fakeDecoder.ts (its next token a fixed function of the
// sequence; every pass checks that the KV cache it is given holds exactly the ids it claims:
// prefix reuse, chunked prefill and speculative rollbacks included; its clock advances only
// inside passes). What generate() returns is then exact: tokens,
// passes, reuse, timings, captured attention rows, finish reasons, and what a drafter is asked
// and told. (speculative.test.ts and gpuCache.test.ts run the same code on real models.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecoderModel } from '../../../src/engine/decoderModel';
import { DraftLength } from '../../../src/engine/draftLength';
import { AbortError } from '../../../src/engine/errors';
import { DecoderGenerator, type GenerationInput } from '../../../src/engine/generate';
import { type Draft, type Drafter, promptLookupDrafter } from '../../../src/engine/speculation';
import { ALPHABET, CYCLE, END, FakeModel, HEADS, ids, tokenizer } from './fakeDecoder';

function generator(model: FakeModel): DecoderGenerator {
  return new DecoderGenerator(model as unknown as DecoderModel, tokenizer, () => model.clock);
}

const input = (promptIds: readonly number[], extra: Partial<GenerationInput> = {}): GenerationInput => ({
  promptIds,
  maxNewTokens: 6,
  eosTokenIds: [END],
  useKvCache: true,
  reusePrefix: true,
  captureAttention: false,
  ...extra,
});

describe('DecoderGenerator', () => {
  it('refuses an empty prompt, no new tokens, and a request aborted before it starts', async () => {
    const g = generator(new FakeModel());
    await assert.rejects(g.generate(input([])), /^Error: generate\(\) needs a non-empty prompt$/);
    await assert.rejects(g.generate(input(ids('e'), { maxNewTokens: 0 })), /^Error: generate\(\) needs maxNewTokens ≥ 1$/);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(g.generate(input(ids('e')), { signal: controller.signal }), (e: unknown) => e instanceof AbortError);
  });

  it('over the KV cache: one pass per token, each fed the token chosen before it; the cache keeps all but the last', async () => {
    const model = new FakeModel();
    const g = generator(model);
    const streamed: string[] = [];
    const out = await g.generate(input(ids('e')), { onToken: (t) => streamed.push(t.textSoFar) });
    assert.equal(out.text, 'fg\n ab');
    assert.deepEqual(out.tokens, ids('fg\n ab'));
    assert.deepEqual(streamed, ['f', 'fg', 'fg\n', 'fg\n ', 'fg\n a', 'fg\n ab']);
    assert.equal(out.finishReason, 'length');
    assert.equal(out.forwardPasses, 6);
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.join()]), [[0, '6'], [1, '7'], [2, '8'], [3, '0'], [4, '1'], [5, '2']]);
    assert.deepEqual(g.cachedState.ids, ids('efg\n a'));
    assert.deepEqual([out.drafted, out.accepted, out.reusedTokens], [0, 0, 0]);
  });

  it('recomputing from scratch gives the same tokens, one whole-sequence pass per token, and keeps no cache', async () => {
    const model = new FakeModel();
    const g = generator(model);
    const out = await g.generate(input(ids('e'), { useKvCache: false }));
    assert.deepEqual(out.tokens, ids('fg\n ab'));
    assert.equal(out.forwardPasses, 6);
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.length]), [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0, 6]]);
    assert.equal(g.cachedState.length, 0);
    assert.equal(out.reusedTokens, 0);
  });

  it('times the prefill up to the first choice and each later token by the passes that chose it', async () => {
    for (const useKvCache of [true, false]) {
      const model = new FakeModel();
      const out = await generator(model).generate(input(ids('abcabcab'), { useKvCache, prefillChunk: 3 }));
      // Cached: chunks of 3, 3 and the last 2 with the first choice (30 ms), then 5 passes of 10 ms.
      assert.equal(out.prefillMs, useKvCache ? 30 : 10, `useKvCache ${useKvCache}`);
      assert.equal(out.decodeMsPerToken, 10, `useKvCache ${useKvCache}`);
      const one = await generator(new FakeModel()).generate(input(ids('ab'), { useKvCache, maxNewTokens: 1 }));
      assert.deepEqual([one.prefillMs, one.decodeMsPerToken, one.forwardPasses], [10, 0, 1]);
    }
  });

  it('prefills a long prompt in chunks, all but the last, which the first choosing pass feeds', async () => {
    const model = new FakeModel();
    const out = await generator(model).generate(input(ids('abcdabcdab'), { prefillChunk: 3, maxNewTokens: 2 }));
    assert.deepEqual(model.passes.map((p) => p.fed.length), [3, 3, 3, 1, 1]);
    assert.equal(out.forwardPasses, 5);
    assert.deepEqual(out.tokens, ids('cd'));
    const whole = new FakeModel();
    await generator(whole).generate(input(ids('abcdabcdab'), { maxNewTokens: 1 }));
    assert.deepEqual(whole.passes.map((p) => p.fed.length), [10], 'the default chunk (128) holds it whole');
  });

  it('reuses the longest cached prefix, always feeding at least one token; not when told not to', async () => {
    const model = new FakeModel();
    const g = generator(model);
    await g.generate(input(ids('abe'), { maxNewTokens: 3 })); // cache: a b e f g
    const extended = await g.generate(input(ids('abefc'), { maxNewTokens: 1 }));
    assert.equal(extended.reusedTokens, 4);
    assert.deepEqual(model.passes.at(-1), { past: 4, fed: ids('c'), lastRows: 1 });
    const same = await g.generate(input(ids('abefc'), { maxNewTokens: 1 }));
    assert.equal(same.reusedTokens, 4, 'the whole prompt is cached: its last token is fed again');
    const diverged = await g.generate(input(ids('abd'), { maxNewTokens: 1 }));
    assert.equal(diverged.reusedTokens, 2);
    assert.deepEqual(model.passes.at(-1), { past: 2, fed: ids('d'), lastRows: 1 });
    const fresh = await g.generate(input(ids('abd'), { maxNewTokens: 1, reusePrefix: false }));
    assert.equal(fresh.reusedTokens, 0);
    assert.deepEqual(model.passes.at(-1), { past: 0, fed: ids('abd'), lastRows: 1 });
  });

  it('an end token ends it unshown, a stop string cuts the text, an abort keeps what was chosen', async () => {
    const ending = new FakeModel((s) => (s[s.length - 1] === ids('c')[0] ? END : (CYCLE[s[s.length - 1] as number] as number)));
    for (const useKvCache of [true, false]) {
      const out = await generator(ending).generate(input(ids('a'), { useKvCache, captureAttention: true }));
      assert.deepEqual([out.text, out.finishReason], ['bc', 'eos']);
      assert.equal(out.captured?.rows.length, 2, 'no attention row for the end token');
    }
    const stopped = await generator(new FakeModel()).generate(input(ids('e'), { stop: ['\n'] }));
    assert.deepEqual([stopped.text, stopped.finishReason], ['fg', 'stop']);
    const controller = new AbortController();
    const model = new FakeModel();
    const g = generator(model);
    const aborted = await g.generate(input(ids('e')), { signal: controller.signal, onToken: (t) => t.textSoFar === 'fg' && controller.abort() });
    assert.deepEqual([aborted.text, aborted.finishReason], ['fg', 'aborted']);
    const next = await g.generate(input(ids('efg'), { maxNewTokens: 1 }));
    assert.equal(next.reusedTokens, 2, 'the aborted request’s cache is kept for the next');
  });

  it('an abort between prefill chunks stops there, and the next request reuses the chunks prefilled', async () => {
    const model = new FakeModel();
    const g = generator(model);
    const controller = new AbortController();
    model.onPass = (pass) => pass.past === 3 && controller.abort(); // during the second chunk
    const out = await g.generate(input(ids('abcdabcdab'), { prefillChunk: 3 }), { signal: controller.signal });
    assert.deepEqual([out.tokens, out.text, out.finishReason, out.forwardPasses, out.decodeMsPerToken], [[], '', 'aborted', 2, 0]);
    assert.equal(out.prefillMs, 20);
    model.onPass = undefined;
    const next = await g.generate(input(ids('abcdabcdab'), { prefillChunk: 3, maxNewTokens: 1 }));
    assert.equal(next.reusedTokens, 6);
  });

  it('captures each generated token’s attention row over the keys before it, cached or recomputed alike', async () => {
    for (const useKvCache of [true, false]) {
      const out = await generator(new FakeModel()).generate(input(ids('ab'), { useKvCache, captureAttention: true, maxNewTokens: 3 }));
      const captured = out.captured;
      assert.ok(captured, `useKvCache ${useKvCache}`);
      assert.equal(captured.heads, HEADS);
      assert.equal(captured.rows.length, 3);
      captured.rows.forEach((layers, t) => {
        const query = 1 + t; // the position whose row chose token t
        const keys = query + 1;
        assert.deepEqual([...(layers[0] as Float32Array)], [0, 1].flatMap((h) => Array.from({ length: keys }, (_, k) => h * 10_000 + query * 100 + k)), `useKvCache ${useKvCache}, token ${t}`);
      });
    }
    const none = await generator(new FakeModel()).generate(input(ids('ab')));
    assert.equal(none.captured, undefined);
  });

  it('a repetition penalty is applied over the prompt and the tokens chosen so far, cached or recomputed', async () => {
    // Every token's runner-up is 'e': once the model's first choice has been seen, 'e' wins.
    const e = ALPHABET.indexOf('e');
    for (const useKvCache of [true, false]) {
      const model = new FakeModel(undefined, () => e);
      const out = await generator(model).generate(input(ids('ab'), { useKvCache, maxNewTokens: 6, sampling: { repetitionPenalty: 1.5 } }));
      // a and b are in the prompt, c and d chosen: after d comes a (seen) → e, then f g \n unseen.
      assert.equal(out.text, 'cdefg\n', `useKvCache ${useKvCache}`);
    }
  });

  it('an abort that arrives between passes (as a message would) stops before the next pass', async () => {
    for (const useKvCache of [true, false]) {
      const model = new FakeModel();
      const controller = new AbortController();
      setImmediate(() => controller.abort()); // runs only when generate() yields to the event loop
      const out = await generator(model).generate(input(ids('e'), { useKvCache, maxNewTokens: 50 }), { signal: controller.signal });
      assert.deepEqual([out.text, out.finishReason, model.passes.length], ['f', 'aborted', 1], `useKvCache ${useKvCache}`);
    }
  });

  it('reset() drops the cache: the next request reuses nothing', async () => {
    const model = new FakeModel();
    const g = generator(model);
    await g.generate(input(ids('abe'), { maxNewTokens: 2 }));
    g.reset();
    assert.equal(g.cachedState.length, 0);
    const after = await g.generate(input(ids('abef'), { maxNewTokens: 1 }));
    assert.equal(after.reusedTokens, 0);
    assert.deepEqual(model.passes.at(-1), { past: 0, fed: ids('abef'), lastRows: 1 });
  });
});

/** A DraftLength that feeds `feed` drafts and records what it is told. */
class RecordingLength extends DraftLength {
  readonly asked: [kind: string, free: boolean, minGain: number][] = [];
  readonly updates: [kind: string, drafted: number, accepted: number][] = [];
  readonly timings: [rows: number, ms: number][] = [];
  constructor(private readonly feed: number) {
    super({ max: 8 });
  }
  override next(kind: string, free: boolean, minGain = 1): number {
    this.asked.push([kind, free, minGain]);
    return this.feed;
  }
  override update(kind: string, drafted: number, accepted: number): void {
    this.updates.push([kind, drafted, accepted]);
  }
  override timed(rows: number, ms: number): void {
    this.timings.push([rows, ms]);
  }
}

/** The updates about passes that verified drafts (DraftLength ignores the others). */
const drafted = (length: RecordingLength) => length.updates.filter(([, count]) => count > 0);

/** A drafter that costs a pass: proposes `guess(context)` (at most `max`), and records each call. */
function modelDrafter(guess: (context: readonly number[]) => number[]): Drafter & { calls: [context: number[], max: number][]; recent: (readonly number[] | undefined)[] } {
  const calls: [number[], number][] = [];
  const recent: (readonly number[] | undefined)[] = [];
  return {
    calls,
    recent,
    draft: async (context: readonly number[], max: number, _signal?: AbortSignal, hint?: readonly number[]): Promise<Draft> => {
      calls.push([[...context], max]);
      recent.push(hint);
      return { tokens: guess(context).slice(0, max), kind: 'draft-model' };
    },
  };
}

/** The model's own continuation of `context`: a drafter that is always right. */
const rightGuess = (context: readonly number[], count = 8): number[] => {
  const out: number[] = [];
  let last = context[context.length - 1] as number;
  for (let i = 0; i < count; i++) out.push((last = CYCLE[last] as number));
  return out;
};

describe('DecoderGenerator with drafts', () => {
  it('right drafts: all accepted, fewer passes, the same tokens; the cache holds what was verified', async () => {
    const model = new FakeModel();
    const g = generator(model);
    const length = new RecordingLength(3);
    const drafter = modelDrafter((c) => rightGuess(c));
    const out = await g.generate(input(ids('e'), { maxNewTokens: 8, speculation: { drafter, length } }));
    assert.deepEqual(out.tokens, ids('fg\n abcd'));
    // Each pass feeds the last choice and 3 drafts and keeps them all: 4 tokens a pass.
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.length, p.lastRows]), [[0, 4, 4], [4, 4, 4]]);
    assert.deepEqual([out.forwardPasses, out.drafted, out.accepted], [2, 6, 6]);
    assert.deepEqual(drafter.calls.map(([context, max]) => [context.length, max]), [[1, 3], [5, 3]]);
    assert.deepEqual(g.cachedState.ids, ids('efg\n abc'));
    // The first pass is the prompt's: only the second is timed, as 4 rows.
    assert.deepEqual(length.timings, [[4, 10]]);
    assert.deepEqual(drafted(length), [['draft-model@first', 3, 3], ['draft-model', 3, 3]]);
    assert.deepEqual(length.asked.map(([kind, free, gain]) => [kind, free, gain]), [['draft-model@first', false, 1.2], ['draft-model', false, 1]]);
    assert.deepEqual(drafter.recent, [[], []], 'nothing suggested before');
    // The next request's drafts get this one's suggestion and the 16 prompt tokens before it as a hint.
    const prompt = ids('abcdabcdabcdabcdabc');
    const previous = await g.generate(input(prompt, { maxNewTokens: 2, speculation: { drafter, length } }));
    await g.generate(input(ids('e'), { maxNewTokens: 2, speculation: { drafter, length } }));
    assert.deepEqual(drafter.recent.at(-1), [...prompt.slice(-16), ...previous.tokens]);
  });

  it('wrong drafts: none accepted, the model’s own token taken at the first difference, the cache rolled back', async () => {
    const model = new FakeModel();
    const length = new RecordingLength(2);
    const out = await generator(model).generate(input(ids('e'), { maxNewTokens: 4, speculation: { drafter: modelDrafter(() => ids('aa')), length } }));
    assert.deepEqual(out.tokens, ids('fg\n '));
    assert.deepEqual([out.drafted, out.accepted], [5, 0]);
    // Each pass feeds the last choice and the drafts the room allows; the rejected drafts' positions are cut.
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.length]), [[0, 3], [1, 3], [2, 2], [3, 1]]);
    assert.deepEqual(drafted(length).map(([, d, a]) => [d, a]), [[2, 0], [2, 0], [1, 0]]);
  });

  it('half-right drafts: the right prefix kept, then the model’s choice', async () => {
    const model = new FakeModel();
    const drafter = modelDrafter((c) => [...rightGuess(c, 2), ALPHABET.indexOf('a')]);
    const out = await generator(model).generate(input(ids('e'), { maxNewTokens: 4, speculation: { drafter, length: new RecordingLength(3) } }));
    assert.deepEqual(out.tokens, ids('fg\n '));
    // Pass 1: e + [f g a]: f, g kept, the model says \n. Pass 2 feeds \n, and the room left is 0: no drafts.
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.join()]), [[0, ids('efga').join()], [3, ids('\n').join()]]);
    assert.deepEqual([out.drafted, out.accepted], [3, 2]);
  });

  it('never drafts past the tokens allowed, nor past a stop string', async () => {
    const model = new FakeModel();
    const drafter = modelDrafter((c) => rightGuess(c));
    await generator(model).generate(input(ids('e'), { maxNewTokens: 3, speculation: { drafter, length: new RecordingLength(8) } }));
    assert.deepEqual(drafter.calls.map(([, max]) => max), [2], 'room for 2 drafts: the pass chooses the third token itself');
    const free: Drafter = { draft: async (context) => ({ tokens: rightGuess(context), kind: 'ngram-1' }), free: true };
    const stopped = new FakeModel();
    const out = await generator(stopped).generate(input(ids('e'), { maxNewTokens: 8, stop: ['\n'], speculation: { drafter: free, length: new RecordingLength(6) } }));
    assert.equal(out.text, 'fg');
    assert.deepEqual(stopped.passes[0]?.fed, ids('efg\n'), 'the drafts end with the one completing the stop string');
  });

  it('a free drafter’s kinds tell the first pass, a line start and the rest apart; one not fed is still checked', async () => {
    const length = new RecordingLength(0);
    const out = await generator(new FakeModel()).generate(input(ids('ab\n  '), { maxNewTokens: 3, speculation: { drafter: promptLookupDrafter, length } }));
    assert.deepEqual(out.tokens, ids('abc'));
    assert.deepEqual(length.asked.map(([kind, free, gain]) => [kind, free, gain]), [['ngram-1@line-start', true, 1.2], ['ngram-1', true, 1]]);
    // Nothing fed (0 drafts): each draft's first token is checked against the model's choice, as one drafted token.
    assert.deepEqual(drafted(length), [['ngram-1@line-start', 1, 0], ['ngram-1', 1, 1]]);
    const first = new RecordingLength(0);
    await generator(new FakeModel()).generate(input(ids('abab'), { maxNewTokens: 1, speculation: { drafter: promptLookupDrafter, length: first } }));
    assert.equal(first.asked.length, 0, 'no room for a draft when one token is asked');
    await generator(new FakeModel()).generate(input(ids('abab'), { maxNewTokens: 2, speculation: { drafter: promptLookupDrafter, length: first } }));
    assert.deepEqual(first.asked.map(([kind]) => kind), ['ngram-2@first']);
  });

  it('captures the same attention rows with drafts as without, the rejected drafts’ rows not among them', async () => {
    const plain = await generator(new FakeModel()).generate(input(ids('ab'), { captureAttention: true, maxNewTokens: 7 }));
    const guess = (c: readonly number[]) => [...rightGuess(c, 2), ALPHABET.indexOf('g')]; // the third is wrong
    const drafted = await generator(new FakeModel()).generate(input(ids('ab'), { captureAttention: true, maxNewTokens: 7, speculation: { drafter: modelDrafter(guess), length: new RecordingLength(3) } }));
    assert.ok(drafted.accepted > 0 && drafted.accepted < drafted.drafted);
    assert.deepEqual(drafted.tokens, plain.tokens);
    assert.deepEqual(drafted.captured, plain.captured);
  });

  it('times each decoding pass by the rows it verified, never the first (the prompt’s) pass', async () => {
    const length = new RecordingLength(3);
    await generator(new FakeModel()).generate(input(ids('e'), { maxNewTokens: 6, speculation: { drafter: modelDrafter((c) => rightGuess(c)), length } }));
    // Pass 1 verifies 3 drafts (4 tokens); pass 2 has room for 1 draft (2 rows).
    assert.deepEqual(length.timings, [[2, 10]]);
  });

  it('an end token among the drafts ends generation there, the drafts after it unused', async () => {
    const ending = (s: readonly number[]) => (s[s.length - 1] === ids('c')[0] ? END : (CYCLE[s[s.length - 1] as number] as number));
    const guess = (c: readonly number[]) => {
      const out: number[] = [];
      const sequence = [...c];
      for (let i = 0; i < 5; i++) sequence.push(ending(sequence)), out.push(sequence[sequence.length - 1] as number);
      return out; // b c <end> <end> <end>
    };
    const out = await generator(new FakeModel(ending)).generate(input(ids('a'), { maxNewTokens: 8, speculation: { drafter: modelDrafter(guess), length: new RecordingLength(5) } }));
    assert.deepEqual([out.text, out.tokens, out.finishReason], ['bc', ids('bc'), 'eos']);
    assert.equal(out.accepted, 2);
  });

  it('a free drafter is asked for at most the room left; its fed drafts are not also checked as a shadow', async () => {
    const asked: number[] = [];
    const free: Drafter = { draft: async (context, max) => (asked.push(max), { tokens: rightGuess(context, max), kind: 'ngram-1' }), free: true };
    const length = new RecordingLength(2);
    const out = await generator(new FakeModel()).generate(input(ids('e'), { maxNewTokens: 5, speculation: { drafter: free, length } }));
    assert.deepEqual(out.tokens, ids('fg\n a'));
    assert.deepEqual(asked, [4, 1], 'room for 4 drafts, then 1: less than the longest draft (8)');
    assert.deepEqual(length.updates, [['ngram-1@first', 2, 2], ['ngram-1', 1, 1]], 'one update a pass, of the drafts fed');
  });

  it('feeds no more drafts than it asked a drafter that costs a pass for', async () => {
    const model = new FakeModel();
    const greedy: Drafter = { draft: async (context) => ({ tokens: rightGuess(context), kind: 'draft-model' }) }; // ignores max
    await generator(model).generate(input(ids('e'), { maxNewTokens: 8, speculation: { drafter: greedy, length: new RecordingLength(2) } }));
    assert.deepEqual(model.passes[0]?.fed, ids('efg'));
  });

  it('cuts the drafts at a stop string that the first draft completes', async () => {
    const model = new FakeModel();
    const out = await generator(model).generate(input(ids('e'), { maxNewTokens: 8, stop: ['f'], speculation: { drafter: modelDrafter((c) => rightGuess(c)), length: new RecordingLength(4) } }));
    assert.deepEqual([out.text, out.finishReason], ['', 'stop']);
    assert.deepEqual(model.passes[0]?.fed, ids('ef'));
  });

  it('a line start is the prompt’s end after a line break and indentation, not a line break earlier', async () => {
    for (const [prompt, where] of [['ab\n', 'line-start'], ['b\n  ', 'line-start'], ['b\nab', 'first'], ['\nabab', 'first']] as const) {
      const length = new RecordingLength(0);
      await generator(new FakeModel()).generate(input(ids(prompt), { maxNewTokens: 2, speculation: { drafter: promptLookupDrafter, length } }));
      assert.equal(length.asked[0]?.[0].split('@')[1], where, JSON.stringify(prompt));
    }
  });

  it('is off for sampling, and a drafter asked for none is not asked at all', async () => {
    const drafter = modelDrafter((c) => rightGuess(c));
    const sampled = await generator(new FakeModel()).generate(input(ids('e'), { sampling: { temperature: 0.5, seed: 1 }, speculation: { drafter, length: new RecordingLength(3) } }));
    assert.deepEqual([sampled.drafted, drafter.calls.length], [0, 0]);
    const none = new RecordingLength(0);
    const out = await generator(new FakeModel()).generate(input(ids('e'), { maxNewTokens: 3, speculation: { drafter, length: none } }));
    assert.deepEqual([out.drafted, drafter.calls.length], [0, 0]);
    assert.deepEqual(drafted(none), []);
  });
});
