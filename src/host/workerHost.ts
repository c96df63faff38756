// EngineHost backed by a worker_threads worker: the caller's event loop never runs inference.
// Engines returned by load() are proxies that send typed requests; AbortSignals become abort
// notifications. The worker may die (a crash, an out-of-memory abort, a kill): then a new one
// starts at once, every proxy stays valid and loads its model into the new worker on its next
// use, and a request that was in flight either runs once more (when running it again cannot
// show anything twice) or fails with a WorkerExitedError. Three crashes within a minute stop the
// restarts until restart() is called: the host says so in its lifecycle events and errors.
import { Worker } from 'node:worker_threads';
import { AbortError, InferenceError, ModelError, UnsupportedError } from '../engine/errors';
import type {
  AttentionRequest,
  AttentionResult,
  CallOptions,
  Engine,
  GenerateCallOptions,
  GenerateRequest,
  GenerateResult,
  GenerationAttention,
  LoadOptions,
  ModelInfo,
  StreamedToken,
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from '../engine/types';
import { type EngineMethod, type EngineMethods, type EngineRequest, type HostMessage, isHostMessage, type SerializedError, type WorkerStop } from '../protocol/engine';
import { AttentionIds } from './attentionIds';
import type { BackendPreference } from './backendSelection';
import { CrashWindow } from './crashWindow';
import {
  type EngineHostState,
  type EngineLifecycleEvent,
  EngineStoppedError,
  type InterruptedRequest,
  type ManagedEngineHost,
  type StartCause,
  type Subscription,
  WorkerExitedError,
} from './lifecycle';

function revive(error: SerializedError): Error {
  switch (error.name) {
    case 'AbortError':
      return new AbortError(error.message);
    case 'ModelError':
      return new ModelError(error.message);
    case 'UnsupportedError':
      return new UnsupportedError(error.message);
    default:
      return new InferenceError(error.message);
  }
}

export interface WorkerHostOptions {
  /** Path of the bundled worker (dist/worker.mjs). */
  readonly workerPath: string;
  /** Folder with ORT's wasm files; default: beside the worker bundle. */
  readonly wasmDir?: string;
  /** Inference threads in the worker (WASM's, and each native session's); default min(2, cores). */
  readonly threads?: number;
  /** Which runtime loads models in the worker; default `wasm` (the extension passes tealeaf.engine.backend). */
  readonly backend?: BackendPreference;
  /** Folder of onnxruntime-node's addon; default `native/{platform}-{arch}/` beside the worker bundle. */
  readonly nativeAddonFolder?: string;
  /** Where `auto` keeps its measurements per model and machine. */
  readonly backendCacheFile?: string;
  /** Crashes within `crashWindowMs` after which the worker is not restarted (default 3 in 60 s). */
  readonly crashLimit?: number;
  readonly crashWindowMs?: number;
}

/** What the worker reads from workerData (src/host/worker.ts). */
export interface EngineWorkerData {
  readonly wasmDir?: string;
  readonly threads?: number;
  readonly backend?: BackendPreference;
  readonly nativeAddonFolder?: string;
  readonly backendCacheFile?: string;
}

/** One worker thread; a restart makes a new one with the next generation number. */
interface WorkerInstance {
  readonly worker: Worker;
  readonly generation: number;
  /** The backend it was started with: how it may be ended (see end()). */
  readonly backend: BackendPreference;
  /** Resolves when the thread has exited. */
  readonly exited: Promise<void>;
  /** Set when the host itself ends it (restart, dispose): its exit is no crash. */
  intentional: boolean;
  ended: boolean;
  /** Why stop() ended it: requests that reach it afterwards fail with this as an AbortError. */
  stopReason?: string;
}

interface Pending {
  readonly method: EngineMethod;
  readonly generation: number;
  /** Whether the caller runs it again on the next worker if this one dies. */
  readonly willReplay: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onToken?: (token: StreamedToken) => void;
}

/** A loaded model as the proxies see it: the folder and options to load it again after a restart. */
interface ModelSlot {
  readonly modelDir: string;
  readonly options: LoadOptions;
  /** Its handle in the worker of that generation. */
  handle?: { readonly generation: number; readonly value: number };
  /** A reload under way in the worker of that generation. */
  loading?: { readonly generation: number; readonly promise: Promise<number> };
  disposed: boolean;
  readonly attentionIds: AttentionIds;
  /** What the latest load said: a reload on another backend (tealeaf.engine.backend) changes it. */
  info?: ModelInfo;
}

interface SendOptions {
  readonly signal?: AbortSignal;
  readonly onToken?: (token: StreamedToken) => void;
}

/** Methods that act on a loaded model: their params carry its handle. */
type ModelMethod = Exclude<EngineMethod, 'load'>;

const CAUSE_TEXT: Readonly<Record<'threads' | 'backend' | 'retry', string>> = {
  threads: 'to apply tealeaf.engine.threads',
  backend: 'to apply tealeaf.engine.backend',
  retry: 'on request',
};

export class WorkerHost implements ManagedEngineHost {
  private instance: WorkerInstance | undefined;
  private generation = 0;
  /** Why the host stopped restarting its worker; undefined while it may run. */
  private stoppedReason: string | undefined;
  private disposed = false;
  private threads: number | undefined;
  private backend: BackendPreference;
  private nativeAddonFolder: string | undefined;
  /** Notices already passed on: each is said once, whichever worker says it again. */
  private readonly told = new Set<string>();
  private readonly crashes: CrashWindow;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: EngineLifecycleEvent) => void>();
  private nextId = 1;

  constructor(private readonly options: WorkerHostOptions) {
    this.threads = options.threads;
    this.backend = options.backend ?? 'wasm';
    this.nativeAddonFolder = options.nativeAddonFolder;
    this.crashes = new CrashWindow(options.crashLimit, options.crashWindowMs);
  }

  get hostState(): EngineHostState {
    if (this.stoppedReason !== undefined) return { state: 'stopped', reason: this.stoppedReason };
    return this.instance ? { state: 'running' } : { state: 'not-started' };
  }

  onDidChangeLifecycle(listener: (event: EngineLifecycleEvent) => void): Subscription {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(event: EngineLifecycleEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** The running worker, started on first use; throws while the host is stopped or disposed. */
  private running(): WorkerInstance {
    if (this.disposed) throw new AbortError('the engine host was disposed');
    if (this.stoppedReason !== undefined) throw new EngineStoppedError(this.stoppedReason);
    return this.instance ?? this.start('first-use');
  }

  private start(cause: StartCause): WorkerInstance {
    const workerData: EngineWorkerData = {
      wasmDir: this.options.wasmDir,
      threads: this.threads,
      backend: this.backend,
      nativeAddonFolder: this.nativeAddonFolder,
      backendCacheFile: this.options.backendCacheFile,
    };
    const worker = new Worker(this.options.workerPath, { workerData });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const instance: WorkerInstance = { worker, generation: ++this.generation, backend: this.backend, exited, intentional: false, ended: false };
    worker.on('message', (message: unknown) => {
      if (isHostMessage(message)) this.receive(message);
    });
    // An uncaught exception gives 'error' and then 'exit'; a kill or process.exit only 'exit'.
    worker.on('error', (error) => this.ended(instance, `it threw: ${error.message}`));
    worker.on('exit', (code) => this.ended(instance, `it exited with code ${code}`));
    this.instance = instance;
    this.emit({ kind: 'started', cause, threads: this.threads, backend: this.backend });
    return instance;
  }

  private ended(instance: WorkerInstance, reason: string): void {
    if (instance.ended) return;
    instance.ended = true;
    if (this.instance === instance) this.instance = undefined;
    if (instance.intentional) return;
    const verdict = this.crashes.record(Date.now());
    if (verdict.giveUp) {
      this.stoppedReason =
        `the engine worker crashed ${verdict.crashesInWindow} times within a minute (last time ${reason}); ` +
        'Tealeaf stopped restarting it: use Retry or change a Tealeaf setting to start it again';
    }
    const interrupted = this.rejectPending(instance.generation, (method) => new WorkerExitedError(`the engine worker stopped during ${method} (${reason}) and was restarted; try again`));
    this.emit({ kind: 'crashed', reason, crashesInWindow: verdict.crashesInWindow, restarting: !verdict.giveUp, interrupted });
    if (!verdict.giveUp && !this.disposed) this.start('crash');
  }

  /** Rejects every request sent to worker `generation` with a WorkerExitedError; returns what they were. */
  private rejectPending(generation: number, error: (method: EngineMethod) => Error): InterruptedRequest[] {
    const interrupted: InterruptedRequest[] = [];
    for (const [id, pending] of this.pending) {
      if (pending.generation !== generation) continue;
      this.pending.delete(id);
      interrupted.push({ method: pending.method, replayed: pending.willReplay && this.stoppedReason === undefined });
      pending.reject(error(pending.method));
    }
    return interrupted;
  }

  private receive(message: HostMessage): void {
    if (message.kind === 'token') {
      this.pending.get(message.requestId)?.onToken?.(message.token);
      return;
    }
    if (message.kind === 'notice') {
      if (this.told.has(message.text)) return;
      this.told.add(message.text);
      this.emit({ kind: 'notice', level: message.level, text: message.text });
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(revive(message.error));
  }

  /** Posts one request to one worker; rejects with WorkerExitedError if that worker dies first. */
  private send<M extends EngineMethod>(
    instance: WorkerInstance,
    method: M,
    params: EngineMethods[M]['params'],
    options: SendOptions,
    willReplay: boolean,
  ): Promise<EngineMethods[M]['result']> {
    if (options.signal?.aborted) return Promise.reject(new AbortError());
    // A request that was on its way (its model's handle resolving) when the worker ended.
    if (instance.stopReason !== undefined) return Promise.reject(new AbortError(instance.stopReason));
    if (instance.ended) return Promise.reject(new WorkerExitedError(`the engine worker stopped before ${method} reached it`));
    const id = this.nextId++;
    return new Promise<EngineMethods[M]['result']>((resolve, reject) => {
      const onAbort = () => instance.worker.postMessage({ kind: 'abort', requestId: id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        generation: instance.generation,
        willReplay,
        resolve: (value) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(value as EngineMethods[M]['result']);
        },
        reject: (error) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        onToken: options.onToken,
      });
      instance.worker.postMessage({ kind: 'request', id, method, params } as EngineRequest);
    });
  }

  /**
   * Runs `attempt` on the running worker. If that worker dies under it, a replayable request runs
   * once more on the next worker; any other fails with the WorkerExitedError (or, once the host
   * has given up, an EngineStoppedError).
   */
  private async withReplay<T>(replayable: boolean, attempt: (instance: WorkerInstance, willReplay: boolean) => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      const willReplay = replayable && tries === 0;
      try {
        return await attempt(this.running(), willReplay);
      } catch (error) {
        if (!(error instanceof WorkerExitedError)) throw error;
        if (this.stoppedReason !== undefined) throw new EngineStoppedError(this.stoppedReason);
        if (!willReplay) throw error;
      }
    }
  }

  /** The model's handle in `instance`, loading it there first when it was loaded in an earlier worker. */
  private handleIn(slot: ModelSlot, instance: WorkerInstance, willReplay: boolean): Promise<number> {
    if (slot.disposed) return Promise.reject(new ModelError(`the model ${slot.modelDir} was unloaded`));
    if (slot.handle?.generation === instance.generation) return Promise.resolve(slot.handle.value);
    if (slot.loading?.generation !== instance.generation) {
      const started = performance.now();
      const promise = this.send(instance, 'load', { modelDir: slot.modelDir, options: slot.options }, {}, willReplay).then(({ handle, info }) => {
        slot.handle = { generation: instance.generation, value: handle };
        slot.info = info;
        this.emit({ kind: 'modelReloaded', modelDir: slot.modelDir, ms: performance.now() - started });
        return handle;
      });
      slot.loading = { generation: instance.generation, promise };
      promise.catch(() => {
        if (slot.loading?.promise === promise) slot.loading = undefined;
      });
    }
    return slot.loading!.promise;
  }

  /** For the proxies: a request on a loaded model, in whichever worker is running now. */
  async call<M extends ModelMethod>(
    slot: ModelSlot,
    method: M,
    params: (handle: number) => EngineMethods[M]['params'],
    options: SendOptions,
    replayable: boolean,
  ): Promise<EngineMethods[M]['result']> {
    return (await this.callTracked(slot, method, params, options, replayable)).result;
  }

  /** call(), and the generation of the worker that answered (attention ids are only valid there). */
  callTracked<M extends ModelMethod>(
    slot: ModelSlot,
    method: M,
    params: (handle: number) => EngineMethods[M]['params'],
    options: SendOptions,
    replayable: boolean,
  ): Promise<{ readonly result: EngineMethods[M]['result']; readonly generation: number }> {
    return this.withReplay(replayable, async (instance, willReplay) => {
      const handle = await this.handleIn(slot, instance, willReplay);
      return { result: await this.send(instance, method, params(handle), options, willReplay), generation: instance.generation };
    });
  }

  /** The generation of the running worker, if any. */
  get runningGeneration(): number | undefined {
    return this.instance?.generation;
  }

  async load(modelDir: string, options: LoadOptions = {}): Promise<Engine> {
    const slot: ModelSlot = { modelDir, options, disposed: false, attentionIds: new AttentionIds() };
    return this.withReplay(true, async (instance, willReplay) => {
      const { handle, info } = await this.send(instance, 'load', { modelDir, options }, {}, willReplay);
      slot.handle = { generation: instance.generation, value: handle };
      slot.info = info;
      return new WorkerEngine(this, slot, info);
    });
  }

  async unload(slot: ModelSlot): Promise<void> {
    slot.disposed = true;
    const instance = this.instance;
    if (instance === undefined || slot.handle?.generation !== instance.generation) return; // nothing of it in the running worker
    await this.send(instance, 'unload', { handle: slot.handle.value }, {}, false).catch(() => undefined);
  }

  async restart(cause: 'threads' | 'backend' | 'retry'): Promise<void> {
    if (this.disposed) return;
    this.crashes.clear();
    this.stoppedReason = undefined;
    const old = this.instance;
    if (old) old.intentional = true;
    // The new worker first: requests replayed from the old one must find it running.
    this.start(cause);
    if (!old) return;
    old.ended = true;
    this.rejectPending(old.generation, (method) => new WorkerExitedError(`the engine restarted ${CAUSE_TEXT[cause]} during ${method}; try again`));
    await end(old, 0);
  }

  async setThreads(threads: number | undefined): Promise<void> {
    if (threads === this.threads) return;
    this.threads = threads;
    if (this.instance) await this.restart('threads');
  }

  async setBackend(backend: BackendPreference): Promise<void> {
    if (backend === this.backend) return;
    this.backend = backend;
    if (this.instance) await this.restart('backend');
  }

  /**
   * Points the worker at another folder for onnxruntime-node's addon (undefined: the default
   * beside the bundle), restarting it: a test hook that makes the addon unloadable, to see the
   * fallback to WebAssembly. Notices already given are given again.
   */
  async setNativeAddonFolder(folder: string | undefined): Promise<void> {
    this.nativeAddonFolder = folder;
    this.told.clear();
    if (this.instance) await this.restart('backend');
  }

  /**
   * Ends the worker on purpose and with it everything it holds: WebAssembly memory never shrinks,
   * so ending the worker is the only way to give back what a job grew it to (the inspector's
   * worker, when its panel closes). Requests in flight fail with an AbortError; the next request
   * starts a new worker, where the models it uses load again. Resolves once the worker has exited.
   */
  async stop(reason: string): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    instance.intentional = true;
    instance.ended = true;
    instance.stopReason = reason;
    this.instance = undefined;
    this.rejectPending(instance.generation, () => new AbortError(reason));
    await end(instance, 0);
  }

  /** Whether a worker is running now (it starts on first use, and again after stop()). */
  get isRunning(): boolean {
    return this.instance !== undefined;
  }

  /**
   * Ends the worker the way a crash would (it counts toward the crash limit): for tests and
   * diagnostics. Resolves once the worker has exited.
   */
  async killWorker(): Promise<void> {
    if (this.instance) await end(this.instance, 1);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const instance = this.instance;
    this.instance = undefined;
    if (instance) instance.intentional = true;
    for (const pending of this.pending.values()) pending.reject(new AbortError('the engine host was disposed'));
    this.pending.clear();
    this.listeners.clear();
    if (instance) await end(instance, 0);
  }
}

