// The speculation plans an engine hands its generator (speculation.ts): which drafter a request's
// setting picks, a fixed draft length's bounds, the errors, and prompt lookup's use of the hint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DraftLength } from '../../../src/engine/draftLength';
import { UnsupportedError } from '../../../src/engine/errors';
import { type Drafter, MAX_FIXED_DRAFT_LENGTH, promptLookupDrafter, Speculators } from '../../../src/engine/speculation';

const modelDrafter = (): Drafter & { disposed: number } => {
  const drafter = { disposed: 0, draft: async () => ({ tokens: [], kind: 'draft-model' }), dispose: async () => void drafter.disposed++ };
  return drafter;
};

describe('Speculators', () => {
  it('off, absent or unavailable decodes one token a pass', () => {
    const speculators = new Speculators(modelDrafter());
    assert.equal(speculators.plan(undefined), undefined);
    assert.equal(speculators.plan('off'), undefined);
    const unavailable = new Speculators(undefined, 'its export computes every position at once');
    assert.equal(unavailable.unavailable, 'its export computes every position at once');
    assert.equal(unavailable.plan('prompt-lookup'), undefined);
    assert.equal(unavailable.plan('prompt-lookup', 0), undefined, 'nothing is checked when nothing speculates');
  });

  it('prompt lookup, or the draft model, each with its own estimates kept across requests', () => {
    const draft = modelDrafter();
    const speculators = new Speculators(draft);
    const lookup = speculators.plan('prompt-lookup');
    assert.equal(lookup?.drafter, promptLookupDrafter);
    assert.ok(lookup?.length instanceof DraftLength);
    assert.equal(speculators.plan('prompt-lookup'), lookup, 'the same plan every request');
    const model = speculators.plan('draft-model');
    assert.equal(model?.drafter, draft);
    assert.notEqual(model?.length, lookup?.length);
    assert.throws(() => new Speculators(undefined).plan('draft-model'), (e: unknown) => e instanceof UnsupportedError && /needs a draft model loaded beside this one/.test(e.message));
  });

  it('a fixed draft length from 1 to 64 feeds that many drafts, leaving the kept estimates alone', () => {
    const speculators = new Speculators(undefined);
    const kept = speculators.plan('prompt-lookup');
    assert.equal(MAX_FIXED_DRAFT_LENGTH, 64);
    for (const length of [1, 7, 64]) {
      const plan = speculators.plan('prompt-lookup', length);
      assert.equal(plan?.drafter, promptLookupDrafter);
      assert.notEqual(plan?.length, kept?.length);
      assert.equal(plan?.length.max, length);
      assert.equal(plan?.length.next('any', true), length);
    }
    for (const bad of [0, 65, 2.5, Number.NaN]) {
      assert.throws(() => speculators.plan('prompt-lookup', bad), (e: unknown) => e instanceof RangeError && e.message === `the draft length must be a whole number from 1 to 64, got ${bad}`);
    }
  });

  it('dispose releases the draft model, and is harmless without one', async () => {
    const draft = modelDrafter();
    await new Speculators(draft).dispose();
    assert.equal(draft.disposed, 1);
    await new Speculators(undefined).dispose();
  });
});

describe('promptLookupDrafter', () => {
  it('is free, drafts from the context, and matches the recent hint only where the context does not', async () => {
    assert.equal(promptLookupDrafter.free, true);
    assert.deepEqual(await promptLookupDrafter.draft([1, 2, 3, 1, 2], 2), { tokens: [3, 1], kind: 'ngram-2' });
    // The hint (the last suggestion) goes before the context: 7 8 9 after 4 5.
    assert.deepEqual(await promptLookupDrafter.draft([0, 4, 5], 3, undefined, [4, 5, 7, 8, 9]), { tokens: [7, 8, 9], kind: 'ngram-2' });
    // A match in the context itself is nearer, so it wins at equal length.
    assert.deepEqual(await promptLookupDrafter.draft([4, 5, 6, 4, 5], 1, undefined, [4, 5, 7]), { tokens: [6], kind: 'ngram-2' });
    assert.deepEqual(await promptLookupDrafter.draft([1, 2], 3), { tokens: [], kind: 'ngram-0' });
  });
});
