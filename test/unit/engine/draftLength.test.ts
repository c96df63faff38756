// The draft length follows acceptance and the measured cost of a row: long drafts where rows are
// cheap and drafts are kept, none where a row costs most of a pass and drafts miss.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DraftLength } from '../../../src/engine/draftLength';
import { promptLookupDraft } from '../../../src/engine/promptLookup';

/** Passes of 1 to 9 rows timed as `single + perRow · (rows − 1)`. */
function timedPasses(length: DraftLength, single: number, perRow: number): void {
  for (let i = 0; i < 40; i++) {
    const rows = 1 + (i % 9);
    length.timed(rows, single + perRow * (rows - 1));
  }
}

describe('DraftLength', () => {
  it('drafts the most when rows cost nothing and drafts are kept', () => {
    const length = new DraftLength({ max: 12 });
    timedPasses(length, 10, 0);
    for (let i = 0; i < 30; i++) length.update(8, 8);
    assert.ok(length.rowCost < 0.01, `row cost ${length.rowCost}`);
    assert.ok(length.acceptance > 0.9);
    assert.equal(length.value, 12);
  });

  it('drafts nothing when a row costs most of a pass and half the drafts miss, and recovers when they are kept', () => {
    const length = new DraftLength();
    timedPasses(length, 100, 80);
    assert.ok(Math.abs(length.rowCost - 0.8) < 0.01, `row cost ${length.rowCost}`);
    for (let i = 0; i < 30; i++) length.update(2, i % 2);
    assert.equal(length.value, 0);
    // Every drafted token kept, for a while: drafting pays again, a little.
    for (let i = 0; i < 60; i++) length.update(4, 4);
    assert.ok(length.value >= 1 && length.value <= 3, `value ${length.value}`);
  });

  it('shortens the drafts as rows get dearer', () => {
    const cheap = new DraftLength();
    const dear = new DraftLength();
    timedPasses(cheap, 100, 5);
    timedPasses(dear, 100, 40);
    for (let i = 0; i < 30; i++) {
      cheap.update(4, i % 3 === 0 ? 2 : 4);
      dear.update(4, i % 3 === 0 ? 2 : 4);
    }
    assert.ok(cheap.value > dear.value, `${cheap.value} > ${dear.value}`);
    assert.ok(dear.value > 0);
  });

  it('tries a costly drafter again after a stretch of passes without drafts; a free one is checked for nothing instead', () => {
    const length = new DraftLength();
    timedPasses(length, 100, 90);
    for (let i = 0; i < 30; i++) length.update(1, 0);
    const costly = Array.from({ length: 32 }, () => length.next(false));
    assert.deepEqual(costly.map((k, i) => [i, k]).filter(([, k]) => k > 0), [
      [15, 1],
      [31, 1],
    ]);
    assert.ok(Array.from({ length: 32 }, () => length.next(true)).every((k) => k === 0));
  });

  it('a fixed length is kept whatever happens', () => {
    const length = new DraftLength({ fixed: 5 });
    timedPasses(length, 100, 100);
    for (let i = 0; i < 10; i++) length.update(5, 0);
    assert.equal(length.next(false), 5);
  });
});

describe('promptLookupDraft', () => {
  it('continues the latest earlier occurrence of the longest suffix that occurs', () => {
    // …7 8 9 occurs at 1 and 6; the latest (6) continues with 4 5.
    assert.deepEqual(promptLookupDraft([1, 7, 8, 9, 1, 2, 7, 8, 9, 4, 5, 6, 7, 8, 9], 3), [4, 5, 6]);
    // No 3-gram or 2-gram match: the last token alone (5) occurs earlier, followed by 6.
    assert.deepEqual(promptLookupDraft([5, 6, 1, 2, 3, 9, 5], 4), [6, 1, 2, 3]);
    // Drafts stop at the end of the context.
    assert.deepEqual(promptLookupDraft([1, 2, 3, 1, 2], 8), [3, 1, 2]);
  });

  it('drafts nothing when no suffix occurs earlier or none is asked for', () => {
    assert.deepEqual(promptLookupDraft([1, 2, 3, 4], 4), []);
    assert.deepEqual(promptLookupDraft([1], 4), []);
    assert.deepEqual(promptLookupDraft([1, 2, 1], 0), []);
  });
});
