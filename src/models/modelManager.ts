// Resolves which model folder each feature uses (settings, Workspace Trust, bundled defaults) and
// loads each folder once in the engine host. Features ask for an Engine by role. The engines are
// proxies that survive a restart of the engine (they load again on their next use); while
// the host has stopped restarting a crashing worker, every role reports the reason as its error,
// and an explicit use (a command, Retry) or a settings change starts it again.
import * as path from 'node:path';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { type DtypeChoice, parseDtype } from '../engine/dtype';
import { ModelError } from '../engine/errors';
import type { Engine, EngineHost } from '../engine/types';
import { isWebviewBackend } from '../host/hostBackend';
import type { EngineLifecycleEvent, ManagedEngineHost } from '../host/lifecycle';
import type { EngineMemory } from '../protocol/engine';
import type { EngineMemoryReport, ModelProvider, ModelRole, ModelState, ModelStateChange } from './types';
import { within } from '../util/deadline';
import { errorText } from '../util/unknown';
import { BUNDLED_CODE_MODEL, BUNDLED_TRANSLATE_MODEL } from '../bundledModels';

/** Setting holding a model folder for each role; empty means the bundled default. */
export const MODEL_SETTINGS: Readonly<Record<ModelRole, string>> = {
  completion: 'tealeaf.completion.model',
  inspector: 'tealeaf.inspector.model',
  translation: 'tealeaf.translate.model',
};

/** Setting holding the weight type (transformers.js dtype) each role loads. */
export const DTYPE_SETTINGS: Readonly<Record<ModelRole, string>> = {
  completion: 'tealeaf.completion.dtype',
  inspector: 'tealeaf.inspector.dtype',
  translation: 'tealeaf.translate.dtype',
};

const ROLES = Object.keys(MODEL_SETTINGS) as ModelRole[];

/** Speculative decoding of completions, and the draft model it loads beside the completion model. */
export const SPECULATION_SETTING = 'tealeaf.completion.speculation';
export const DRAFT_MODEL_SETTING = 'tealeaf.completion.draftModel';

export const ENGINE_THREADS_SETTING = 'tealeaf.engine.threads';

/** WASM threads of the engine; undefined (setting 0) is the default, min(2, cores). */
function configuredThreads(): number | undefined {
  const threads = vscode.workspace.getConfiguration().get<number>(ENGINE_THREADS_SETTING, 0);
  return Number.isInteger(threads) && threads > 0 ? threads : undefined;
}

/** The bundled model each role falls back to (src/bundledModels.ts). */
export const BUNDLED_MODELS: Readonly<Record<ModelRole, string>> = {
  completion: BUNDLED_CODE_MODEL,
  inspector: BUNDLED_CODE_MODEL,
  translation: BUNDLED_TRANSLATE_MODEL,
};

export interface ResolvedModel {
  readonly dir: string;
  /** Why a workspace value was ignored, if it was. */
  readonly ignoredUntrusted?: string;
}

/** Pure resolution rule (unit-tested): workspace values only count in trusted workspaces. */
export function resolveModelDir(
  values: { readonly globalValue?: string; readonly workspaceValue?: string; readonly workspaceFolderValue?: string },
  trusted: boolean,
  bundled: string,
  workspaceRoot: string | undefined,
): ResolvedModel {
  const workspace = values.workspaceFolderValue || values.workspaceValue;
  const chosen = trusted ? workspace || values.globalValue : values.globalValue;
  const ignoredUntrusted = !trusted && workspace ? workspace : undefined;
  if (!chosen) return { dir: bundled, ignoredUntrusted };
  const expanded = chosen.startsWith('~/') ? path.join(os.homedir(), chosen.slice(2)) : chosen;
  const dir = path.isAbsolute(expanded) ? expanded : path.resolve(workspaceRoot ?? process.cwd(), expanded);
  return { dir, ignoredUntrusted };
}

/** A worker for the inspector alone, stopped to give its memory back (WorkerHost). */
export interface InspectorWorkerHost extends EngineHost {
  stop(reason: string): Promise<void>;
  setThreads(threads: number | undefined): Promise<void>;
  memory?(): Promise<EngineMemory | undefined>;
}

/** How long the menu waits for a busy engine to say what it holds. */
const MEMORY_ANSWER_MS = 1_000;

