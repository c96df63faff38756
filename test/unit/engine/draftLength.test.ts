// The draft length follows acceptance and the measured cost of a row: long drafts where rows are
// cheap and drafts are kept, none where a row costs most of a pass and drafts miss.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DraftLength } from '../../../src/engine/draftLength';
import { promptLookup } from '../../../src/engine/promptLookup';

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
    for (let i = 0; i < 30; i++) length.update('k', 8, 8);
    assert.ok(length.rowCost < 0.01, `row cost ${length.rowCost}`);
    assert.ok(length.acceptance('k') > 0.9);
    assert.equal(length.value('k'), 12);
  });

  it('drafts nothing when a row costs most of a pass and half the drafts miss, and recovers when they are kept', () => {
    const length = new DraftLength();
    timedPasses(length, 100, 80);
    assert.ok(Math.abs(length.rowCost - 0.8) < 0.01, `row cost ${length.rowCost}`);
    for (let i = 0; i < 30; i++) length.update('k', 2, i % 2);
    assert.equal(length.value('k'), 0);
    // Every drafted token kept, for a while: drafting pays again, a little.
    for (let i = 0; i < 60; i++) length.update('k', 4, 4);
    assert.ok(length.value('k') >= 1 && length.value('k') <= 3, `value ${length.value('k')}`);
  });

  it('shortens the drafts as rows get dearer', () => {
    const cheap = new DraftLength();
    const dear = new DraftLength();
    timedPasses(cheap, 100, 5);
    timedPasses(dear, 100, 40);
    for (let i = 0; i < 30; i++) {
      cheap.update('k', 4, i % 3 === 0 ? 2 : 4);
      dear.update('k', 4, i % 3 === 0 ? 2 : 4);
    }
    assert.ok(cheap.value('k') > dear.value('k'), `${cheap.value('k')} > ${dear.value('k')}`);
    assert.ok(dear.value('k') > 0);
  });

  it('tries a costly drafter again after a stretch of passes without drafts; a free one is checked for nothing instead', () => {
    const length = new DraftLength();
    timedPasses(length, 100, 90);
    for (let i = 0; i < 30; i++) length.update('k', 1, 0);
    const costly = Array.from({ length: 32 }, () => length.next('k', false));
    assert.deepEqual(costly.map((k, i) => [i, k]).filter(([, k]) => k > 0), [
      [15, 1],
      [31, 1],
    ]);
    assert.ok(Array.from({ length: 32 }, () => length.next('k', true)).every((k) => k === 0));
  });

  it('drafts nothing for a marginal bet when asked for a margin', () => {
    const length = new DraftLength();
    timedPasses(length, 100, 30);
    for (let i = 0; i < 40; i++) length.update('k', 1, i % 20 < 9 ? 1 : 0); // p ≈ 0.45: one draft gains 1.45 / 1.3
    assert.ok(length.value('k') >= 1, `without a margin: ${length.value('k')}`);
    assert.equal(length.value('k', 1.2), 0);
    assert.equal(length.next('k', true, 1.2), 0);
  });

  it('does not count the first pass of a width, which onnxruntime runs cold', () => {
    const length = new DraftLength();
    for (let i = 0; i < 10; i++) length.timed(1, 10);
    length.timed(2, 40); // cold: a row would seem to cost three passes
    assert.equal(length.rowCost, 0.25, 'one width timed: the prior');
    length.timed(2, 12);
    assert.ok(Math.abs(length.rowCost - 0.2) < 1e-9, `row cost ${length.rowCost}`);
  });

  it('fits the row cost as Theil–Sen does, on noisy timings with ties, odd and even counts', () => {
    // The reference: every slope between passes of different widths sorted, then the intercepts.
    const median = (values: number[]): number => {
      const sorted = [...values].sort((a, b) => a - b);
      const m = sorted.length >> 1;
      return sorted.length % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
    };
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 40; trial++) {
      const length = new DraftLength();
      const points: [number, number][] = [];
      const widths = new Set<number>();
      const count = 3 + Math.floor(random() * 80);
      for (let i = 0; i < count; i++) {
        const rows = 1 + Math.floor(random() * 5);
        // Whole milliseconds: many equal slopes and intercepts, where a selection can go wrong.
        const ms = 5 + rows + Math.round(random() * 6);
        length.timed(rows, ms);
        // timed() skips the first pass of each width and keeps the last 64.
        if (widths.has(rows)) points.push([rows, ms]);
        widths.add(rows);
      }
      const kept = points.slice(-64);
      const slopes = kept.flatMap(([ra, ma], i) => kept.slice(i + 1).filter(([rb]) => rb !== ra).map(([rb, mb]) => (mb - ma) / (rb - ra)));
      const perRow = Math.max(0, median(slopes));
      const single = median(kept.map(([rows, ms]) => ms - perRow * (rows - 1)));
      const expected = slopes.length === 0 ? 0.25 : Math.min(2, perRow / single);
      assert.ok(Math.abs(length.rowCost - expected) < 1e-12, `trial ${trial}: ${length.rowCost} vs ${expected}`);
    }
  });

  it('a fixed length is kept whatever happens', () => {
    const length = new DraftLength({ fixed: 5 });
    timedPasses(length, 100, 100);
    for (let i = 0; i < 10; i++) length.update('k', 5, 0);
    assert.equal(length.next('k', false), 5);
  });
});

