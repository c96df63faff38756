// EngineService, the engine side of the protocol, without a worker: handles and the engine each
// names, streaming, abort, errors as their name and message, the buffers an attention answer
// moves, unload, and the memory answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import type {
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
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from '../../../src/engine/types';
import { EngineService } from '../../../src/host/engineService';
import type { ClientMessage, EngineMemory, EngineRequest, HostMessage } from '../../../src/protocol/engine';
import { fakeModelInfo } from '../fakeModelInfo';

/** An engine that answers with its own name, records every call, and can hold a call until told. */
class RecordingEngine implements Engine {
  readonly info;
  readonly calls: string[] = [];
  signals: (AbortSignal | undefined)[] = [];
  disposed = false;
  /** Set: generate() and attention() wait for it before answering. */
  hold: Promise<void> | undefined;
  attentionResult: AttentionResult | undefined;

  constructor(readonly name: string) {
    this.info = fakeModelInfo({ id: `/models/${name}` });
  }

  async tokenize(text: string): Promise<readonly TokenSpan[]> {
    this.calls.push(`tokenize ${text}`);
    return [{ id: this.name.length, text: `${this.name}:${text}`, start: 0, end: text.length }];
  }

  async generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    this.calls.push(`generate ${request.prompt}`);
    this.signals.push(options.signal);
    options.onToken?.({ id: 7, textSoFar: 'a' });
    options.onToken?.({ id: 8, textSoFar: 'ab' });
    await this.hold;
    options.signal?.throwIfAborted();
    return { text: `${this.name} says ab`, tokens: [7, 8], finishReason: 'length' } as unknown as GenerateResult;
  }

  async attention(request: AttentionRequest, options: CallOptions = {}): Promise<AttentionResult> {
    this.calls.push(`attention ${request.text}`);
    this.signals.push(options.signal);
    await this.hold;
    options.signal?.throwIfAborted();
    if (!this.attentionResult) throw new Error('no attention result set');
    return this.attentionResult;
  }

  async generationAttention(id: number): Promise<GenerationAttention | undefined> {
    this.calls.push(`generationAttention ${id}`);
    return undefined;
  }

  async translate(request: TranslateRequest, options: CallOptions = {}): Promise<TranslateResult> {
    this.calls.push(`translate ${request.text}`);
    this.signals.push(options.signal);
    return { text: `${this.name}: ${request.text}` } as unknown as TranslateResult;
  }

  async translationAttention(id: number): Promise<TranslationAttention | undefined> {
    this.calls.push(`translationAttention ${id}`);
    return undefined;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** A host that loads RecordingEngines named after the folder's last part. */
function recordingHost(): EngineHost & { readonly loaded: RecordingEngine[]; readonly options: (LoadOptions | undefined)[] } {
  const loaded: RecordingEngine[] = [];
  const options: (LoadOptions | undefined)[] = [];
  return {
    loaded,
    options,
    load: async (modelDir: string, loadOptions?: LoadOptions) => {
      if (modelDir.endsWith('missing')) throw new ModelError(`${modelDir} is not a folder`);
      const engine = new RecordingEngine(modelDir.split('/').pop() ?? '');
      loaded.push(engine);
      options.push(loadOptions);
      return engine;
    },
    dispose: async () => undefined,
  };
}

interface Posted {
  readonly message: HostMessage;
  readonly transfer: ArrayBuffer[] | undefined;
}

function serviceUnderTest(readMemory?: () => EngineMemory) {
  const host = recordingHost();
  const posted: Posted[] = [];
  let waiting: { id: number; resolve: (posted: Posted) => void }[] = [];
  const service = new EngineService(
    host,
    (message, transfer) => {
      const entry = { message, transfer };
      posted.push(entry);
      if (message.kind !== 'response') return;
      waiting.filter((w) => w.id === message.id).forEach((w) => w.resolve(entry));
      waiting = waiting.filter((w) => w.id !== message.id);
    },
    readMemory,
  );
  let nextId = 1;
  /** Sends a request; resolves with its response once posted. */
  const send = (request: Omit<EngineRequest, 'kind' | 'id'>): { id: number; response: Promise<Posted> } => {
    const id = nextId++;
    const response = new Promise<Posted>((resolve) => waiting.push({ id, resolve }));
    service.handle({ kind: 'request', id, ...request } as ClientMessage);
    return { id, response };
  };
  const result = async (request: Omit<EngineRequest, 'kind' | 'id'>): Promise<unknown> => {
    const { message } = await send(request).response;
    assert.equal(message.kind, 'response');
    assert.ok(message.kind === 'response' && message.ok, `expected success, got ${JSON.stringify(message)}`);
    return message.result;
  };
  const failure = async (request: Omit<EngineRequest, 'kind' | 'id'>): Promise<{ name: string; message: string }> => {
    const { message } = await send(request).response;
    assert.ok(message.kind === 'response' && !message.ok, `expected an error, got ${JSON.stringify(message)}`);
    return message.error;
  };
  return { service, host, posted, send, result, failure };
}

const load = (name: string, options: LoadOptions = {}) => ({ method: 'load', params: { modelDir: `/models/${name}`, options } }) as const;

describe('EngineService', () => {
  it('numbers each loaded engine from 1 and sends every request to the engine its handle names', async () => {
    const { host, result } = serviceUnderTest();
    const first = (await result(load('alpha', { threads: 1 }))) as { handle: number; info: { id: string } };
    const second = (await result(load('beta'))) as { handle: number; info: { id: string } };
    assert.deepEqual([first.handle, second.handle], [1, 2]);
    assert.equal(first.info.id, '/models/alpha');
    assert.deepEqual(host.options, [{ threads: 1 }, {}]);

    const spans = (await result({ method: 'tokenize', params: { handle: 2, text: 'x' } })) as TokenSpan[];
    assert.equal(spans[0]?.text, 'beta:x');
    await result({ method: 'translate', params: { handle: 1, request: { text: 'Hello', from: 'en', to: 'de' } } });
    await result({ method: 'generationAttention', params: { handle: 2, id: 4 } });
    await result({ method: 'translationAttention', params: { handle: 1, id: 5 } });
    assert.deepEqual(host.loaded[0]?.calls, ['translate Hello', 'translationAttention 5']);
    assert.deepEqual(host.loaded[1]?.calls, ['tokenize x', 'generationAttention 4']);
  });

  it('answers a handle it never gave, or a failed load, with the error’s name and message', async () => {
    const { failure, result } = serviceUnderTest();
    assert.deepEqual(await failure({ method: 'tokenize', params: { handle: 1, text: 'x' } }), {
      name: 'ModelError',
      message: 'no loaded model with handle 1',
    });
    assert.deepEqual(await failure(load('missing')), { name: 'ModelError', message: '/models/missing is not a folder' });
    // The failed load took no handle.
    assert.equal(((await result(load('alpha'))) as { handle: number }).handle, 1);
  });

  it('streams tokens only when asked, each tagged with its request, before the response', async () => {
    const { posted, send, result } = serviceUnderTest();
    await result(load('alpha'));
    const streamed = send({ method: 'generate', params: { handle: 1, request: { prompt: 'p' }, stream: true } });
    await streamed.response;
    assert.deepEqual(
      posted.slice(1).map((p) => (p.message.kind === 'token' ? `token ${p.message.requestId} ${p.message.token.textSoFar}` : p.message.kind)),
      [`token ${streamed.id} a`, `token ${streamed.id} ab`, 'response'],
    );
    const before = posted.length;
    const quiet = (await result({ method: 'generate', params: { handle: 1, request: { prompt: 'q' }, stream: false } })) as { text: string };
    assert.equal(quiet.text, 'alpha says ab');
    assert.deepEqual(posted.slice(before).map((p) => p.message.kind), ['response']);
  });

  it('aborts the request an abort names, and only it; an abort for no running request is ignored', async () => {
    const { service, host, send, result } = serviceUnderTest();
    await result(load('alpha'));
    const engine = host.loaded[0] as RecordingEngine;
    let release = () => {};
    engine.hold = new Promise((resolve) => (release = resolve));
    const first = send({ method: 'generate', params: { handle: 1, request: { prompt: 'one' }, stream: false } });
    const second = send({ method: 'generate', params: { handle: 1, request: { prompt: 'two' }, stream: false } });
    await new Promise((resolve) => setImmediate(resolve));
    service.handle({ kind: 'abort', requestId: 999 });
    service.handle({ kind: 'abort', requestId: first.id });
    assert.deepEqual(engine.signals.map((s) => s?.aborted), [true, false]);
    release();
    const [aborted, finished] = await Promise.all([first.response, second.response]);
    assert.ok(aborted.message.kind === 'response' && !aborted.message.ok);
    assert.equal(aborted.message.error.name, 'AbortError');
    assert.ok(finished.message.kind === 'response' && finished.message.ok);
    // Translation gets its request's signal too.
    await result({ method: 'translate', params: { handle: 1, request: { text: 'Hi', from: 'en', to: 'de' } } });
    assert.ok(engine.signals[2] instanceof AbortSignal);
  });

  it('moves the buffers an attention answer owns whole, each once, and copies views into larger ones', async () => {
    const { host, send, result } = serviceUnderTest();
    await result(load('alpha'));
    const engine = host.loaded[0] as RecordingEngine;
    const layer0 = new Float32Array(8);
    const shared = new ArrayBuffer(64);
    const view = new Float32Array(shared, 16, 4); // part of a larger buffer: never moved
    const head = new Float32Array(new ArrayBuffer(64), 0, 4); // its start only: never moved either
    // Shared memory (a threaded runtime's) cannot be moved: in a transfer list it fails the whole post.
    const inShared = new Float32Array(new SharedArrayBuffer(16));
    const quantData = new Uint8Array(4);
    const scales = new Float32Array(2);
    const pooled = new Float32Array(3);
    engine.attentionResult = {
      attention: { layerData: [layer0, view, head, inShared, layer0] },
      quantized: [{ data: quantData, scales }],
      pooled: { data: pooled },
    } as unknown as AttentionResult;
    const { response } = send({ method: 'attention', params: { handle: 1, request: { text: 'abc' } } });
    const { message, transfer } = await response;
    assert.ok(message.kind === 'response' && message.ok);
    assert.deepEqual(
      new Set(transfer),
      new Set([layer0.buffer, quantData.buffer, scales.buffer, pooled.buffer]),
    );
    assert.equal(transfer?.length, 4);
    assert.equal(engine.calls.at(-1), 'attention abc');
    assert.ok(engine.signals[0] instanceof AbortSignal);

    // No quantized or pooled part: only the layers.
    const only = new Float32Array(2);
    engine.attentionResult = { attention: { layerData: [only] } } as unknown as AttentionResult;
    assert.deepEqual((await send({ method: 'attention', params: { handle: 1, request: { text: 'd' } } }).response).transfer, [only.buffer]);
  });

  it('unloads: disposes the engine and forgets its handle', async () => {
    const { host, result, failure } = serviceUnderTest();
    await result(load('alpha'));
    await result(load('beta'));
    assert.equal(await result({ method: 'unload', params: { handle: 1 } }), undefined);
    assert.deepEqual(host.loaded.map((e) => e.disposed), [true, false]);
    assert.equal((await failure({ method: 'tokenize', params: { handle: 1, text: 'x' } })).message, 'no loaded model with handle 1');
    assert.equal((await failure({ method: 'unload', params: { handle: 1 } })).message, 'no loaded model with handle 1');
    assert.equal(((await result({ method: 'tokenize', params: { handle: 2, text: 'y' } })) as TokenSpan[])[0]?.text, 'beta:y');
  });

  it('tells its memory where it can, and says it cannot elsewhere', async () => {
    const memory: EngineMemory = { rssBytes: 3, wasmHeapBytes: 2, arrayBufferBytes: 1 };
    assert.deepEqual(await serviceUnderTest(() => memory).result({ method: 'memory', params: {} }), memory);
    assert.deepEqual(await serviceUnderTest().failure({ method: 'memory', params: {} }), {
      name: 'UnsupportedError',
      message: 'this engine cannot tell its memory',
    });
  });
});
