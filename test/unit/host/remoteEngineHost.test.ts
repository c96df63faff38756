// The engine client over a transport, without a worker or a webview: requests matched to their
// responses (out of order, streamed tokens, aborts), and the Tealeaf Engine panel closed in the
// middle of a request (the request fails with an EngineClosedError naming the panel, nothing
// hangs, and the next request opens a new panel and loads the model there again). Also the
// webview transport's file serving: only the folders it was asked to load, only inside them.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AbortError, ModelError } from '../../../src/engine/errors';
import { EngineClosedError, type EngineLifecycleEvent } from '../../../src/host/lifecycle';
import { RemoteEngineHost } from '../../../src/host/remoteEngineHost';
import type { EngineTransport, TransportExit } from '../../../src/host/transport';
import { type EngineWebview, gpuNotice, WebviewTransport } from '../../../src/host/webviewTransport';
import { type ClientMessage, type EngineRequest, type HostMessage, isClientMessage } from '../../../src/protocol/engine';
import type { FileReply } from '../../../src/protocol/engineView';
import { fakeModelInfo } from '../fakeModelInfo';
import { modelDir } from '../engine/helpers';

/** A transport whose other side is the test: it sees each message and answers by hand. */
class FakeTransport implements EngineTransport {
  readonly label = 'the fake engine';
  readonly posted: ClientMessage[] = [];
  private listener: (message: unknown) => void = () => undefined;
  private exitListener: (exit: TransportExit) => void = () => undefined;
  terminated = false;

