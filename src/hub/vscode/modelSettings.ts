// Pointing jobs at a model folder: the model and dtype settings of each job, written together at
// the level where the model is already set (a workspace value would otherwise hide a new user
// value, and a dtype at another level would apply to other folders' models).
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

async function setModel(role: ModelRole, dir: string | undefined, dtype: Dtype | undefined): Promise<void> {
  const config = vscode.workspace.getConfiguration();
  const target = targetOf(MODEL_SETTINGS[role]);
  await config.update(MODEL_SETTINGS[role], dir, target);
  await config.update(DTYPE_SETTINGS[role], dtype, target);
}

/** Makes each job load `dir` with `dtype`. */
export async function useModelFor(roles: readonly ModelRole[], dir: string, dtype: Dtype): Promise<void> {
  for (const role of roles) await setModel(role, dir, dtype);
}

/** Back to the bundled default for each job (its model was deleted). */
export async function resetModelFor(roles: readonly ModelRole[]): Promise<void> {
  for (const role of roles) await setModel(role, undefined, undefined);
}
