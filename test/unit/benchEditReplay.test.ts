// The replay of real edits the completion benchmarks type (bench/editReplay.ts): every session's
// hunks apply to its file, each keystroke is the document right after one typed character, and the
// prompt classes are what their names say.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits, keystrokesOf, promptClassOf, readReplay } from '../../bench/editReplay';

describe('the edit replay', () => {
  const replay = readReplay();

  it('holds sessions of different source files whose hunks apply in order', () => {
    assert.ok(replay.sessions.length >= 6, `${replay.sessions.length} sessions`);
    assert.equal(new Set(replay.sessions.map((s) => s.file)).size, replay.sessions.length, 'one session per file');
    for (const session of replay.sessions) {
      assert.match(session.file, /^src\/.+\.ts$/);
      const after = applyEdits(session.before, session.edits);
      assert.notEqual(after, session.before, `${session.commit} ${session.file} changes the file`);
    }
  });

  it('types each hunk character by character: before + after is the document at that moment', () => {
    const session = replay.sessions[0]!;
    const keystrokes = keystrokesOf(session, 40, 3000);
    assert.equal(keystrokes.length, 40);
    const first = session.edits[0]!;
    const document = session.before.slice(0, first.start) + session.before.slice(first.start + first.deleted.length);
    keystrokes.slice(0, Math.min(40, first.inserted.length)).forEach((keystroke, i) => {
      const typed = first.inserted.slice(0, i + 1);
      const expected = document.slice(0, first.start) + typed + document.slice(first.start);
      assert.equal(keystroke.before.length + keystroke.windowStart + keystroke.after.length, expected.length);
      assert.equal(expected.slice(keystroke.windowStart), keystroke.before + keystroke.after);
      assert.ok(keystroke.before.endsWith(typed.slice(-1)), 'the cursor is right after the typed character');
      assert.ok(keystroke.before.length <= 3000 + 1 || keystroke.windowStart === 0, 'the window is about contextChars long');
    });
  });

  it('classifies where the cursor is', () => {
    assert.equal(promptClassOf('const a = 1;\n    '), 'line-start');
    assert.equal(promptClassOf('x\n  // the cache is'), 'comment');
    assert.equal(promptClassOf('x\n * the cache'), 'comment');
    assert.equal(promptClassOf('x\n  const value'), 'identifier');
    assert.equal(promptClassOf('x\n  foo(a, '), 'punctuation');
    assert.equal(promptClassOf('x\n  a.'), 'punctuation');
  });
});