export class ModelManager implements ModelProvider, vscode.Disposable {
  private readonly engines = new Map<string, Promise<Engine>>();
  private readonly ready = new Map<string, Engine>();
  private readonly states = new Map<ModelRole, ModelState>();
  private readonly emitter = new vscode.EventEmitter<ModelStateChange>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly warnedUntrusted = new Set<string>();
  readonly onDidChangeState = this.emitter.event;

  constructor(
    private readonly host: ManagedEngineHost,
    private readonly extensionPath: string,
    /** Where the chosen model file and the reason for it are written. */
    private readonly log?: vscode.LogOutputChannel,
    /** The inspector's own worker (see inspectorEngine); without it the inspector uses `host`. */
    private readonly inspectorHost?: InspectorWorkerHost,
  ) {
    // Before the first load, so the first worker starts with the configured threads.
    void host.setThreads(configuredThreads());
    void inspectorHost?.setThreads(configuredThreads());
    const lifecycle = host.onDidChangeLifecycle((event) => this.onLifecycle(event));
    this.disposables.push(
      this.emitter,
      lifecycle,
      vscode.workspace.onDidChangeConfiguration((event) => {
        const changed = [...Object.values(MODEL_SETTINGS), ...Object.values(DTYPE_SETTINGS), SPECULATION_SETTING, DRAFT_MODEL_SETTING].some((setting) => event.affectsConfiguration(setting));
        const threads = event.affectsConfiguration(ENGINE_THREADS_SETTING);
        if (!changed && !threads) return;
        // A settings change is also the user's way to start a stopped engine again.
        this.startIfStopped();
        // The thread count is fixed per worker: a change restarts it, and the models (still
        // valid proxies) load into the new worker on their next use.
        if (threads) {
          void this.host.setThreads(configuredThreads());
          void this.inspectorHost?.setThreads(configuredThreads());
        }
        if (changed) this.reset();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reset()),
    );
  }

  private onLifecycle(event: EngineLifecycleEvent): void {
    if (event.kind === 'crashed' && !event.restarting) {
      const hostState = this.host.hostState;
      const message = hostState.state === 'stopped' ? hostState.reason : event.reason;
      for (const role of ROLES) this.setState(role, { status: 'error', message });
    }
    if (event.kind === 'started' && event.cause === 'retry') {
      // The roles the stop had put in error are back to what their engines say.
      for (const role of ROLES) {
        if (this.state(role).status !== 'error') continue;
        const engine = this.readyEngine(role);
        this.setState(role, engine ? { status: 'ready', info: engine.info } : { status: 'idle' });
      }
    }
    if (event.kind === 'modelReloaded') {
      // A reload may run on another backend (tealeaf.engine.backend): ready roles show what their engine says now.
      for (const role of ROLES) {
        const engine = this.readyEngine(role);
        if (engine && this.state(role).status === 'ready') this.setState(role, { status: 'ready', info: engine.info });
      }
    }
  }

  private startIfStopped(): void {
    if (this.host.hostState.state === 'stopped') void this.host.restart('retry');
  }

  modelDir(role: ModelRole): string {
    const inspected = vscode.workspace.getConfiguration().inspect<string>(MODEL_SETTINGS[role]);
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const resolved = resolveModelDir(inspected ?? {}, vscode.workspace.isTrusted, path.join(this.extensionPath, BUNDLED_MODELS[role]), root);
    if (resolved.ignoredUntrusted && !this.warnedUntrusted.has(resolved.ignoredUntrusted)) {
      this.warnedUntrusted.add(resolved.ignoredUntrusted);
      void vscode.window.showWarningMessage(
        `Tealeaf: the workspace setting ${MODEL_SETTINGS[role]} (${resolved.ignoredUntrusted}) is ignored until you trust this workspace; using ${resolved.dir}.`,
      );
    }
    // The inspector follows the completion model unless it has its own setting.
    if (role === 'inspector' && !inspected?.globalValue && !inspected?.workspaceValue && !inspected?.workspaceFolderValue) {
      return this.modelDir('completion');
    }
    return resolved.dir;
  }

  /**
   * The dtype a role loads. The inspector on the completion model with `auto` opens the file the
   * completion engine runs, so that it shows the attention of the suggestions' model.
   */
  dtype(role: ModelRole): DtypeChoice {
    const value = vscode.workspace.getConfiguration().get<string>(DTYPE_SETTINGS[role], 'auto');
    if (role === 'inspector' && value === 'auto' && this.modelDir('inspector') === this.modelDir('completion')) return this.dtype('completion');
    return parseDtype(value);
  }

  /**
   * The draft model loaded beside the completion model's folder (any role on that folder shares
   * the engine), when speculation is `draft-model` and a folder is set: untrusted workspaces'
   * values are ignored as for the model folders.
   */
  draftModelFor(role: ModelRole): string | undefined {
    const config = vscode.workspace.getConfiguration();
    if (config.get<string>(SPECULATION_SETTING) !== 'draft-model' || this.modelDir(role) !== this.modelDir('completion')) return undefined;
    const inspected = config.inspect<string>(DRAFT_MODEL_SETTING);
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const resolved = resolveModelDir(inspected ?? {}, vscode.workspace.isTrusted, '', root);
    if (resolved.ignoredUntrusted && !this.warnedUntrusted.has(resolved.ignoredUntrusted)) {
      this.warnedUntrusted.add(resolved.ignoredUntrusted);
      void vscode.window.showWarningMessage(`Tealeaf: the workspace setting ${DRAFT_MODEL_SETTING} (${resolved.ignoredUntrusted}) is ignored until you trust this workspace.`);
    }
    return resolved.dir || undefined;
  }

  /** One engine per folder, dtype and draft model. */
  private engineKey(role: ModelRole): string {
    return `${this.modelDir(role)}\u0000${this.dtype(role)}\u0000${this.draftModelFor(role) ?? ''}`;
  }

  state(role: ModelRole): ModelState {
    return this.states.get(role) ?? { status: 'idle' };
  }

  readyEngine(role: ModelRole): Engine | undefined {
    // A stopped engine serves nothing: automatic users (completions on each keystroke) wait for
    // an explicit retry instead of starting the crashing worker again.
    if (this.host.hostState.state === 'stopped') return undefined;
    try {
      const key = this.engineKey(role);
      // In the panel, the inspector may share the completion engine (inspectorEngine).
      return this.ready.get(this.loadKey(role, key)) ?? (role === 'inspector' && this.inPanel() ? this.ready.get(key) : undefined);
    } catch {
      return undefined; // an unknown dtype in the settings: nothing is loaded
    }
  }

  /** An explicit use: it starts a stopped engine again. */
  engineFor(role: ModelRole): Promise<Engine> {
    this.startIfStopped();
    const dir = this.modelDir(role);
    let key: string;
    let dtype: DtypeChoice;
    try {
      dtype = this.dtype(role);
      key = this.engineKey(role);
    } catch (error) {
      const message = errorText(error);
      this.setState(role, { status: 'error', message: `${DTYPE_SETTINGS[role]}: ${message}` });
      return Promise.reject(new ModelError(`${DTYPE_SETTINGS[role]}: ${message}`));
    }
    if (role === 'inspector' && this.inspectorHost) return this.inspectorEngine(this.inspectorHost, key, dir, dtype);
    return this.loadOnMainHost(role, key, dir, dtype);
  }

  /**
   * The inspector's engine: the model opened for its attention only, in the inspector's own
   * engine, even when it is the completion model. An inspection of a whole file grows the heap of
   * the engine that runs it by hundreds of MB, and WebAssembly memory never shrinks: in the
   * completion engine it would stay for good, in the inspector's it goes when releaseInspector()
   * ends that engine (the panel closed, or idle). With a webview backend the models run in the
   * Tealeaf Engine panel, whose memory is its own renderer's: there the inspector shares the
   * completion engine when that shows attention itself, and otherwise opens in the panel too.
   */
  private async inspectorEngine(inspectorHost: InspectorWorkerHost, key: string, dir: string, dtype: DtypeChoice): Promise<Engine> {
    if (this.inPanel()) {
      if (key === this.engineKey('completion')) {
        const shared = await this.loadOnMainHost('inspector', key, dir, dtype);
        if (shared.info.attentionSource === 'outputs' || shared.info.kind === 'encoder-decoder') return shared;
      }
      return this.load('inspector', this.loadKey('inspector', key), () => this.host.load(dir, { dtype, purpose: 'inspector' }), dir);
    }
    return this.load('inspector', this.loadKey('inspector', key), () => inspectorHost.load(dir, { dtype, purpose: 'inspector' }), dir);
  }

  /** Whether the models run in the Tealeaf Engine panel (tealeaf.engine.backend is a webview one). */
  private inPanel(): boolean {
    return this.host.currentBackend !== undefined && isWebviewBackend(this.host.currentBackend);
  }

  /** Where the engine of a role with this key is kept: the inspector's own engines apart. */
  private loadKey(role: ModelRole, key: string): string {
    if (role !== 'inspector' || !this.inspectorHost) return key;
    return `${this.inPanel() ? 'panel-inspector' : 'inspector-worker'}\u0000${key}`;
  }

  /** What the engine processes that run now hold (the status bar menu); a busy one has MEMORY_ANSWER_MS to say. */
  async engineMemory(): Promise<EngineMemoryReport> {
    const ask = async (host: { memory?(): Promise<EngineMemory | undefined> } | undefined): Promise<EngineMemory | undefined> => {
      const answer = host?.memory?.().catch(() => undefined);
      return answer ? within(answer, MEMORY_ANSWER_MS, () => undefined) : undefined;
    };
    const [main, inspector] = await Promise.all([ask(this.host), ask(this.inspectorHost)]);
    return { ...(main ? { main } : {}), ...(inspector ? { inspector } : {}) };
  }

  /**
   * Gives back the inspector's memory: its worker stops (its engines stay valid and load again on
   * their next use). Called when the inspector panel closes, and by Free Inspector Memory.
   */
  async releaseInspector(): Promise<void> {
    await this.inspectorHost?.stop('the inspector panel closed');
  }

  /** The engine of `key` in the main worker, with the draft model the settings give the role. */
  private loadOnMainHost(role: ModelRole, key: string, dir: string, dtype: DtypeChoice): Promise<Engine> {
    const draftModel = this.draftModelFor(role);
    return this.load(role, key, () => this.host.load(dir, { dtype, ...(draftModel ? { draftModel } : {}) }), dir);
  }

  /** The engine of `key`, loading it with `start` once; the role's state follows. */
  private load(role: ModelRole, key: string, start: () => Promise<Engine>, dir: string): Promise<Engine> {
    let loading = this.engines.get(key);
    if (!loading) {
      loading = start();
      this.engines.set(key, loading);
      loading.then(
        (engine) => {
          this.ready.set(key, engine);
          this.log?.info(`${role}: loaded ${engine.info.onnxFiles.join(' + ')} of ${dir} (${engine.info.dtype}) — ${engine.info.dtypeReason}`);
          if (engine.info.draftModel) this.log?.info(`${role}: ${engine.info.draftModel} drafts for speculative decoding`);
          if (engine.info.speculationUnavailable) this.log?.info(`${role}: ${engine.info.speculationUnavailable}`);
        },
        () => this.engines.delete(key), // a later request retries (the user may fix the folder)
      );
    }
    if (!this.ready.has(key)) this.setState(role, { status: 'loading', modelDir: dir });
    return loading.then(
      (engine) => {
        this.setState(role, { status: 'ready', info: engine.info });
        return engine;
      },
      (error: unknown) => {
        const message = errorText(error);
        this.setState(role, { status: 'error', message });
        throw error instanceof Error ? error : new ModelError(message);
      },
    );
  }

  private setState(role: ModelRole, state: ModelState): void {
    const previous = this.states.get(role);
    if (previous && JSON.stringify(previous) === JSON.stringify(state)) return;
    this.states.set(role, state);
    this.emitter.fire({ role, state });
  }

  /** Forget loaded engines (settings changed); they load again on next use. */
  private reset(): void {
    for (const [key, loading] of this.engines) {
      void loading.then((engine) => engine.dispose()).catch(() => undefined);
      this.engines.delete(key);
      this.ready.delete(key);
    }
    // Every engine is gone, so no role may still claim to be ready.
    for (const role of ROLES) this.setState(role, { status: 'idle' });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    void this.host.dispose();
    void this.inspectorHost?.dispose();
  }
}
