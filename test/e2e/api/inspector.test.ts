// The attention inspector: the command runs the model on the selection, opens the panel and
// resolves once the webview has painted the first view.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { contributedCommands, extension, hasModel, openFile, resetEditors, selectText, withTimeout } from './helpers';

const COMMAND = 'tealeaf.inspectAttention';

interface InspectOutcome {
  readonly tokens: number;
  readonly forwardMs: number;
  readonly firstPaintMs: number | undefined;
}

function isOutcome(value: unknown): value is InspectOutcome {
  return typeof value === 'object' && value !== null && 'tokens' in value && typeof value.tokens === 'number';
}

export function registerInspectorTests(): void {
  describe('attention inspector', () => {
    before(async () => {
      await extension().activate();
    });
    after(async () => {
      await resetEditors();
    });

    it('Inspect Attention on a selection opens the panel and paints it', async function () {
      if (!hasModel('completion')) this.skip();
      assert.ok(contributedCommands().some((c) => c.command === COMMAND), `${COMMAND} is not contributed`);
      const editor = await openFile('src/geometry.ts');
      selectText(editor, 'return Math.sqrt(dx * dx + dy * dy);');

      const outcome: unknown = await withTimeout(vscode.commands.executeCommand(COMMAND), 120_000, COMMAND);

      assert.ok(isOutcome(outcome), `the command returned ${JSON.stringify(outcome)}`);
      assert.ok(outcome.tokens > 0, 'no query tokens');
      assert.ok(outcome.firstPaintMs !== undefined, 'the webview never reported its first paint');
      const panels = vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('tealeaf.attention'));
      assert.equal(panels.length, 1, 'expected one inspector panel');
    });
  });
}
