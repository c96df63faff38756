// RemoteEngineHost's lifecycle over in-memory transports that answer by themselves (no worker): a
// crash restarts the engine and reloads its models there, a request that can run again does, one
// that cannot fails once saying so; three crashes stop the restarts until Retry; thread and
// backend changes restart on purpose; unload, idle stop, notices said once, and dispose.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { AbortError, ModelError } from '../../../src/engine/errors';
import type { TokenSpan } from '../../../src/engine/types';
import { EngineStoppedError, type EngineLifecycleEvent, WorkerExitedError } from '../../../src/host/lifecycle';
import { RemoteEngineHost, type RemoteEngineHostOptions, type TransportSettings } from '../../../src/host/remoteEngineHost';
import type { EngineTransport, TransportExit } from '../../../src/host/transport';
import type { ClientMessage, EngineRequest, HostMessage } from '../../../src/protocol/engine';
import { fakeModelInfo } from '../fakeModelInfo';

/**
 * An engine instance that answers by itself: load gives handle 10 + loads so far; tokenize
 * answers with one span naming the instance; generate is held until released or the instance ends,
 * and so is any method in `held` (answered by `release`).
 */
class AutoTransport implements EngineTransport {
  readonly label = 'the auto engine';
  readonly requests: EngineRequest[] = [];
  readonly held = new Set<string>();
  readonly terminated: number[] = [];
  private listener: (message: unknown) => void = () => undefined;
  private exitListener: (exit: TransportExit) => void = () => undefined;
  private loads = 0;
  private exited = false;

  constructor(
    readonly settings: TransportSettings,
    readonly index: number,
  ) {}

  post(message: ClientMessage): void {
    if (message.kind !== 'request') return;
    this.requests.push(message);
    if (this.held.has(message.method)) return;
    const answer = (result: unknown) => setImmediate(() => !this.exited && this.listener({ kind: 'response', id: message.id, ok: true, result } satisfies HostMessage));
    if (message.method === 'load') answer({ handle: 10 + this.loads++, info: fakeModelInfo({ id: message.params.modelDir }) });
    else if (message.method === 'tokenize') answer([{ id: message.params.handle, text: `instance ${this.index}`, start: 0, end: 1 }] satisfies TokenSpan[]);
    else if (message.method === 'unload' || message.method === 'memory') answer(message.method === 'memory' ? { rssBytes: 1, wasmHeapBytes: 0, arrayBufferBytes: 0 } : undefined);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.listener = listener;
  }
  onExit(listener: (exit: TransportExit) => void): void {
    this.exitListener = listener;
  }
  send(message: HostMessage): void {
    this.listener(message);
  }
  crash(reason: string): void {
    this.exited = true;
    this.exitListener({ reason });
  }
  async terminate(code: number): Promise<void> {
    this.terminated.push(code);
    this.crash(`it exited with code ${code}`);
  }
  methods(): string[] {
    return this.requests.map((r) => r.method);
  }
  /** Answers the latest request of a held method. */
  release(method: string, result: unknown): void {
    const request = [...this.requests].reverse().find((r) => r.method === method);
    assert.ok(request, `no ${method} request to release`);
    this.send({ kind: 'response', id: request.id, ok: true, result });
  }
}

