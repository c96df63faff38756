import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRepetitionPenalty, argmax, Sampler, seededRandom } from '../../../src/engine/sampling';

const logits = Float32Array.from([1.0, 3.0, 2.5, -1.0, 0.5]);

describe('sampling', () => {
  it('greedy picks the argmax and ignores the seed', () => {
    assert.equal(new Sampler({ seed: 1 }).next(logits, () => []), 1);
    assert.equal(new Sampler({ temperature: 0, seed: 99 }).next(logits, () => []), 1);
    assert.equal(argmax([0, -1, 5, 5]), 2, 'ties resolve to the first index, like torch.argmax');
  });

  it('the same seed draws the same tokens, another seed draws others', () => {
    const draw = (seed: number) => {
      const sampler = new Sampler({ temperature: 1.5, seed });
      return Array.from({ length: 40 }, () => sampler.next(logits, () => []));
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('top-k = 2 only ever yields the two best tokens', () => {
    const sampler = new Sampler({ temperature: 10, topK: 2, seed: 3 });
    const seen = new Set(Array.from({ length: 500 }, () => sampler.next(logits, () => [])));
    assert.deepEqual([...seen].sort(), [1, 2]);
  });

  it('top-p keeps the smallest nucleus reaching p', () => {
    // softmax([1, 3, 2.5, -1, .5]) ≈ [.073, .539, .327, .010, .044]: p = 0.8 keeps tokens 1 and 2.
    const sampler = new Sampler({ temperature: 1, topP: 0.8, seed: 11 });
    const seen = new Set(Array.from({ length: 500 }, () => sampler.next(logits, () => [])));
    assert.deepEqual([...seen].sort(), [1, 2]);
    const tiny = new Sampler({ temperature: 1, topP: 0.01, seed: 11 });
    assert.ok(Array.from({ length: 50 }, () => tiny.next(logits, () => [])).every((t) => t === 1));
  });

  it('sampling frequencies follow the temperature-scaled softmax', () => {
    const two = Float32Array.from([0, Math.log(3)]); // p = [0.25, 0.75] at T = 1
    const sampler = new Sampler({ temperature: 1, seed: 5 });
    const n = 4000;
    let ones = 0;
    for (let i = 0; i < n; i++) ones += sampler.next(two, () => []);
    assert.ok(Math.abs(ones / n - 0.75) < 0.03, `observed ${ones / n}`);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
    const row = Float32Array.from([2, -2, 4]);
    applyRepetitionPenalty(row, [0, 1, 1], 2);
    assert.deepEqual([...row], [1, -4, 4]);
    // Strong enough, it changes the greedy choice.
    assert.equal(new Sampler({ repetitionPenalty: 2 }).next(logits, () => [1]), 2);
  });

  it('the PRNG is uniform enough', () => {
    const random = seededRandom(42);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10000; i++) buckets[Math.floor(random() * 10)]!++;
    assert.ok(buckets.every((b) => b > 900 && b < 1100), buckets.join(','));
  });

  it('is mulberry32: the reference implementation\'s first draws for seed 42', () => {
    const random = seededRandom(42);
    assert.deepEqual([random(), random(), random()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('divides by the temperature: at T = 2, logits [0, ln 9] draw the second token 3 times in 4', () => {
    const two = Float32Array.from([0, Math.log(9)]);
    const sampler = new Sampler({ temperature: 2, seed: 5 });
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += sampler.next(two, () => []);
    assert.ok(Math.abs(ones / 4000 - 0.75) < 0.03, `observed ${ones / 4000}`);
  });

  it('stays finite for large logits (the maximum is subtracted before exp)', () => {
    const large = Float32Array.from([400, 400 + Math.log(3)]); // exp(800) overflows a double
    const sampler = new Sampler({ temperature: 1, seed: 9 });
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += sampler.next(large, () => []);
    assert.ok(Math.abs(ones / 4000 - 0.75) < 0.03, `observed ${ones / 4000}`);
  });

  it('a negative temperature is greedy', () => {
    assert.equal(new Sampler({ temperature: -1, seed: 3 }).next(logits, () => []), 1);
  });

  it('top-p keeps at least the best token, and stops once the nucleus reaches p exactly', () => {
    const none = new Sampler({ temperature: 1, topP: 0, seed: 2 });
    assert.ok(Array.from({ length: 50 }, () => none.next(logits, () => [])).every((t) => t === 1));
    // Two equal logits are half the mass each: p = 0.5 keeps the first of them only.
    const even = new Sampler({ temperature: 1, topP: 0.5, seed: 4 });
    const tie = Float32Array.from([0, 0]);
    assert.ok(Array.from({ length: 50 }, () => even.next(tie, () => [])).every((t) => t === 0));
  });
});
