// An EngineHost whose engine runs on the other side of a transport (transport.ts): the engine
// worker or the Tealeaf Engine webview. One implementation of what does not depend on where:
// requests matched to responses, AbortSignals as abort notifications, streamed tokens, proxies
// that stay valid across a restart (their model loads again on its next use), the replay of a
// request that cannot show anything twice, and the crash window (three crashes within a minute
// stop the restarts until restart() is called; the host says so in its lifecycle events and
// errors). A transport the user closed (the engine panel) is no crash: its requests fail with an
// EngineClosedError and the next request opens a new one. WorkerHost (workerHost.ts) is this with
// worker transports, and webview ones for the webview backends.
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
import { type EngineMemory, type EngineMethod, type EngineMethods, type EngineRequest, type HostMessage, isHostMessage, type SerializedError } from '../protocol/engine';
import { AttentionIds } from './attentionIds';
import { CrashWindow } from './crashWindow';
import type { HostBackend } from './hostBackend';
import {
  EngineClosedError,
  type EngineHostState,
  type EngineLifecycleEvent,
  EngineStoppedError,
  type InterruptedRequest,
  type ManagedEngineHost,
  type StartCause,
  type Subscription,
  WorkerExitedError,
} from './lifecycle';
import type { EngineTransport, TransportExit } from './transport';

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

/** What a new transport is started with. */
export interface TransportSettings {
  readonly backend: HostBackend;
  /** Inference threads (WASM's, and each native session's); undefined: the engine's default. */
  readonly threads: number | undefined;
}

export interface RemoteEngineHostOptions {
  /** Starts the engine's other side (a worker, a webview) for these settings. */
  readonly connect: (settings: TransportSettings) => EngineTransport;
  readonly threads?: number;
  /** Default `wasm`. */
  readonly backend?: HostBackend;
  /** Crashes within `crashWindowMs` after which no new transport is started (default 3 in 60 s). */
  readonly crashLimit?: number;
  readonly crashWindowMs?: number;
  /**
   * Stops the instance once no request has been in flight for this long (the inspector's engine:
   * its memory comes back while the panel is left open). Default: never.
   */
  readonly idleStopMs?: number;
}

/** One transport; a restart makes a new one with the next generation number. */
interface Instance {
  readonly transport: EngineTransport;
  readonly generation: number;
  /** Set when the host itself ends it (restart, dispose): its exit is no crash. */
  intentional: boolean;
  ended: boolean;
  /** Why stop() ended it: requests that reach it afterwards fail with this as an AbortError. */
  stopReason?: string;
}

interface Pending {
  readonly method: EngineMethod;
  readonly generation: number;
  /** Whether the caller runs it again on the next transport if this one dies. */
  readonly willReplay: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onToken?: (token: StreamedToken) => void;
}

/** A loaded model as the proxies see it: the folder and options to load it again after a restart. */
export interface ModelSlot {
  readonly modelDir: string;
  readonly options: LoadOptions;
  /** Its handle in the instance of that generation. */
  handle?: { readonly generation: number; readonly value: number };
  /** A reload under way in the instance of that generation. */
  loading?: { readonly generation: number; readonly promise: Promise<number> };
  disposed: boolean;
  readonly attentionIds: AttentionIds;
  /** What the latest load said: a reload on another backend (tealeaf.engine.backend) changes it. */
  info?: ModelInfo;
}

export interface SendOptions {
  readonly signal?: AbortSignal;
  readonly onToken?: (token: StreamedToken) => void;
}

/** Methods that act on a loaded model: their params carry its handle. */
type ModelMethod = Exclude<EngineMethod, 'load' | 'memory'>;

const CAUSE_TEXT: Readonly<Record<'threads' | 'backend' | 'retry', string>> = {
  threads: 'to apply tealeaf.engine.threads',
  backend: 'to apply tealeaf.engine.backend',
  retry: 'on request',
};

