// The engine worker as a transport (transport.ts): a worker_threads Worker running dist/worker.mjs,
// which serves the engine protocol with an EngineService (worker.ts).
import { Worker } from 'node:worker_threads';
import type { ClientMessage, WorkerStop } from '../protocol/engine';
import type { BackendPreference } from './backendSelection';
import type { EngineTransport, TransportExit } from './transport';

/** What the worker reads from workerData (src/host/worker.ts). */
export interface EngineWorkerData {
  readonly wasmDir?: string;
  readonly threads?: number;
  readonly backend?: BackendPreference;
  readonly nativeAddonFolder?: string;
  readonly backendCacheFile?: string;
}

/** How long a worker that may be inside a native run has to exit by itself before it is terminated. */
const STOP_GRACE_MS = 30_000;

export class WorkerTransport implements EngineTransport {
  readonly label = 'the engine worker';
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly backend: BackendPreference;
  private exitListener: ((exit: TransportExit) => void) | undefined;
  /** The first of 'error' and 'exit' (an uncaught exception gives both, in that order). */
  private exit: TransportExit | undefined;

  constructor(workerPath: string, data: EngineWorkerData) {
    this.backend = data.backend ?? 'wasm';
    this.worker = new Worker(workerPath, { workerData: data });
    this.exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // An uncaught exception gives 'error' and then 'exit'; a kill or process.exit only 'exit'.
    this.worker.on('error', (error) => this.ended({ reason: `it threw: ${error.message}` }));
    this.worker.on('exit', (code) => this.ended({ reason: `it exited with code ${code}` }));
  }

  post(message: ClientMessage, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.worker.on('message', listener);
  }

  onExit(listener: (exit: TransportExit) => void): void {
    this.exitListener = listener;
    if (this.exit) listener(this.exit);
  }

  private ended(exit: TransportExit): void {
    if (this.exit) return;
    this.exit = exit;
    this.exitListener?.(exit);
  }

  /**
   * Ends the thread. One that runs only WebAssembly is terminated at once. One that may run
   * onnxruntime-node is asked to exit at its next turn instead (a native run in progress finishes
   * first, at most one forward pass): terminating a thread inside the addon's synchronous run
   * makes it throw out of native code, which aborts the whole process (the extension host with
   * it). Only a worker that has not exited after STOP_GRACE_MS is terminated.
   */
  async terminate(code: number): Promise<void> {
    if (this.backend === 'wasm') {
      await this.worker.terminate();
      return;
    }
    this.worker.postMessage({ kind: 'stop', code } satisfies WorkerStop);
    const timer = setTimeout(() => void this.worker.terminate(), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
