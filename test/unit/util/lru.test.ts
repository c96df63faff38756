import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruCache } from '../../../src/util/lru';

test('evicts the least recently used entry beyond capacity', () => {
  const lru = new LruCache<string, number>(3);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1); // a is now the most recent
  lru.set('d', 4); // evicts b
  assert.deepEqual(lru.keys(), ['c', 'a', 'd']);
  assert.equal(lru.get('b'), undefined);
  assert.equal(lru.size, 3);
});

test('peek does not refresh; set on an existing key refreshes and replaces', () => {
  const lru = new LruCache<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.peek('a'), 1);
  lru.set('c', 3); // a was not refreshed by peek: evicted
  assert.equal(lru.has('a'), false);
  lru.set('b', 20);
  lru.set('d', 4); // evicts c, not b
  assert.deepEqual(lru.keys(), ['b', 'd']);
  assert.equal(lru.get('b'), 20);
});

test('rejects a negative or non-finite capacity; capacity 0 keeps nothing', () => {
  assert.throws(() => new LruCache(-1), RangeError);
  assert.throws(() => new LruCache(Number.NaN), RangeError);
  const none = new LruCache<string, number>(0);
  none.set('a', 1);
  assert.equal(none.size, 0);
});

test('weighed entries: evicts the oldest until the total weight fits; one too heavy is not kept', () => {
  const lru = new LruCache<string, Uint8Array>(10, (v) => v.byteLength);
  lru.set('a', new Uint8Array(4));
  lru.set('b', new Uint8Array(4));
  assert.equal(lru.weight, 8);
  lru.get('a');
  lru.set('c', new Uint8Array(3)); // 11 > 10: b, the least recently used, goes
  assert.deepEqual(lru.keys(), ['a', 'c']);
  assert.equal(lru.weight, 7);
  lru.set('huge', new Uint8Array(11));
  assert.equal(lru.has('huge'), false);
  assert.equal(lru.weight, 0, 'making room for it evicted everything, then it went too');
  lru.set('a', new Uint8Array(2));
  lru.set('a', new Uint8Array(5)); // replacing re-weighs
  assert.equal(lru.weight, 5);
});

test('resize evicts down to the new capacity; deleteWhere drops matching keys', () => {
  const lru = new LruCache<string, number>(4);
  for (const k of ['x/1', 'x/2', 'y/1', 'y/2']) lru.set(k, 0);
  lru.resize(3);
  assert.deepEqual(lru.keys(), ['x/2', 'y/1', 'y/2']);
  lru.deleteWhere((k) => k.startsWith('y/'));
  assert.deepEqual(lru.keys(), ['x/2']);
  assert.equal(lru.weight, 1);
});
