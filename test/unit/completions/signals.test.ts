// The AbortSignal helpers of the scheduler and the service: a signal that follows any of several
// (and lets go of them when disposed, so that a keystroke leaves no listener behind), and a sleep
// that an abort ends early with false.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anySignal, sleep } from '../../../src/completions/signals';
import { countedSignal } from './countedSignal';

describe('anySignal', () => {
  it('aborts when any of its inputs aborts, with that input’s reason; undefined inputs are skipped', () => {
    const a = new AbortController();
    const b = new AbortController();
    const any = anySignal([a.signal, undefined, b.signal]);
    assert.equal(any.signal.aborted, false);
    b.abort('typed on');
    assert.equal(any.signal.aborted, true);
    assert.equal(any.signal.reason, 'typed on');
    a.abort('later');
    assert.equal(any.signal.reason, 'typed on', 'the first abort’s reason stays');
  });

  it('is aborted at once, with its reason, when an input already is', () => {
    const done = new AbortController();
    done.abort('cancelled before');
    const any = anySignal([new AbortController().signal, done.signal]);
    assert.equal(any.signal.aborted, true);
    assert.equal(any.signal.reason, 'cancelled before');
  });

  it('stays open with no inputs, or only undefined ones', () => {
    assert.equal(anySignal([]).signal.aborted, false);
    assert.equal(anySignal([undefined, undefined]).signal.aborted, false);
  });

  it('holds one listener per input while it lives, none once disposed, and then no longer follows them', () => {
    const a = countedSignal();
    const b = countedSignal();
    const any = anySignal([a.signal, b.signal]);
    assert.deepEqual([a.listeners(), b.listeners()], [1, 1]);
    any.dispose();
    assert.deepEqual([a.listeners(), b.listeners()], [0, 0]);
    a.controller.abort('after dispose');
    assert.equal(any.signal.aborted, false);
    any.dispose(); // twice is harmless
    assert.deepEqual([a.listeners(), b.listeners()], [0, 0]);
  });

  it('stops hooking inputs at the first one already aborted', () => {
    const done = new AbortController();
    done.abort('x');
    const later = countedSignal();
    anySignal([done.signal, later.signal]);
    assert.equal(later.listeners(), 0);
  });
});

describe('sleep', () => {
  it('resolves true after the time, and lets go of the signal', async () => {
    const s = countedSignal();
    const started = performance.now();
    assert.equal(await sleep(30, s.signal), true);
    assert.ok(performance.now() - started >= 25, 'it waited');
    assert.equal(s.listeners(), 0);
  });

  it('resolves false as soon as the signal aborts', async () => {
    const s = countedSignal();
    const started = performance.now();
    const slept = sleep(10_000, s.signal);
    assert.equal(s.listeners(), 1);
    setTimeout(() => s.controller.abort(), 10);
    assert.equal(await slept, false);
    assert.ok(performance.now() - started < 5_000, 'it did not wait out the time');
  });

  it('resolves false at once for a signal already aborted, even for no time', async () => {
    const done = new AbortController();
    done.abort();
    assert.equal(await sleep(10_000, done.signal), false);
    assert.equal(await sleep(0, done.signal), false);
  });

  it('resolves true at once for no time or less, and without a signal after the time', async () => {
    const s = countedSignal();
    const none = sleep(0, s.signal);
    assert.equal(s.listeners(), 0, 'no timer set, no listener added');
    assert.equal(await none, true);
    assert.equal(await sleep(-5), true);
    assert.equal(s.listeners(), 0, 'no time, no listener');
    assert.equal(await sleep(5), true);
  });
});
