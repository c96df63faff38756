// An inline completion from the local model, driven the way a user's editor drives it:
// editor.action.inlineSuggest.trigger shows ghost text, editor.action.inlineSuggest.commit
// (Tab) inserts it at the cursor, and what it inserts is the engine's own continuation of the
// prompt it was given.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ShownCompletion } from '../../../src/completions/service';
import type { TealeafApi } from '../../../src/extension';
import { extension, hasModel, openFile, resetEditors, sleep, waitFor } from './helpers';

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

      const api = (await extension().activate()) as TealeafApi;
      let inserted: string | undefined;
      let insertedAt = 0;
      let shown: ShownCompletion | undefined;
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
          // Read before the commit: the editor may ask for the next suggestion right after it.
          const offered = api.completions.lastShownCompletion();
          await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
          const after = document.getText();
          if (after !== before) {
            // Only an insertion at the cursor: the text before and after it is unchanged.
            assert.equal(after.slice(0, cursorOffset), before.slice(0, cursorOffset));
            assert.ok(after.endsWith(before.slice(cursorOffset)), 'the text after the cursor changed');
            inserted = after.slice(cursorOffset, after.length - (before.length - cursorOffset));
            insertedAt = cursorOffset;
            shown = offered;
          }
        }
      }
      assert.ok(inserted !== undefined && inserted.length > 0, 'no inline completion was committed within 150 s');

      // What was inserted is what the engine writes for the same prompt: its greedy continuation
      // up to the end of the line (single-line suggestions; the rest of the line is empty here).
      assert.ok(shown, 'the service reports no shown completion');
      assert.equal(shown.shownText, inserted, 'the inserted text is not the text the service showed');
      const { prompt, suffix } = shown.completion;
      assert.ok(document.getText().slice(0, insertedAt).endsWith(prompt), 'the prompt is not the text before the cursor');
      const engine = await api.models.engineFor('completion');
      const maxTokens = vscode.workspace.getConfiguration('tealeaf.completion').get<number>('maxTokens', 48);
      const again = await engine.generate({ prompt, ...(suffix !== undefined ? { suffix } : {}), maxNewTokens: maxTokens, reusePrefix: false });
      const firstLine = (again.text.split(/\r\n|\r|\n/)[0] ?? '').replace(/[ \t\r]+$/, '');
      assert.equal(shown.completion.text, firstLine, `the engine continues ${JSON.stringify(prompt.slice(-40))} with ${JSON.stringify(again.text)}`);
      assert.ok(shown.completion.text.endsWith(inserted));
      const withSuggestion = document.getText();
      await vscode.commands.executeCommand('undo');
      assert.notEqual(document.getText(), withSuggestion, 'undo did not remove the suggestion');
    });

    it('a fill-in-the-middle model is given the text after the cursor', async function () {
      this.timeout(200_000);
      // The Qwen2.5-Coder-layout fixture (random weights, FIM tokens), set by scripts/e2e/run.mjs.
      const fimModel = process.env['TEALEAF_E2E_FIM_MODEL'] ?? '';
      assert.ok(fimModel, 'TEALEAF_E2E_FIM_MODEL is not set: scripts/e2e/run.mjs sets it to the committed fixture');
      const api = (await extension().activate()) as TealeafApi;
      const config = vscode.workspace.getConfiguration('tealeaf.completion');
      const previous = config.inspect<string>('model')?.workspaceValue;
      /** Not one of PREFIXES: the text before the cursor tells this test's generations apart. */
      const TYPED = '  const fim';
      // A generation of the earlier test (the bundled model) must not count as this one's.
      const stale = api.completions.lastGenerationInput();
      await config.update('model', fimModel, vscode.ConfigurationTarget.Workspace);
      try {
        const editor = await openFile('src/geometry.ts');
        const document = editor.document;
        // The body line of midpoint(), whatever an earlier test left in it (it is replaced below).
        const bodyLine = document.getText().split('\n').findIndex((line) => line.startsWith('export function midpoint')) + 1;
        assert.ok(bodyLine > 0, 'midpoint() is not in the sample');
        // Random weights suggest nothing here (their first token ends the line), so the test reads
        // what the model was given rather than what it wrote.
        const line = document.lineAt(bodyLine);
        await editor.edit((edit) => edit.replace(line.range, TYPED));
        const cursor = new vscode.Position(bodyLine, TYPED.length);
        editor.selection = new vscode.Selection(cursor, cursor);
        const cursorOffset = document.offsetAt(cursor);
        let seen = 'nothing';
        const generatedHere = () => {
          const input = api.completions.lastGenerationInput();
          const state = api.models.state('completion');
          seen = `model ${state.status === 'ready' ? state.info.id : state.status}, last prompt …${JSON.stringify(input?.prompt.slice(-30))}`;
          return state.status === 'ready' && state.info.id === fimModel && input !== stale && input?.prompt.endsWith(TYPED) ? input : undefined;
        };
        const given = await waitFor(
          async () => {
            // Type the line again (a new document version: the editor asks the provider anew), trigger
            // once, then give it time to finish: a second trigger would cancel it.
            await editor.edit((edit) => edit.replace(document.lineAt(bodyLine).range, ''));
            await editor.edit((edit) => edit.insert(new vscode.Position(bodyLine, 0), TYPED));
            editor.selection = new vscode.Selection(cursor, cursor);
            await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
            return waitFor(generatedHere, 10_000, 'this trigger', 250).catch(() => undefined);
          },
          150_000,
          'a generation by the FIM model at the cursor',
          0,
        ).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)} (saw ${seen})`);
        });
        const after = document.getText().slice(cursorOffset);
        const suffix = given.suffix ?? '';
        // midpoint() closes the sample file: the rest after the cursor is short, and all of it is sent.
        assert.equal(suffix, after, 'the model saw exactly the document text after the cursor');
        assert.ok(suffix.startsWith('\n}'), 'past the end of the line: the closing brace of midpoint()');
      } finally {
        await config.update('model', previous, vscode.ConfigurationTarget.Workspace);
        await resetEditors();
      }
    });
  });
}
