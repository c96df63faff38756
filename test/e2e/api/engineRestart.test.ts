// The engine worker comes back in a real VS Code: killed mid-generation, the generation fails
// once, the status bar says the engine restarted, and the next completion, inspection and
// translation work without a window reload; three crashes in a row stop the restarts (the status
// bar and the model state say so) until Tealeaf: Restart Engine; tealeaf.engine.threads restarts it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TealeafApi } from '../../../src/extension';
import type { EngineLifecycleEvent } from '../../../src/host/lifecycle';
import { extension, hasModel, openFile, resetEditors, selectText, waitFor, withTimeout } from './helpers';

/** Resolves with the first lifecycle event `match` accepts. */
function nextEvent(api: TealeafApi, match: (event: EngineLifecycleEvent) => boolean): Promise<EngineLifecycleEvent> {
  return new Promise((resolve) => {
    const subscription = api.engine.onDidChangeLifecycle((event) => {
      if (!match(event)) return;
      subscription.dispose();
      resolve(event);
    });
  });
}

export function registerEngineRestartTests(): void {
  describe('engine worker restart', () => {
    let api: TealeafApi;
    before(async () => {
      api = (await extension().activate()) as TealeafApi;
    });
    after(async () => {
      await resetEditors();
    });

    it('killed mid-generation: the next completion, inspection and translation work without a reload', async function () {
      this.timeout(300_000);
      assert.ok(hasModel('completion') && hasModel('translation'), 'scripts/e2e/run.mjs provides a completion and a translation model');
      const completionEngine = await api.models.engineFor('completion');
      let killed: Promise<void> | undefined;
      const generation = completionEngine.generate(
        { prompt: 'export function area(width: number, height: number) {\n', maxNewTokens: 200, useKvCache: false },
        { onToken: () => void (killed ??= api.engine.killWorker()) },
      );
      await assert.rejects(generation, /stopped during generate .*restarted; try again/);
      await killed;
      assert.match(api.engine.notice()?.text ?? 'nothing', /Tealeaf engine restarted/);
      assert.equal(api.engine.hostState.state, 'running');

      // A completion: the editor asks the provider, which generates with the same engine proxy.
      const editor = await openFile('src/geometry.ts');
      const document = editor.document;
      const bodyLine = document.getText().split('\n').findIndex((line) => line.startsWith('export function midpoint')) + 1;
      const typed = '  const afterRestart';
      await editor.edit((edit) => edit.replace(document.lineAt(bodyLine).range, typed));
      const cursor = new vscode.Position(bodyLine, typed.length);
      editor.selection = new vscode.Selection(cursor, cursor);
      await waitFor(
        async () => {
          await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
          return waitFor(() => (api.completions.lastGenerationInput()?.prompt.endsWith(typed) ? true : undefined), 10_000, 'this trigger', 250).catch(() => undefined);
        },
        120_000,
        'a completion generated after the restart',
        0,
      );
      await resetEditors();

      // An inspection.
      const inspected = await openFile('src/geometry.ts');
      selectText(inspected, 'return Math.sqrt(dx * dx + dy * dy);');
      const outcome = (await withTimeout(vscode.commands.executeCommand('tealeaf.inspectAttention'), 120_000, 'inspect after the restart')) as { tokens?: number } | undefined;
      assert.ok((outcome?.tokens ?? 0) > 0, `the inspection returned ${JSON.stringify(outcome)}`);
      await resetEditors();

      // A translation.
      const prose = await openFile('docs/welcome.md');
      const original = prose.document.getText();
      selectText(prose, 'The file could not be opened.');
      await vscode.commands.executeCommand('tealeaf.translateToGerman');
      await waitFor(() => (prose.document.getText() !== original ? true : undefined), 120_000, 'the translation after the restart');
    });

    it('three crashes in a row stop the restarts and say so; Restart Engine brings it back', async function () {
      this.timeout(180_000);
      // A fresh count: the crash of the test before may still be inside the minute.
      await vscode.commands.executeCommand('tealeaf.restartEngine');
      await api.models.engineFor('completion');
      const stopped = nextEvent(api, (e) => e.kind === 'crashed' && !e.restarting);
      for (let crash = 0; crash < 3; crash++) {
        const restarted = nextEvent(api, (e) => e.kind === 'started' || (e.kind === 'crashed' && !e.restarting));
        await api.engine.killWorker();
        await restarted;
      }
      await withTimeout(stopped, 10_000, 'the stop after three crashes');
      assert.equal(api.engine.hostState.state, 'stopped');
      assert.match(api.engine.notice()?.text ?? 'nothing', /Tealeaf engine stopped/);
      const state = api.models.state('completion');
      assert.ok(state.status === 'error' && /crashed 3 times within a minute/.test(state.message), `completion state: ${JSON.stringify(state)}`);

      await vscode.commands.executeCommand('tealeaf.restartEngine');
      assert.equal(api.engine.hostState.state, 'running');
      assert.equal(api.engine.notice(), undefined, 'the stopped notice is gone');
      const engine = await api.models.engineFor('completion');
      assert.ok((await engine.tokenize('const x = 1;')).length > 0, 'the engine serves the same proxy again');
    });

    it('changing tealeaf.engine.threads restarts the worker with that many threads', async function () {
      this.timeout(120_000);
      const config = vscode.workspace.getConfiguration('tealeaf.engine');
      const previous = config.inspect<number>('threads')?.globalValue;
      const wanted = previous === 1 ? 2 : 1;
      const started = nextEvent(api, (e) => e.kind === 'started' && e.cause === 'threads');
      await config.update('threads', wanted, vscode.ConfigurationTarget.Global);
      try {
        const event = await withTimeout(started, 20_000, 'the restart for the new thread count');
        assert.ok(event.kind === 'started' && event.threads === wanted, JSON.stringify(event));
        const engine = await api.models.engineFor('completion');
        assert.ok((await engine.tokenize('const x = 1;')).length > 0);
      } finally {
        await config.update('threads', previous, vscode.ConfigurationTarget.Global);
      }
    });
  });
}
