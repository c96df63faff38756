import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError } from '../../../src/engine/errors';
import { LatestWinsScheduler } from '../../../src/completions/scheduler';
import { countedSignal } from './countedSignal';

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

test('inFlight counts the task running now: 1 while it runs, 0 once it settled', async () => {
  const scheduler = new LatestWinsScheduler();
  let release: (value: string) => void = () => undefined;
  const running = scheduler.run(() => new Promise<string>((resolve) => (release = resolve)));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(scheduler.inFlight, 1);
  release('v');
  assert.deepEqual(await running, { kind: 'done', value: 'v' });
  assert.equal(scheduler.inFlight, 0);
});

test('the debounce waits through the given sleep, with the request’s signal; no debounce, no wait', async () => {
  const waits: { ms: number; signal: AbortSignal | undefined }[] = [];
  const scheduler = new LatestWinsScheduler(async (ms, signal) => {
    waits.push({ ms, signal });
    return true;
  });
  let seen: AbortSignal | undefined;
  await scheduler.run(async (signal) => void (seen = signal), { debounceMs: 75 });
  assert.deepEqual(waits.map((w) => w.ms), [75]);
  assert.equal(waits[0]!.signal, seen, 'the wait ends with the same signal as the task');
  await scheduler.run(async () => 'x', { debounceMs: 0 });
  await scheduler.run(async () => 'x');
  assert.equal(waits.length, 1);
});

test('a caller cancelled before or during the debounce gets cancelled, and its task never starts', async () => {
  const scheduler = new LatestWinsScheduler();
  let started = 0;
  const job = async () => {
    started++;
    return 'x';
  };
  const before = new AbortController();
  before.abort();
  assert.deepEqual(await scheduler.run(job, { signal: before.signal }), { kind: 'cancelled' });
  const during = new AbortController();
  const pending = scheduler.run(job, { signal: during.signal, debounceMs: 10_000 });
  setTimeout(() => during.abort(), 5);
  assert.deepEqual(await pending, { kind: 'cancelled' });
  assert.equal(started, 0);
});

test('the task’s signal aborts when a newer request arrives and when its caller cancels', async () => {
  const scheduler = new LatestWinsScheduler();
  const signals: AbortSignal[] = [];
  const hold = (signal: AbortSignal) => {
    signals.push(signal);
    return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new AbortError())));
  };
  const first = scheduler.run(hold);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(signals[0]!.aborted, false);
  const caller = new AbortController();
  const second = scheduler.run(hold, { signal: caller.signal });
  assert.equal(signals[0]!.aborted, true, 'superseded');
  assert.deepEqual(await first, { kind: 'superseded' });
  await new Promise((resolve) => setImmediate(resolve));
  caller.abort();
  assert.equal(signals[1]!.aborted, true, 'cancelled by its caller');
  assert.deepEqual(await second, { kind: 'cancelled' });
});

test('a result or an error that comes after the caller cancelled is cancelled, not done or failed', async () => {
  const scheduler = new LatestWinsScheduler();
  const caller = new AbortController();
  const resolved = scheduler.run(async () => {
    caller.abort();
    return 'too late';
  }, { signal: caller.signal });
  assert.deepEqual(await resolved, { kind: 'cancelled' });
  const other = new AbortController();
  const rejected = scheduler.run(async () => {
    other.abort();
    throw new Error('not an AbortError');
  }, { signal: other.signal });
  assert.deepEqual(await rejected, { kind: 'cancelled' });
});

test('a request superseded while it waits for the previous task to finish never starts', async () => {
  const scheduler = new LatestWinsScheduler();
  const log = { running: 0, max: 0 };
  let started = 0;
  const stubborn = scheduler.run(task(log, 30, 'stale', true));
  await new Promise((resolve) => setImmediate(resolve));
  const waiting = scheduler.run(async () => {
    started++;
    return 'never';
  });
  await new Promise((resolve) => setImmediate(resolve));
  const newest = scheduler.run(task(log, 1, 'newest'));
  assert.deepEqual(await waiting, { kind: 'superseded' });
  assert.deepEqual(await newest, { kind: 'done', value: 'newest' });
  await stubborn;
  assert.equal(started, 0);
});

test('a run lets go of its caller’s signal when it settles', async () => {
  const scheduler = new LatestWinsScheduler();
  const caller = countedSignal();
  await scheduler.run(async () => 'x', { signal: caller.signal });
  assert.equal(caller.listeners(), 0);
});

test('a task that ends with an AbortError nobody asked for is cancelled, not failed', async () => {
  const scheduler = new LatestWinsScheduler();
  const outcome = await scheduler.run(async () => {
    throw new AbortError(); // e.g. the engine was disposed under it
  });
  assert.deepEqual(outcome, { kind: 'cancelled' });
});

test('supersedeAll still reaches the newest request after an older one finished', async () => {
  const waits: AbortSignal[] = [];
  // A debounce that only an abort ends.
  const scheduler = new LatestWinsScheduler((_ms, signal) => {
    if (signal) waits.push(signal);
    return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(false), { once: true }));
  });
  let release: (value: string) => void = () => undefined;
  const older = scheduler.run(() => new Promise<string>((resolve) => (release = resolve)));
  await new Promise((resolve) => setImmediate(resolve));
  const newest = scheduler.run(async () => 'never', { debounceMs: 50 });
  release('late');
  assert.deepEqual(await older, { kind: 'superseded' });
  scheduler.supersedeAll();
  assert.equal(waits.length, 1);
  assert.equal(waits[0]!.aborted, true, 'its debounce ends at once');
  assert.deepEqual(await newest, { kind: 'superseded' });
});