/** How long a worker that may be inside a native run has to exit by itself before it is terminated. */
const STOP_GRACE_MS = 30_000;

/**
 * Ends a worker thread. One that runs only WebAssembly is terminated at once. One that may run
 * onnxruntime-node is asked to exit at its next turn instead (a native run in progress finishes
 * first, at most one forward pass): terminating a thread inside the addon's synchronous run makes
 * it throw out of native code, which aborts the whole process (the extension host with it).
 * Only a worker that has not exited after STOP_GRACE_MS is terminated.
 */
async function end(instance: WorkerInstance, code: number): Promise<void> {
  if (instance.backend === 'wasm') {
    await instance.worker.terminate();
    return;
  }
  instance.worker.postMessage({ kind: 'stop', code } satisfies WorkerStop);
  const timer = setTimeout(() => void instance.worker.terminate(), STOP_GRACE_MS);
  await instance.exited;
  clearTimeout(timer);
}

class WorkerEngine implements Engine {
  constructor(
    private readonly host: WorkerHost,
    private readonly slot: ModelSlot,
    private readonly loadedInfo: ModelInfo,
  ) {}

  /** As the model's latest load in a worker described it (its backend may change with a restart). */
  get info(): ModelInfo {
    return this.slot.info ?? this.loadedInfo;
  }

