// The VSIX is installed and the extension activates in a real VS Code.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { contributedCommands, extension, withTimeout } from './helpers';

export function registerActivationTests(): void {
  describe('activation', () => {
    it('is installed from the VSIX with its bundles and onnxruntime-web WASM', () => {
      const root = extension().extensionPath;
      for (const file of ['package.json', 'dist/extension.js', 'dist/worker.mjs', 'dist/ort-wasm-simd-threaded.mjs', 'dist/ort-wasm-simd-threaded.wasm']) {
        assert.ok(existsSync(path.join(root, file)), `${file} is missing from the installed extension`);
      }
      assert.ok(!existsSync(path.join(root, 'src')), 'sources were packaged');
      assert.ok(!existsSync(path.join(root, 'node_modules')), 'node_modules were packaged');
    });

    it('activates on a narrow event (never "*")', async () => {
      const ext = extension();
      const events = (ext.packageJSON as { activationEvents?: string[] }).activationEvents ?? [];
      assert.ok(!events.includes('*'), `activationEvents: ${events.join(', ')}`);
      await withTimeout(ext.activate(), 60_000, 'activate()');
      assert.equal(ext.isActive, true);
    });

    it('registers every contributed command', async () => {
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributedCommands().filter((c) => !registered.has(c.command));
      assert.deepEqual(missing.map((c) => c.command), []);
    });
  });
}
