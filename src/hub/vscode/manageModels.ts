// "Tealeaf: Manage Models": the bundled models and every model in the Hugging Face cache, with
// size, dtype files and the jobs using each; a cached one can be put to a job or deleted (its
// repository folder in the cache, nothing else).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Dtype } from '../../engine/dtype';
import { BUNDLED_MODELS, type ModelManager } from '../../models/modelManager';
import type { ModelRole } from '../../models/types';
import { type CachedModel, deleteCachedRepo, folderBytes, listCachedModels } from '../cachedModels';
import type { HubEnvironment } from '../environment';
import { formatBytes } from '../progress';
import { resetModelFor, ROLE_LABELS, useModelFor } from './modelSettings';
import { errorText } from '../../util/unknown';

const ROLES: readonly ModelRole[] = ['completion', 'inspector', 'translation'];

interface ModelItem extends vscode.QuickPickItem {
  readonly cached?: CachedModel;
}

/** Jobs that load `dir` now. */
function rolesUsing(models: ModelManager, dir: string): ModelRole[] {
  return ROLES.filter((role) => path.resolve(models.modelDir(role)) === path.resolve(dir));
}

function usedBy(roles: readonly ModelRole[]): string {
  return roles.length > 0 ? `used by: ${roles.map((r) => ROLE_LABELS[r].toLowerCase()).join(', ')}` : 'not in use';
}

async function modelItems(env: HubEnvironment, models: ModelManager, extensionPath: string): Promise<ModelItem[]> {
  const items: ModelItem[] = [{ label: 'Bundled', kind: vscode.QuickPickItemKind.Separator }];
  for (const relative of new Set(Object.values(BUNDLED_MODELS))) {
    const dir = path.join(extensionPath, relative);
    const bytes = await folderBytes(dir).catch(() => 0);
    items.push({ label: path.basename(relative), description: `${formatBytes(bytes)} · ${usedBy(rolesUsing(models, dir))}`, detail: dir });
  }
  items.push({ label: `Hugging Face cache (${env.cacheDir})`, kind: vscode.QuickPickItemKind.Separator });
  const cached = await listCachedModels(env.cacheDir);
  for (const model of cached) {
    const refs = model.refs.length > 0 ? ` (${model.refs.join(', ')})` : '';
    items.push({
      label: `${model.repo}@${model.commit.slice(0, 12)}${refs}`,
      description: `${formatBytes(model.bytes)} · ${model.dtypes.join(', ') || 'no complete ONNX files'} · ${usedBy(rolesUsing(models, model.path))}`,
      detail: model.path,
      cached: model,
    });
  }
  if (cached.length === 0) items.push({ label: 'No models downloaded yet: run "Tealeaf: Download Model…"' });
  return items;
}

type Action = { readonly label: string; readonly run: () => Promise<void> };

async function deleteModel(env: HubEnvironment, models: ModelManager, model: CachedModel): Promise<void> {
  const inUse = ROLES.filter((role) => rolesUsing(models, model.path).includes(role));
  const warning = inUse.length > 0 ? ` ${usedBy(inUse)}; those jobs go back to the bundled models.` : '';
  const confirm = 'Delete';
  const answer = await vscode.window.showWarningMessage(
    `Delete ${model.repo} from the Hugging Face cache (every revision and dtype of it, ${env.cacheDir})?${warning}`,
    { modal: true },
    confirm,
  );
  if (answer !== confirm) return;
  await resetModelFor(inUse);
  await deleteCachedRepo(env.cacheDir, model.repo);
  void vscode.window.showInformationMessage(`Tealeaf: deleted ${model.repo} from the cache.`);
}

function actionsFor(env: HubEnvironment, models: ModelManager, model: CachedModel): Action[] {
  const use = (role: ModelRole, dtype: Dtype): Action => ({
    label: `Use for ${ROLE_LABELS[role].toLowerCase()} (${dtype})`,
    run: () => useModelFor([role], model.path, dtype),
  });
  const roles: readonly ModelRole[] = model.kind === 'encoder-decoder' ? ['translation'] : ['completion', 'inspector'];
  return [
    ...roles.flatMap((role) => model.dtypes.map((dtype) => use(role, dtype))),
    { label: 'Reveal in the file explorer', run: async () => void (await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(model.path))) },
    { label: `Delete ${model.repo} from the cache…`, run: () => deleteModel(env, models, model) },
  ];
}

export async function manageModelsCommand(env: HubEnvironment, models: ModelManager, extensionPath: string): Promise<void> {
  try {
    const chosen = await vscode.window.showQuickPick(modelItems(env, models, extensionPath), {
      title: 'Tealeaf: Manage Models',
      placeHolder: 'Bundled and downloaded models: size, dtype files, the jobs using each',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!chosen?.cached) return;
    const actions = actionsFor(env, models, chosen.cached);
    const action = await vscode.window.showQuickPick(actions, { title: `Tealeaf: ${chosen.cached.repo}` });
    await action?.run();
  } catch (error) {
    void vscode.window.showErrorMessage(`Tealeaf: ${errorText(error)}`);
  }
}
