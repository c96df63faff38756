// Shared helpers for the API tests that run inside VS Code's extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'tealeaf.tealeaf';

export type ModelRole = 'completion' | 'translation';

/** Which roles the runner found a model for (bundled default or test fixture), set by scripts/e2e. */
export function hasModel(role: ModelRole): boolean {
  const roles = (process.env['TEALEAF_E2E_MODELS'] ?? '').split(',');
  return roles.includes(role);
}

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext;
}

export interface ContributedCommand {
  readonly command: string;
  readonly title: string;
}

export function contributedCommands(): ContributedCommand[] {
  const manifest = extension().packageJSON as { contributes?: { commands?: ContributedCommand[] } };
  return manifest.contributes?.commands ?? [];
}

export function workspaceUri(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, relative);
}

export async function openFile(relative: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceUri(relative));
  return vscode.window.showTextDocument(document, { preview: false });
}

/** Selects the first occurrence of `text` in the editor's document. */
export function selectText(editor: vscode.TextEditor, text: string): vscode.Selection {
  const start = editor.document.getText().indexOf(text);
  assert.ok(start >= 0, `${JSON.stringify(text)} is not in ${editor.document.uri.path}`);
  const selection = new vscode.Selection(editor.document.positionAt(start), editor.document.positionAt(start + text.length));
  editor.selection = selection;
  return selection;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export async function withTimeout<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms: number, what: string, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new TimeoutError(`${what}: not seen within ${ms} ms`);
    await sleep(everyMs);
  }
}

/** Reverts every dirty document and closes all editors, so each test starts from the files on disk. */
export async function resetEditors(): Promise<void> {
  for (const document of vscode.workspace.textDocuments) {
    if (!document.isDirty || document.isUntitled) continue;
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
