// Workspace Trust: in Restricted Mode VS Code drops a workspace's values of the settings listed in
// package.json's `restrictedConfigurations` before the extension sees them (VS Code 1.100 parses
// the workspace's settings with `skipRestricted`, so inspect() reports no workspaceValue either).
// The model folder a cloned repository names is then ignored, as it must be, but silently: the
// user would not know why their model is not the one running. This reads the workspace's settings
// files itself (reading runs no code) and says, once, which settings wait for trust.
import * as vscode from 'vscode';
import { isJsonObject } from '../engine/modelConfig';
import { parseJsonc } from '../util/jsonc';

export interface IgnoredSetting {
  readonly setting: string;
  readonly value: string;
  /** Where the workspace sets it, for the message (".vscode/settings.json", "app.code-workspace"). */
  readonly file: string;
}

/** The settings of `restricted` that a settings object sets to a non-empty string. */
export function restrictedValues(settings: unknown, restricted: readonly string[], file: string): IgnoredSetting[] {
  if (!isJsonObject(settings)) return [];
  return restricted.flatMap((setting) => {
    const value = settings[setting];
    return typeof value === 'string' && value !== '' ? [{ setting, value, file }] : [];
  });
}

/** `capabilities.untrustedWorkspaces.restrictedConfigurations` of a package.json. */
export function restrictedConfigurations(packageJson: unknown): string[] {
  const capabilities = isJsonObject(packageJson) ? packageJson.capabilities : undefined;
  const untrusted = isJsonObject(capabilities) ? capabilities.untrustedWorkspaces : undefined;
  const list = isJsonObject(untrusted) ? untrusted.restrictedConfigurations : undefined;
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

/** One sentence naming each ignored setting, its value and file. */
export function ignoredSettingsMessage(ignored: readonly IgnoredSetting[]): string {
  const list = ignored.map((i) => `${i.setting} (${i.value}, in ${i.file})`).join(', ');
  const one = ignored.length === 1;
  return `Tealeaf: this workspace is not trusted, so its setting${one ? '' : 's'} ${list} ${one ? 'is' : 'are'} ignored and the bundled model or your own setting is used instead; trust the workspace to use ${one ? 'it' : 'them'}.`;
}

/** The workspace's settings files: each folder's .vscode/settings.json, and a .code-workspace file's `settings`. */
function settingsSources(): { uri: vscode.Uri; label: string; settings: (json: unknown) => unknown }[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const sources = folders.map((folder) => ({
    uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'),
    label: folders.length > 1 ? `${folder.name}/.vscode/settings.json` : '.vscode/settings.json',
    settings: (json: unknown) => json,
  }));
  const workspaceFile = vscode.workspace.workspaceFile;
  if (workspaceFile && workspaceFile.scheme !== 'untitled') {
    const name = workspaceFile.path.slice(workspaceFile.path.lastIndexOf('/') + 1);
    sources.push({ uri: workspaceFile, label: name, settings: (json: unknown) => (isJsonObject(json) ? json.settings : undefined) });
  }
  return sources;
}

/** The restricted settings the workspace's files set; unreadable or malformed files count as setting none. */
export async function ignoredWorkspaceSettings(restricted: readonly string[]): Promise<IgnoredSetting[]> {
  const found: IgnoredSetting[] = [];
  for (const source of settingsSources()) {
    let json: unknown;
    try {
      json = parseJsonc(new TextDecoder().decode(await vscode.workspace.fs.readFile(source.uri)));
    } catch {
      continue; // no such file, or one VS Code itself reports as malformed
    }
    found.push(...restrictedValues(source.settings(json), restricted, source.label));
  }
  return found;
}

const MANAGE_TRUST = 'Manage Workspace Trust';

/** In an untrusted workspace, says once which of its settings wait for trust (a warning and the log). */
export function registerUntrustedSettingsNotice(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  if (vscode.workspace.isTrusted) return;
  const restricted = restrictedConfigurations(context.extension.packageJSON);
  void ignoredWorkspaceSettings(restricted).then((ignored) => {
    if (ignored.length === 0) return;
    const message = ignoredSettingsMessage(ignored);
    log.warn(message);
    void vscode.window.showWarningMessage(message, MANAGE_TRUST).then((choice) => {
      if (choice === MANAGE_TRUST) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  });
}
