import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruCache } from '../../../src/completions/lru';

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

test('rejects a capacity below one', () => {
  assert.throws(() => new LruCache(0), RangeError);
});
