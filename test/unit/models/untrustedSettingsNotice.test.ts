// The Workspace Trust notice as the extension registers it (src/models/untrustedSettings.ts): which
// settings files of the open workspace it reads (each folder's .vscode/settings.json, named by
// folder when there are several, and a saved .code-workspace file's `settings`), that a missing or
// broken file counts as setting nothing, and that an untrusted workspace with restricted settings
// gets one warning (also in the log) whose button opens Workspace Trust. Run against a stub of the
// vscode API whose workspace and files each test sets.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { installVscodeStub } from '../vscodeModule';
import { fakeLog } from './fakeEngineHost';

interface StubUri {
  readonly scheme: string;
  readonly path: string;
}

const uri = (path: string, scheme = 'file'): StubUri => ({ scheme, path });

const workspace: {
  isTrusted: boolean;
  workspaceFolders: { name: string; uri: StubUri }[] | undefined;
  workspaceFile: StubUri | undefined;
} = { isTrusted: false, workspaceFolders: undefined, workspaceFile: undefined };
/** The files the stub's fs serves, by path; any other path does not exist. */
const files = new Map<string, string>();
const warnings: { message: string; buttons: string[] }[] = [];
const executed: string[] = [];
/** The button the user presses on the next warning (undefined: dismissed). */
let choice: string | undefined;
let lastChoice: Promise<unknown> = Promise.resolve();

installVscodeStub({
  Uri: { joinPath: (base: StubUri, ...parts: string[]): StubUri => uri([base.path, ...parts].join('/'), base.scheme) },
  workspace: {
    get isTrusted() {
      return workspace.isTrusted;
    },
    get workspaceFolders() {
      return workspace.workspaceFolders;
    },
    get workspaceFile() {
      return workspace.workspaceFile;
    },
    fs: {
      readFile: async (file: StubUri): Promise<Uint8Array> => {
        const text = files.get(file.path);
        if (text === undefined) throw new Error(`ENOENT: ${file.path}`);
        return new TextEncoder().encode(text);
      },
    },
  },
  window: {
    showWarningMessage: (message: string, ...buttons: string[]): Promise<string | undefined> => {
      warnings.push({ message, buttons });
      const picked = Promise.resolve(choice);
      lastChoice = picked.then(() => new Promise((resolve) => setImmediate(resolve)));
      return picked;
    },
  },
  commands: {
    executeCommand: async (command: string): Promise<void> => {
      executed.push(command);
    },
  },
});
const { ignoredWorkspaceSettings, registerUntrustedSettingsNotice } = require('../../../src/models/untrustedSettings') as typeof import('../../../src/models/untrustedSettings');

const RESTRICTED = ['tealeaf.completion.model', 'tealeaf.translate.model'];
const EXTENSION = { extension: { packageJSON: { capabilities: { untrustedWorkspaces: { restrictedConfigurations: RESTRICTED } } } } } as unknown as vscode.ExtensionContext;

beforeEach(() => {
  workspace.isTrusted = false;
  workspace.workspaceFolders = undefined;
  workspace.workspaceFile = undefined;
  files.clear();
  warnings.length = 0;
  executed.length = 0;
  choice = undefined;
  lastChoice = Promise.resolve();
});

/** Registers the notice and waits until its files are read and its warning (if any) is answered. */
async function register(): Promise<ReturnType<typeof fakeLog<vscode.LogOutputChannel>>> {
  const log = fakeLog<vscode.LogOutputChannel>();
  registerUntrustedSettingsNotice(EXTENSION, log.log);
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  await lastChoice;
  return log;
}