it('keeps acceptance apart per kind of draft', () => {
  const length = new DraftLength();
  timedPasses(length, 10, 2);
  for (let i = 0; i < 30; i++) {
    length.update('ngram-3', 4, 4);
    length.update('ngram-1', 4, 0);
  }
  assert.ok(length.value('ngram-3') >= 4, `ngram-3: ${length.value('ngram-3')}`);
  assert.equal(length.value('ngram-1'), 0);
  assert.equal(length.acceptance('never-seen'), 0.25, 'a kind not seen yet starts from the prior');
});

describe('promptLookup', () => {
  it('continues the latest earlier occurrence of the longest suffix that occurs', () => {
    // …7 8 9 occurs at 1 and 6; the latest (6) continues with 4 5 6.
    assert.deepEqual(promptLookup([1, 7, 8, 9, 1, 2, 7, 8, 9, 4, 5, 6, 7, 8, 9], 3), { tokens: [4, 5, 6], ngram: 3 });
    // No 3-gram or 2-gram match: the last token alone (5) occurs earlier, followed by 6 1 2 3.
    assert.deepEqual(promptLookup([5, 6, 1, 2, 3, 9, 5], 4), { tokens: [6, 1, 2, 3], ngram: 1 });
  });

  it('goes on around a loop past the end of the context', () => {
    // 2 3 matched two back: the loop 1 2 3 repeats.
    assert.deepEqual(promptLookup([9, 1, 2, 3, 1, 2, 3], 7), { tokens: [1, 2, 3, 1, 2, 3, 1], ngram: 3 });
    assert.deepEqual(promptLookup([4, 4, 4], 5), { tokens: [4, 4, 4, 4, 4], ngram: 2 });
  });

  it('drafts nothing when no suffix occurs earlier or none is asked for', () => {
    assert.deepEqual(promptLookup([1, 2, 3, 4], 4), { tokens: [], ngram: 0 });
    assert.deepEqual(promptLookup([1], 4), { tokens: [], ngram: 0 });
    assert.deepEqual(promptLookup([1, 2, 1], 0), { tokens: [], ngram: 0 });
  });
});

describe('DraftLength edge cases', () => {
  it('drafts what the estimates say when they promise a gain, without waiting to explore', () => {
    // Cheap rows and kept drafts: value is positive, and next hands it out at once.
    const length = new DraftLength();
    timedPasses(length, 10, 0);
    for (let i = 0; i < 30; i++) length.update('k', 4, 4);
    const best = length.value('k');
    assert.ok(best > 0);
    assert.equal(length.next('k', false), best);
  });

  it('ignores timings that cannot be real (no time, NaN, no rows)', () => {
    const clean = new DraftLength();
    const noisy = new DraftLength();
    // Two counted passes (each width's first is not counted): 10 ms for one row, 2 ms a row more.
    for (const length of [clean, noisy]) for (const [rows, ms] of [[1, 10], [2, 12], [1, 10], [2, 12]] as const) length.timed(rows, ms);
    assert.equal(clean.rowCost, 0.2);
    // Each width was seen already, so these would count as passes were they not refused.
    for (let i = 0; i < 3; i++) for (const [rows, ms] of [[2, 0], [3, 0], [4, -1], [5, Number.NaN], [0, 50], [-1, 50]] as const) noisy.timed(rows, ms);
    assert.equal(noisy.rowCost, clean.rowCost);
  });

  it('falls back to the prior row cost when the fitted one-row time is not positive', () => {
    const length = new DraftLength();
    // 2 rows 10 ms, 4 rows 30 ms: 10 ms a row, leaving 0 ms for a one-row pass (each width's first pass is not counted).
    for (let i = 0; i < 3; i++) {
      length.timed(2, 10);
      length.timed(4, 30);
    }
    assert.equal(length.rowCost, 0.25);
  });

  it('a verify pass of no drafted tokens does not change what later evidence weighs', () => {
    const a = new DraftLength();
    const b = new DraftLength();
    for (let i = 0; i < 50; i++) a.update('k', 0, 0);
    a.update('k', 3, 0);
    b.update('k', 3, 0);
    assert.equal(a.acceptance('k'), b.acceptance('k'));
  });
});

describe('promptLookup n-gram bounds', () => {
  it('never matches more than maxNgram tokens', () => {
    // The last 2 tokens (2 3) last occurred at 5, followed by 7; the longer 1 2 3 only at 0, followed by 9.
    assert.deepEqual(promptLookup([1, 2, 3, 9, 5, 2, 3, 7, 1, 2, 3], 1, 2, 1), { tokens: [7], ngram: 2 });
  });
});
