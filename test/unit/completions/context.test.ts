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

// Exact positions, with one token per character: lines of ten characters (nine letters and a line
// break), so line k starts at 10k.
const LINE = 'abcdefghi\n';
const grid = LINE.repeat(40);
const perChar = async (text: string) => Array.from(text, (_, i) => ({ start: i }));
const at = (cursor: number, windowStart = 0, documentKey = 'file:///grid.txt') => ({ documentKey, windowStart, before: grid.slice(windowStart, cursor), after: grid.slice(cursor) });
const budget100 = { contextTokens: 100, multiline: false };

test('the cut keeps three quarters of the budget, moved forward to the next line start', async () => {
  const built = await new ContextBuilder().build(at(303), budget100, perChar);
  // 303 tokens, 75 kept: the token at 228 is mid-line, the next line starts at 230.
  assert.deepEqual([built.promptStart, built.promptTokens, built.prompt], [230, 73, grid.slice(230, 303)]);
});

test('the start stays put while the text from it fits the budget, exactly to the budget, then moves', async () => {
  const builder = new ContextBuilder();
  await builder.build(at(303), budget100, perChar);
  const starts: number[] = [];
  for (let cursor = 304; cursor <= 331; cursor++) starts.push((await builder.build(at(cursor), budget100, perChar)).promptStart);
  // At 330 the text from 230 is exactly 100 tokens: kept. At 331 it is cut again: 101 − 75 = 26
  // tokens dropped, to 256, and on to the line start at 260.
  assert.deepEqual(starts, [...Array<number>(27).fill(230), 260]);
  const last = await builder.build(at(331), budget100, perChar);
  assert.equal(last.promptTokens, 71);
});

test('a sticky start that leaves half the budget or more is kept; less, and the cursor gets the full context again', async () => {
  const half = new ContextBuilder();
  await half.build(at(303), budget100, perChar);
  assert.equal((await half.build(at(280), budget100, perChar)).promptStart, 230, '50 tokens from the start: kept');
  const less = new ContextBuilder();
  await less.build(at(303), budget100, perChar);
  // 49 tokens from 230: the window is cut afresh, 279 − 75 = 204, on to the line start at 210.
  assert.equal((await less.build(at(279), budget100, perChar)).promptStart, 210);
});

test('a sticky start after the cursor, before the window, in another document or not at a line start is dropped', async () => {
  const before = new ContextBuilder();
  await before.build(at(303), budget100, perChar);
  // The cursor moved above the old start (230): cut afresh from the window.
  assert.equal((await before.build(at(200), budget100, perChar)).promptStart, 130);
  const window = new ContextBuilder();
  await window.build(at(303), budget100, perChar);
  assert.equal((await window.build(at(303, 240), budget100, perChar)).promptStart, 240, 'the window now starts after it');
  assert.equal((await window.build(at(303, 100), budget100, perChar)).promptStart, 240, 'the new window start was kept');
  const other = new ContextBuilder();
  await other.build(at(303), budget100, perChar);
  // At 311 the same document keeps 230 (81 tokens); another one is cut afresh: 236, on to 240.
  assert.equal((await other.build(at(311, 0, 'file:///other.txt'), budget100, perChar)).promptStart, 240, 'another document');
  // One long line, cut at a token: the next keystroke cuts afresh rather than keep a mid-line start.
  const long = new ContextBuilder();
  const line = 'x'.repeat(301);
  const first = await long.build({ documentKey: 'k', windowStart: 0, before: line.slice(0, 300), after: '' }, budget100, perChar);
  const next = await long.build({ documentKey: 'k', windowStart: 0, before: line, after: '' }, budget100, perChar);
  assert.deepEqual([first.promptStart, next.promptStart, next.promptTokens], [225, 226, 75]);
});

