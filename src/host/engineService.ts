// The host side of the engine protocol: serves ClientMessages with an EngineHost and posts
// HostMessages back. Used by the worker_threads worker (src/host/worker.ts).
import { ModelError, UnsupportedError } from '../engine/errors';
import type { Engine, EngineHost } from '../engine/types';
import { type ClientMessage, type EngineMemory, type EngineRequest, type HostMessage, serializeError } from '../protocol/engine';

/** A result, and the buffers it owns that may be moved (not copied) to the receiving thread. */
interface Reply {
  readonly result: unknown;
  readonly transfer?: ArrayBuffer[];
}

/**
 * The buffers of arrays that own them whole (a view into a larger buffer must not be transferred:
 * the rest of that buffer would go with it). The attention of 512 tokens of a 6 × 8-head model is
 * 50 MB: moved, it costs nothing; copied, it costs about 40 ms on these machines.
 */
function ownedBuffers(arrays: readonly (Float32Array | Uint8Array)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) buffers.add(a.buffer);
  }
  return [...buffers];
}

export class EngineService {
  private readonly engines = new Map<number, Engine>();
  private readonly running = new Map<number, AbortController>();
  private nextHandle = 1;

  constructor(
    private readonly host: EngineHost,
    private readonly post: (message: HostMessage, transfer?: ArrayBuffer[]) => void,
    /** Where the runtime can say it (Node); a page cannot, and its answer is an error. */
    private readonly readMemory?: () => EngineMemory,
  ) {}

  handle(message: ClientMessage): void {
    if (message.kind === 'abort') {
      this.running.get(message.requestId)?.abort();
      return;
    }
    const controller = new AbortController();
    this.running.set(message.id, controller);
    this.dispatch(message, controller.signal).then(
      (reply) => this.post({ kind: 'response', id: message.id, ok: true, result: reply.result }, reply.transfer),
      (error: unknown) => this.post({ kind: 'response', id: message.id, ok: false, error: serializeError(error) }),
    ).finally(() => this.running.delete(message.id));
  }

  private engine(handle: number): Engine {
    const engine = this.engines.get(handle);
    if (!engine) throw new ModelError(`no loaded model with handle ${handle}`);
    return engine;
  }

  private async dispatch(request: EngineRequest, signal: AbortSignal): Promise<Reply> {
    if (request.method === 'attention') {
      // The engine hands out fresh arrays per call and keeps none of them: safe to move.
      const result = await this.engine(request.params.handle).attention(request.params.request, { signal });
      const quantized = (result.quantized ?? []).flatMap((q) => [q.data, q.scales]);
      return { result, transfer: ownedBuffers([...result.attention.layerData, ...quantized, ...(result.pooled ? [result.pooled.data] : [])]) };
    }
    return { result: await this.answer(request, signal) };
  }

  private async answer(request: Exclude<EngineRequest, { method: 'attention' }>, signal: AbortSignal): Promise<unknown> {
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
      case 'memory':
        if (!this.readMemory) throw new UnsupportedError('this engine cannot tell its memory');
        return this.readMemory();
    }
  }
}
