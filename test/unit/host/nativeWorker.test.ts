// The native backend in the engine worker (the bundle, dist/worker.mjs, loading the addon from
// dist/native/{platform}-{arch}/): models load on it, an addon folder without the addon falls back
// to WebAssembly with one notice for the whole worker, a change of backend restarts the worker, and
// a worker ended in the middle of a native generation takes only itself down (terminating a
// thread inside onnxruntime-node's run would abort this whole process, and the test with it).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { EngineLifecycleEvent } from '../../../src/host/lifecycle';
import { WorkerExitedError } from '../../../src/host/lifecycle';
import { WorkerHost } from '../../../src/host/workerHost';
import { modelDir, ROOT } from '../engine/helpers';

const WORKER = path.join(ROOT, 'dist', 'worker.mjs');
const SKIP = !existsSync(WORKER) && 'run `npm run build` first (npm test does)';
const TIMEOUT = { timeout: 120_000 };

describe('native backend in the engine worker', { skip: SKIP }, () => {
  let host: WorkerHost | undefined;
  const events: EngineLifecycleEvent[] = [];
  const open = (options: Partial<ConstructorParameters<typeof WorkerHost>[0]>) => {
    host = new WorkerHost({ workerPath: WORKER, threads: 1, ...options });
    events.length = 0;
    host.onDidChangeLifecycle((event) => events.push(event));
    return host;
  };
  afterEach(async () => host?.dispose());

  it('loads models on the addon shipped beside the bundle', TIMEOUT, async () => {
    const worker = open({ backend: 'native' });
    assert.ok(existsSync(path.join(ROOT, 'dist', 'native', `${process.platform}-${process.arch}`, 'onnxruntime_binding.node')), 'the build copies the addon');
    const code = await worker.load(modelDir('tiny-llama'));
    const translate = await worker.load(modelDir('tiny-marian'));
    assert.equal(code.info.backend, 'native');
    assert.equal(translate.info.backend, 'native');
    assert.equal((await code.generate({ prompt: 'while True:', maxNewTokens: 6 })).tokens.length, 6);
    assert.deepEqual(events.filter((e) => e.kind === 'notice'), []);
  });

  it('falls back to WebAssembly when the addon cannot be loaded, and says why once', TIMEOUT, async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-no-addon-'));
    try {
      const worker = open({ backend: 'native', nativeAddonFolder: empty });
      const first = await worker.load(modelDir('tiny-llama'));
      const second = await worker.load(modelDir('tiny-gpt2'));
      for (const engine of [first, second]) {
        assert.equal(engine.info.backend, 'wasm');
        assert.match(engine.info.backendReason ?? '', /^native was asked for, but onnxruntime-node could not be loaded on .*; running on WebAssembly$/);
      }
      assert.equal((await first.generate({ prompt: 'while True:', maxNewTokens: 4 })).tokens.length, 4);
      const notices = events.filter((e) => e.kind === 'notice');
      assert.equal(notices.length, 1, 'one notice for both models');
      assert.match(notices[0]?.kind === 'notice' ? notices[0].text : '', new RegExp(`^native backend unavailable: onnxruntime-node could not be loaded on ${process.platform}-${process.arch}: .*onnxruntime_binding\\.node.*; models run on WebAssembly$`));
      assert.equal(notices[0]?.kind === 'notice' ? notices[0].level : '', 'warn');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('restarts the worker on a change of backend; models load again on the new one', TIMEOUT, async () => {
    const worker = open({ backend: 'wasm' });
    const engine = await worker.load(modelDir('tiny-llama'));
    const before = await engine.generate({ prompt: 'while True:', maxNewTokens: 8, reusePrefix: false });
    await worker.setBackend('native');
    assert.ok(events.some((e) => e.kind === 'started' && e.cause === 'backend' && e.backend === 'native'));
    assert.equal(engine.info.backend, 'wasm');
    const after = await engine.generate({ prompt: 'while True:', maxNewTokens: 8, reusePrefix: false });
    assert.deepEqual(after.tokens, before.tokens);
    assert.ok(events.some((e) => e.kind === 'modelReloaded'), 'the proxy loaded its model into the new worker');
    assert.equal(engine.info.backend, 'native', 'the proxy describes the model as the new worker loaded it');
  });

  it('a worker ended during a native generation takes only itself down', TIMEOUT, async () => {
    const worker = open({ backend: 'native', crashLimit: 100 });
    // Without the KV cache each step runs the whole sequence: the worker spends most of its time
    // inside the addon's run, where a terminated thread would take the process with it.
    const engine = await worker.load(modelDir('tealeaf-code'));
    for (let round = 0; round < 3; round++) {
      let started!: () => void;
      const streaming = new Promise<void>((resolve) => (started = resolve));
      const generation = engine.generate(
        { prompt: 'import sys\n'.repeat(40), maxNewTokens: 200, useKvCache: false, reusePrefix: false },
        { onToken: () => started() },
      );
      const outcome = generation.then(
        () => assert.fail('the generation finished before the worker was ended'),
        (error: unknown) => error,
      );
      await streaming;
      await worker.killWorker();
      assert.ok((await outcome) instanceof WorkerExitedError);
    }
    assert.equal((await engine.generate({ prompt: 'import sys', maxNewTokens: 4 })).tokens.length, 4, 'a new worker serves the next request');
    assert.equal(events.filter((e) => e.kind === 'crashed').length, 3);
  });
});