  post(message: ClientMessage): void {
    this.posted.push(message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.listener = listener;
  }
  onExit(listener: (exit: TransportExit) => void): void {
    this.exitListener = listener;
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
  reply(message: HostMessage): void {
    this.listener(message);
  }
  exit(exit: TransportExit): void {
    this.exitListener(exit);
  }
  requests(method: string): EngineRequest[] {
    return this.posted.filter((m): m is EngineRequest => m.kind === 'request' && m.method === method);
  }
}

/** Waits for the microtasks and timers queued so far (requests are posted after awaits). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function loaded(transport: FakeTransport, host: RemoteEngineHost) {
  const loading = host.load('/models/m');
  await settle();
  const load = transport.requests('load').at(-1);
  assert.ok(load);
  transport.reply({ kind: 'response', id: load.id, ok: true, result: { handle: 7, info: fakeModelInfo() } });
  return loading;
}

/** A host that gets a new FakeTransport (kept in `transports`) for each engine, with /models/m loaded in the first. */
async function freshTransportPerEngine() {
  const transports: FakeTransport[] = [];
  const host = new RemoteEngineHost({
    connect: () => {
      const t = new FakeTransport();
      transports.push(t);
      return t;
    },
  });
  const loading = host.load('/models/m');
  await settle();
  const load = transports[0]?.requests('load')[0];
  assert.ok(load);
  transports[0]?.reply({ kind: 'response', id: load.id, ok: true, result: { handle: 1, info: fakeModelInfo() } });
  return { host, transports, engine: await loading };
}

/** Answers load request `loadId` in `transport` with `handle`: the tokenize that waited for it, once sent. */
async function tokenizeAfterLoad(transport: FakeTransport, loadId: number, handle: number) {
  transport.reply({ kind: 'response', id: loadId, ok: true, result: { handle, info: fakeModelInfo() } });
  await settle();
  return transport.requests('tokenize')[0];
}

describe('RemoteEngineHost over a transport', () => {
  it('matches responses to requests in any order, streams tokens to their request, and sends aborts', async () => {
    const transport = new FakeTransport();
    const host = new RemoteEngineHost({ connect: () => transport });
    const engine = await loaded(transport, host);
    const streamedA: number[] = [];
    const streamedB: number[] = [];
    const a = engine.generate({ prompt: 'a' }, { onToken: (t) => streamedA.push(t.id) });
    const b = engine.generate({ prompt: 'b' }, { onToken: (t) => streamedB.push(t.id) });
    const controller = new AbortController();
    const c = engine.tokenize('c');
    const d = engine.attention({ text: 'd' } as never, { signal: controller.signal });
    await settle();
    const [ga, gb] = transport.requests('generate');
    const [tc] = transport.requests('tokenize');
    const [ad] = transport.requests('attention');
    assert.ok(ga && gb && tc && ad);
    assert.equal(ga.method === 'generate' && ga.params.handle, 7, 'the handle of the loaded model');
    controller.abort();
    assert.deepEqual(transport.posted.at(-1), { kind: 'abort', requestId: ad.id });
    transport.reply({ kind: 'token', requestId: gb.id, token: { id: 2, textSoFar: 'x' } });
    transport.reply({ kind: 'token', requestId: ga.id, token: { id: 1, textSoFar: 'y' } });
    transport.reply({ kind: 'response', id: tc.id, ok: true, result: [{ id: 9, text: 'c', start: 0, end: 1 }] });
    transport.reply({ kind: 'response', id: gb.id, ok: true, result: { text: 'B', tokens: [2] } });
    transport.reply({ kind: 'response', id: ga.id, ok: true, result: { text: 'A', tokens: [1] } });
    transport.reply({ kind: 'response', id: ad.id, ok: false, error: { name: 'AbortError', message: 'aborted' } });
    assert.equal((await a).text, 'A');
    assert.equal((await b).text, 'B');
    assert.deepEqual((await c).map((t) => t.id), [9]);
    await assert.rejects(d, (e: unknown) => e instanceof AbortError);
    assert.deepEqual(streamedA, [1]);
    assert.deepEqual(streamedB, [2]);
    // A ModelError crosses as itself; a response for no pending request is ignored.
    const e = engine.tokenize('e');
    await settle();
    const te = transport.requests('tokenize').at(-1);
    assert.ok(te);
    transport.reply({ kind: 'response', id: 999, ok: true, result: [] });
    transport.reply({ kind: 'response', id: te.id, ok: false, error: { name: 'ModelError', message: 'bad folder' } });
    await assert.rejects(e, (error: unknown) => error instanceof ModelError && error.message === 'bad folder');
    await host.dispose();
    assert.ok(transport.terminated);
  });

  it('a transport the user closed mid-request: the request fails with an EngineClosedError, no crash, the next request starts a new one', async () => {
    const transports: FakeTransport[] = [];
    const host = new RemoteEngineHost({
      connect: () => {
        const t = new FakeTransport();
        transports.push(t);
        return t;
      },
    });
    const events: EngineLifecycleEvent[] = [];
    host.onDidChangeLifecycle((event) => events.push(event));
    const first = transports.length === 0 ? undefined : transports[0];
    assert.equal(first, undefined, 'nothing starts before the first request');
    const engine = await (async () => {
      const loading = host.load('/models/m');
      await settle();
      const t = transports[0];
      assert.ok(t);
      const load = t.requests('load')[0];
      assert.ok(load);
      t.reply({ kind: 'response', id: load.id, ok: true, result: { handle: 1, info: fakeModelInfo() } });
      return loading;
    })();
    const generating = engine.generate({ prompt: 'x' });
    const tokenizing = engine.tokenize('x'); // replayable: still not run again on a closed panel
    await settle();
    transports[0]?.exit({ reason: 'the Tealeaf Engine panel was closed', closedByUser: true });
    await assert.rejects(generating, (e: unknown) => e instanceof EngineClosedError && /Tealeaf Engine panel was closed during generate; the next request opens it again/.test(e.message));
    // By its name a caller on the other side of the extension API tells it, where instanceof cannot.
    await assert.rejects(tokenizing, (e: unknown) => e instanceof EngineClosedError && e.name === 'EngineClosedError');
    assert.equal(transports.length, 1, 'closing is no crash: nothing restarts at once');
    assert.equal(host.hostState.state, 'not-started');
    assert.ok(!events.some((e) => e.kind === 'crashed'));
    assert.ok(events.some((e) => e.kind === 'notice' && /interrupted: generate, tokenize/.test(e.text)));

    // The next request opens a new one and loads the model there first.
    const again = engine.tokenize('y');
    await settle();
    const second = transports[1];
    assert.ok(second, 'a new transport for the next request');
    const reload = second.requests('load')[0];
    assert.ok(reload && reload.method === 'load' && reload.params.modelDir === '/models/m');
    second.reply({ kind: 'response', id: reload.id, ok: true, result: { handle: 5, info: fakeModelInfo() } });
    await settle();
    const tokenize = second.requests('tokenize')[0];
    assert.ok(tokenize && tokenize.method === 'tokenize' && tokenize.params.handle === 5);
    second.reply({ kind: 'response', id: tokenize.id, ok: true, result: [] });
    assert.deepEqual(await again, []);
    await host.dispose();
  });

  it('a transport the user closed with nothing in flight: the notice says the models load again, and names no interrupted request', async () => {
    const transport = new FakeTransport();
    const host = new RemoteEngineHost({ connect: () => transport });
    const notices: string[] = [];
    host.onDidChangeLifecycle((event) => event.kind === 'notice' && notices.push(event.text));
    await loaded(transport, host);
    transport.exit({ reason: 'the Tealeaf Engine panel was closed', closedByUser: true });
    assert.deepEqual(notices, ['the Tealeaf Engine panel was closed: its models load again when it opens on the next request']);
    await host.dispose();
  });

  it('a restart whose old transport ends later: a request on its way is not posted to the old one but runs on the new one', async () => {
    // Unlike the in-memory transports of the lifecycle tests, a worker reports its exit some time after terminate().
    const { host, transports, engine } = await freshTransportPerEngine();
    const tokenizing = engine.tokenize('x'); // waits for its model's handle when the restart comes
    await host.restart('retry');
    await settle();
    assert.deepEqual(transports[0]?.requests('tokenize'), []);
    const second = transports[1];
    const reload = second?.requests('load')[0];
    assert.ok(second && reload);
    const tokenize = await tokenizeAfterLoad(second, reload.id, 2);
    assert.ok(tokenize);
    second.reply({ kind: 'response', id: tokenize.id, ok: true, result: [] });
    assert.deepEqual(await tokenizing, []);
    await host.dispose();
  });

  it('a model whose load failed in a new engine loads again on its next request there', async () => {
    const { host, transports, engine } = await freshTransportPerEngine();
    await host.restart('retry');
    const first = engine.tokenize('x');
    await settle();
    const second = transports[1];
    const failedLoad = second?.requests('load')[0];
    assert.ok(second && failedLoad);
    second.reply({ kind: 'response', id: failedLoad.id, ok: false, error: { name: 'ModelError', message: 'out of memory' } });
    await assert.rejects(first, { name: 'ModelError', message: 'out of memory' });
    // The failure is not kept: the next request tries the load again, and it works this time.
    const next = engine.tokenize('y');
    await settle();
    const retried = second.requests('load')[1];
    assert.ok(retried, 'a second load in the same engine');
    const tokenize = await tokenizeAfterLoad(second, retried.id, 3);
    assert.ok(tokenize && tokenize.method === 'tokenize' && tokenize.params.handle === 3);
    second.reply({ kind: 'response', id: tokenize.id, ok: true, result: [] });
    assert.deepEqual(await next, []);
    await host.dispose();
  });

  it('aborting a signal after its request has answered or failed sends the engine nothing', async () => {
    const transport = new FakeTransport();
    const host = new RemoteEngineHost({ connect: () => transport });
    const engine = await loaded(transport, host);
    const controller = new AbortController();
    const answered = engine.attention({ text: 'a' }, { signal: controller.signal });
    const failed = engine.generate({ prompt: 'b' }, { signal: controller.signal });
    await settle();
    const [attention] = transport.requests('attention');
    const [generate] = transport.requests('generate');
    assert.ok(attention && generate);
    transport.reply({ kind: 'response', id: attention.id, ok: true, result: { marker: 'attention' } });
    transport.reply({ kind: 'response', id: generate.id, ok: false, error: { name: 'InferenceError', message: 'out of memory' } });
    assert.deepEqual(await answered, { marker: 'attention' });
    await assert.rejects(failed, { name: 'InferenceError' });
    controller.abort();
    assert.deepEqual(transport.posted.filter((m) => m.kind === 'abort'), []);
    await host.dispose();
  });
});

/** A panel whose page is the test. */
class FakeWebview implements EngineWebview {
  readonly toPage: unknown[] = [];
  private receive: (message: unknown) => void = () => undefined;
  private disposed: (() => void)[] = [];
  postMessage(message: unknown): void {
    this.toPage.push(message);
  }
  onDidReceiveMessage(listener: (message: unknown) => void): void {
    this.receive = listener;
  }
  onDidDispose(listener: () => void): void {
    this.disposed.push(listener);
  }
  dispose(): void {
    for (const l of this.disposed.splice(0)) l();
  }
  fromPage(message: unknown): void {
    this.receive(message);
  }
  /** The reply to file request `id`, once the host has answered it. */
  async fileReply(id: number): Promise<FileReply> {
    for (let i = 0; i < 100; i++) {
      const reply = this.toPage.find((m): m is FileReply => (m as FileReply).kind === 'fileReply' && (m as FileReply).id === id);
      if (reply) return reply;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no reply to file request ${id}`);
  }
}

describe('WebviewTransport', () => {
  it('holds requests until the page is ready, then posts them in order; the page’s GPU report becomes a notice', () => {
    const view = new FakeWebview();
    const transport = new WebviewTransport(view, { backend: 'webgpu-webview', platform: 'linux' });
    const heard: unknown[] = [];
    transport.onMessage((m) => heard.push(m));
    transport.post({ kind: 'request', id: 1, method: 'load', params: { modelDir: '/m', options: {} } });
    transport.post({ kind: 'abort', requestId: 1 });
    assert.equal(view.toPage.length, 0, 'nothing reaches a page that is not listening yet');
    view.fromPage({ kind: 'ready', gpu: { available: false, why: 'navigator.gpu is undefined' } });
    assert.deepEqual(view.toPage.filter(isClientMessage).map((m) => m.kind), ['request', 'abort']);
    const notice = heard[0] as HostMessage;
    assert.ok(notice.kind === 'notice' && notice.level === 'warn');
    assert.match(notice.text, /no WebGPU adapter \(navigator\.gpu is undefined\); models run on WebAssembly .*Tealeaf Engine panel.*--enable-unsafe-webgpu --enable-features=Vulkan/);
  });

  it('the panel closed by the user is an exit the client can tell from a crash; closed by Tealeaf it is intentional', async () => {
    const exits: TransportExit[] = [];
    const byUser = new FakeWebview();
    new WebviewTransport(byUser, { backend: 'wasm-webview', platform: 'linux' }).onExit((e) => exits.push(e));
    byUser.dispose();
    const byHost = new FakeWebview();
    const transport = new WebviewTransport(byHost, { backend: 'wasm-webview', platform: 'linux' });
    transport.onExit((e) => exits.push(e));
    await transport.terminate(0);
    assert.deepEqual(exits, [{ reason: 'the Tealeaf Engine panel was closed', closedByUser: true }, { reason: 'the Tealeaf Engine panel was closed by Tealeaf' }]);
  });

  it('ended with another code, or reloaded and so without its models, the panel says so', async () => {
    const exits: TransportExit[] = [];
    const crashed = new WebviewTransport(new FakeWebview(), { backend: 'wasm-webview', platform: 'linux' });
    crashed.onExit((e) => exits.push(e));
    await crashed.terminate(1);
    const view = new FakeWebview();
    new WebviewTransport(view, { backend: 'wasm-webview', platform: 'linux' }).onExit((e) => exits.push(e));
    view.fromPage({ kind: 'ready', gpu: { available: false, why: 'wasm-webview was asked for' } });
    view.fromPage({ kind: 'ready', gpu: { available: false, why: 'wasm-webview was asked for' } });
    assert.deepEqual(exits, [{ reason: 'the Tealeaf Engine panel was ended with code 1' }, { reason: 'the Tealeaf Engine panel reloaded and lost its models' }]);
  });

  it('posts nothing to a closed panel: neither requests nor the answer to a file read it asked for', async () => {
    const view = new FakeWebview();
    const transport = new WebviewTransport(view, { backend: 'wasm-webview', platform: 'linux' });
    const folder = modelDir('tiny-llama');
    transport.post({ kind: 'request', id: 1, method: 'load', params: { modelDir: folder, options: {} } });
    view.fromPage({ kind: 'ready', gpu: { available: false, why: 'wasm-webview was asked for' } });
    view.fromPage({ kind: 'fileRequest', id: 1, modelDir: folder, path: 'config.json', op: 'size' });
    view.dispose(); // before the file's size is known
    transport.post({ kind: 'request', id: 2, method: 'memory', params: {} });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(view.toPage.filter(isClientMessage).map((m) => m.kind === 'request' && m.id), [1]);
    assert.equal(view.toPage.filter((m) => (m as FileReply).kind === 'fileReply').length, 0);
  });

  it('serves files only of the folders it was asked to load, only inside them, as bytes', async () => {
    const view = new FakeWebview();
    const transport = new WebviewTransport(view, { backend: 'wasm-webview', platform: 'linux' });
    const folder = modelDir('tiny-llama');
    view.fromPage({ kind: 'fileRequest', id: 1, modelDir: folder, path: 'config.json', op: 'size' });
    const refused = await view.fileReply(1);
    assert.ok(!refused.ok && /reads only the model folders it was asked to load/.test(refused.error.message), JSON.stringify(refused));

    transport.post({ kind: 'request', id: 1, method: 'load', params: { modelDir: folder, options: {} } });
    view.fromPage({ kind: 'fileRequest', id: 2, modelDir: folder, path: 'config.json', op: 'size' });
    const size = await view.fileReply(2);
    assert.ok(size.ok && 'size' in size && typeof size.size === 'number' && size.size > 0);
    view.fromPage({ kind: 'fileRequest', id: 3, modelDir: folder, path: 'config.json', op: 'read', offset: 0, length: 10 });
    const bytes = await view.fileReply(3);
    assert.ok(bytes.ok && 'bytes' in bytes && bytes.bytes instanceof Uint8Array, 'bytes cross as a Uint8Array');
    assert.equal(new TextDecoder().decode(bytes.bytes).trimStart()[0], '{');
    view.fromPage({ kind: 'fileRequest', id: 4, modelDir: folder, path: '../tiny-gpt2/config.json', op: 'size' });
    const outside = await view.fileReply(4);
    assert.ok(!outside.ok && /must stay inside the model folder/.test(outside.error.message), JSON.stringify(outside));
    view.fromPage({ kind: 'fileRequest', id: 5, modelDir: folder, path: path.join(folder, 'config.json'), op: 'size' });
    assert.equal((await view.fileReply(5)).ok, false, 'an absolute path is refused');
    view.fromPage({ kind: 'fileRequest', id: 6, modelDir: folder, path: 'config.json', op: 'read', offset: 0, length: 1024 ** 3 });
    assert.equal((await view.fileReply(6)).ok, false, 'a read over the per-request limit is refused');
  });
});

describe('gpuNotice', () => {
  it('says the adapter, or why WebAssembly and (on Linux only) how to turn WebGPU on', () => {
    assert.equal(gpuNotice('webgpu-webview', { available: true, adapter: 'google swiftshader', shaderF16: true }, 'linux').text, 'webgpu-webview: models run on WebGPU in the Tealeaf Engine panel (adapter: google swiftshader, shader-f16)');
    const mac = gpuNotice('webgpu-webview', { available: false, why: 'no adapter' }, 'darwin');
    assert.equal(mac.level, 'warn');
    assert.doesNotMatch(mac.text, /enable-unsafe-webgpu/);
    assert.match(gpuNotice('webgpu-webview', { available: false, why: 'no adapter' }, 'linux').text, /--enable-unsafe-webgpu --enable-features=Vulkan/);
    assert.equal(gpuNotice('wasm-webview', { available: false, why: 'wasm-webview was asked for' }, 'linux').level, 'info');
  });

  it('says in full what the log shows: WebAssembly as asked, an adapter without shader-f16, no adapter off Linux', () => {
    assert.equal(gpuNotice('wasm-webview', { available: false, why: 'wasm-webview was asked for' }, 'linux').text, 'wasm-webview: models run on WebAssembly (one thread) in the Tealeaf Engine panel');
    assert.equal(
      gpuNotice('webgpu-webview', { available: true, adapter: 'intel gen-12lp', shaderF16: false }, 'linux').text,
      'webgpu-webview: models run on WebGPU in the Tealeaf Engine panel (adapter: intel gen-12lp, no shader-f16: fp16 files are not used)',
    );
    assert.equal(
      gpuNotice('webgpu-webview', { available: false, why: 'no adapter' }, 'darwin').text,
      'webgpu-webview: the webview reports no WebGPU adapter (no adapter); models run on WebAssembly (one thread) in the Tealeaf Engine panel.',
    );
  });
});
