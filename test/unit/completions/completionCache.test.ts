import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompletionCache, type CacheContext } from '../../../src/completions/completionCache';

const doc = 'function add(a, b) {\n  return a + b;\n}\n';
function at(offset: number, extra: Partial<CacheContext> = {}): CacheContext {
  return { variant: 'm', documentKey: 'file:///a.ts', offset, before: doc.slice(0, offset), after: '\n', ...extra };
}

test('typing the characters of a shown suggestion keeps showing its rest', () => {
  const cache = new CompletionCache<{ text: string }>();
  const cursor = doc.indexOf('return') ; // "  |return a + b;"
  const entry = { text: 'return a + b;' };
  cache.put(at(cursor, { before: doc.slice(0, cursor) }), entry);

  for (let typed = 0; typed < entry.text.length; typed++) {
    const before = doc.slice(0, cursor) + entry.text.slice(0, typed);
    const hit = cache.lookup(at(cursor + typed, { before }));
    assert.ok(hit, `hit after ${typed} typed characters`);
    assert.equal(hit.rest, entry.text.slice(typed));
    assert.equal(hit.value, entry);
  }
  // Everything typed: nothing left to show.
  assert.equal(cache.lookup(at(cursor + entry.text.length, { before: doc.slice(0, cursor) + entry.text })), undefined);
});

test('a character that diverges from the suggestion misses', () => {
  const cache = new CompletionCache<{ text: string }>();
  const before = 'const x = ';
  cache.put(at(before.length, { before }), { text: 'foo(1);' });
  assert.equal(cache.lookup(at(before.length + 1, { before: before + 'b' })), undefined);
  assert.equal(cache.lookup(at(before.length + 1, { before: before + 'f' }))?.rest, 'oo(1);');
});

test('a changed context (text before, text after, variant or document) misses', () => {
  const cache = new CompletionCache<{ text: string }>();
  const before = 'let total = ';
  cache.put(at(before.length, { before }), { text: 'sum(xs);' });
  assert.ok(cache.lookup(at(before.length, { before })));
  assert.equal(cache.lookup(at(before.length, { before: 'let count = ' })), undefined);
  assert.equal(cache.lookup(at(before.length, { before, after: ')\n' })), undefined);
  assert.equal(cache.lookup(at(before.length, { before, variant: 'other' })), undefined);
  assert.equal(cache.lookup(at(before.length, { before, documentKey: 'file:///b.ts' })), undefined);
});

test('windows that start at different places still match on their overlap', () => {
  const cache = new CompletionCache<{ text: string }>();
  const long = 'x'.repeat(20_000) + '\nconst y = ';
  cache.put(at(long.length, { before: long }), { text: 'compute();' });
  // A later request sends a shorter window of the same document (it starts further on).
  const window = long.slice(15_000) + 'co';
  const hit = cache.lookup(at(long.length + 2, { before: window }));
  assert.equal(hit?.rest, 'mpute();');
});

test('keeps at most its capacity, dropping the least recently used', () => {
  const cache = new CompletionCache<{ text: string }>(2);
  cache.put(at(1, { before: 'a' }), { text: 'one' });
  cache.put(at(2, { before: 'ab' }), { text: 'two' });
  assert.ok(cache.lookup(at(1, { before: 'a' }))); // refresh offset 1
  cache.put(at(3, { before: 'abc' }), { text: 'three' }); // evicts offset 2
  assert.equal(cache.size, 2);
  assert.equal(cache.lookup(at(2, { before: 'ab' }))?.rest, undefined);
  assert.equal(cache.lookup(at(1, { before: 'a' }))?.rest, 'one');
});

test('an empty suggestion is not kept, so it evicts nothing', () => {
  const cache = new CompletionCache<{ text: string }>(1);
  cache.put(at(1, { before: 'a' }), { text: 'one' });
  cache.put(at(2, { before: 'ab' }), { text: '' });
  assert.equal(cache.size, 1);
  assert.equal(cache.lookup(at(1, { before: 'a' }))?.rest, 'one');
});

test('a suggestion typed to its end misses, even beside longer suggestions', () => {
  const cache = new CompletionCache<{ text: string }>();
  cache.put(at(5, { documentKey: 'file:///long.ts', before: 'x'.repeat(5) }), { text: 'a much longer suggestion' });
  const before = 'let y = ';
  cache.put(at(before.length, { before }), { text: 'f(1);' });
  assert.equal(cache.lookup(at(before.length + 4, { before: before + 'f(1)' }))?.rest, ';');
  assert.equal(cache.lookup(at(before.length + 5, { before: before + 'f(1);' })), undefined);
});

test('a suggestion made before the start of the text sent is not matched', () => {
  const cache = new CompletionCache<{ text: string }>();
  // Made at offset 97 of a document; the lookup at 100 sends only the last character before the
  // cursor, so the three characters typed since cannot be checked.
  cache.put(at(97, { before: '' }), { text: 'bcdef' });
  assert.equal(cache.lookup(at(100, { before: 'b' })), undefined);
});

test('only the last 8192 characters before the cursor are compared', () => {
  const cache = new CompletionCache<{ text: string }>();
  const near = 'x'.repeat(8192 - 9) + '\nlet z = '; // 8192 characters
  cache.put(at(10_000 + near.length, { before: 'a'.repeat(10_000) + near }), { text: 'zero();' });
  // An edit more than 8192 characters before where the suggestion was made is outside the kept context.
  const hit = cache.lookup(at(10_000 + near.length + 1, { before: 'b'.repeat(10_000) + near + 'z' }));
  assert.equal(hit?.rest, 'ero();');
  assert.equal(cache.lookup(at(10_000 + near.length + 1, { before: 'a'.repeat(10_000) + 'y' + near.slice(1) + 'z' })), undefined);
});

test('clear forgets every suggestion', () => {
  const cache = new CompletionCache<{ text: string }>();
  const before = 'const x = ';
  cache.put(at(before.length, { before }), { text: 'foo(1);' });
  cache.clear();
  assert.equal(cache.size, 0);
  assert.equal(cache.lookup(at(before.length + 1, { before: before + 'f' })), undefined);
  assert.equal(cache.lookup(at(before.length, { before })), undefined);
});
