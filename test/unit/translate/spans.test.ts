// Half-open spans: the protected parts of a region (placeholders, escapes, code tokens) are kept
// sorted, merged and non-empty, clipped to a window, and asked whether a cut or a character falls
// inside them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipSpans, covers, insideSpan, normalizeSpans } from '../../../src/translate/spans';

describe('spans', () => {
  it('normalize: sorted by start, overlapping and touching spans merged, empty ones dropped', () => {
    // A long span that starts first swallows a short one inside it, whatever their order.
    assert.deepEqual(normalizeSpans([{ start: 2, end: 3 }, { start: 0, end: 10 }]), [{ start: 0, end: 10 }]);
    assert.deepEqual(normalizeSpans([{ start: 0, end: 10 }, { start: 2, end: 3 }]), [{ start: 0, end: 10 }]);
    // Touching spans are one: no cut may fall between them.
    assert.deepEqual(normalizeSpans([{ start: 2, end: 4 }, { start: 0, end: 2 }]), [{ start: 0, end: 4 }]);
    assert.deepEqual(normalizeSpans([{ start: 5, end: 5 }, { start: 7, end: 6 }]), []);
    assert.deepEqual(normalizeSpans([{ start: 1, end: 2 }, { start: 4, end: 4 }, { start: 6, end: 8 }]), [
      { start: 1, end: 2 },
      { start: 6, end: 8 },
    ]);
  });

  it('clip: only what lies inside the window, shifted to it; nothing for a span outside or touching it', () => {
    const window = { start: 5, end: 10 };
    assert.deepEqual(clipSpans([{ start: 3, end: 7 }, { start: 8, end: 12 }], window), [
      { start: 0, end: 2 },
      { start: 3, end: 5 },
    ]);
    assert.deepEqual(clipSpans([{ start: 0, end: 2 }, { start: 0, end: 5 }, { start: 10, end: 12 }, { start: 14, end: 20 }], window), []);
  });

  it('a cut is inside a span only strictly between its ends', () => {
    const spans = [{ start: 2, end: 5 }];
    assert.equal(insideSpan(spans, 3), true);
    assert.equal(insideSpan(spans, 2), false);
    assert.equal(insideSpan(spans, 5), false);
    assert.equal(insideSpan([], 3), false);
  });

  it('a span covers its first character but not the one at its end', () => {
    const spans = [{ start: 2, end: 5 }];
    assert.equal(covers(spans, 2), true);
    assert.equal(covers(spans, 4), true);
    assert.equal(covers(spans, 5), false);
    assert.equal(covers(spans, 1), false);
  });
});
