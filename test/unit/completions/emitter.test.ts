// The pure modules' event emitter: a listener hears every fire until its subscription, or the
// emitter, is disposed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emitter } from '../../../src/completions/emitter';

test('a disposed subscription hears no more; the others still do', () => {
  const emitter = new Emitter<number>();
  const a: number[] = [];
  const b: number[] = [];
  const subscription = emitter.event((value) => a.push(value));
  emitter.event((value) => b.push(value));
  emitter.fire(1);
  subscription.dispose();
  emitter.fire(2);
  assert.deepEqual(a, [1]);
  assert.deepEqual(b, [1, 2]);
});

test('a disposed emitter reaches none of its listeners', () => {
  const emitter = new Emitter<string>();
  const heard: string[] = [];
  emitter.event((value) => heard.push(value));
  emitter.dispose();
  emitter.fire('after');
  assert.deepEqual(heard, []);
});
