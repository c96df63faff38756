// Extension entry point: owns the engine host and the model manager, and registers each feature.
// Every disposable goes to context.subscriptions. docs/architecture.md maps the processes and the
// modules, and follows a completion, an inspection and a translation through them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCompletions } from './completions/register';
import { openEngineTransport } from './engineView/panel';
import { WorkerHost } from './host/workerHost';
import { type HubApi, registerHub } from './hub/vscode/register';
import { registerInspector } from './inspector/index';
import { registerEngineBackend } from './models/engineBackend';
import { type EngineLifecycleApi, registerEngineLifecycle } from './models/engineLifecycle';
import { ModelManager } from './models/modelManager';
import { registerUntrustedSettingsNotice } from './models/untrustedSettings';
import { registerTranslation } from './translate/register';

/** What activate() returns: used by the end-to-end tests inside VS Code. */
export interface TealeafApi {
  readonly models: ModelManager;
  readonly completions: ReturnType<typeof registerCompletions>;
  readonly inspector: ReturnType<typeof registerInspector>;
  /** Hub downloads (Download Model…, Sign In…, Manage Models). */
  readonly hub: HubApi;
  /** The inspector's own engine process (see ModelManager.inspectorEngine): whether it runs now, and its id. */
  readonly inspectorWorker: { readonly running: boolean; readonly pid: number | undefined };
  /**
   * The engine: its state, what the status bar says about it, a kill for crash tests, and
   * another folder for onnxruntime-node's addon (one without it makes the addon unloadable).
   */
  readonly engine: EngineLifecycleApi & Pick<WorkerHost, 'hostState' | 'killWorker' | 'onDidChangeLifecycle' | 'setNativeAddonFolder' | 'currentBackend'>;
  /** The extension's log folder: the Tealeaf output channel is written to Tealeaf.log in it. */
  readonly logUri: vscode.Uri;
}

/** The inspector's engine process ends after this long without a request, panel open or not. */
const INSPECTOR_IDLE_STOP_MS = 5 * 60_000;

export function activate(context: vscode.ExtensionContext): TealeafApi {
  // Inference runs in a child process, or for the webview backends in the Tealeaf Engine panel: the
  // extension host, which every extension shares, neither runs it nor keeps the memory it grows. The backend comes from
  // tealeaf.engine.backend (registerEngineBackend); `auto` remembers what it measured per model
  // and machine in the global storage.
  const host = new WorkerHost({
    workerPath: path.join(context.extensionPath, 'dist', 'worker.mjs'),
    isolation: 'process',
    backendCacheFile: path.join(context.globalStorageUri.fsPath, 'backend-choices.json'),
    webview: (backend) => openEngineTransport(context.extensionUri, backend),
  });
  // One log for the whole extension: which model file each job loaded and why, and failures.
  const log = vscode.window.createOutputChannel('Tealeaf', { log: true });
  // The inspector's own engine process: the attention of a whole file grows its WebAssembly heap
  // to hundreds of MB, which only ending the process gives back (when the panel closes, or after
  // a few idle minutes); the completion engine stays as it was.
  const inspectorHost = new WorkerHost({
    workerPath: path.join(context.extensionPath, 'dist', 'worker.mjs'),
    isolation: 'process',
    idleStopMs: INSPECTOR_IDLE_STOP_MS,
    backendCacheFile: path.join(context.globalStorageUri.fsPath, 'backend-choices.json'),
  });
  const models = new ModelManager(host, context.extensionPath, log, inspectorHost);
  registerUntrustedSettingsNotice(context, log);
  context.subscriptions.push(log, models);
  registerEngineBackend(context, [host, inspectorHost], log);
  const lifecycle = registerEngineLifecycle(context, host, log);

  const completions = registerCompletions(context, { models, log });
  const inspector = registerInspector(context, { models, lastCompletion: () => completions.explainTarget(), releaseEngineMemory: () => models.releaseInspector() });
  const hub = registerHub(context, { models, log });
  registerTranslation(context, models, log);
  const engine = {
    notice: lifecycle.notice,
    get hostState() {
      return host.hostState;
    },
    get currentBackend() {
      return host.currentBackend;
    },
    killWorker: () => host.killWorker(),
    setNativeAddonFolder: (folder: string | undefined) => host.setNativeAddonFolder(folder),
    onDidChangeLifecycle: host.onDidChangeLifecycle.bind(host),
  };
  const inspectorWorker = {
    get running() {
      return inspectorHost.isRunning;
    },
    get pid() {
      return inspectorHost.enginePid;
    },
  };
  return { models, completions, inspector, hub, engine, inspectorWorker, logUri: context.logUri };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the worker.
}