test('the FIM suffix: whole when it fits, else cut at the last line break before its budget, else at the token', async () => {
  const builder = new ContextBuilder();
  const fim = (after: string, suffixTokens: number) => builder.build({ documentKey: 'k', windowStart: 0, before: 'x', after }, { contextTokens: 100, suffixTokens, multiline: false }, perChar);
  const after = grid.slice(305); // 'fghi\nabcdefghi\n…'
  assert.equal((await fim(after, 20)).suffix, 'fghi\nabcdefghi\n');
  assert.equal((await fim(after, 3)).suffix, 'fgh');
  assert.equal((await fim('fghi\nab', 20)).suffix, 'fghi\nab');
  assert.equal((await fim('\nabcdefghi', 5)).suffix, '\nabcd', 'a break only at the very start does not count');
  assert.equal((await fim(after, 0)).suffix, undefined, 'a budget of 0 is no FIM');
});

test('the whole context at a cursor inside a line: prompt, heal, the rest of the line, the next lines, indent, stops', async () => {
  const built = await new ContextBuilder().build(
    { documentKey: 'k', windowStart: 0, before: 'function f(a) {\n  if (a) ', after: 'return a;\n\n  return 0;\n}\n' },
    { contextTokens: 64, multiline: true },
    tokenize,
  );
  assert.deepStrictEqual(built, {
    prompt: 'function f(a) {\n  if (a)',
    promptStart: 0,
    promptTokens: fakeTokenize('function f(a) {\n  if (a) ').length,
    heal: ' ',
    lineSuffix: 'return a;',
    followingLines: ['', '  return 0;', '}', ''],
    baseIndent: 2,
    tabSize: 4,
    stop: ['\n\n', '\n\r\n', 'return a;', '\n  return 0;'],
  }, 'no FIM: no suffix key at all');
});

test('with a FIM suffix the model sees what follows, so only line breaks stop it', async () => {
  const built = await new ContextBuilder().build(
    { documentKey: 'k', windowStart: 0, before: 'const x = ', after: 'compute(1);\nconst y = 2;\n' },
    { contextTokens: 64, suffixTokens: 16, multiline: false },
    tokenize,
  );
  assert.equal(built.suffix, 'compute(1);\nconst y = 2;\n');
  assert.deepEqual(built.stop, ['\n']);
  const multi = await new ContextBuilder().build(
    { documentKey: 'k', windowStart: 0, before: 'const x = ', after: 'compute(1);\nconst y = 2;\n' },
    { contextTokens: 64, suffixTokens: 16, multiline: true },
    tokenize,
  );
  assert.deepEqual(multi.stop, ['\n\n', '\n\r\n']);
});

test('a negative suffix budget is no FIM', async () => {
  const built = await new ContextBuilder().build({ documentKey: 'k', windowStart: 0, before: 'x = ', after: 'y;\n' }, { contextTokens: 64, suffixTokens: -4, multiline: false }, tokenize);
  assert.equal(built.suffix, undefined);
  assert.equal('suffix' in built, false);
});

test('a FIM suffix of exactly its budget is kept whole', async () => {
  const built = await new ContextBuilder().build({ documentKey: 'k', windowStart: 0, before: 'x', after: 'abc' }, { contextTokens: 100, suffixTokens: 3, multiline: false }, perChar);
  assert.equal(built.suffix, 'abc');
});

test('the FIM suffix is at most 16 characters a token of its budget, even where tokens are long', async () => {
  // The fake tokenizer makes a run of spaces one token: 5000 spaces are still cut to the window.
  const after = 'x' + ' '.repeat(5000) + 'y';
  const built = await new ContextBuilder().build({ documentKey: 'k', windowStart: 0, before: 'a = ', after }, { contextTokens: 64, suffixTokens: 4, multiline: false }, tokenize);
  assert.ok(built.suffix !== undefined);
  assert.ok(built.suffix.length <= 4 * 16, `${built.suffix.length} characters`);
  assert.ok(after.startsWith(built.suffix));
});

