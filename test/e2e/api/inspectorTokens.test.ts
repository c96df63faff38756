// The attention inspector shows the tokens of the selection: with no context added, the panel's
// first section has exactly the tokens the engine gives for the selected text, and the engine's
// tokens cover that text and nothing else.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TealeafApi } from '../../../src/extension';
import { extension, hasModel, openFile, resetEditors, selectText, withTimeout } from './helpers';

const SELECTED = 'const dx = a.x - b.x;';

export function registerInspectorTokenTests(): void {
  describe('attention inspector: the tokens shown', () => {
    before(async function () {
      if (!hasModel('completion')) this.skip();
      await extension().activate();
    });
    after(async () => {
      await resetEditors();
    });

    it('Inspect Attention shows the tokens of the selection, as the engine tokenizes it', async function () {
      this.timeout(200_000);
      const api = (await extension().activate()) as TealeafApi;
      const config = vscode.workspace.getConfiguration('tealeaf.inspector');
      const previous = config.inspect<number>('contextTokens')?.workspaceValue;
      await config.update('contextTokens', 0, vscode.ConfigurationTarget.Workspace);
      try {
        const editor = await openFile('src/geometry.ts');
        selectText(editor, SELECTED);
        const outcome = await withTimeout(vscode.commands.executeCommand<{ tokens: number } | undefined>('tealeaf.inspectAttention'), 120_000, 'Inspect Attention');
        assert.ok(outcome, 'the inspector showed nothing');
        const engine = await api.models.engineFor('inspector');
        const expected = await engine.attention({ text: SELECTED, withStats: false, values: false });
        const covered = expected.tokens.map((t) => SELECTED.slice(t.start, t.end)).join('');
        assert.equal(covered, SELECTED, 'the engine’s tokens do not cover the selection');
        assert.equal(outcome.tokens, expected.tokens.length, 'the panel does not show the selection’s tokens');
      } finally {
        await config.update('contextTokens', previous, vscode.ConfigurationTarget.Workspace);
      }
    });
  });
}
