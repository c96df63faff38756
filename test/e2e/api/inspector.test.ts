// The attention inspector: the command runs the model on the selection, opens the panel and
// resolves once the webview has painted the first view.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TealeafApi } from '../../../src/extension';
import { contributedCommands, extension, hasModel, openFile, resetEditors, selectText, sleep, withTimeout } from './helpers';

const COMMAND = 'tealeaf.inspectAttention';

interface InspectOutcome {
  readonly tokens: number;
  readonly forwardMs: number;
  readonly documentMs: number;
  readonly firstPaintMs: number | undefined;
}

function isOutcome(value: unknown): value is InspectOutcome {
  return typeof value === 'object' && value !== null && 'tokens' in value && typeof value.tokens === 'number';
}

/** The inspector panel's tabs. */
function inspectorTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('tealeaf.attention'));
}

/**
 * Runs `body` with the inspector on the Qwen2.5-Coder-layout fixture, as onnx-community publishes
 * it (no attention outputs: graph surgery), set by scripts/e2e/run.mjs; the setting is restored.
 */
async function withStockInspectorModel(body: (api: TealeafApi, stockModel: string) => Promise<void>): Promise<void> {
  const stockModel = process.env['TEALEAF_E2E_FIM_MODEL'] ?? '';
  assert.ok(stockModel, 'TEALEAF_E2E_FIM_MODEL is not set: scripts/e2e/run.mjs sets it to the committed fixture');
  const api = (await extension().activate()) as TealeafApi;
  const config = vscode.workspace.getConfiguration('tealeaf.inspector');
  const previous = config.inspect<string>('model')?.workspaceValue;
  await config.update('model', stockModel, vscode.ConfigurationTarget.Workspace);
  try {
    await body(api, stockModel);
  } finally {
    await config.update('model', previous, vscode.ConfigurationTarget.Workspace);
  }
}

