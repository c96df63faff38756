// An inline completion from the local model, driven the way a user's editor drives it:
// editor.action.inlineSuggest.trigger shows ghost text, editor.action.inlineSuggest.commit
// (Tab) inserts it at the cursor.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, hasModel, openFile, resetEditors, sleep } from './helpers';

/**
 * Prefixes typed into the empty body of midpoint(). None ends in whitespace: the context builder
 * holds trailing blanks back and a suggestion must start with them, which a random-weight test
 * fixture rarely does. Any single prefix may still get nothing (the fixture may say "\n" first).
 */
const PREFIXES = ['  return a', '  const mid', '  let value', '  const total', '  return b', '  const half', '  let x', '  return point'];

export function registerCompletionTests(): void {
  describe('inline completions', () => {
    before(async () => {
      await extension().activate();
    });
    after(async () => {
      await resetEditors();
    });

    it('trigger + commit inserts the suggestion at the cursor, and undo removes it', async function () {
      this.timeout(200_000);
      if (!hasModel('completion')) this.skip();
      const editor = await openFile('src/geometry.ts');
      const document = editor.document;
      const bodyLine = document.getText().split('\n').findIndex((line, i, lines) => line.trim() === '' && lines[i - 1]?.startsWith('export function midpoint'));
      assert.ok(bodyLine > 0, 'midpoint() has no empty body line in the sample');

      let inserted: string | undefined;
      const deadline = Date.now() + 150_000; // includes the first model load in the worker
      for (let attempt = 0; inserted === undefined && Date.now() < deadline; attempt++) {
        const prefix = PREFIXES[attempt % PREFIXES.length] ?? '';
        const line = document.lineAt(bodyLine);
        await editor.edit((edit) => edit.replace(line.range, prefix));
        const cursor = new vscode.Position(bodyLine, prefix.length);
        editor.selection = new vscode.Selection(cursor, cursor);
        const before = document.getText();
        const cursorOffset = document.offsetAt(cursor);
        for (let i = 0; i < 6 && inserted === undefined; i++) {
          await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
          await sleep(1000);
          await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
          const after = document.getText();
          if (after !== before) {
            // Only an insertion at the cursor: the text before and after it is unchanged.
            assert.equal(after.slice(0, cursorOffset), before.slice(0, cursorOffset));
            assert.ok(after.endsWith(before.slice(cursorOffset)), 'the text after the cursor changed');
            inserted = after.slice(cursorOffset, after.length - (before.length - cursorOffset));
          }
        }
      }
      assert.ok(inserted !== undefined && inserted.length > 0, 'no inline completion was committed within 150 s');
      const withSuggestion = document.getText();
      await vscode.commands.executeCommand('undo');
      assert.notEqual(document.getText(), withSuggestion, 'undo did not remove the suggestion');
    });
  });
}