  tokenize(text: string): Promise<readonly TokenSpan[]> {
    return this.host.call(this.slot, 'tokenize', (handle) => ({ handle, text }), {}, true);
  }

  /** Not replayed: its tokens may already have been streamed to the caller. */
  async generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    const { result, generation } = await this.host.callTracked(
      this.slot,
      'generate',
      (handle) => ({ handle, request, stream: options.onToken !== undefined }),
      options,
      false,
    );
    return this.withProxyId(result, generation);
  }

  /** Replayed when its worker dies: it shows nothing until it answers. */
  attention(request: AttentionRequest, options: CallOptions = {}): Promise<AttentionResult> {
    return this.host.call(this.slot, 'attention', (handle) => ({ handle, request }), options, true);
  }

  async generationAttention(id: number): Promise<GenerationAttention | undefined> {
    const engineId = this.engineId(id);
    if (engineId === undefined) return undefined;
    const result = await this.host.call(this.slot, 'generationAttention', (handle) => ({ handle, id: engineId }), {}, true);
    return result && { ...result, id };
  }

  async translate(request: TranslateRequest, options: CallOptions = {}): Promise<TranslateResult> {
    const { result, generation } = await this.host.callTracked(this.slot, 'translate', (handle) => ({ handle, request }), options, true);
    return this.withProxyId(result, generation);
  }

  async translationAttention(id: number): Promise<TranslationAttention | undefined> {
    const engineId = this.engineId(id);
    if (engineId === undefined) return undefined;
    const result = await this.host.call(this.slot, 'translationAttention', (handle) => ({ handle, id: engineId }), {}, true);
    return result && { ...result, id };
  }

  async dispose(): Promise<void> {
    await this.host.unload(this.slot);
  }

  /** Replaces the engine's attention id by one that no later worker can reuse. */
  private withProxyId<R extends { readonly attentionId?: number }>(result: R, generation: number): R {
    if (result.attentionId === undefined) return result;
    return { ...result, attentionId: this.slot.attentionIds.issue(generation, result.attentionId) };
  }

  /** The engine's id for a proxy id, if it was captured by the worker running now. */
  private engineId(id: number): number | undefined {
    const generation = this.host.runningGeneration;
    return generation === undefined ? undefined : this.slot.attentionIds.resolve(id, generation);
  }
}