export class RemoteEngineHost implements ManagedEngineHost {
  private instance: Instance | undefined;
  private generation = 0;
  /** Why the host stopped restarting; undefined while it may run. */
  private stoppedReason: string | undefined;
  private disposed = false;
  private threads: number | undefined;
  private backend: HostBackend;
  /** Notices already passed on: each is said once, whichever instance says it again. */
  private readonly told = new Set<string>();
  private readonly crashes: CrashWindow;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: EngineLifecycleEvent) => void>();
  private nextId = 1;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: RemoteEngineHostOptions) {
    this.threads = options.threads;
    this.backend = options.backend ?? 'wasm';
    this.crashes = new CrashWindow(options.crashLimit, options.crashWindowMs);
  }

  get hostState(): EngineHostState {
    if (this.stoppedReason !== undefined) return { state: 'stopped', reason: this.stoppedReason };
    return this.instance ? { state: 'running' } : { state: 'not-started' };
  }

  /** The backend new instances start with. */
  get currentBackend(): HostBackend {
    return this.backend;
  }

  onDidChangeLifecycle(listener: (event: EngineLifecycleEvent) => void): Subscription {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(event: EngineLifecycleEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Notices already said are said again (a test hook changed what the next instance will say). */
  protected forgetNotices(): void {
    this.told.clear();
  }

  /** The running instance, started on first use; throws while the host is stopped or disposed. */
  private running(): Instance {
    if (this.disposed) throw new AbortError('the engine host was disposed');
    if (this.stoppedReason !== undefined) throw new EngineStoppedError(this.stoppedReason);
    return this.instance ?? this.start('first-use');
  }

  private start(cause: StartCause): Instance {
    const transport = this.options.connect({ backend: this.backend, threads: this.threads });
    const instance: Instance = { transport, generation: ++this.generation, intentional: false, ended: false };
    transport.onMessage((message) => {
      if (isHostMessage(message)) this.receive(message);
    });
    transport.onExit((exit) => this.ended(instance, exit));
    this.instance = instance;
    this.emit({ kind: 'started', cause, threads: this.threads, backend: this.backend });
    return instance;
  }

  private ended(instance: Instance, exit: TransportExit): void {
    if (instance.ended) return;
    instance.ended = true;
    if (this.instance === instance) this.instance = undefined;
    if (instance.intentional) return;
    const { label } = instance.transport;
    if (exit.closedByUser) {
      const failed = this.rejectPending(instance.generation, (method) => new EngineClosedError(`${exit.reason} during ${method}; the next request opens it again`), false);
      const what = failed.length > 0 ? `; interrupted: ${failed.map((r) => r.method).join(', ')}` : '';
      this.emit({ kind: 'notice', level: 'info', text: `${exit.reason}: its models load again when it opens on the next request${what}` });
      return;
    }
    const verdict = this.crashes.record(Date.now());
    if (verdict.giveUp) {
      this.stoppedReason =
        `${label} crashed ${verdict.crashesInWindow} times within a minute (last time ${exit.reason}); ` +
        'Tealeaf stopped restarting it: use Retry or change a Tealeaf setting to start it again';
    }
    const interrupted = this.rejectPending(instance.generation, (method) => new WorkerExitedError(`${label} stopped during ${method} (${exit.reason}) and was restarted; try again`));
    this.emit({ kind: 'crashed', reason: exit.reason, crashesInWindow: verdict.crashesInWindow, restarting: !verdict.giveUp, interrupted });
    if (!verdict.giveUp && !this.disposed) this.start('crash');
  }

  /** Rejects every request sent to instance `generation`; returns what they were. */
  private rejectPending(generation: number, error: (method: EngineMethod) => Error, replays = true): InterruptedRequest[] {
    const interrupted: InterruptedRequest[] = [];
    for (const [id, pending] of this.pending) {
      if (pending.generation !== generation) continue;
      this.pending.delete(id);
      interrupted.push({ method: pending.method, replayed: replays && pending.willReplay && this.stoppedReason === undefined });
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
    if (pending.method !== 'memory' && !this.inUse()) this.armIdleStop();
    if (message.ok) pending.resolve(message.result);
    else pending.reject(revive(message.error));
  }

  /**
   * Whether a request other than `memory` is in flight. Asking what the engine holds (the status
   * bar menu) is not a use that keeps it running: counted as one, a `memory` request in flight when
   * the last real answer came, or when the idle clock ran out, would leave the engine up for good.
   */
  private inUse(): boolean {
    return [...this.pending.values()].some((p) => p.method !== 'memory');
  }

  /** From now, idleStopMs without a request stops the running instance. */
  private armIdleStop(): void {
    const idleMs = this.options.idleStopMs;
    clearTimeout(this.idleTimer);
    if (idleMs === undefined) return;
    const instance = this.instance;
    this.idleTimer = setTimeout(() => {
      // A request sent since runs on; its answer starts the clock again.
      if (this.instance !== instance || this.inUse()) return;
      void this.stop(`${instance?.transport.label ?? 'the engine'} was stopped after ${Math.round(idleMs / 1000)} s without a request`);
    }, idleMs);
    // An idle timer alone must not keep a process (the CLI, a test) alive.
    this.idleTimer.unref?.();
  }

  /** Posts one request to one instance; rejects with WorkerExitedError if that instance dies first. */
  private send<M extends EngineMethod>(
    instance: Instance,
    method: M,
    params: EngineMethods[M]['params'],
    options: SendOptions,
    willReplay: boolean,
  ): Promise<EngineMethods[M]['result']> {
    if (options.signal?.aborted) return Promise.reject(new AbortError());
    // A request that was on its way (its model's handle resolving) when the instance ended.
    if (instance.stopReason !== undefined) return Promise.reject(new AbortError(instance.stopReason));
    if (instance.ended) return Promise.reject(new WorkerExitedError(`${instance.transport.label} stopped before ${method} reached it`));
    const id = this.nextId++;
    return new Promise<EngineMethods[M]['result']>((resolve, reject) => {
      const onAbort = () => instance.transport.post({ kind: 'abort', requestId: id });
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
      instance.transport.post({ kind: 'request', id, method, params } as EngineRequest);
    });
  }

  /**
   * Runs `attempt` on the running instance. If that instance dies under it, a replayable request
   * runs once more on the next one; any other fails with the WorkerExitedError (or, once the
   * host has given up, an EngineStoppedError).
   */
  private async withReplay<T>(replayable: boolean, attempt: (instance: Instance, willReplay: boolean) => Promise<T>): Promise<T> {
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

  /** The model's handle in `instance`, loading it there first when it was loaded in an earlier one. */
  private handleIn(slot: ModelSlot, instance: Instance, willReplay: boolean): Promise<number> {
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

  /** For the proxies: a request on a loaded model, in whichever instance is running now. */
  async call<M extends ModelMethod>(
    slot: ModelSlot,
    method: M,
    params: (handle: number) => EngineMethods[M]['params'],
    options: SendOptions,
    replayable: boolean,
  ): Promise<EngineMethods[M]['result']> {
    return (await this.callTracked(slot, method, params, options, replayable)).result;
  }

  /** call(), and the generation of the instance that answered (attention ids are only valid there). */
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

  /** The generation of the running instance, if any. */
  get runningGeneration(): number | undefined {
    return this.instance?.generation;
  }

  async load(modelDir: string, options: LoadOptions = {}): Promise<Engine> {
    const slot: ModelSlot = { modelDir, options, disposed: false, attentionIds: new AttentionIds() };
    return this.withReplay(true, async (instance, willReplay) => {
      const { handle, info } = await this.send(instance, 'load', { modelDir, options }, {}, willReplay);
      slot.handle = { generation: instance.generation, value: handle };
      slot.info = info;
      return new RemoteEngine(this, slot, info);
    });
  }

  async unload(slot: ModelSlot): Promise<void> {
    slot.disposed = true;
    const instance = this.instance;
    if (instance === undefined || slot.handle?.generation !== instance.generation) return; // nothing of it in the running instance
    await this.send(instance, 'unload', { handle: slot.handle.value }, {}, false).catch(() => undefined);
  }

  async restart(cause: 'threads' | 'backend' | 'retry'): Promise<void> {
    if (this.disposed) return;
    this.crashes.clear();
    this.stoppedReason = undefined;
    const old = this.instance;
    if (old) old.intentional = true;
    // The new instance first: requests replayed from the old one must find it running.
    this.start(cause);
    if (!old) return;
    old.ended = true;
    this.rejectPending(old.generation, (method) => new WorkerExitedError(`the engine restarted ${CAUSE_TEXT[cause]} during ${method}; try again`));
    await old.transport.terminate(0);
  }

  async setThreads(threads: number | undefined): Promise<void> {
    if (threads === this.threads) return;
    this.threads = threads;
    if (this.instance) await this.restart('threads');
  }

  async setBackend(backend: HostBackend): Promise<void> {
    if (backend === this.backend) return;
    this.backend = backend;
    if (this.instance) await this.restart('backend');
  }

  /**
   * Ends the instance on purpose and with it everything it holds: WebAssembly memory never
   * shrinks, so ending the worker is the only way to give back what a job grew it to (the
   * inspector's worker, when its panel closes). Requests in flight fail with an AbortError; the
   * next request starts a new instance, where the models it uses load again. Resolves once the
   * instance has ended.
   */
  async stop(reason: string): Promise<void> {
    clearTimeout(this.idleTimer);
    const instance = this.instance;
    if (!instance) return;
    instance.intentional = true;
    instance.ended = true;
    instance.stopReason = reason;
    this.instance = undefined;
    this.rejectPending(instance.generation, () => new AbortError(reason));
    await instance.transport.terminate(0);
  }

  /** What the running engine holds; undefined when none runs (asking does not start one). */
  async memory(): Promise<EngineMemory | undefined> {
    const instance = this.instance;
    if (!instance || instance.ended) return undefined;
    return this.send(instance, 'memory', {}, {}, false);
  }

  /** The running instance's transport, if one runs. */
  protected get runningTransport(): EngineTransport | undefined {
    return this.instance?.transport;
  }

  /** Whether an instance is running now (it starts on first use, and again after stop()). */
  get isRunning(): boolean {
    return this.instance !== undefined;
  }

  /**
   * Ends the instance the way a crash would (it counts toward the crash limit): for tests and
   * diagnostics. Resolves once it has ended.
   */
  async killWorker(): Promise<void> {
    if (this.instance) await this.instance.transport.terminate(1);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    const instance = this.instance;
    this.instance = undefined;
    if (instance) instance.intentional = true;
    for (const pending of this.pending.values()) pending.reject(new AbortError('the engine host was disposed'));
    this.pending.clear();
    this.listeners.clear();
    if (instance) await instance.transport.terminate(0);
  }
}

class RemoteEngine implements Engine {
  constructor(
    private readonly host: RemoteEngineHost,
    private readonly slot: ModelSlot,
    private readonly loadedInfo: ModelInfo,
  ) {}

  /** As the model's latest load described it (its backend may change with a restart). */
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

  /** Replayed when its instance dies: it shows nothing until it answers. */
  attention(request: AttentionRequest, options: CallOptions = {}): Promise<AttentionResult> {
    return this.host.call(this.slot, 'attention', (handle) => ({ handle, request }), options, true);
  }

  /**
   * Not replayed: the capture lived in the engine that ended, and the next one numbers its own
   * captures from 1, so the same id there is another suggestion's. Gone with its engine: undefined.
   */
  async generationAttention(id: number): Promise<GenerationAttention | undefined> {
    const engineId = this.engineId(id);
    if (engineId === undefined) return undefined;
    const result = await this.host.call(this.slot, 'generationAttention', (handle) => ({ handle, id: engineId }), {}, false).catch(capturesLost);
    return result && { ...result, id };
  }

  async translate(request: TranslateRequest, options: CallOptions = {}): Promise<TranslateResult> {
    const { result, generation } = await this.host.callTracked(this.slot, 'translate', (handle) => ({ handle, request }), options, true);
    return this.withProxyId(result, generation);
  }

  /** Not replayed, as generationAttention. */
  async translationAttention(id: number): Promise<TranslationAttention | undefined> {
    const engineId = this.engineId(id);
    if (engineId === undefined) return undefined;
    const result = await this.host.call(this.slot, 'translationAttention', (handle) => ({ handle, id: engineId }), {}, false).catch(capturesLost);
    return result && { ...result, id };
  }

  async dispose(): Promise<void> {
    await this.host.unload(this.slot);
  }

  /** Replaces the engine's attention id by one that no later instance can reuse. */
  private withProxyId<R extends { readonly attentionId?: number }>(result: R, generation: number): R {
    if (result.attentionId === undefined) return result;
    return { ...result, attentionId: this.slot.attentionIds.issue(generation, result.attentionId) };
  }

  /** The engine's id for a proxy id, if it was captured by the instance running now. */
  private engineId(id: number): number | undefined {
    const generation = this.host.runningGeneration;
    return generation === undefined ? undefined : this.slot.attentionIds.resolve(id, generation);
  }
}

/** An attention capture asked of an engine that ended (a crash, a restart, its panel closed) is gone with it. */
function capturesLost(error: unknown): undefined {
  if (error instanceof WorkerExitedError || error instanceof EngineClosedError) return undefined;
  throw error;
}
