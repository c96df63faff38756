// The worker host's bookkeeping across restarts, without a worker: when crashes stop the restarts
// (CrashWindow), and attention ids that never resolve in a worker other than the one that
// captured them (AttentionIds). workerLifecycle.test.ts shows both through real workers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttentionIds } from '../../../src/host/attentionIds';
import { CrashWindow } from '../../../src/host/crashWindow';

describe('CrashWindow', () => {
  it('gives up at the third crash within a minute, counting only the crashes inside the window', () => {
    const window = new CrashWindow();
    assert.deepEqual(window.record(0), { crashesInWindow: 1, giveUp: false });
    assert.deepEqual(window.record(30_000), { crashesInWindow: 2, giveUp: false });
    assert.deepEqual(window.record(59_999), { crashesInWindow: 3, giveUp: true });
  });

  it('forgets a crash exactly one window old', () => {
    const window = new CrashWindow(3, 60_000);
    window.record(0);
    window.record(1_000);
    assert.deepEqual(window.record(60_000), { crashesInWindow: 2, giveUp: false }, 'the crash at 0 is out of the window at 60 000');
    assert.deepEqual(window.record(61_000), { crashesInWindow: 2, giveUp: false });
    assert.deepEqual(window.record(61_500), { crashesInWindow: 3, giveUp: true });
  });

  it('takes its limit and window from the host, and clear() starts counting again', () => {
    const window = new CrashWindow(2, 10);
    assert.equal(window.record(0).giveUp, false);
    assert.equal(window.record(5).giveUp, true);
    window.clear();
    assert.deepEqual(window.record(6), { crashesInWindow: 1, giveUp: false });
    assert.deepEqual(window.record(100), { crashesInWindow: 1, giveUp: false });
  });
});

describe('AttentionIds', () => {
  it('issues new ids from 1 and resolves each only in the worker that captured it', () => {
    const ids = new AttentionIds();
    const first = ids.issue(1, 1);
    const second = ids.issue(2, 1); // the new worker numbers its captures from 1 again
    assert.deepEqual([first, second], [1, 2]);
    assert.equal(ids.resolve(first, 1), 1);
    assert.equal(ids.resolve(first, 2), undefined, 'an id of the dead worker never reaches the new one');
    assert.equal(ids.resolve(second, 2), 1);
    assert.equal(ids.resolve(99, 2), undefined);
  });

  it('keeps the latest ids only', () => {
    const ids = new AttentionIds(2);
    const a = ids.issue(1, 10);
    const b = ids.issue(1, 11);
    const c = ids.issue(1, 12);
    assert.equal(ids.resolve(a, 1), undefined, 'the oldest id is forgotten');
    assert.equal(ids.resolve(b, 1), 11);
    assert.equal(ids.resolve(c, 1), 12);
  });

  it('keeps 16 by default', () => {
    const ids = new AttentionIds();
    const issued = Array.from({ length: 17 }, (_, i) => ids.issue(1, i));
    assert.equal(ids.resolve(issued[0]!, 1), undefined);
    assert.equal(ids.resolve(issued[1]!, 1), 1);
  });
});