function harness(options: Partial<RemoteEngineHostOptions> = {}) {
  const transports: AutoTransport[] = [];
  const events: EngineLifecycleEvent[] = [];
  const host = new RemoteEngineHost({
    connect: (settings) => {
      const transport = new AutoTransport(settings, transports.length + 1);
      transports.push(transport);
      return transport;
    },
    ...options,
  });
  host.onDidChangeLifecycle((event) => events.push(event));
  const kinds = () => events.map((e) => (e.kind === 'started' ? `started ${e.cause}` : e.kind === 'notice' ? `notice ${e.text}` : e.kind));
  return { host, transports, events, kinds };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const firstText = (spans: readonly TokenSpan[]) => spans[0]?.text;

// A mutant that leaves a promise pending fails in seconds, instead of waiting for the runner's timeout.
describe('RemoteEngineHost lifecycle', { timeout: 10_000 }, () => {
  it('after a crash, starts a new engine, loads the model there again and runs the request that was cut off once more', async () => {
    const { host, transports, events, kinds } = harness();
    const engine = await host.load('/models/m', { threads: 1 });
    assert.equal(engine.info.id, '/models/m');
    assert.equal(firstText(await engine.tokenize('a')), 'instance 1');
    const replayed = engine.tokenize('b');
    await tick();
    const crashedAt = performance.now();
    transports[0]?.crash('it exited with code 9');
    assert.equal(firstText(await replayed), 'instance 2');
    // The reload's time is what the load in the new engine took: within the time since the crash.
    const reloaded = events.find((e) => e.kind === 'modelReloaded');
    const reloadMs = reloaded?.kind === 'modelReloaded' ? reloaded.ms : -1;
    assert.ok(reloadMs >= 0 && reloadMs <= performance.now() - crashedAt, `reloaded in ${reloadMs} ms`);
    assert.deepEqual(transports[1]?.methods(), ['load', 'tokenize']);
    assert.deepEqual(transports[1]?.requests[0]?.params, { modelDir: '/models/m', options: { threads: 1 } });
    assert.deepEqual(kinds(), ['started first-use', 'crashed', 'started crash', 'modelReloaded']);
    assert.deepEqual(events[1], { kind: 'crashed', reason: 'it exited with code 9', crashesInWindow: 1, restarting: true, interrupted: [{ method: 'tokenize', replayed: true }] });
    assert.equal(host.hostState.state, 'running');
    await host.dispose();
  });

  it('a generation cut off by a crash fails once, saying so; the next one runs on the new engine', async () => {
    const { host, transports, events } = harness();
    const engine = await host.load('/models/m');
    const cut = engine.generate({ prompt: 'p' }, { onToken: () => undefined });
    await tick();
    assert.equal((transports[0]?.requests.at(-1) as EngineRequest & { params: { stream: boolean } }).params.stream, true);
    transports[0]?.crash('it exited with code 9');
    await assert.rejects(cut, (error: unknown) => {
      assert.ok(error instanceof WorkerExitedError);
      assert.equal(error.message, 'the auto engine stopped during generate (it exited with code 9) and was restarted; try again');
      return true;
    });
    const crashed = events.find((e) => e.kind === 'crashed');
    assert.deepEqual(crashed?.kind === 'crashed' && crashed.interrupted, [{ method: 'generate', replayed: false }]);
    // Streamed only when asked.
    const quiet = engine.generate({ prompt: 'q' });
    await tick();
    await tick();
    const second = transports[1]?.requests.at(-1) as EngineRequest & { params: { stream: boolean } };
    assert.deepEqual([second.method, second.params.stream], ['generate', false]);
    await host.dispose();
    await assert.rejects(quiet, AbortError);
  });

  it('stops restarting after three crashes within a minute, until Retry', async () => {
    const { host, transports, events } = harness({ crashLimit: 3, crashWindowMs: 60_000 });
    const engine = await host.load('/models/m');
    for (let i = 0; i < 3; i++) transports.at(-1)?.crash(`crash ${i}`);
    assert.equal(transports.length, 3);
    const reason =
      'the auto engine crashed 3 times within a minute (last time crash 2); Tealeaf stopped restarting it: use Retry or change a Tealeaf setting to start it again';
    assert.deepEqual(host.hostState, { state: 'stopped', reason });
    const last = events.at(-1);
    assert.ok(last?.kind === 'crashed' && last.restarting === false && last.crashesInWindow === 3);
    await assert.rejects(engine.tokenize('a'), (error: unknown) => error instanceof EngineStoppedError && error.message === reason);
    // By its name a caller on the other side of the extension API tells it, where instanceof cannot.
    await assert.rejects(engine.tokenize('a'), { name: 'EngineStoppedError' });
    await host.restart('retry');
    assert.equal(host.hostState.state, 'running');
    assert.equal(firstText(await engine.tokenize('a')), 'instance 4');
    await host.dispose();
  });

  it('a request replayed into a crash that stops the restarts fails with the stop’s reason', async () => {
    const { host, transports } = harness({ crashLimit: 2 });
    const engine = await host.load('/models/m');
    const request = engine.tokenize('a');
    await tick();
    transports[0]?.crash('first');
    await tick();
    transports[1]?.crash('second');
    await assert.rejects(request, EngineStoppedError);
    await host.dispose();
  });

  it('restarts on purpose for new threads or a new backend, not for the same; what was running fails saying why', async () => {
    const { host, transports, kinds } = harness({ threads: 1, backend: 'wasm' });
    const engine = await host.load('/models/m');
    await host.setThreads(1);
    await host.setBackend('wasm');
    assert.equal(transports.length, 1);
    const running = engine.generate({ prompt: 'p' });
    await tick();
    await host.setThreads(2);
    await assert.rejects(running, { name: 'WorkerExitedError', message: 'the engine restarted to apply tealeaf.engine.threads during generate; try again' });
    assert.deepEqual(transports[0]?.terminated, [0]);
    assert.deepEqual(transports[1]?.settings, { backend: 'wasm', threads: 2 });
    await host.setBackend('native');
    assert.equal(host.currentBackend, 'native');
    assert.deepEqual(transports[2]?.settings, { backend: 'native', threads: 2 });
    assert.equal(firstText(await engine.tokenize('x')), 'instance 3');
    assert.deepEqual(kinds(), ['started first-use', 'started threads', 'started backend', 'modelReloaded']);
    await host.dispose();
  });

  it('changes settings without starting an engine when none runs', async () => {
    const { host, transports } = harness();
    await host.setThreads(4);
    await host.setBackend('native');
    assert.equal(transports.length, 0);
    assert.equal(host.hostState.state, 'not-started');
    await host.load('/models/m');
    assert.deepEqual(transports[0]?.settings, { backend: 'native', threads: 4 });
    await host.dispose();
  });

  it('unloads in the engine that holds the model, and the unloaded model refuses requests', async () => {
    const { host, transports } = harness();
    const kept = await host.load('/models/kept');
    const engine = await host.load('/models/m');
    await engine.dispose();
    const unload = transports[0]?.requests.at(-1);
    assert.deepEqual([unload?.method, unload?.params], ['unload', { handle: 11 }]);
    await assert.rejects(engine.tokenize('a'), (error: unknown) => error instanceof ModelError && error.message === 'the model /models/m was unloaded');
    // Loaded in an engine that has since crashed: nothing to unload in the new one.
    transports[0]?.crash('gone');
    await kept.dispose();
    assert.deepEqual(transports[1]?.methods() ?? [], []);
    await host.dispose();
  });

  it('stops an idle engine after idleStopMs; asking its memory does not keep it; the next request starts one', async () => {
    const { host, transports } = harness({ idleStopMs: 30 });
    const engine = await host.load('/models/m');
    assert.deepEqual(await host.memory(), { rssBytes: 1, wasmHeapBytes: 0, arrayBufferBytes: 0 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(transports[0]?.terminated, [0]);
    assert.equal(host.isRunning, false);
    assert.equal(await host.memory(), undefined);
    assert.equal(firstText(await engine.tokenize('a')), 'instance 2');
    await host.dispose();
  });

  it('says each notice once, whichever engine says it', async () => {
    const { host, transports, kinds } = harness();
    await host.load('/models/m');
    transports[0]?.send({ kind: 'notice', level: 'info', text: 'auto chose native' });
    transports[0]?.send({ kind: 'notice', level: 'info', text: 'auto chose native' });
    await host.restart('retry');
    transports[1]?.send({ kind: 'notice', level: 'info', text: 'auto chose native' });
    transports[1]?.send({ kind: 'notice', level: 'warn', text: 'the addon would not load' });
    assert.deepEqual(kinds(), ['started first-use', 'notice auto chose native', 'started retry', 'notice the addon would not load']);
    await host.dispose();
  });

  it('refuses a request whose signal has fired without sending it, and everything once disposed', async () => {
    const { host, transports } = harness();
    const engine = await host.load('/models/m');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(engine.tokenize('a').then(() => engine.generate({ prompt: 'p' }, { signal: controller.signal })), AbortError);
    assert.equal(transports[0]?.methods().includes('generate'), false);
    const held = engine.generate({ prompt: 'p' });
    await tick();
    await host.dispose();
    await assert.rejects(held, { name: 'AbortError', message: 'the engine host was disposed' });
    assert.deepEqual(transports[0]?.terminated, [0]);
    await assert.rejects(host.load('/models/m'), { name: 'AbortError', message: 'the engine host was disposed' });
    assert.equal(transports.length, 1, 'no engine starts after dispose');
  });

  it('a request on its way when its engine crashes is not posted to the dead engine: replayed if it can be, else failing as never having reached it', async () => {
    const { host, transports } = harness();
    const engine = await host.load('/models/m');
    // Both are past the host's check for a running engine and wait for the model's handle when it crashes.
    const generating = engine.generate({ prompt: 'p' });
    const tokenizing = engine.tokenize('a');
    transports[0]?.crash('it exited with code 9');
    const failing = assert.rejects(generating, { name: 'WorkerExitedError', message: 'the auto engine stopped before generate reached it' });
    await tick();
    // Nothing was left waiting on the engine that is gone.
    assert.deepEqual(transports[0]?.methods(), ['load']);
    await failing;
    assert.equal(firstText(await tokenizing), 'instance 2');
    await host.dispose();
  });

  it('a request on its way when stop() ends the engine fails with the stop’s reason, and no engine starts for it', async () => {
    const { host, transports } = harness();
    const engine = await host.load('/models/m');
    const tokenizing = engine.tokenize('a');
    const stopped = host.stop('the inspector was closed');
    await assert.rejects(tokenizing, { name: 'AbortError', message: 'the inspector was closed' });
    await stopped;
    assert.equal(transports.length, 1);
    assert.equal(host.isRunning, false);
    await host.dispose();
  });

  it('runs a request cut off by a crash once more only: cut off again, it fails', async () => {
    const { host, transports, events } = harness({ crashLimit: 5 });
    const engine = await host.load('/models/m');
    const request = engine.tokenize('a');
    await tick();
    transports[0]?.crash('first');
    await tick();
    // The replay is on its way in the second engine (reloading the model) when that one crashes too.
    transports[1]?.crash('second');
    await assert.rejects(request, { name: 'WorkerExitedError', message: 'the auto engine stopped during load (second) and was restarted; try again' });
    assert.equal(transports.length, 3);
    assert.deepEqual(transports[2]?.methods(), []);
    const crashes = events.filter((e) => e.kind === 'crashed').map((e) => e.kind === 'crashed' && e.interrupted);
    assert.deepEqual(crashes, [[{ method: 'tokenize', replayed: true }], [{ method: 'load', replayed: false }]]);
    await host.dispose();
  });

  it('attention and translations cut off by a crash run again on the new engine (they show nothing until they answer)', async () => {
    const { host, transports, events } = harness();
    const engine = await host.load('/models/m');
    const attention = engine.attention({ text: 'a' });
    const translation = engine.translate({ text: 'b', from: 'en', to: 'de' });
    await tick();
    transports[0]?.crash('it exited with code 9');
    await tick();
    await tick();
    const crashed = events.find((e) => e.kind === 'crashed');
    assert.deepEqual(crashed?.kind === 'crashed' && crashed.interrupted, [
      { method: 'attention', replayed: true },
      { method: 'translate', replayed: true },
    ]);
    const second = transports[1];
    assert.deepEqual(second?.methods(), ['load', 'attention', 'translate']);
    const [, a, t] = second?.requests ?? [];
    assert.ok(a && t);
    const answer = { source: 'b', target: 'B', tokens: [1], ms: 1 };
    second?.send({ kind: 'response', id: t.id, ok: true, result: answer });
    second?.send({ kind: 'response', id: a.id, ok: true, result: { marker: 'attention of instance 2' } });
    assert.deepEqual(await translation, answer);
    assert.deepEqual(await attention, { marker: 'attention of instance 2' });
    await host.dispose();
  });

  it('asks for a suggestion’s or translation’s attention once: cut off by a crash, it is gone with its engine (the next one’s id 1 is another capture)', async () => {
    const { host, transports } = harness();
    const engine = await host.load('/models/m');
    const generated = engine.generate({ prompt: 'a', maxNewTokens: 1 });
    const translated = engine.translate({ text: 'b', from: 'en', to: 'de' });
    await tick();
    const first = transports[0];
    const [, generate, translate] = first?.requests ?? [];
    assert.ok(generate && translate);
    first?.send({ kind: 'response', id: generate.id, ok: true, result: { text: 'x', tokens: [1], attentionId: 1 } });
    first?.send({ kind: 'response', id: translate.id, ok: true, result: { source: 'b', target: 'B', tokens: [1], ms: 1, attentionId: 1 } });
    const suggestion = await generated;
    const translation = await translated;
    const why = engine.generationAttention(suggestion.attentionId as number);
    const how = engine.translationAttention(translation.attentionId as number);
    await tick();
    assert.deepEqual(first?.methods().slice(-2), ['generationAttention', 'translationAttention']);
    first?.crash('it exited with code 9');
    assert.equal(await why, undefined);
    assert.equal(await how, undefined);
    await tick();
    assert.ok(!transports[1]?.methods().some((m) => m.endsWith('Attention')), `${transports[1]?.methods()}`);
    await host.dispose();
  });

  it('Retry restarts the engine on request: what was running fails saying so, and a disposed listener hears nothing of it', async () => {
    const { host } = harness();
    const heard: string[] = [];
    const subscription = host.onDidChangeLifecycle((event) => heard.push(event.kind));
    const engine = await host.load('/models/m');
    const running = engine.generate({ prompt: 'p' });
    await tick();
    subscription.dispose();
    await host.restart('retry');
    await assert.rejects(running, { name: 'WorkerExitedError', message: 'the engine restarted on request during generate; try again' });
    assert.deepEqual(heard, ['started']);
    await host.dispose();
  });

  it('an unload cut off by a crash is not run again (the crashed engine took the model with it)', async () => {
    const { host, transports, events } = harness();
    const engine = await host.load('/models/m');
    const unloading = engine.dispose();
    transports[0]?.crash('it exited with code 9');
    await unloading;
    const crashed = events.find((e) => e.kind === 'crashed');
    assert.deepEqual(crashed?.kind === 'crashed' && crashed.interrupted, [{ method: 'unload', replayed: false }]);
    assert.deepEqual(transports[1]?.methods(), []);
    await host.dispose();
  });

  it('a disposed host is no crash when its engine ends, and Retry does not start one again', async () => {
    const { host, transports } = harness({ crashLimit: 3 });
    await host.load('/models/m');
    transports.at(-1)?.crash('first');
    transports.at(-1)?.crash('second');
    // Ending the third engine on dispose would be the third crash in the window, had it counted.
    await host.dispose();
    assert.deepEqual(host.hostState, { state: 'not-started' });
    await host.restart('retry');
    assert.equal(transports.length, 3);
    assert.deepEqual(host.hostState, { state: 'not-started' });
  });

  it('an engine with a request in flight is not idle; asking its memory does not restart the idle clock', async () => {
    const { host, transports } = harness({ idleStopMs: 40 });
    const engine = await host.load('/models/m');
    const held = engine.generate({ prompt: 'p' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(transports[0]?.terminated, [], 'the generation is still running');
    await host.dispose();
    await assert.rejects(held, AbortError);

    // The clock runs from the load's answer: memory asked half-way does not push the stop back.
    const second = harness({ idleStopMs: 200 });
    await second.host.load('/models/m');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await second.host.memory();
    await new Promise((resolve) => setTimeout(resolve, 140));
    assert.deepEqual(second.transports[0]?.terminated, [0]);
    await second.host.dispose();
  });

  it('says notices again once the host forgets them (a test hook changed what the next engine says)', async () => {
    class Forgetful extends RemoteEngineHost {
      forget(): void {
        this.forgetNotices();
      }
    }
    const transports: AutoTransport[] = [];
    const host = new Forgetful({
      connect: (settings) => {
        const transport = new AutoTransport(settings, transports.length + 1);
        transports.push(transport);
        return transport;
      },
    });
    const notices: string[] = [];
    host.onDidChangeLifecycle((event) => event.kind === 'notice' && notices.push(event.text));
    await host.load('/models/m');
    transports[0]?.send({ kind: 'notice', level: 'warn', text: 'the addon would not load' });
    host.forget();
    transports[0]?.send({ kind: 'notice', level: 'warn', text: 'the addon would not load' });
    assert.deepEqual(notices, ['the addon would not load', 'the addon would not load']);
    await host.dispose();
  });

  it('a request a lifecycle listener makes as a new engine starts survives the old one’s end, and shares the model’s load with the replayed request', async () => {
    const { host, transports } = harness();
    const engine = await host.load('/models/m');
    await host.restart('retry');
    // The model loads again in the second engine for this request when a second Retry comes.
    const replayed = engine.tokenize('a');
    let fromListener: Promise<readonly TokenSpan[]> | undefined;
    let memory: Promise<unknown> | undefined;
    host.onDidChangeLifecycle((event) => {
      if (event.kind !== 'started') return;
      fromListener = engine.tokenize('b');
      memory = host.memory();
    });
    await host.restart('retry');
    assert.equal(firstText(await replayed), 'instance 3');
    assert.equal(firstText(await (fromListener ?? Promise.reject(new Error('the listener made no request')))), 'instance 3');
    assert.deepEqual(await memory, { rssBytes: 1, wasmHeapBytes: 0, arrayBufferBytes: 0 });
    // One load in the third engine, not one per request.
    assert.deepEqual(transports[2]?.methods(), ['load', 'memory', 'tokenize', 'tokenize']);
    await host.dispose();
  });
  it('a crash that stops the restarts says that the replayable request it cut off is not run again', async () => {
    const { host, transports, events } = harness({ crashLimit: 1 });
    const engine = await host.load('/models/m');
    const request = engine.tokenize('a');
    await tick();
    transports[0]?.crash('it exited with code 9');
    await assert.rejects(request, EngineStoppedError);
    const crashed = events.find((e) => e.kind === 'crashed');
    assert.deepEqual(crashed?.kind === 'crashed' && [crashed.restarting, crashed.interrupted], [false, [{ method: 'tokenize', replayed: false }]]);
    await host.dispose();
  });

  it('a restart for a new backend: what was running fails saying so', async () => {
    const { host } = harness();
    const engine = await host.load('/models/m');
    const running = engine.generate({ prompt: 'p' });
    await tick();
    await host.setBackend('native');
    await assert.rejects(running, { name: 'WorkerExitedError', message: 'the engine restarted to apply tealeaf.engine.backend during generate; try again' });
    await host.dispose();
  });

  it('a load cut off by a crash runs again on the new engine', async () => {
    const { host, transports, events } = harness();
    const loading = host.load('/models/m');
    transports[0]?.crash('it exited with code 9');
    const engine = await loading;
    assert.equal(engine.info.id, '/models/m');
    assert.deepEqual(transports[1]?.methods(), ['load']);
    const crashed = events.find((e) => e.kind === 'crashed');
    assert.deepEqual(crashed?.kind === 'crashed' && crashed.interrupted, [{ method: 'load', replayed: true }]);
    assert.equal(firstText(await engine.tokenize('a')), 'instance 2');
    await host.dispose();
  });

  it('asking what the engine holds is not run again after a crash: it fails, and the crash says so', async () => {
    const { host, transports, events } = harness();
    await host.load('/models/m');
    const memory = host.memory();
    transports[0]?.crash('it exited with code 9');
    await assert.rejects(memory, WorkerExitedError);
    const crashed = events.find((e) => e.kind === 'crashed');
    assert.deepEqual(crashed?.kind === 'crashed' && crashed.interrupted, [{ method: 'memory', replayed: false }]);
    assert.deepEqual(transports[1]?.methods(), []);
    await host.dispose();
  });

  it('an attention capture asked for fails with the engine’s own error when the engine refuses it', async () => {
    const { host, transports } = harness();
    const engine = await host.load('/models/m');
    const generated = engine.generate({ prompt: 'a', maxNewTokens: 1 });
    await tick();
    const first = transports[0];
    const generate = first?.requests.at(-1);
    assert.ok(generate?.method === 'generate');
    first?.send({ kind: 'response', id: generate.id, ok: true, result: { text: 'x', tokens: [1], attentionId: 1 } });
    const suggestion = await generated;
    const why = engine.generationAttention(suggestion.attentionId as number);
    await tick();
    const ask = first?.requests.at(-1);
    assert.ok(ask?.method === 'generationAttention');
    first?.send({ kind: 'response', id: ask.id, ok: false, error: { name: 'ModelError', message: 'the capture is too large' } });
    await assert.rejects(why, { name: 'ModelError', message: 'the capture is too large' });
    await host.dispose();
  });

  it('a memory question in flight when the last request answers does not keep the engine up for good', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { host, transports } = harness({ idleStopMs: 1_000 });
      const engine = await host.load('/models/m'); // its answer starts the idle clock
      const transport = transports[0];
      transport?.held.add('tokenize').add('memory');
      const tokens = engine.tokenize('a');
      await new Promise((resolve) => setImmediate(resolve));
      mock.timers.tick(1_000); // the clock runs out while tokenize runs: the engine is in use
      const memory = host.memory();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(transport?.methods(), ['load', 'tokenize', 'memory']);
      // The last real request answers while the memory question is still out: the clock starts.
      transport?.release('tokenize', [{ id: 1, text: 'a', start: 0, end: 1 }] satisfies TokenSpan[]);
      transport?.release('memory', { rssBytes: 1, wasmHeapBytes: 0, arrayBufferBytes: 0 });
      await tokens;
      await memory;
      mock.timers.tick(999);
      assert.deepEqual(transport?.terminated, []);
      mock.timers.tick(1);
      assert.deepEqual(transport?.terminated, [0]);
      await host.dispose();
    } finally {
      mock.timers.reset();
    }
  });

  it('an engine whose only request in flight is a memory question stops when its idle clock runs out', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { host, transports } = harness({ idleStopMs: 1_000 });
      await host.load('/models/m');
      transports[0]?.held.add('memory');
      const memory = host.memory();
      await new Promise((resolve) => setImmediate(resolve));
      mock.timers.tick(1_000);
      assert.deepEqual(transports[0]?.terminated, [0]);
      // The question ends with the engine (the status bar menu then says none runs).
      await assert.rejects(memory, AbortError);
      assert.equal(host.isRunning, false);
      await host.dispose();
    } finally {
      mock.timers.reset();
    }
  });

  it('the idle clock of an engine that a restart replaced does not stop the new engine', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { host, transports } = harness({ idleStopMs: 1_000 });
      await host.load('/models/m'); // its answer starts the first engine's idle clock
      mock.timers.tick(500);
      await host.restart('retry');
      mock.timers.tick(600); // the first engine's clock runs out
      assert.deepEqual(transports[1]?.terminated, []);
      assert.equal(host.isRunning, true);
      await host.dispose();
    } finally {
      mock.timers.reset();
    }
  });
});