describe('ignoredWorkspaceSettings', () => {
  it("reads a single folder's .vscode/settings.json as JSONC", async () => {
    workspace.workspaceFolders = [{ name: 'app', uri: uri('/ws/app') }];
    files.set('/ws/app/.vscode/settings.json', '{\n  // picked by the repository\n  "tealeaf.completion.model": "models/evil",\n}');
    assert.deepEqual(await ignoredWorkspaceSettings(RESTRICTED), [{ setting: 'tealeaf.completion.model', value: 'models/evil', file: '.vscode/settings.json' }]);
  });

  it('names each folder of a multi-root workspace, and reads the settings of its saved workspace file', async () => {
    workspace.workspaceFolders = [
      { name: 'front', uri: uri('/ws/front') },
      { name: 'back', uri: uri('/ws/back') },
    ];
    workspace.workspaceFile = uri('/ws/team.code-workspace');
    files.set('/ws/back/.vscode/settings.json', '{"tealeaf.translate.model": "/opt/de-en"}');
    files.set('/ws/team.code-workspace', '{"folders": [], "settings": {"tealeaf.completion.model": "shared/code"}, "tealeaf.translate.model": "not a setting here"}');
    assert.deepEqual(await ignoredWorkspaceSettings(RESTRICTED), [
      { setting: 'tealeaf.translate.model', value: '/opt/de-en', file: 'back/.vscode/settings.json' },
      { setting: 'tealeaf.completion.model', value: 'shared/code', file: 'team.code-workspace' },
    ]);
  });

  it('does not read an untitled workspace, which has no file yet', async () => {
    workspace.workspaceFile = uri('/Untitled-1.code-workspace', 'untitled');
    files.set('/Untitled-1.code-workspace', '{"settings": {"tealeaf.completion.model": "x"}}');
    assert.deepEqual(await ignoredWorkspaceSettings(RESTRICTED), []);
  });

  it('counts a missing or broken settings file as setting nothing, and goes on to the next', async () => {
    workspace.workspaceFolders = [
      { name: 'missing', uri: uri('/ws/missing') },
      { name: 'broken', uri: uri('/ws/broken') },
      { name: 'good', uri: uri('/ws/good') },
    ];
    files.set('/ws/broken/.vscode/settings.json', '{"tealeaf.completion.model": ');
    files.set('/ws/good/.vscode/settings.json', '{"tealeaf.completion.model": "m"}');
    assert.deepEqual(await ignoredWorkspaceSettings(RESTRICTED), [{ setting: 'tealeaf.completion.model', value: 'm', file: 'good/.vscode/settings.json' }]);
  });
});

describe('registerUntrustedSettingsNotice', () => {
  it('warns once, in a message and the log, and its button opens Workspace Trust', async () => {
    workspace.workspaceFolders = [{ name: 'app', uri: uri('/ws/app') }];
    files.set('/ws/app/.vscode/settings.json', '{"tealeaf.completion.model": "models/evil"}');
    choice = 'Manage Workspace Trust';
    const log = await register();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /^Tealeaf: this workspace is not trusted, so its setting tealeaf\.completion\.model \(models\/evil, in \.vscode\/settings\.json\) is ignored/);
    assert.deepEqual(warnings[0]?.buttons, ['Manage Workspace Trust']);
    assert.deepEqual(log.lines, [{ level: 'warn', text: warnings[0]?.message }]);
    assert.deepEqual(executed, ['workbench.trust.manage']);
  });

  it('opens nothing when the warning is dismissed', async () => {
    workspace.workspaceFolders = [{ name: 'app', uri: uri('/ws/app') }];
    files.set('/ws/app/.vscode/settings.json', '{"tealeaf.translate.model": "t"}');
    await register();
    assert.equal(warnings.length, 1);
    assert.deepEqual(executed, []);
  });

  it('says nothing in a trusted workspace, or when no restricted setting is set', async () => {
    workspace.workspaceFolders = [{ name: 'app', uri: uri('/ws/app') }];
    files.set('/ws/app/.vscode/settings.json', '{"tealeaf.completion.model": "models/evil"}');
    workspace.isTrusted = true;
    const trusted = await register();
    workspace.isTrusted = false;
    files.set('/ws/app/.vscode/settings.json', '{"tealeaf.completion.model": "", "editor.tabSize": 2}');
    const unset = await register();
    assert.deepEqual(warnings, []);
    assert.deepEqual([trusted.lines, unset.lines], [[], []]);
  });
});
