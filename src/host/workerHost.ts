// EngineHost backed by a worker_threads worker: the caller's event loop never runs inference.
// Engines returned by load() are proxies that send typed requests; AbortSignals become abort
// notifications; a crashed worker rejects everything pending and is restarted on the next load.
import { Worker } from 'node:worker_threads';
import { AbortError, InferenceError, ModelError, UnsupportedError } from '../engine/errors';
import type {
  AttentionCallOptions,
  AttentionPreview,
  AttentionRequest,
  AttentionResult,
  CallOptions,
  Engine,
  EngineHost,
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
import { type EngineMethod, type EngineMethods, type EngineRequest, type HostMessage, isHostMessage, type SerializedError } from '../protocol/engine';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onToken?: (token: StreamedToken) => void;
  onPreview?: (preview: AttentionPreview) => void;
}

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
}

export class WorkerHost implements EngineHost {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly options: WorkerHostOptions) {}

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerPath, { workerData: { wasmDir: this.options.wasmDir } });
    worker.on('message', (message: unknown) => {
      if (isHostMessage(message)) this.receive(message);
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const pending of this.pending.values()) pending.reject(new InferenceError(`the engine worker stopped: ${error.message}`));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private receive(message: HostMessage): void {
    if (message.kind === 'token') {
      this.pending.get(message.requestId)?.onToken?.(message.token);
      return;
    }
    if (message.kind === 'attentionPreview') {
      this.pending.get(message.requestId)?.onPreview?.(message.preview);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(revive(message.error));
  }

  request<M extends EngineMethod>(
    method: M,
    params: EngineMethods[M]['params'],
    options: { signal?: AbortSignal; onToken?: (token: StreamedToken) => void; onPreview?: (preview: AttentionPreview) => void } = {},
  ): Promise<EngineMethods[M]['result']> {
    const worker = this.ensureWorker();
    if (options.signal?.aborted) return Promise.reject(new AbortError());
    const id = this.nextId++;
    return new Promise<EngineMethods[M]['result']>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ kind: 'abort', requestId: id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (value) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(value as EngineMethods[M]['result']);
        },
        reject: (error) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        onToken: options.onToken,
        onPreview: options.onPreview,
      });
      worker.postMessage({ kind: 'request', id, method, params } as EngineRequest);
    });
  }

  async load(modelDir: string, options: LoadOptions = {}): Promise<Engine> {
    const { handle, info } = await this.request('load', { modelDir, options });
    return new WorkerEngine(this, handle, info);
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const pending of this.pending.values()) pending.reject(new AbortError('the engine host was disposed'));
    this.pending.clear();
    await worker?.terminate();
  }
}

class WorkerEngine implements Engine {
  constructor(
    private readonly host: WorkerHost,
    private readonly handle: number,
    readonly info: ModelInfo,
  ) {}

  tokenize(text: string): Promise<readonly TokenSpan[]> {
    return this.host.request('tokenize', { handle: this.handle, text });
  }

  generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    return this.host.request('generate', { handle: this.handle, request, stream: options.onToken !== undefined }, options);
  }

  attention(request: AttentionRequest, options: AttentionCallOptions = {}): Promise<AttentionResult> {
    return this.host.request('attention', { handle: this.handle, request, preview: options.onPreview !== undefined }, options);
  }

  generationAttention(id: number): Promise<GenerationAttention | undefined> {
    return this.host.request('generationAttention', { handle: this.handle, id });
  }

  translate(request: TranslateRequest, options: CallOptions = {}): Promise<TranslateResult> {
    return this.host.request('translate', { handle: this.handle, request }, options);
  }

  translationAttention(id: number): Promise<TranslationAttention | undefined> {
    return this.host.request('translationAttention', { handle: this.handle, id });
  }

  async dispose(): Promise<void> {
    await this.host.request('unload', { handle: this.handle }).catch(() => undefined);
  }
}
