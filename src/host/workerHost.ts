// The extension's engine host: a RemoteEngineHost (remoteEngineHost.ts: proxies, request
// matching, aborts, restarts after a crash) whose engine runs in a child process (the extension)
// or a worker_threads worker, so the caller's event loop never runs inference; or, for the webview
// backends (webgpu-webview, wasm-webview), in the Tealeaf Engine webview through the transport
// `webview` makes.
import type { BackendPreference } from './backendSelection';
import { type HostBackend, isWebviewBackend, type WebviewBackend, workerBackendOf } from './hostBackend';
import { ProcessTransport } from './processTransport';
import { RemoteEngineHost } from './remoteEngineHost';
import type { EngineTransport } from './transport';
import { WorkerTransport } from './workerTransport';

export type { EngineWorkerData } from './workerTransport';

/**
 * Where the worker backends run: `process`, a child process that gives all its memory back when it
 * ends and whose crash cannot take the caller down (the extension); `thread`, a worker_threads
 * worker of the caller's process (the default: tests and the bench's in-process figures).
 */
export type EngineIsolation = 'process' | 'thread';

export interface WorkerHostOptions {
  /** Path of the bundled worker (dist/worker.mjs). */
  readonly workerPath: string;
  /** Default `thread`. */
  readonly isolation?: EngineIsolation;
  /** Folder with ORT's wasm files; default: beside the worker bundle. */
  readonly wasmDir?: string;
  /** Inference threads in the worker (WASM's, and each native session's); default min(2, cores). */
  readonly threads?: number;
  /** Which runtime loads models; default `wasm` (the extension passes tealeaf.engine.backend). */
  readonly backend?: HostBackend;
  /** Folder of onnxruntime-node's addon; default `native/{platform}-{arch}/` beside the worker bundle. */
  readonly nativeAddonFolder?: string;
  /** Where `auto` keeps its measurements per model and machine. */
  readonly backendCacheFile?: string;
  /** Crashes within `crashWindowMs` after which the worker is not restarted (default 3 in 60 s). */
  readonly crashLimit?: number;
  readonly crashWindowMs?: number;
  /** Stops the engine after this long without a request (RemoteEngineHostOptions.idleStopMs). */
  readonly idleStopMs?: number;
  /**
   * Opens the engine webview for a webview backend. Without it (the inspector's own worker, the
   * tests) a webview backend runs on WebAssembly in the worker.
   */
  readonly webview?: (backend: WebviewBackend) => EngineTransport;
}

export class WorkerHost extends RemoteEngineHost {
  private readonly addon: { folder: string | undefined };

  constructor(options: WorkerHostOptions) {
    // The addon's folder changes under a running host (setNativeAddonFolder): connect reads it from here.
    const addon = { folder: options.nativeAddonFolder };
    super({
      ...options,
      connect: ({ backend, threads }) => {
        if (isWebviewBackend(backend) && options.webview) return options.webview(backend);
        const data = {
          wasmDir: options.wasmDir,
          threads,
          backend: workerBackendOf(backend) satisfies BackendPreference,
          nativeAddonFolder: addon.folder,
          backendCacheFile: options.backendCacheFile,
        };
        return options.isolation === 'process' ? new ProcessTransport(options.workerPath, data) : new WorkerTransport(options.workerPath, data);
      },
    });
    this.addon = addon;
  }

  /** The engine process's id, while the engine runs in one (isolation `process`). */
  get enginePid(): number | undefined {
    const transport = this.runningTransport;
    return transport instanceof ProcessTransport ? transport.pid : undefined;
  }

  /**
   * Points the worker at another folder for onnxruntime-node's addon (undefined: the default
   * beside the bundle), restarting it: a test hook that makes the addon unloadable, to see the
   * fallback to WebAssembly. Notices already given are given again.
   */
  async setNativeAddonFolder(folder: string | undefined): Promise<void> {
    this.addon.folder = folder;
    this.forgetNotices();
    if (this.isRunning) await this.restart('backend');
  }
}
