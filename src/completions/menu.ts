// The status bar menu: toggle completions, choose the model, open the inspector, explain the last
// suggestion. vscode side only; the commands it runs are registered elsewhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineMemoryReport, ModelState } from '../models/types';
import type { EngineMemory } from '../protocol/engine';
import { SETTINGS_SECTION } from './settings';
import { errorText } from '../util/unknown';
import { BUNDLED_CODE_MODEL, BUNDLED_MODELS_FOLDER } from '../bundledModels';
import { DTYPES, dtypeFileName } from '../engine/dtype';
import { ONNX_BASES } from '../engine/modelFolder';
import { COMMANDS } from '../commands';

export interface MenuDeps {
  readonly extensionPath: string;
  readonly enabled: () => boolean;
  readonly modelState: () => ModelState;
  readonly toggle: () => Promise<void>;
  readonly reload: () => void;
  /** Argument for tealeaf.explainCompletion, when the last shown suggestion kept its attention. */
  readonly explainTarget: () => object | undefined;
  /** What the engine processes hold now. */
  readonly engineMemory?: () => Promise<EngineMemoryReport>;
}

type Action = () => Promise<unknown> | unknown;
interface MenuItem extends vscode.QuickPickItem {
  readonly action?: Action;
}

export async function showCompletionMenu(deps: MenuDeps): Promise<void> {
  const enabled = deps.enabled();
  const state = deps.modelState();
  const target = deps.explainTarget();
  const memory = memoryDescription(process.memoryUsage().rss, (await deps.engineMemory?.()) ?? {});
  const items: MenuItem[] = [
    {
      label: enabled ? '$(circle-slash) Disable inline completions' : '$(check) Enable inline completions',
      action: deps.toggle,
    },
    { label: '$(file-directory) Choose completion model…', description: modelDescription(state), action: () => chooseModel(deps.extensionPath) },
    { label: '$(cloud-download) Download a model from the Hugging Face Hub…', action: () => run(COMMANDS.downloadModel) },
    { label: '$(library) Manage models', description: 'bundled and in the Hugging Face cache', action: () => run(COMMANDS.manageModels) },
    ...(state.status === 'error' ? [{ label: '$(refresh) Retry loading the model', detail: state.message, action: deps.reload }] : []),
    { label: '$(eye) Open the attention inspector', action: () => run(COMMANDS.inspectAttention) },
    {
      label: '$(trash) Free inspector memory',
      description: memory,
      action: () => run(COMMANDS.freeInspectorMemory),
    },
    ...(target ? [{ label: '$(question) Why this suggestion?', description: 'attention of the last suggestion', action: () => run(COMMANDS.explainCompletion, target) }] : []),
    { label: '$(gear) Completion settings', action: () => run('workbench.action.openSettings', SETTINGS_SECTION) },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Tealeaf', placeHolder: 'Inline completions' });
  await picked?.action?.();
}

const MB = 1024 * 1024;

function engineText(name: string, memory: EngineMemory): string {
  return `${name} ${Math.round(memory.rssBytes / MB)} MB (WebAssembly ${Math.round(memory.wasmHeapBytes / MB)} MB)`;
}

/**
 * "extension host 150 MB · engine 340 MB (WebAssembly 101 MB) · inspector 410 MB (…)": each
 * process's resident memory; an engine that does not run now is left out.
 */
export function memoryDescription(hostRssBytes: number, report: EngineMemoryReport): string {
  const parts = [`extension host ${Math.round(hostRssBytes / MB)} MB`];
  if (report.main) parts.push(engineText('engine', report.main));
  if (report.inspector) parts.push(engineText('inspector', report.inspector));
  return parts.join(' · ');
}

function modelDescription(state: ModelState): string {
  switch (state.status) {
    case 'ready':
      return `${state.info.name} · ${state.info.backend}`;
    case 'loading':
      return 'loading…';
    case 'error':
      return 'error';
    case 'idle':
      return 'not loaded yet';
  }
}

async function run(command: string, ...args: unknown[]): Promise<void> {
  try {
    await vscode.commands.executeCommand(command, ...args);
  } catch (error) {
    void vscode.window.showErrorMessage(`Tealeaf: ${errorText(error)}`);
  }
}

interface ModelItem extends vscode.QuickPickItem {
  /** '' = bundled default; undefined = browse. */
  readonly value: string | undefined;
}

/** Sets tealeaf.completion.model in the user settings (the setting is machine-overridable). */
async function chooseModel(extensionPath: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const current = config.get<string>('model', '');
  const bundled = bundledDecoders(extensionPath);
  const defaultName = path.basename(BUNDLED_CODE_MODEL);
  const items: ModelItem[] = [
    { label: 'Bundled default', description: defaultName, value: '' },
    ...bundled
      .filter((dir) => path.basename(dir) !== defaultName)
      .map((dir) => ({ label: path.basename(dir), description: 'bundled', value: dir })),
    ...(current && !bundled.includes(current) ? [{ label: path.basename(current), description: current, value: current }] : []),
    { label: '$(folder-opened) Browse for a model folder…', detail: 'A folder in the transformers.js layout: onnx/model.onnx or one of its dtype variants', value: undefined },
  ].map((item) => (item.value === current ? { ...item, label: `$(check) ${item.label}` } : item));
  const picked = await vscode.window.showQuickPick(items, { title: 'Tealeaf: completion model' });
  if (!picked) return;
  let value = picked.value;
  if (value === undefined) {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
    const dir = folder?.[0]?.fsPath;
    if (!dir) return;
    if (!hasDecoderGraph(dir)) {
      void vscode.window.showErrorMessage(
        `Tealeaf: ${dir} has neither onnx/model.onnx nor any of its dtype variants (a decoder-only model in the transformers.js layout).`,
      );
      return;
    }
    value = dir;
  }
  await config.update('model', value, vscode.ConfigurationTarget.Global);
  const inspected = config.inspect<string>('model');
  if (vscode.workspace.isTrusted && (inspected?.workspaceValue || inspected?.workspaceFolderValue)) {
    void vscode.window.showInformationMessage('Tealeaf: this workspace sets tealeaf.completion.model, which takes precedence over your user setting.');
  }
}

/**
 * Every name a decoder-only graph may have (onnx/model.onnx, onnx/model_q4.onnx,
 * onnx/decoder_model_merged_fp16.onnx, …): a folder downloaded in one weight type has only that one.
 */
const DECODER_GRAPHS = ONNX_BASES.decoder.flatMap((base) => DTYPES.map((dtype) => dtypeFileName(base, dtype)));

function hasDecoderGraph(dir: string): boolean {
  return DECODER_GRAPHS.some((file) => fs.existsSync(path.join(dir, file)));
}

function bundledDecoders(extensionPath: string): string[] {
  const root = path.join(extensionPath, BUNDLED_MODELS_FOLDER);
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && hasDecoderGraph(path.join(root, entry.name)))
      .map((entry) => path.join(root, entry.name));
  } catch {
    return [];
  }
}
