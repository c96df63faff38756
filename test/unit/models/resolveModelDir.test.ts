// resolveModelDir (src/models/modelManager.ts): which model folder a role uses. Workspace and
// workspace-folder values of the model settings only count in a trusted workspace (a cloned
// repository must not make the extension load an ONNX file of its choosing); an untrusted
// workspace's value is ignored, reported, and the user's own (global) value or the bundled model used.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { installVscodeStub } from '../vscodeModule';

// modelManager imports vscode; resolveModelDir itself never touches it.
installVscodeStub({});
const { resolveModelDir } = require('../../../src/models/modelManager') as typeof import('../../../src/models/modelManager');

const BUNDLED = path.resolve('/ext/models/tealeaf-code');
const ROOT = path.resolve('/work/repo');
const WORKSPACE = path.resolve('/work/repo/evil-model');
const FOLDER = path.resolve('/work/repo/folder-model');
const GLOBAL = path.resolve('/home/me/models/mine');

describe('resolveModelDir', () => {
  it('ignores the workspace value in an untrusted workspace and uses the bundled model', () => {
    const resolved = resolveModelDir({ workspaceValue: WORKSPACE }, false, BUNDLED, ROOT);
    assert.equal(resolved.dir, BUNDLED);
    assert.equal(resolved.ignoredUntrusted, WORKSPACE);
  });

  it('ignores the workspace-folder value in an untrusted workspace and uses the global value', () => {
    const resolved = resolveModelDir({ globalValue: GLOBAL, workspaceValue: WORKSPACE, workspaceFolderValue: FOLDER }, false, BUNDLED, ROOT);
    assert.equal(resolved.dir, GLOBAL);
    assert.equal(resolved.ignoredUntrusted, FOLDER);
  });

  it('uses the workspace value in a trusted workspace, the folder value over the workspace one', () => {
    const workspace = resolveModelDir({ globalValue: GLOBAL, workspaceValue: WORKSPACE }, true, BUNDLED, ROOT);
    assert.deepEqual(workspace, { dir: WORKSPACE, ignoredUntrusted: undefined });
    const folder = resolveModelDir({ globalValue: GLOBAL, workspaceValue: WORKSPACE, workspaceFolderValue: FOLDER }, true, BUNDLED, ROOT);
    assert.deepEqual(folder, { dir: FOLDER, ignoredUntrusted: undefined });
  });

  it('uses the global value, else the bundled model, when the workspace sets none (trusted or not)', () => {
    for (const trusted of [true, false]) {
      assert.deepEqual(resolveModelDir({ globalValue: GLOBAL }, trusted, BUNDLED, ROOT), { dir: GLOBAL, ignoredUntrusted: undefined });
      assert.deepEqual(resolveModelDir({}, trusted, BUNDLED, ROOT), { dir: BUNDLED, ignoredUntrusted: undefined });
      assert.deepEqual(resolveModelDir({ workspaceValue: '' }, trusted, BUNDLED, ROOT), { dir: BUNDLED, ignoredUntrusted: undefined });
    }
  });

  it('resolves a relative workspace value against the workspace root and expands ~/', () => {
    assert.equal(resolveModelDir({ workspaceValue: 'models/local' }, true, BUNDLED, ROOT).dir, path.join(ROOT, 'models', 'local'));
    assert.equal(resolveModelDir({ globalValue: '~/models/x' }, false, BUNDLED, ROOT).dir, path.join(os.homedir(), 'models', 'x'));
  });

  it('expands ~/ to the home folder where HOME is not set (Windows), not to a folder of the workspace', () => {
    const home = process.env.HOME;
    delete process.env.HOME;
    try {
      const dir = resolveModelDir({ globalValue: '~/models/x' }, false, BUNDLED, ROOT).dir;
      assert.equal(dir, path.join(os.homedir(), 'models', 'x'));
      assert.ok(!dir.startsWith(ROOT), dir);
    } finally {
      process.env.HOME = home;
    }
  });
});
