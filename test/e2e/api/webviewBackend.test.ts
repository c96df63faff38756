// The engine in the Tealeaf Engine webview, in a real VS Code (code-server: the webview runs in
// the browser page that the harness drives): with tealeaf.engine.backend set to wasm-webview,
// ghost text is the continuation the engine worker gives for the same prompt, the inspector paints
// the attention the webview computed (it crosses as typed arrays), the output channel says where
// the models run, and closing the panel in the middle of a generation fails it with a clear error
// (it never hangs) while the next request opens the panel again.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ShownCompletion } from '../../../src/completions/service';
import type { TealeafApi } from '../../../src/extension';
import { extension, hasModel, openFile, resetEditors, selectText, sleep, waitFor, withTimeout } from './helpers';

// Prefixes no other suite types: a suggestion they cached for the same text on another backend
// would be shown without running the model in the panel.
const PREFIXES = ['  const cx', '  let half', '  const sum', '  return (', '  const avg', '  let total'];
const IN_PANEL = /^wasm-webview was asked for: WebAssembly \(one thread\) in the Tealeaf Engine panel$/;

/** The Tealeaf Engine panel's tabs. */
function engineTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('tealeaf.engine'));
}

function outputChannel(api: TealeafApi): string {
  const folder = api.logUri.fsPath;
  const file = readdirSync(folder).find((name) => name.startsWith('Tealeaf') && name.endsWith('.log'));
  return file ? readFileSync(path.join(folder, file), 'utf8') : '';
}

/** Types prefixes into midpoint()'s body, triggering and committing, until a suggestion is inserted; what the service showed for it. */
async function commitOneSuggestion(api: TealeafApi): Promise<{ inserted: string; shown: ShownCompletion }> {
  const editor = await openFile('src/geometry.ts');
  const document = editor.document;
  const line = document.getText().split('\n').findIndex((text, i, lines) => text.trim() === '' && lines[i - 1]?.startsWith('export function midpoint'));
  assert.ok(line > 0, 'midpoint() has no empty body line in the sample');
  const deadline = Date.now() + 180_000; // includes opening the panel and loading the model in it
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const prefix = PREFIXES[attempt % PREFIXES.length] ?? '';
    await editor.edit((edit) => edit.replace(document.lineAt(line).range, prefix));
    const cursor = new vscode.Position(line, prefix.length);
    editor.selection = new vscode.Selection(cursor, cursor);
    const before = document.getText();
    for (let i = 0; i < 6; i++) {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await sleep(1000);
      const offered = api.completions.lastShownCompletion();
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      if (document.getText() !== before && offered) return { inserted: document.lineAt(line).text.slice(prefix.length), shown: offered };
    }
  }
  throw new Error('no inline completion was committed within 180 s');
}

