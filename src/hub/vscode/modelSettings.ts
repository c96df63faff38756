// Pointing jobs at a model folder: the model and dtype settings of each job, written where the
// user already set them (a workspace value would otherwise hide a new user value).
import * as vscode from 'vscode';
import type { Dtype } from '../../engine/dtype';
import { DTYPE_SETTINGS, MODEL_SETTINGS } from '../../models/modelManager';
import type { ModelRole } from '../../models/types';

export const ROLE_LABELS: Readonly<Record<ModelRole, string>> = {
  completion: 'Inline completions',
  inspector: 'Attention inspector',
  translation: 'Translation',
};

function targetOf(setting: string): vscode.ConfigurationTarget {
  const inspected = vscode.workspace.getConfiguration().inspect(setting);
  if (inspected?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
  if (inspected?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
  return vscode.ConfigurationTarget.Global;
}

async function set(setting: string, value: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration().update(setting, value, targetOf(setting));
}

/** Makes each job load `dir` with `dtype`. */
export async function useModelFor(roles: readonly ModelRole[], dir: string, dtype: Dtype): Promise<void> {
  for (const role of roles) {
    await set(MODEL_SETTINGS[role], dir);
    await set(DTYPE_SETTINGS[role], dtype);
  }
}

/** Back to the bundled default for each job (its model was deleted). */
export async function resetModelFor(roles: readonly ModelRole[]): Promise<void> {
  for (const role of roles) {
    await set(MODEL_SETTINGS[role], undefined);
    await set(DTYPE_SETTINGS[role], undefined);
  }
}
