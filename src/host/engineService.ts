// The host side of the engine protocol: serves ClientMessages with an EngineHost and posts
// HostMessages back. Used by the worker_threads worker; the webview engine host reuses it.
import { ModelError } from '../engine/errors';
import type { Engine, EngineHost } from '../engine/types';
import { type ClientMessage, type EngineRequest, type HostMessage, serializeError } from '../protocol/engine';

export class EngineService {
  private readonly engines = new Map<number, Engine>();
  private readonly running = new Map<number, AbortController>();
  private nextHandle = 1;

  constructor(
    private readonly host: EngineHost,
    private readonly post: (message: HostMessage) => void,
  ) {}

  handle(message: ClientMessage): void {
    if (message.kind === 'abort') {
      this.running.get(message.requestId)?.abort();
      return;
    }
    const controller = new AbortController();
    this.running.set(message.id, controller);
    this.dispatch(message, controller.signal).then(
      (result) => this.post({ kind: 'response', id: message.id, ok: true, result }),
      (error: unknown) => this.post({ kind: 'response', id: message.id, ok: false, error: serializeError(error) }),
    ).finally(() => this.running.delete(message.id));
  }

  private engine(handle: number): Engine {
    const engine = this.engines.get(handle);
    if (!engine) throw new ModelError(`no loaded model with handle ${handle}`);
    return engine;
  }

  private async dispatch(request: EngineRequest, signal: AbortSignal): Promise<unknown> {
    switch (request.method) {
      case 'load': {
        const engine = await this.host.load(request.params.modelDir, request.params.options);
        const handle = this.nextHandle++;
        this.engines.set(handle, engine);
        return { handle, info: engine.info };
      }
      case 'tokenize':
        return this.engine(request.params.handle).tokenize(request.params.text);
      case 'generate': {
        const onToken = request.params.stream
          ? (token: { id: number; textSoFar: string }) => this.post({ kind: 'token', requestId: request.id, token })
          : undefined;
        return this.engine(request.params.handle).generate(request.params.request, { signal, onToken });
      }
      case 'attention':
        return this.engine(request.params.handle).attention(request.params.request, { signal });
      case 'generationAttention':
        return this.engine(request.params.handle).generationAttention(request.params.id);
      case 'translate':
        return this.engine(request.params.handle).translate(request.params.request, { signal });
      case 'translationAttention':
        return this.engine(request.params.handle).translationAttention(request.params.id);
      case 'unload': {
        const engine = this.engine(request.params.handle);
        this.engines.delete(request.params.handle);
        await engine.dispose();
        return undefined;
      }
    }
  }
}
