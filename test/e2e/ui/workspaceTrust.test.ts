// Workspace Trust, in a code-server of its own with trust on: a workspace whose .vscode/settings.json
// names a completion model opens in Restricted Mode; Tealeaf says in a warning that the setting is
// ignored until the workspace is trusted, and completions run on the bundled model instead.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { lineNumber, type UiContext, type UntrustedWorkspace } from './context';
import { sleep, Workbench } from './workbench';

const TOAST = '.notifications-toasts .notification-toast';
const COMPLETION_STATUS = '.statusbar-item[id$="tealeaf.completions"]';

export function registerWorkspaceTrustTests(ctx: UiContext): void {
  describe('UI: workspace trust', () => {
    let workspace: UntrustedWorkspace | undefined;
    let wb: Workbench | undefined;
    before(async () => {
      workspace = await ctx.startUntrustedWorkspace();
      wb = await Workbench.open(ctx.browser(), { url: workspace.url, folder: workspace.folder, artifactsDir: ctx.artifactsDir });
    });
    after(async () => {
      await wb?.close();
      await workspace?.stop();
    });

    it("an untrusted workspace's model path is ignored with a visible warning, and the bundled model runs", async () => {
      assert.ok(wb && workspace);
      const page = wb.page;
      // VS Code's own sign that the workspace is untrusted.
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });

      const toast = page.locator(TOAST, { hasText: 'this workspace is not trusted' });
      await toast.waitFor({ timeout: 60_000 });
      await wb.screenshot('ui-trust-warning');
      const text = (await toast.innerText()).replace(/\s+/g, ' ');
      assert.ok(text.includes(`tealeaf.completion.model (${workspace.workspaceModel}, in .vscode/settings.json)`), `the warning does not name the setting, its value and file: ${text}`);
      assert.ok(text.includes('Manage Workspace Trust'), `the warning offers no way to trust the workspace: ${text}`);

      // Completions load the bundled model, not the one the workspace names: the status bar says which.
      // (The untrusted workspace is a copy of the same sample workspace as ctx.folder.)
      const line = lineNumber(ctx, 'src/geometry.ts', (l, previous) => l.trim() === '' && (previous ?? '').startsWith('export function midpoint'));
      await wb.openFile('src/geometry.ts');
      await wb.goToLineEnd(line);
      await page.keyboard.type('const total', { delay: 40 });
      const status = page.locator(COMPLETION_STATUS).first();
      const hover = page.locator('.monaco-hover.workbench-hover', { hasText: 'Tealeaf inline completions' });
      // "Model: NAME (type, layers, backend)" once loaded; while loading, the tooltip names the folder.
      const loaded = `Model: ${workspace.bundledModelName} (`;
      const wrong = `Model: ${path.basename(workspace.workspaceModel)} (`;
      const deadline = Date.now() + 120_000;
      let shown = '';
      while (!shown.includes(loaded) && !shown.includes(wrong)) {
        assert.ok(Date.now() < deadline, `the completion status never named a loaded model within 120 s of typing; it says: ${shown}`);
        await page.mouse.move(700, 400);
        await page.keyboard.type('x');
        await sleep(1500);
        await status.hover();
        await sleep(500);
        shown = (await hover.count()) > 0 ? (await hover.first().innerText()).replace(/\s+/g, ' ') : '';
      }
      await wb.screenshot('ui-trust-bundled-model');
      assert.ok(shown.includes(loaded), `the completion model is not the bundled one: ${shown}`);
    });
  });
}
