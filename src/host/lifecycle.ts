// What an engine host that runs in a separate worker tells its users about that worker: it
// started, it crashed (and whether it comes back), a model was loaded again after a restart.
// Also the named errors a request gets when the worker goes away under it. No vscode: the
// extension turns these events into status bar text and log lines (lifecycleText.ts).
import type { EngineHost } from '../engine/types';
import type { EngineMemory, EngineMethod, NoticeLevel } from '../protocol/engine';
import type { HostBackend } from './hostBackend';

export type StartCause = 'first-use' | 'crash' | 'threads' | 'backend' | 'retry';

/** A request the worker was serving when it went away, and whether it runs again on the new one. */
export interface InterruptedRequest {
  readonly method: EngineMethod;
  readonly replayed: boolean;
}

export type EngineLifecycleEvent =
  | { readonly kind: 'started'; readonly cause: StartCause; readonly threads: number | undefined; readonly backend?: HostBackend }
  | {
      readonly kind: 'crashed';
      readonly reason: string;
      readonly crashesInWindow: number;
      /** False when the crash limit is reached: the host stays stopped until restart(). */
      readonly restarting: boolean;
      readonly interrupted: readonly InterruptedRequest[];
    }
  | { readonly kind: 'modelReloaded'; readonly modelDir: string; readonly ms: number }
  /** Said once per text: the native addon would not load, which backend `auto` chose and why. */
  | { readonly kind: 'notice'; readonly level: NoticeLevel; readonly text: string };

export type EngineHostState =
  | { readonly state: 'not-started' }
  | { readonly state: 'running' }
  | { readonly state: 'stopped'; readonly reason: string };

export interface Subscription {
  dispose(): void;
}

/** An EngineHost whose engine runs in a worker that may crash and be restarted. */
export interface ManagedEngineHost extends EngineHost {
  readonly hostState: EngineHostState;
  onDidChangeLifecycle(listener: (event: EngineLifecycleEvent) => void): Subscription;
  /** Starts a fresh worker (a stopped host included); loaded models reload on their next use. */
  restart(cause: Extract<StartCause, 'threads' | 'backend' | 'retry'>): Promise<void>;
  /** WebAssembly threads of the worker (undefined: the default); a change restarts a running worker. */
  setThreads(threads: number | undefined): Promise<void>;
  /** The backend (`auto`, `wasm`, `native` in the worker; `webgpu-webview`, `wasm-webview`); a change restarts a running engine. */
  setBackend(backend: HostBackend): Promise<void>;
  /** What the running engine holds; undefined when none runs. */
  memory?(): Promise<EngineMemory | undefined>;
  /** The backend new instances start with (a webview backend: the Tealeaf Engine panel). */
  readonly currentBackend?: HostBackend;
}

/** The worker went away while serving a request that cannot simply run again (e.g. a stream). */
export class WorkerExitedError extends Error {
  override readonly name = 'WorkerExitedError';
}

/** The worker crashed too often and is not restarted until the user asks (Retry, a setting). */
export class EngineStoppedError extends Error {
  override readonly name = 'EngineStoppedError';
}

/**
 * The user closed the place the engine ran in (the Tealeaf Engine panel) while a request was in
 * flight: not a crash, nothing restarts at once, and the next request opens it again.
 */
export class EngineClosedError extends Error {
  override readonly name = 'EngineClosedError';
}
