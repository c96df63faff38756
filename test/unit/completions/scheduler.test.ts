import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError } from '../../../src/engine/errors';
import { LatestWinsScheduler } from '../../../src/completions/scheduler';

/** A task that runs `steps` macrotask turns, checking its signal between them like the engine. */
function task(log: { running: number; max: number }, steps: number, value: string, ignoreAbort = false) {
  return async (signal: AbortSignal): Promise<string> => {
    log.running++;
    log.max = Math.max(log.max, log.running);
    try {
      for (let i = 0; i < steps; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        if (signal.aborted && !ignoreAbort) throw new AbortError();
      }
      return value;
    } finally {
      log.running--;
    }
  };
}

test('the latest request wins; older ones settle as superseded', async () => {
  const scheduler = new LatestWinsScheduler();
  const log = { running: 0, max: 0 };
  const first = scheduler.run(task(log, 50, 'first'));
  await new Promise((resolve) => setImmediate(resolve));
  const second = scheduler.run(task(log, 5, 'second'));
  assert.deepEqual(await first, { kind: 'superseded' });
  assert.deepEqual(await second, { kind: 'done', value: 'second' });
  assert.equal(log.max, 1);
});

test('a task that ignores its abort still never overlaps the next, and its result is dropped', async () => {
  const scheduler = new LatestWinsScheduler();
  const log = { running: 0, max: 0 };
  const stubborn = scheduler.run(task(log, 20, 'stale', true));
  await new Promise((resolve) => setImmediate(resolve));
  const fresh = scheduler.run(task(log, 2, 'fresh'));
  assert.deepEqual(await stubborn, { kind: 'superseded' });
  assert.deepEqual(await fresh, { kind: 'done', value: 'fresh' });
  assert.equal(log.max, 1, 'the fresh task waited for the stubborn one to finish');
});

test('debounce: requests replaced during the wait never start', async () => {
  const scheduler = new LatestWinsScheduler();
  const log = { running: 0, max: 0 };
  let started = 0;
  const counted = (value: string) => (signal: AbortSignal) => {
    started++;
    return task(log, 1, value)(signal);
  };
  const outcomes = [1, 2, 3, 4].map((i) => scheduler.run(counted(`r${i}`), { debounceMs: 20 }));
  const settled = await Promise.all(outcomes);
  assert.deepEqual(settled.slice(0, 3), [{ kind: 'superseded' }, { kind: 'superseded' }, { kind: 'superseded' }]);
  assert.deepEqual(settled[3], { kind: 'done', value: 'r4' });
  assert.equal(started, 1);
});

test("the caller's own cancellation gives 'cancelled', a thrown error gives 'failed'", async () => {
  const scheduler = new LatestWinsScheduler();
  const log = { running: 0, max: 0 };
  const controller = new AbortController();
  const cancelled = scheduler.run(task(log, 20, 'x'), { signal: controller.signal });
  await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  assert.deepEqual(await cancelled, { kind: 'cancelled' });

  const boom = new Error('boom');
  const failed = await scheduler.run(async () => {
    throw boom;
  });
  assert.deepEqual(failed, { kind: 'failed', error: boom });
  // A task that throws synchronously is reported the same way (run never rejects).
  const sync = await scheduler.run(() => {
    throw boom;
  });
  assert.deepEqual(sync, { kind: 'failed', error: boom });
  assert.equal(scheduler.inFlight, 0);
});

test('supersedeAll makes the pending request stale', async () => {
  const scheduler = new LatestWinsScheduler();
  const log = { running: 0, max: 0 };
  const pending = scheduler.run(task(log, 10, 'x'));
  scheduler.supersedeAll();
  assert.deepEqual(await pending, { kind: 'superseded' });
});
