import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContextBuilder, cutPoint, indentWidth, stopStrings } from '../../../src/completions/context';
import { fakeTokenize } from './fakeEngine';

const tokenize = async (text: string) => fakeTokenize(text);

/** 200 distinct lines of code-like text. */
const lines = Array.from({ length: 200 }, (_, i) => `  const value${i} = compute(${i}, "item ${i}");`);
const doc = lines.join('\n') + '\n';

function input(cursor: number, documentKey = 'file:///doc.ts') {
  return { documentKey, windowStart: 0, before: doc.slice(0, cursor), after: doc.slice(cursor) };
}

test('the prompt is cut at a line boundary to fit the token budget', async () => {
  const builder = new ContextBuilder();
  const cursor = doc.length - 1; // end of the last line
  const built = await builder.build(input(cursor), { contextTokens: 100, multiline: false }, tokenize);
  assert.ok(built.promptStart > 0);
  assert.equal(doc[built.promptStart - 1], '\n', 'starts at a line start');
  assert.equal(built.prompt, doc.slice(built.promptStart, cursor));
  const tokens = fakeTokenize(built.prompt).length;
  assert.ok(tokens <= 100, `${tokens} tokens ≤ budget`);
  assert.ok(tokens >= 50, `${tokens} tokens: the budget is used, not wasted`);
  // Counted on the longer text before the cut: a token at the cut may merge differently.
  assert.ok(Math.abs(built.promptTokens - tokens) <= 1);
});

test('the start is sticky while typing, so consecutive prompts share their prefix', async () => {
  const builder = new ContextBuilder();
  let cursor = doc.indexOf('value150');
  const first = await builder.build(input(cursor), { contextTokens: 120, multiline: false }, tokenize);
  let moves = 0;
  let previous = first.promptStart;
  for (let i = 0; i < 300; i++) {
    cursor++;
    const built = await builder.build(input(cursor), { contextTokens: 120, multiline: false }, tokenize);
    assert.ok(fakeTokenize(built.prompt).length <= 120);
    if (built.promptStart !== previous) moves++;
    previous = built.promptStart;
  }
  // 300 characters ≈ 100 tokens of typing; with a quarter of the budget as slack, the start moves
  // every ~30 tokens: a handful of times, not on every keystroke.
  assert.ok(moves >= 1 && moves <= 6, `start moved ${moves} times`);
});

test('a jump near the old start takes the full context again; another document starts afresh', async () => {
  const builder = new ContextBuilder();
  const far = doc.indexOf('value190');
  const a = await builder.build(input(far), { contextTokens: 100, multiline: false }, tokenize);
  const near = a.promptStart + 5;
  const b = await builder.build(input(near), { contextTokens: 100, multiline: false }, tokenize);
  assert.ok(b.promptStart < a.promptStart, 'more context before the old start is used');
  const other = await builder.build(input(far, 'file:///other.ts'), { contextTokens: 100, multiline: false }, tokenize);
  assert.equal(other.promptStart, a.promptStart, 'same text, same cut');
});

test('a single line longer than the budget is cut at a token boundary', async () => {
  const builder = new ContextBuilder();
  const long = 'x = ' + Array.from({ length: 400 }, (_, i) => `a${i}`).join(' + ');
  const built = await builder.build(
    { documentKey: 'k', windowStart: 0, before: long, after: '' },
    { contextTokens: 64, multiline: false },
    tokenize,
  );
  assert.ok(fakeTokenize(built.prompt).length <= 64);
  assert.ok(long.endsWith(built.prompt));
});

test('trailing spaces are healed: left out of the prompt and remembered', async () => {
  const builder = new ContextBuilder();
  const before = 'function f() {\n    ';
  const built = await builder.build(
    { documentKey: 'k', windowStart: 0, before, after: '\n}\n' },
    { contextTokens: 64, multiline: true },
    tokenize,
  );
  assert.equal(built.prompt, 'function f() {\n');
  assert.equal(built.heal, '    ');
  assert.equal(built.baseIndent, 4);
  assert.deepEqual(built.followingLines, ['}', '']);
  const mid = await builder.build({ documentKey: 'k', windowStart: 0, before: 'let x = ', after: '' }, { contextTokens: 64, multiline: false }, tokenize);
  assert.equal(mid.prompt, 'let x =');
  assert.equal(mid.heal, ' ');
});

test('FIM: the suffix is cut at a line end within its budget; no FIM: no suffix', async () => {
  const builder = new ContextBuilder();
  const cursor = doc.indexOf('value10 ');
  const fim = await builder.build(input(cursor), { contextTokens: 200, suffixTokens: 30, multiline: false }, tokenize);
  assert.ok(fim.suffix !== undefined);
  assert.ok(fim.suffix.endsWith('\n'));
  assert.ok(doc.slice(cursor).startsWith(fim.suffix));
  assert.ok(fakeTokenize(fim.suffix).length <= 30);
  const plain = await builder.build(input(cursor), { contextTokens: 200, multiline: false }, tokenize);
  assert.equal(plain.suffix, undefined);
  assert.equal(plain.lineSuffix, 'value10 = compute(10, "item 10");');
});

test('stop strings: line break, blank line, and what follows the cursor when there is no FIM', () => {
  assert.deepEqual(stopStrings(false, false, '', []), ['\n']);
  assert.deepEqual(stopStrings(false, false, ')', ['}']), ['\n'], 'a short remainder is not a stop string');
  assert.deepEqual(stopStrings(false, false, ') {', []), ['\n', ') {']);
  assert.deepEqual(stopStrings(true, false, '', ['', '  return x;']), ['\n\n', '\n\r\n', '\n  return x;']);
  assert.deepEqual(stopStrings(true, true, ') {', ['  return x;']), ['\n\n', '\n\r\n'], 'FIM: the model sees the suffix');
});

test('cutPoint and indentWidth', () => {
  const text = 'aa bb\ncc dd\nee';
  const spans = fakeTokenize(text);
  assert.equal(cutPoint(text, spans, spans.length), 0);
  assert.equal(cutPoint(text, spans, 5), 6, 'moves forward to the next line start');
  assert.equal(cutPoint(text, spans, 3), 12);
  assert.equal(cutPoint('abc def ghi', fakeTokenize('abc def ghi'), 1), 7, 'no line start after: the token start');
  assert.equal(indentWidth('\t  ', 4), 6);
  assert.equal(indentWidth(' \t', 4), 4);
});
