// Translation replaces the selection in one edit, and one undo restores the original.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { contributedCommands, extension, hasModel, openFile, resetEditors, selectText, waitFor } from './helpers';

const SOURCE = 'Please save your changes before closing the window.';

export function registerTranslationTests(): void {
  describe('translation', () => {
    before(async () => {
      await extension().activate();
    });
    after(async () => {
      await resetEditors();
    });

    it('Translate Selection to German replaces the selection; undo restores it', async function () {
      this.timeout(240_000);
      if (!hasModel('translation')) this.skip();
      const command = 'tealeaf.translateToGerman';
      assert.ok(contributedCommands().some((c) => c.command === command), `${command} is not contributed`);
      const editor = await openFile('docs/welcome.md');
      const original = editor.document.getText();
      const selection = selectText(editor, SOURCE);
      const start = editor.document.offsetAt(selection.start);
      const after = original.slice(editor.document.offsetAt(selection.end));

      // A text-editor command's promise is not awaited by executeCommand: wait for the edit.
      await vscode.commands.executeCommand(command);
      const translated = await waitFor(() => (editor.document.getText() !== original ? editor.document.getText() : undefined), 180_000, 'the translated document');

      assert.equal(translated.slice(0, start), original.slice(0, start), 'text before the selection changed');
      assert.ok(translated.endsWith(after), 'text after the selection changed');
      const replacement = translated.slice(start, translated.length - after.length);
      assert.notEqual(replacement, SOURCE);
      assert.ok(replacement.trim().length > 0, 'the translation is empty');

      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), original, 'one undo did not restore the original');
    });
  });
}
