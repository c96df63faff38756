import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyLineRules, bracketDelta, removeHeal } from '../../../src/completions/lineRules';

const single = { multiline: false, baseIndent: 2, tabSize: 4 };
const multi = (baseIndent: number) => ({ multiline: true, baseIndent, tabSize: 4 });

test('single line: up to the first line break', () => {
  assert.deepEqual(applyLineRules('return a + b;\n}', single, false), { text: 'return a + b;', complete: true });
  assert.deepEqual(applyLineRules('return a', single, false), { text: 'return a', complete: false });
  assert.deepEqual(applyLineRules('x = 1;\r\ny', single, true), { text: 'x = 1;', complete: true });
  assert.deepEqual(applyLineRules('x = 1;\ry', single, false), { text: 'x = 1;', complete: true }, 'a lone CR ends the line');
});

test('multi-line: stops before a blank line', () => {
  const raw = 'const a = 1;\n  const b = 2;\n\n  const c = 3;';
  assert.deepEqual(applyLineRules(raw, multi(2), false), { text: 'const a = 1;\n  const b = 2;', complete: true });
  // A streamed last line of spaces may still get content: undecided until it is whole.
  assert.deepEqual(applyLineRules('a();\n  ', multi(2), false), { text: 'a();\n  ', complete: false });
  assert.deepEqual(applyLineRules('a();\n  ', multi(2), true), { text: 'a();', complete: true });
});

test('multi-line: stops before a dedent', () => {
  const raw = 'return x;\n}\n\nfunction g() {';
  assert.deepEqual(applyLineRules(raw, multi(2), false), { text: 'return x;', complete: true });
  const python = 'total += x\n        log(x)\n    return total';
  assert.deepEqual(applyLineRules(python, multi(8), false), { text: 'total += x\n        log(x)', complete: true });
});

test('multi-line: keeps the line that closes the block the suggestion opened, then stops', () => {
  const raw = 'if (x) {\n    y();\n  }\n  z();';
  assert.deepEqual(applyLineRules(raw, multi(2), false), { text: 'if (x) {\n    y();\n  }', complete: true });
  // Cursor after "function f() {": the closing brace at the base indentation ends the block.
  assert.deepEqual(applyLineRules('\n  return 1;\n}\nfoo', multi(0), false), { text: '\n  return 1;\n}', complete: true });
  // The closing line is kept whole: "});" may still be streaming.
  assert.deepEqual(applyLineRules('run(() => {\n    go();\n  })', multi(2), false), {
    text: 'run(() => {\n    go();\n  })',
    complete: false,
  });
  assert.deepEqual(applyLineRules('run(() => {\n    go();\n  });\n', multi(2), false), {
    text: 'run(() => {\n    go();\n  });',
    complete: true,
  });
});

test('multi-line: statements at the same indentation continue', () => {
  const raw = 'a();\n  b();\n  c();';
  assert.deepEqual(applyLineRules(raw, multi(2), true), { text: raw, complete: false });
});

test('tabs count as tab stops', () => {
  const raw = 'a();\n\tb();\n  c();';
  // base 4 (one tab): "\tb();" continues, "  c();" (2) is a dedent.
  assert.deepEqual(applyLineRules(raw, { multiline: true, baseIndent: 4, tabSize: 4 }, true), { text: 'a();\n\tb();', complete: true });
});

test('bracketDelta skips strings and line comments', () => {
  assert.equal(bracketDelta('if (a) {'), 1);
  assert.equal(bracketDelta('s = "({[" + f(x);'), 0);
  assert.equal(bracketDelta('})  // closes {'), -2);
  assert.equal(bracketDelta("x = '\\'('"), 0);
  assert.equal(bracketDelta('d = {  # python {'), 1);
});

test('removeHeal', () => {
  assert.equal(removeHeal('    return x', '    '), 'return x');
  assert.equal(removeHeal('  ', '    '), 'pending');
  assert.equal(removeHeal('  }', '    '), undefined);
  assert.equal(removeHeal('foo', ''), 'foo');
});

test('bracketDelta: strings close at their quote (escapes skip one character), template literals are strings, comments need // or a # after a space', () => {
  assert.equal(bracketDelta('s = "ab" + f('), 1);
  assert.equal(bracketDelta('x = `(` + f('), 1);
  assert.equal(bracketDelta('s = "a\\"(" + g('), 1);
  assert.equal(bracketDelta('a / b ('), 1, 'a division is no comment');
  assert.equal(bracketDelta('a#b ('), 1, 'a # inside a word is no comment');
  assert.equal(bracketDelta('# ('), 0, 'a # at the start is');
  assert.equal(bracketDelta('a #('), 0);
  assert.equal(bracketDelta('a['), 1);
  assert.equal(bracketDelta('a]'), -1);
});

test('single-line mode ignores the multi-line rules', () => {
  assert.deepEqual(applyLineRules('a\n  b', { multiline: false, baseIndent: 2, tabSize: 4 }, true), { text: 'a', complete: true });
});

test('multi-line: the first line\'s open brackets count, a closer ends the block only at the base indent, ) and ] close too', () => {
  assert.deepEqual(applyLineRules('x = f([(\n]);\ny', multi(0), true), { text: 'x = f([(\n]);\ny', complete: false }, 'still one ( open');
  assert.deepEqual(applyLineRules('f() {\n  }\nnext', multi(0), true), { text: 'f() {\n  }\nnext', complete: false }, 'a closer indented deeper');
  assert.deepEqual(applyLineRules('x = [\n];\ny', multi(0), true), { text: 'x = [\n];', complete: true });
  assert.deepEqual(applyLineRules('f(\n);\ny', multi(0), true), { text: 'f(\n);', complete: true });
});

test('multi-line: a tab after spaces reaches the next tab stop', () => {
  // " \t" is 4 columns wide with tab size 4.
  assert.deepEqual(applyLineRules('a();\n \tb();\nc', multi(4), true), { text: 'a();\n \tb();', complete: true });
  assert.deepEqual(applyLineRules('a();\n \tb();', multi(5), true), { text: 'a();', complete: true });
});

test('removeHeal: a text still inside the heal is pending only while the heal starts with it', () => {
  assert.equal(removeHeal('\t', '\t '), 'pending');
  assert.equal(removeHeal(' ', '\t '), undefined);
});
