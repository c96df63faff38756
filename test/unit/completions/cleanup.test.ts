import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanupSuggestion } from '../../../src/completions/cleanup';

const none = { lineSuffix: '', followingLines: [] };

test('trailing whitespace and trailing blank lines go', () => {
  assert.equal(cleanupSuggestion('foo(1);   ', none), 'foo(1);');
  assert.equal(cleanupSuggestion('a();  \n  b(); \n\n  \n', none), 'a();\n  b();');
  assert.equal(cleanupSuggestion('x\r\ny\r', none), 'x\ny');
});

test('nothing useful left gives the empty string', () => {
  assert.equal(cleanupSuggestion('   ', none), '');
  assert.equal(cleanupSuggestion('\n\n', none), '');
  assert.equal(cleanupSuggestion(')', { lineSuffix: ')', followingLines: [] }), '');
});

test('a duplicated rest of the line is removed from the end', () => {
  assert.equal(cleanupSuggestion('a, b)', { lineSuffix: ')', followingLines: [] }), 'a, b');
  assert.equal(cleanupSuggestion('x > 0) {', { lineSuffix: ') {', followingLines: [] }), 'x > 0');
  assert.equal(cleanupSuggestion('a, b);', { lineSuffix: ')', followingLines: [] }), 'a, b);', 'not a suffix: kept');
  assert.equal(cleanupSuggestion('\n  a,\n  b\n)', { lineSuffix: ')', followingLines: [] }), '\n  a,\n  b');
});

test('lines repeating what follows the cursor are removed', () => {
  const following = ['}', '', 'function next() {'];
  assert.equal(cleanupSuggestion('\n  return 1;\n}', { lineSuffix: '', followingLines: following }), '\n  return 1;');
  assert.equal(
    cleanupSuggestion('x();\n  y();\n  z();', { lineSuffix: '', followingLines: ['  y();', '  z();', '}'] }),
    'x();',
  );
  assert.equal(
    cleanupSuggestion('x();\n  y();', { lineSuffix: '', followingLines: ['  w();'] }),
    'x();\n  y();',
    'different lines are kept',
  );
});

test('the rest of the line is matched without its surrounding spaces, and the spaces it leaves behind go', () => {
  assert.equal(cleanupSuggestion('a, b)', { lineSuffix: ')  ', followingLines: [] }), 'a, b');
  assert.equal(cleanupSuggestion('f(a,  )', { lineSuffix: ')', followingLines: [] }), 'f(a,');
});

test('only a tail of whole lines repeating the following lines goes, never the first line, and never a tail that only partly repeats', () => {
  assert.equal(cleanupSuggestion('x();\ny();', { lineSuffix: '', followingLines: ['x();', 'y();'] }), 'x();\ny();');
  assert.equal(cleanupSuggestion('a\nb\nc', { lineSuffix: '', followingLines: ['b', 'z'] }), 'a\nb\nc');
  assert.equal(cleanupSuggestion('a\n\n}', { lineSuffix: '', followingLines: ['', '}'] }), 'a', 'a blank line in the repeated tail goes with it');
});
