// ModelDrafter over the decoder of fakeDecoder.ts (a draft model whose every pass checks its KV
// cache): greedy drafts, the cache reused by common prefix across drafts, chunked prefill and
// aborts, failures that leave nothing stale, and the tokenizer check between main and draft model.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecoderModel } from '../../../src/engine/decoderModel';
import { ModelError } from '../../../src/engine/errors';
import { checkSameTokenizer, ModelDrafter } from '../../../src/engine/modelDrafter';
import type { ModelTokenizer } from '../../../src/engine/tokenizer';
import { END, FakeModel, ids } from './fakeDecoder';

function drafter(model: FakeModel, chunk?: number): ModelDrafter {
  return new ModelDrafter(model as unknown as DecoderModel, 'draft', chunk);
}

describe('ModelDrafter', () => {
  it('drafts the draft model’s greedy continuation, max tokens long, of kind draft-model', async () => {
    const model = new FakeModel();
    const draft = await drafter(model).draft(ids('e'), 4);
    assert.deepEqual(draft, { tokens: ids('fg\n '), kind: 'draft-model' });
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.length]), [[0, 1], [1, 1], [2, 1], [3, 1]], 'one pass per draft: the last is not fed');
  });

  it('asks nothing of the model for no tokens or no context', async () => {
    const model = new FakeModel();
    const d = drafter(model);
    assert.deepEqual((await d.draft(ids('e'), 0)).tokens, []);
    assert.deepEqual((await d.draft([], 3)).tokens, []);
    assert.equal(model.passes.length, 0);
  });

  it('reuses its cache by common prefix: a context that goes on from the last draft feeds only what is new', async () => {
    const model = new FakeModel();
    const d = drafter(model);
    await d.draft(ids('ab'), 3); // cache: a b c d (the last draft, a, not fed)
    model.passes.length = 0;
    assert.deepEqual((await d.draft(ids('abcdab'), 2)).tokens, ids('cd'));
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.join()]), [[4, ids('ab').join()], [6, ids('c').join()]]);
    model.passes.length = 0;
    await d.draft(ids('abe'), 1); // diverges after a b
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.join()]), [[2, ids('e').join()]]);
    model.passes.length = 0;
    await d.draft(ids('ab'), 1); // the whole context cached: its last token fed again
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.length]), [[1, 1]]);
  });

  it('guesses nothing for an id past its vocabulary (a main model with a wider one)', async () => {
    const model = new FakeModel();
    assert.deepEqual((await drafter(model).draft([...ids('ab'), 10], 3)).tokens, []);
    assert.equal(model.passes.length, 0);
    assert.deepEqual((await drafter(model).draft([...ids('ab'), END], 1)).tokens, [END], 'the last id of the vocabulary is a token');
  });

  it('prefills a long context in chunks; an abort there drafts nothing and keeps what was prefilled', async () => {
    const model = new FakeModel();
    const d = drafter(model, 2);
    await d.draft(ids('abcdab'), 1);
    assert.deepEqual(model.passes.map((p) => p.fed.length), [2, 2, 2]);
    const aborting = new FakeModel();
    const a = drafter(aborting, 2);
    const controller = new AbortController();
    aborting.onPass = (pass) => pass.past === 2 && controller.abort();
    assert.deepEqual((await a.draft(ids('abcdabc'), 3, controller.signal)).tokens, []);
    aborting.onPass = undefined;
    aborting.passes.length = 0;
    await a.draft(ids('abcdabc'), 1);
    assert.equal(aborting.passes[0]?.past, 4, 'the two chunks prefilled before the abort are reused');
  });

  it('an abort while drafting ends the draft with what it has', async () => {
    const model = new FakeModel();
    const controller = new AbortController();
    model.onPass = (pass) => pass.past === 2 && controller.abort();
    assert.deepEqual((await drafter(model).draft(ids('e'), 6, controller.signal)).tokens, ids('fg\n'));
  });

  it('a failed pass throws, and the next draft starts from an empty cache', async () => {
    const model = new FakeModel();
    const d = drafter(model);
    await d.draft(ids('ab'), 2);
    model.onPass = () => {
      throw new Error('lost');
    };
    await assert.rejects(d.draft(ids('abc'), 2), /^Error: lost$/);
    model.onPass = undefined;
    model.passes.length = 0;
    await d.draft(ids('abc'), 1);
    assert.deepEqual(model.passes.map((p) => [p.past, p.fed.length]), [[0, 3]]);
  });

  it('dispose releases the draft model', async () => {
    const model = new FakeModel();
    await drafter(model).dispose();
    assert.equal(model.disposed, 1);
  });
});

describe('checkSameTokenizer', () => {
  const vocabulary = (tokens: readonly (string | undefined)[]) => ({ tokenString: (id: number) => tokens[id] }) as unknown as ModelTokenizer;
  it('accepts tokenizers that give every id the same token, or both none', () => {
    assert.doesNotThrow(() => checkSameTokenizer(vocabulary(['a', 'b', undefined]), vocabulary(['a', 'b', undefined]), 'd', 3));
  });
  it('names the first id where they differ, and refuses an empty vocabulary', () => {
    assert.throws(() => checkSameTokenizer(vocabulary(['a', 'b', 'c']), vocabulary(['a', 'x', 'c']), 'tiny', 3), (e: unknown) => e instanceof ModelError && e.message === 'the draft model tiny has another tokenizer: its id 1 is "x", the main model\'s is "b"');
    assert.throws(() => checkSameTokenizer(vocabulary(['a', 'b']), vocabulary(['a', 'b', 'c']), 'tiny', 3), /its id 2 is "c", the main model's is null$/);
    assert.throws(() => checkSameTokenizer(vocabulary([]), vocabulary([]), 'tiny', 3), (e: unknown) => e instanceof ModelError && e.message === 'the draft model tiny has an empty vocabulary');
  });
  it('compares ids up to the size given, and no further than 400,000', () => {
    assert.doesNotThrow(() => checkSameTokenizer(vocabulary(['a', 'b', 'c']), vocabulary(['a', 'b', 'x']), 'd', 2));
    let highest = -1;
    const counting = { tokenString: (id: number) => ((highest = Math.max(highest, id)), 'same') } as unknown as ModelTokenizer;
    checkSameTokenizer(counting, counting, 'd', 500_000);
    assert.equal(highest, 399_999);
  });
});
