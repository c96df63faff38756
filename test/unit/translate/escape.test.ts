// escaperFor: model output written back into a comment or string literal cannot end it early.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escaperFor } from '../../../src/translate/escape';

describe('escaperFor', () => {
  it('leaves prose as it is, line breaks and quotes included', () => {
    assert.equal(escaperFor({ kind: 'prose' })('Ein "Satz".\nNoch einer\\', true), 'Ein "Satz".\nNoch einer\\');
  });

  it('keeps a line comment on one line', () => {
    assert.equal(escaperFor({ kind: 'line-comment' })('eins\r\n\nzwei\rdrei "*/"', false), 'eins zwei drei "*/"');
  });

  it('breaks every closer of a block comment, and leaves a one-character closer alone', () => {
    assert.equal(escaperFor({ kind: 'block-comment', close: '*/' })('a */ b */', false), 'a * / b * /');
    assert.equal(escaperFor({ kind: 'block-comment', close: '-}' })('x -} y\nz', false), 'x - } y\nz');
    assert.equal(escaperFor({ kind: 'block-comment', close: '}' })('a } b', false), 'a } b');
    // A longer closer keeps all but its last character together: HTML's "-->" becomes "-- >".
    assert.equal(escaperFor({ kind: 'block-comment', close: '-->' })('a --> b', false), 'a -- > b');
  });

  it('escapes backslashes and the quote in an ordinary string, on one line', () => {
    const escape = escaperFor({ kind: 'string', quote: '"', raw: false });
    assert.equal(escape('Sag "hi"\n\\o/ \'ok\'', false), 'Sag \\"hi\\" \\\\o/ \'ok\'');
    // A run of line breaks, CRLF included, is one space.
    assert.equal(escape('eins\r\nzwei\n\n\rdrei', false), 'eins zwei drei');
    assert.equal(escaperFor({ kind: 'string', quote: "'", raw: false })('it\'s "x"', true), 'it\\\'s "x"');
  });

  it('puts a typographic quote in a raw string, which cannot escape its own', () => {
    assert.equal(escaperFor({ kind: 'string', quote: '"', raw: true })('a "b" \\n', false), 'a ”b” \\n');
    assert.equal(escaperFor({ kind: 'string', quote: "'", raw: true })("it's", false), 'it’s');
    assert.equal(escaperFor({ kind: 'string', quote: '`', raw: true })('a `b`', false), 'a ˋbˋ');
  });

  it('in a triple-quoted string, breaks the delimiter and a quote that would touch the closing one', () => {
    const escape = escaperFor({ kind: 'string', quote: '"""', raw: false });
    assert.equal(escape('a """ b "c"', false), 'a \\"\\"\\" b "c"');
    assert.equal(escape('sagt "hi"', true), 'sagt "hi\\"');
    assert.equal(escape('sagt "hi"', false), 'sagt "hi"');
    assert.equal(escape('kein Zitat', true), 'kein Zitat');
  });

  it('escapes the interpolation of JS templates and Python f-strings, and nothing else’s braces', () => {
    assert.equal(escaperFor({ kind: 'string', quote: '`', raw: false, interpolation: 'js-template' })('${x} kostet $ {y} `z`', false), '\\${x} kostet $ {y} \\`z\\`');
    assert.equal(escaperFor({ kind: 'string', quote: '"', raw: false, interpolation: 'python-f' })('{a} und }{', false), '{{a}} und }}{{');
    assert.equal(escaperFor({ kind: 'string', quote: '"', raw: false })('${x} {a}', false), '${x} {a}');
  });
});