test('lines of a CRLF document come without their carriage returns', async () => {
  const built = await new ContextBuilder().build(
    { documentKey: 'k', windowStart: 0, before: 'if (a) {\r\n  ', after: 'go();\r\n  stop();\r\n}' },
    { contextTokens: 64, multiline: true },
    tokenize,
  );
  assert.equal(built.lineSuffix, 'go();');
  assert.deepEqual(built.followingLines, ['  stop();', '}']);
  assert.deepEqual(built.stop, ['\n\n', '\n\r\n', 'go();', '\n  stop();']);
});

test('the next eight lines after the cursor’s line are given, no more', async () => {
  const after = 'tail\n' + Array.from({ length: 12 }, (_, i) => `line${i}`).join('\n');
  const built = await new ContextBuilder().build({ documentKey: 'k', windowStart: 0, before: 'x', after }, { contextTokens: 64, multiline: false }, tokenize);
  assert.deepEqual(built.followingLines, ['line0', 'line1', 'line2', 'line3', 'line4', 'line5', 'line6', 'line7']);
});

test('spaces after the cursor on the first line of a document are healed whole', async () => {
  const built = await new ContextBuilder().build({ documentKey: 'k', windowStart: 0, before: '    ', after: '' }, { contextTokens: 64, multiline: false }, tokenize);
  assert.deepEqual([built.prompt, built.heal, built.baseIndent], ['', '    ', 4]);
  const words = await new ContextBuilder().build({ documentKey: 'k', windowStart: 0, before: 'let x =  \t', after: '' }, { contextTokens: 64, multiline: false }, tokenize);
  assert.deepEqual([words.prompt, words.heal], ['let x =', '  \t']);
});

test('a prompt well within the budget is tokenized once per keystroke', async () => {
  const builder = new ContextBuilder();
  const texts: string[] = [];
  const counting = async (text: string) => {
    texts.push(text);
    return fakeTokenize(text);
  };
  await builder.build({ documentKey: 'k', windowStart: 0, before: 'let a', after: '' }, { contextTokens: 64, multiline: false }, counting);
  await builder.build({ documentKey: 'k', windowStart: 0, before: 'let ab', after: '' }, { contextTokens: 64, multiline: false }, counting);
  assert.deepEqual(texts, ['let a', 'let ab']);
});

test('reset forgets the sticky start: the next prompt is cut afresh', async () => {
  const builder = new ContextBuilder();
  await builder.build(at(303), budget100, perChar);
  assert.equal((await builder.build(at(311), budget100, perChar)).promptStart, 230, 'kept while typing');
  builder.reset();
  // From 311, 75 tokens are kept: 236, on to the line start at 240.
  assert.equal((await builder.build(at(311), budget100, perChar)).promptStart, 240);
});

test('a cut that falls on a line start is taken as it is', async () => {
  // 305 tokens, 75 kept: the token at 230 starts a line.
  const built = await new ContextBuilder().build(at(305), budget100, perChar);
  assert.deepEqual([built.promptStart, built.promptTokens], [230, 75]);
  const text = 'aa bb\ncc dd\nee';
  assert.equal(cutPoint(text, fakeTokenize(text), 4), 6, 'the kept tokens start with "cc"');
});

test('cutPoint cuts nothing when there are no more tokens than those to keep', () => {
  const text = 'aa bb\ncc';
  const spans = fakeTokenize(text);
  assert.equal(cutPoint(text, spans, spans.length + 3), 0);
  assert.equal(cutPoint('', [], 0), 0);
});

test('stop strings compare the trimmed rest of the line and the next line that is not blank', () => {
  assert.deepEqual(stopStrings(false, false, '  )', []), ['\n'], 'spaces do not make a short remainder long');
  assert.deepEqual(stopStrings(false, false, ') {  ', []), ['\n', ') {']);
  assert.deepEqual(stopStrings(true, false, '', ['   ', '\t', '  return x;']), ['\n\n', '\n\r\n', '\n  return x;']);
  assert.deepEqual(stopStrings(true, false, '', []), ['\n\n', '\n\r\n'], 'nothing follows');
  assert.deepEqual(stopStrings(true, false, '', ['', '  ']), ['\n\n', '\n\r\n'], 'only blank lines follow');
});
