// Translation replaces the selection in one edit with the model's German, and one undo restores
// the original. The German is checked against the model's own output computed outside VS Code
// (the CLI, same model folder, beams and pipeline) and against the reference's key word.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TealeafApi } from '../../../src/extension';
import { contributedCommands, extension, hasModel, openFile, resetEditors, selectText, waitFor } from './helpers';

/** The repository: these tests run bundled as .e2e/out/api/index.js. */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** `tealeaf translate` outside VS Code: the target text it prints for `text`. */
function translateOutside(modelDir: string, text: string, beams: number, language = 'markdown'): Promise<string> {
  const args = [path.join(REPO_ROOT, 'bin', 'tealeaf.mjs'), 'translate', '--model', modelDir, '--from', 'en', '--to', 'de', '--beams', String(beams), '--language', language, '--json', text];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tealeaf translate failed: ${stderr || error.message}`));
      else resolve((JSON.parse(stdout) as { target: string }).target);
    });
  });
}

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
      const api = (await extension().activate()) as TealeafApi;
      const state = api.models.state('translation');
      assert.ok(state.status === 'ready', `the translation model is ${state.status}`);
      const beams = vscode.workspace.getConfiguration('tealeaf.translate').get<number>('beams', 4);
      assert.equal(replacement, await translateOutside(state.info.id, SOURCE, beams), 'not what the model gives outside VS Code');
      // The key word of any German translation of SOURCE: "window" is "Fenster".
      assert.match(replacement, /\bFenster\b/, `not German for "window": ${replacement}`);

      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), original, 'one undo did not restore the original');
    });

    it('in a TSX file, translates element text and readable attributes and leaves the code', async function () {
      this.timeout(240_000);
      if (!hasModel('translation')) this.skip();
      const editor = await openFile('src/SaveDialog.tsx');
      assert.equal(editor.document.languageId, 'typescriptreact');
      const original = editor.document.getText();
      const element = original.slice(original.indexOf('<div'), original.indexOf('</div>') + '</div>'.length);
      const selection = selectText(editor, element);
      const start = editor.document.offsetAt(selection.start);
      const after = original.slice(editor.document.offsetAt(selection.end));

      await vscode.commands.executeCommand('tealeaf.translateToGerman');
      const translated = await waitFor(() => (editor.document.getText() !== original ? editor.document.getText() : undefined), 180_000, 'the translated document');
      const replacement = translated.slice(start, translated.length - after.length);
      const api = (await extension().activate()) as TealeafApi;
      const state = api.models.state('translation');
      assert.ok(state.status === 'ready', `the translation model is ${state.status}`);
      const beams = vscode.workspace.getConfiguration('tealeaf.translate').get<number>('beams', 4);
      assert.equal(replacement, await translateOutside(state.info.id, element, beams, 'typescriptreact'), 'not what the model gives outside VS Code');
      for (const code of ['<div className="dialog" title="', '<p>', '</p>', '<button onClick={onClose}>', '</button>', '</div>']) {
        assert.ok(replacement.includes(code), `the code ${code} changed: ${replacement}`);
      }
      assert.match(replacement, /<p>[^<]*\bFenster\b[^<]*<\/p>/, `the paragraph is not German for "window": ${replacement}`);
      assert.doesNotMatch(replacement, /title="Unsaved changes"/, 'the title attribute was not translated');
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), original, 'one undo did not restore the original');
    });
  });
}
