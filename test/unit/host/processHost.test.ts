// The engine in a child process (isolation `process`, the extension's): the same tokens and
// attention as in-process, across a real process boundary; the memory it reports is its own; a
// crash or a kill ends that process alone and the next request starts another; stop() and the
// idle stop end the process, which gives its memory back to the system.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BULK_MIN_BYTES } from '../../../src/host/bulkPieces';
import { WorkerExitedError } from '../../../src/host/lifecycle';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { WorkerHost } from '../../../src/host/workerHost';
import { modelDir, ROOT } from '../engine/helpers';

const WORKER = path.join(ROOT, 'dist', 'worker.mjs');
const PROMPT = 'while True:';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}

describe('the engine in a child process', { skip: !existsSync(WORKER) && 'run `npm run build` first (npm test does)' }, () => {
  let host: WorkerHost;
  before(() => {
    host = new WorkerHost({ workerPath: WORKER, threads: 1, isolation: 'process', crashLimit: 100 });
  });
  after(async () => host.dispose());

  it('generates and streams the in-process tokens, and returns attention as Float32Arrays equal to in-process', async () => {
    const local = createInProcessHost();
    try {
      const reference = await local.load(modelDir('tiny-llama'), { threads: 1 });
      const engine = await host.load(modelDir('tiny-llama'), { threads: 1 });
      const expected = await reference.generate({ prompt: PROMPT, maxNewTokens: 10 });
      const streamed: number[] = [];
      const remote = await engine.generate({ prompt: PROMPT, maxNewTokens: 10, reusePrefix: false }, { onToken: (t) => streamed.push(t.id) });
      assert.deepEqual(remote.tokens, expected.tokens);
      assert.deepEqual(streamed, expected.tokens);
      const [mine, theirs] = await Promise.all([engine.attention({ text: 'def f(x): return x' }), reference.attention({ text: 'def f(x): return x' })]);
      assert.equal(mine.attention.layerData.length, theirs.attention.layerData.length);
      mine.attention.layerData.forEach((layer, l) => {
        assert.ok(layer instanceof Float32Array, `layer ${l} arrived as ${Object.prototype.toString.call(layer)}`);
        assert.deepEqual(layer, theirs.attention.layerData[l]);
      });
    } finally {
      await local.dispose();
    }
  });

  it('returns attention too large for one message (it travels in pieces) equal to in-process, quantized and whole', async () => {
    const local = createInProcessHost();
    try {
      const reference = await local.load(modelDir('tiny-llama'), { threads: 1 });
      const engine = await host.load(modelDir('tiny-llama'), { threads: 1 });
      const text = 'def f(x): return x + 1\n'.repeat(40);
      const request = { text, maxTokens: 200, withStats: false };
      const [mine, theirs] = await Promise.all([engine.attention(request), reference.attention(request)]);
      assert.deepEqual(mine.attention.rows, theirs.attention.rows);
      // [4 heads, about 200, 200] float32: about 640,000 bytes a layer, near ten times BULK_MIN_BYTES.
      assert.ok(mine.attention.layerData[0]!.byteLength >= 8 * BULK_MIN_BYTES);
      mine.attention.layerData.forEach((layer, l) => assert.deepEqual(layer, theirs.attention.layerData[l]));
      const quantized = { ...request, values: 'quantized' as const };
      const [mineQ, theirsQ] = await Promise.all([engine.attention(quantized), reference.attention(quantized)]);
      assert.ok(mineQ.quantized![0]!.data.byteLength >= 2 * BULK_MIN_BYTES); // [4, about 200, 200] bytes
      assert.deepEqual(mineQ.quantized, theirsQ.quantized);
    } finally {
      await local.dispose();
    }
  });

  it('runs in a process of its own, which reports its own resident memory', async () => {
    await host.load(modelDir('tiny-llama'), { threads: 1 });
    const pid = host.enginePid;
    assert.ok(pid !== undefined && pid !== process.pid, `engine pid ${pid}, this process ${process.pid}`);
    const memory = await host.memory();
    assert.ok(memory, 'a running engine answers');
    // Its RSS, not this process's: the system says the same of that pid (within what a moment changes).
    const systemRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
    assert.ok(Math.abs(memory.rssBytes - systemRss) < 32 * 1024 * 1024, `engine says ${memory.rssBytes}, the system ${systemRss}`);
    assert.ok(memory.wasmHeapBytes > 1024 * 1024, `a loaded model lives in a WebAssembly heap: ${memory.wasmHeapBytes} bytes`);
  });

  it('a crash ends the engine process alone: the request in flight fails once, the next one runs in a new process', async () => {
    const engine = await host.load(modelDir('tiny-llama'), { threads: 1 });
    const before = host.enginePid!;
    const running = engine.generate({ prompt: PROMPT, maxNewTokens: 400, reusePrefix: false }, { onToken: () => void host.killWorker() });
    await assert.rejects(running, WorkerExitedError);
    assert.ok(await until(() => !alive(before), 5_000), 'the killed process is gone');
    const again = await engine.generate({ prompt: PROMPT, maxNewTokens: 4 });
    assert.equal(again.tokens.length > 0, true);
    assert.notEqual(host.enginePid, before);
  });

  it('stop() ends the process; the next request starts a new one where the model loads again', async () => {
    const engine = await host.load(modelDir('tiny-llama'), { threads: 1 });
    const pid = host.enginePid!;
    await host.stop('the test stopped it');
    assert.equal(alive(pid), false, 'the process has exited when stop() resolves');
    assert.equal(await host.memory(), undefined, 'asking what a stopped engine holds does not start one');
    assert.equal(host.isRunning, false);
    assert.ok((await engine.generate({ prompt: PROMPT, maxNewTokens: 4 })).tokens.length > 0);
    assert.equal(host.isRunning, true);
  });
});

describe('an engine process with an idle stop', { skip: !existsSync(WORKER) && 'run `npm run build` first (npm test does)' }, () => {
  it('ends after the idle time without a request, not while a request runs, and answers the next one', async () => {
    const host = new WorkerHost({ workerPath: WORKER, threads: 1, isolation: 'process', idleStopMs: 400 });
    try {
      const engine = await host.load(modelDir('tiny-llama'), { threads: 1 });
      // A request longer than the idle time runs to its end: the clock starts when none is in flight.
      await engine.generate({ prompt: PROMPT, maxNewTokens: 2 });
      const started = performance.now();
      const long = await engine.generate({ prompt: PROMPT, maxNewTokens: 300, reusePrefix: false, useKvCache: false });
      const elapsed = performance.now() - started;
      assert.ok(elapsed > 800, `the long request took ${Math.round(elapsed)} ms, not longer than twice the idle time`);
      assert.ok(long.tokens.length > 0, 'it finished, not stopped');
      assert.equal(host.isRunning, true, 'running just after a request');
      // Asked what it holds more often than the idle time (the status bar menu): not a use.
      const pid = host.enginePid!;
      const deadline = Date.now() + 5_000;
      while (host.isRunning && Date.now() < deadline) {
        await host.memory();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(host.isRunning, false, 'stopped after the idle time');
      assert.ok(await until(() => !alive(pid), 5_000), 'its process is gone');
      assert.ok((await engine.generate({ prompt: PROMPT, maxNewTokens: 2 })).tokens.length > 0);
    } finally {
      await host.dispose();
    }
  });
});