export function registerWebviewBackendTests(): void {
  describe('webview backend (tealeaf.engine.backend: wasm-webview)', () => {
    let api: TealeafApi;
    const config = () => vscode.workspace.getConfiguration('tealeaf.engine');
    let previous: string | undefined;
    before(async function () {
      if (!hasModel('completion')) this.skip();
      api = (await extension().activate()) as TealeafApi;
      previous = config().inspect<string>('backend')?.globalValue;
      await config().update('backend', 'wasm-webview', vscode.ConfigurationTarget.Global);
      await waitFor(() => (api.engine.currentBackend === 'wasm-webview' ? true : undefined), 10_000, 'the engine host on wasm-webview');
    });
    after(async () => {
      await resetEditors();
      await config().update('backend', previous, vscode.ConfigurationTarget.Global);
    });

    it('ghost text and the inspector run in the Tealeaf Engine panel, and give what the worker gives', async function () {
      this.timeout(400_000);
      const { inserted, shown } = await commitOneSuggestion(api);
      assert.ok(inserted.length > 0, 'the suggestion inserted text');
      assert.equal(shown.shownText, inserted, 'the inserted text is the text the service showed');
      const completion = await api.models.engineFor('completion');
      assert.equal(completion.info.backend, 'wasm');
      assert.match(completion.info.backendReason ?? '', IN_PANEL, `the model runs in the webview: ${completion.info.backend}, ${JSON.stringify(completion.info.backendReason)}`);
      assert.equal(engineTabs().length, 1, 'one Tealeaf Engine panel is open');
      await waitFor(() => (outputChannel(api).includes('wasm-webview: models run on WebAssembly (one thread) in the Tealeaf Engine panel') ? true : undefined), 20_000, 'the backend in the Tealeaf output channel');

      // The inspector on the same engine: the attention is computed in the webview.
      const inspected = await openFile('src/geometry.ts');
      selectText(inspected, 'return Math.sqrt(dx * dx + dy * dy);');
      const outcome = (await withTimeout(vscode.commands.executeCommand('tealeaf.inspectAttention'), 120_000, 'Inspect Attention')) as { tokens?: number; firstPaintMs?: number } | undefined;
      assert.ok((outcome?.tokens ?? 0) > 0, `the inspection returned ${JSON.stringify(outcome)}`);
      assert.ok(outcome?.firstPaintMs !== undefined, 'the inspector never painted');
      assert.match((await api.models.engineFor('inspector')).info.backendReason ?? '', IN_PANEL);
      const attention = await completion.attention({ text: 'const x = 1;', values: true });
      assert.ok(attention.attention.layerData.every((layer) => layer instanceof Float32Array && layer.length > 0), 'attention crosses from the webview as Float32Arrays');

      // The same prompt in the engine worker gives the same continuation.
      const { prompt, suffix } = shown.completion;
      const maxTokens = vscode.workspace.getConfiguration('tealeaf.completion').get<number>('maxTokens', 48);
      await config().update('backend', 'wasm-worker', vscode.ConfigurationTarget.Global);
      await waitFor(() => (api.engine.currentBackend === 'wasm' ? true : undefined), 10_000, 'the engine host back on the worker');
      const inWorker = await api.models.engineFor('completion');
      const again = await inWorker.generate({ prompt, ...(suffix !== undefined ? { suffix } : {}), maxNewTokens: maxTokens, reusePrefix: false });
      assert.match(inWorker.info.backendReason ?? '', /^WebAssembly was asked for$/);
      const firstLine = (again.text.split(/\r\n|\r|\n/)[0] ?? '').replace(/[ \t\r]+$/, '');
      assert.equal(shown.completion.text, firstLine, `the worker continues ${JSON.stringify(prompt.slice(-40))} with ${JSON.stringify(again.text)}`);
      await config().update('backend', 'wasm-webview', vscode.ConfigurationTarget.Global);
    });

    it('closing the panel mid-generation fails the generation with a clear error; the next request opens it again', async function () {
      this.timeout(300_000);
      const engine = await api.models.engineFor('completion');
      await engine.tokenize('warm'); // the panel is open and the model loaded in it
      await waitFor(() => (engineTabs().length === 1 ? true : undefined), 30_000, 'the Tealeaf Engine panel');
      // Closed once the generation is under way in the panel (its first token has streamed back).
      let streaming: () => void = () => undefined;
      const firstToken = new Promise<void>((resolve) => (streaming = resolve));
      const generating = engine.generate({ prompt: 'export function long() {\n', maxNewTokens: 400, reusePrefix: false, stop: [] }, { onToken: () => streaming() });
      await withTimeout(firstToken, 60_000, 'the first streamed token');
      const tab = engineTabs()[0];
      assert.ok(tab, 'the Tealeaf Engine panel is open');
      await vscode.window.tabGroups.close(tab);
      const error = await withTimeout(
        generating.then(
          (result) => new Error(`the generation finished (${result.tokens.length} tokens) although its panel was closed`),
          (e: unknown) => e,
        ),
        30_000,
        'the interrupted generation (it must not hang)',
      );
      assert.ok(error instanceof Error && error.name === 'EngineClosedError', `got ${String(error)}`);
      assert.match(error.message, /^the Tealeaf Engine panel was closed during generate; the next request opens it again$/);
      assert.ok((await withTimeout(engine.tokenize('const y = 2;'), 120_000, 'the next request')).length > 0);
      assert.equal(engineTabs().length, 1, 'the next request opened the panel again');
    });
  });
}
