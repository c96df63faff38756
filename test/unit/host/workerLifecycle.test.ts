// The engine worker comes back: a worker killed or crashed mid-request is replaced at once, the
// proxies handed out before keep working (their models load into the new worker on next use),
// the request in flight fails once with a clear error or, if running it again shows nothing
// twice, runs again; three crashes within a minute stop the restarts until restart().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../../src/engine/types';
import { EngineStoppedError, type EngineLifecycleEvent, WorkerExitedError } from '../../../src/host/lifecycle';
import { WorkerHost } from '../../../src/host/workerHost';
import { modelDir, ROOT } from '../engine/helpers';
import { nextEvent } from './lifecycleEvents';

const WORKER = path.join(ROOT, 'dist', 'worker.mjs');
const CRASHING_WORKER = path.join(__dirname, 'fixtures', 'crashOnRequest.mjs');
/** A request the host forgot after a crash would hang the run: each suite fails instead. */
const SUITE_TIMEOUT_MS = 300_000;

describe('WorkerHost lifecycle', { timeout: SUITE_TIMEOUT_MS, skip: !existsSync(WORKER) && 'run `npm run build` first (npm test does)' }, () => {
  let host: WorkerHost;
  let completion: Engine;
  let translation: Engine;
  const events: EngineLifecycleEvent[] = [];
  const reference = { completion: '', attentionTokens: 0, translation: '' };

  before(async () => {
    // These tests kill it more often than the crash limit allows; the limit has its own test below.
    host = new WorkerHost({ workerPath: WORKER, threads: 1, crashLimit: 100 });
    host.onDidChangeLifecycle((event) => events.push(event));
    completion = await host.load(modelDir('tiny-llama'));
    translation = await host.load(modelDir('tiny-marian'));
    reference.completion = (await completion.generate({ prompt: 'def add(a, b):', maxNewTokens: 8, reusePrefix: false })).text;
    reference.attentionTokens = (await completion.attention({ text: 'x = 1\ny = 2\n', withStats: false })).tokens.length;
    reference.translation = (await translation.translate({ text: 'Open the file.', from: 'en', to: 'de' })).target;
  });
  after(async () => host.dispose());

  it('kills the worker mid-generation: that generation fails once; completion, inspection and translation then work through the same proxies', async () => {
    events.length = 0;
    const killed: Promise<void>[] = [];
    const generation = completion.generate(
      { prompt: 'while True:', maxNewTokens: 200, useKvCache: false },
      { onToken: () => void (killed.length === 0 && killed.push(host.killWorker())) },
    );
    await assert.rejects(generation, (e: unknown) => e instanceof WorkerExitedError && /stopped during generate .*restarted; try again/.test(e.message));
    await Promise.all(killed);

    const started = performance.now();
    const next = await completion.generate({ prompt: 'def add(a, b):', maxNewTokens: 8, reusePrefix: false });
    const firstAfterCrashMs = performance.now() - started;
    assert.equal(next.text, reference.completion);
    assert.equal((await completion.attention({ text: 'x = 1\ny = 2\n', withStats: false })).tokens.length, reference.attentionTokens);
    assert.equal((await translation.translate({ text: 'Open the file.', from: 'en', to: 'de' })).target, reference.translation);

    const crash = events.find((e) => e.kind === 'crashed');
    assert.ok(crash?.kind === 'crashed', `no crash event among ${events.map((e) => e.kind).join(', ')}`);
    assert.equal(crash.restarting, true);
    assert.deepEqual(crash.interrupted, [{ method: 'generate', replayed: false }]);
    assert.ok(events.some((e) => e.kind === 'started' && e.cause === 'crash'), 'no worker started after the crash');
    const reloaded = events.filter((e) => e.kind === 'modelReloaded').map((e) => (e.kind === 'modelReloaded' ? path.basename(e.modelDir) : ''));
    assert.deepEqual(reloaded.sort(), ['tiny-llama', 'tiny-marian'], 'each model loads once into the new worker, on its first use');
    assert.equal(host.hostState.state, 'running');
    console.log(`    first generation after the crash (new worker + model reload): ${firstAfterCrashMs.toFixed(0)} ms`);
  });

  it('replays an idempotent request that was in flight, once, with the same answer', async () => {
    events.length = 0;
    const pending = translation.translate({ text: 'Open the file.', from: 'en', to: 'de' });
    await host.killWorker();
    assert.equal((await pending).target, reference.translation);
    const crash = events.find((e) => e.kind === 'crashed');
    assert.ok(crash?.kind === 'crashed');
    assert.deepEqual(crash.interrupted, [{ method: 'translate', replayed: true }]);
  });

  it('forgets attention ids captured by a worker that died: an old id never shows a new generation', async () => {
    const before = await completion.generate({ prompt: 'x = ', maxNewTokens: 3, captureAttention: true, reusePrefix: false });
    assert.ok(before.attentionId !== undefined);
    assert.ok((await completion.generationAttention(before.attentionId)) !== undefined, 'the id resolves while its worker runs');
    await host.killWorker();
    const after = await completion.generate({ prompt: 'y = ', maxNewTokens: 3, captureAttention: true, reusePrefix: false });
    assert.equal(await completion.generationAttention(before.attentionId), undefined);
    const current = await completion.generationAttention(after.attentionId!);
    assert.equal(current?.id, after.attentionId);
    assert.equal(current?.contextText, 'y = ');
  });

  it('stop() ends the worker on purpose: the request in flight is aborted, not replayed, no crash is counted, and the next request starts a new worker', async () => {
    events.length = 0;
    const inspection = completion.attention({ text: 'x = 1\ny = 2\n'.repeat(40), withStats: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await host.stop('the inspector panel closed');
    const error = await inspection;
    assert.ok(error instanceof Error);
    assert.deepEqual([error.name, error.message], ['AbortError', 'the inspector panel closed']);
    assert.equal(host.isRunning, false);
    assert.deepEqual(events.filter((e) => e.kind === 'crashed'), []);
    const again = await completion.attention({ text: 'x = 1\ny = 2\n', withStats: false });
    assert.equal(again.tokens.length, reference.attentionTokens);
    assert.equal(host.isRunning, true);
    assert.ok(events.some((e) => e.kind === 'modelReloaded'), 'the model loaded again in the new worker');
  });

  it('restarts the worker when the thread count changes, and the proxies keep working', async () => {
    events.length = 0;
    await host.setThreads(2);
    assert.ok(events.some((e) => e.kind === 'started' && e.cause === 'threads' && e.threads === 2), 'no restart for the new thread count');
    assert.ok(!events.some((e) => e.kind === 'crashed'), 'a restart on request is no crash');
    assert.equal((await completion.generate({ prompt: 'def add(a, b):', maxNewTokens: 8, reusePrefix: false })).text, reference.completion);
    await host.setThreads(2);
    assert.equal(events.filter((e) => e.kind === 'started').length, 1, 'the same thread count restarts nothing');
  });
});

describe('WorkerHost crash limit', { timeout: SUITE_TIMEOUT_MS, skip: !existsSync(WORKER) && 'run `npm run build` first (npm test does)' }, () => {
  let host: WorkerHost;
  let engine: Engine;
  before(async () => {
    host = new WorkerHost({ workerPath: CRASHING_WORKER, threads: 1 });
    engine = await host.load(modelDir('tiny-llama'));
  });
  after(async () => host.dispose());

  it('an uncaught exception in the worker: the request is replayed once, crashes again and fails; the third crash stops the restarts until restart()', async () => {
    const events: EngineLifecycleEvent[] = [];
    host.onDidChangeLifecycle((event) => events.push(event));
    // Replayed once: two crashes, then the error.
    await assert.rejects(engine.tokenize('CRASH'), (e: unknown) => e instanceof WorkerExitedError && /deliberate crash for the test/.test(e.message));
    const crashes = events.filter((e) => e.kind === 'crashed');
    assert.deepEqual(
      crashes.map((e) => (e.kind === 'crashed' ? [e.crashesInWindow, e.restarting, e.interrupted[0]?.replayed] : [])),
      [
        [1, true, true],
        [2, true, false],
      ],
    );
    assert.ok((await engine.tokenize('fine')).length > 0, 'the worker after two crashes serves the proxy');

    const stopped = nextEvent(host, (e) => e.kind === 'crashed' && !e.restarting);
    await assert.rejects(engine.tokenize('CRASH'), (e: unknown) => e instanceof EngineStoppedError && /crashed 3 times within a minute/.test(e.message));
    await stopped;
    assert.equal(host.hostState.state, 'stopped');
    await assert.rejects(engine.tokenize('fine'), (e: unknown) => e instanceof EngineStoppedError && /use Retry or change a Tealeaf setting/.test(e.message));
    assert.equal(events.filter((e) => e.kind === 'started').length, 2, 'no worker starts once the host has given up');

    await host.restart('retry');
    assert.equal(host.hostState.state, 'running');
    assert.ok((await engine.tokenize('fine')).length > 0, 'restart() brings the same proxy back');
  });
});