export function registerInspectorTests(): void {
  describe('attention inspector', () => {
    // Both tests run the inspector on the completion model: without one (a harness run with no
    // model for that role) the suite is skipped as a whole.
    before(async function () {
      if (!hasModel('completion')) this.skip();
      await extension().activate();
    });
    after(async () => {
      await resetEditors();
    });

    it('Inspect Attention on a selection opens the panel and paints it', async () => {
      assert.ok(contributedCommands().some((c) => c.command === COMMAND), `${COMMAND} is not contributed`);
      const editor = await openFile('src/geometry.ts');
      selectText(editor, 'return Math.sqrt(dx * dx + dy * dy);');

      const outcome: unknown = await withTimeout(vscode.commands.executeCommand(COMMAND), 120_000, COMMAND);

      assert.ok(isOutcome(outcome), `the command returned ${JSON.stringify(outcome)}`);
      assert.ok(outcome.tokens > 0, 'no query tokens');
      assert.ok(outcome.firstPaintMs !== undefined, 'the webview never reported its first paint');
      assert.equal(inspectorTabs().length, 1, 'expected one inspector panel');
    });

    it('paints the heads of a stock-layout export (no attention outputs: graph surgery)', async function () {
      this.timeout(200_000);
      await withStockInspectorModel(async (api, stockModel) => {
        const editor = await openFile('src/geometry.ts');
        selectText(editor, 'return Math.sqrt(dx * dx + dy * dy);');
        const outcome: unknown = await withTimeout(vscode.commands.executeCommand(COMMAND), 120_000, COMMAND);
        assert.ok(isOutcome(outcome), `the command returned ${JSON.stringify(outcome)}`);
        assert.ok(outcome.firstPaintMs !== undefined, 'the webview never reported its first paint');
        const state = api.models.state('inspector');
        assert.equal(state.status, 'ready');
        assert.equal(state.status === 'ready' ? state.info.id : '', stockModel);
        assert.equal(state.status === 'ready' ? state.info.attentionSource : '', 'surgery');
        // Qwen's byte-level BPE: "return Math.sqrt(dx * dx + dy * dy);" is more than a handful of tokens.
        assert.ok(outcome.tokens >= 10, `${outcome.tokens} query tokens`);
      });
    });

    it('repeated whole-file inspections of a graph-surgery export do not grow the extension host; closing the panel stops the inspector worker and gives its memory back', async function () {
      this.timeout(400_000);
      const rssMb = () => process.memoryUsage().rss / 1024 / 1024;
      await withStockInspectorModel(async (api) => {
        const editor = await openFile('src/shapes.ts');
        const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
        editor.selection = new vscode.Selection(new vscode.Position(0, 0), end);
        const after: number[] = [];
        for (let i = 0; i < 5; i++) {
          const outcome: unknown = await withTimeout(vscode.commands.executeCommand(COMMAND), 120_000, COMMAND);
          assert.ok(isOutcome(outcome) && outcome.tokens > 500, `the command returned ${JSON.stringify(outcome)}`);
          (globalThis as { gc?: () => void }).gc?.();
          await sleep(500);
          after.push(rssMb());
        }
        assert.equal(api.inspectorWorker.running, true, 'the stock-layout model runs in the inspector worker');
        // The inspector worker lives in this process: its WebAssembly heap grows to the working size
        // of a whole-file pass during the first two passes and never shrinks (measured: +49 MB from
        // the first to the second, then +17 MB over three more). Growth after that is what leaks.
        const growth = after[4]! - after[1]!;
        assert.ok(growth < 40, `RSS grew ${Math.round(growth)} MB from the second to the fifth inspection (${after.map(Math.round).join(', ')} MB)`);
        const open = rssMb();
        const tabs = inspectorTabs();
        assert.equal(tabs.length, 1, 'expected one inspector panel');
        await vscode.window.tabGroups.close(tabs);
        const deadline = Date.now() + 20_000;
        while (api.inspectorWorker.running && Date.now() < deadline) await sleep(200);
        assert.equal(api.inspectorWorker.running, false, 'closing the panel stops the inspector worker');
        (globalThis as { gc?: () => void }).gc?.();
        await sleep(2_000);
        const closed = rssMb();
        assert.ok(open - closed > 40, `closing the panel gave back ${Math.round(open - closed)} MB (${Math.round(open)} → ${Math.round(closed)} MB)`);
        this.test!.title += ` (RSS after each inspection ${after.map(Math.round).join(', ')} MB; ${Math.round(open)} → ${Math.round(closed)} MB on closing)`;
      });
    });

    it('inspects a 512-token selection; the first paint is measured in VS Code itself', async function () {
      const editor = await openFile('src/shapes.ts');
      const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
      editor.selection = new vscode.Selection(new vscode.Position(0, 0), end); // ~1,000 tokens: cut to the model's 512
      const runs: InspectOutcome[] = [];
      for (let i = 0; i < 4; i++) {
        // as a person would: not while the previous inspection's statistics are still computing
        if (i > 0) await sleep(1_000);
        const outcome: unknown = await withTimeout(vscode.commands.executeCommand(COMMAND), 120_000, COMMAND);
        assert.ok(isOutcome(outcome), `the command returned ${JSON.stringify(outcome)}`);
        assert.equal(outcome.tokens, 512);
        assert.ok(outcome.firstPaintMs !== undefined, 'the webview never reported its first paint');
        runs.push(outcome);
      }
      // Reported, not asserted: timings belong to the bench; this is the same figure in real VS Code.
      const warm = runs.slice(1).map((r) => r.firstPaintMs!).sort((a, b) => a - b);
      const median = (pick: (r: InspectOutcome) => number) => Math.round(runs.slice(1).map(pick).sort((a, b) => a - b)[1]!);
      this.test!.title +=
        ` (command → first paint: first ${Math.round(runs[0]!.firstPaintMs!)} ms, then median ${Math.round(warm[1]!)} ms;` +
        ` forward ${median((r) => r.forwardMs)} ms, document posted at ${median((r) => r.documentMs)} ms)`;
    });
  });
}
