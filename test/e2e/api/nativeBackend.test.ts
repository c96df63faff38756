// The native backend in a real VS Code, from this platform's VSIX (scripts/e2e/run.mjs packages
// it with its onnxruntime-node addon): with tealeaf.engine.backend set to native-worker, ghost text,
// the inspector and a translation run on onnxruntime-node; with the addon made unloadable (the
// engine worker pointed at a folder without it), the extension falls back to WebAssembly and the
// Tealeaf output channel says why.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TealeafApi } from '../../../src/extension';
import { extension, hasModel, openFile, resetEditors, selectText, sleep, waitFor, withTimeout } from './helpers';

/** Prefixes typed into the body of midpoint() until one gets a suggestion (a small model may say nothing after one). */
const PREFIXES = ['  return a', '  const mid', '  let value', '  const total', '  return b'];

/** Types prefixes at an empty line of src/geometry.ts, triggering and committing, until a suggestion is inserted. */
async function commitOneSuggestion(): Promise<string> {
  const editor = await openFile('src/geometry.ts');
  const document = editor.document;
  const line = document.getText().split('\n').findIndex((text, i, lines) => text.trim() === '' && lines[i - 1]?.startsWith('export function midpoint'));
  assert.ok(line > 0, 'midpoint() has no empty body line in the sample');
  const deadline = Date.now() + 150_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const prefix = PREFIXES[attempt % PREFIXES.length] ?? '';
    await editor.edit((edit) => edit.replace(document.lineAt(line).range, prefix));
    const cursor = new vscode.Position(line, prefix.length);
    editor.selection = new vscode.Selection(cursor, cursor);
    const before = document.getText();
    for (let i = 0; i < 4; i++) {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await sleep(1000);
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      if (document.getText() !== before) return document.lineAt(line).text.slice(prefix.length);
    }
  }
  throw new Error('no inline completion was committed within 150 s');
}

/** The Tealeaf output channel's text so far. */
function outputChannel(api: TealeafApi): string {
  const folder = api.logUri.fsPath;
  const file = readdirSync(folder).find((name) => name.startsWith('Tealeaf') && name.endsWith('.log'));
  return file ? readFileSync(path.join(folder, file), 'utf8') : '';
}

export function registerNativeBackendTests(): void {
  describe('native backend (tealeaf.engine.backend: native-worker)', () => {
    let api: TealeafApi;
    const config = () => vscode.workspace.getConfiguration('tealeaf.engine');
    let previous: string | undefined;
    before(async function () {
      if (!hasModel('completion') || !hasModel('translation')) this.skip();
      api = (await extension().activate()) as TealeafApi;
      previous = config().inspect<string>('backend')?.globalValue;
      await config().update('backend', 'native-worker', vscode.ConfigurationTarget.Global);
    });
    after(async () => {
      await resetEditors();
      await api?.engine.setNativeAddonFolder(undefined);
      await config().update('backend', previous, vscode.ConfigurationTarget.Global);
    });

    it('ghost text, the inspector and a translation run on onnxruntime-node', async function () {
      this.timeout(400_000);
      const inserted = await commitOneSuggestion();
      assert.ok(inserted.length > 0, 'the suggestion inserted text');
      const completion = await api.models.engineFor('completion');
      assert.equal(completion.info.backend, 'native', completion.info.backendReason);
      assert.equal(completion.info.backendReason, 'native was asked for');
      const state = api.models.state('completion');
      assert.ok(state.status === 'ready' && state.info.backend === 'native', `the status bar's model state: ${JSON.stringify(state)}`);
      await resetEditors();

      const inspected = await openFile('src/geometry.ts');
      selectText(inspected, 'return Math.sqrt(dx * dx + dy * dy);');
      const outcome = (await withTimeout(vscode.commands.executeCommand('tealeaf.inspectAttention'), 120_000, 'Inspect Attention')) as { tokens?: number } | undefined;
      assert.ok((outcome?.tokens ?? 0) > 0, `the inspection returned ${JSON.stringify(outcome)}`);
      assert.equal((await api.models.engineFor('inspector')).info.backend, 'native');
      await resetEditors();

      const prose = await openFile('docs/welcome.md');
      const original = prose.document.getText();
      selectText(prose, 'The file could not be opened.');
      await vscode.commands.executeCommand('tealeaf.translateToGerman');
      await waitFor(() => (prose.document.getText() !== original ? true : undefined), 120_000, 'the translation');
      assert.equal((await api.models.engineFor('translation')).info.backend, 'native');
    });

    it('an addon that cannot load: the models fall back to WebAssembly and the output channel says why', async function () {
      this.timeout(200_000);
      const empty = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-no-addon-'));
      try {
        await api.engine.setNativeAddonFolder(empty);
        const engine = await api.models.engineFor('completion');
        assert.equal((await engine.tokenize('const x = 1;')).length > 0, true);
        assert.equal(engine.info.backend, 'wasm');
        assert.match(engine.info.backendReason ?? '', /^native was asked for, but onnxruntime-node could not be loaded on .*; running on WebAssembly$/);
        const translation = await api.models.engineFor('translation');
        assert.equal((await translation.translate({ text: 'Open the file.', from: 'en', to: 'de' })).target.length > 0, true);
        assert.equal(translation.info.backend, 'wasm');
        const said = await waitFor(
          () => outputChannel(api).match(/\[warning\] native backend unavailable: onnxruntime-node could not be loaded on [^\n]*onnxruntime_binding\.node[^\n]*; models run on WebAssembly/g) ?? undefined,
          20_000,
          'the fallback in the Tealeaf output channel',
        );
        assert.equal(said.length, 1, 'said once, for every model the worker loads');
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });
}
