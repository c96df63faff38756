import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chrF } from '../../bench/translate';

describe('chrF', () => {
  it('is 100 for identical text and 0 for disjoint characters', () => {
    assert.equal(chrF(['Das ist gut.'], ['Das ist gut.']), 100);
    assert.equal(chrF(['xyz'], ['abc']), 0);
  });
  it('matches a hand-computed case with maxOrder 1', () => {
    // hyp "ab" vs ref "abc": unigram P = 2/2, R = 2/3; F2 = 5PR / (4P + R) = (10/3) / (14/3) = 5/7.
    assert.ok(Math.abs(chrF(['ab'], ['abc'], 1) - (100 * 5) / 7) < 1e-9);
  });
});
