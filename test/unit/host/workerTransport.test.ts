// WorkerTransport over a small worker script of its own (not the engine): the data the worker is
// given, messages both ways, how an exit is reported (once, with its cause, to a listener set
// before or after), and how each backend's worker is ended (WebAssembly at once, native asked first).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { WorkerTransport } from '../../../src/host/workerTransport';
import type { TransportExit } from '../../../src/host/transport';
import { exitOf, inbox } from './transportInbox';
import type { ClientMessage } from '../../../src/protocol/engine';

const dir = mkdtempSync(path.join(tmpdir(), 'tealeaf-worker-transport-'));
const WORKER = path.join(dir, 'worker.mjs');
// Echoes its workerData first; then 'throw' throws, 'exit' exits with 3, 'stop' (the native
// stop request) exits with its code after a moment unless 'stubborn' came first (a worker busy in
// a native run), anything else is echoed.
writeFileSync(
  WORKER,
  `import { parentPort, workerData } from 'node:worker_threads';
parentPort.postMessage({ data: workerData });
let stubborn = false;
parentPort.on('message', (message) => {
  if (message.kind === 'stop') { if (!stubborn) setTimeout(() => process.exit(message.code), 20); }
  else if (message.method === 'stubborn') { stubborn = true; parentPort.postMessage({ stubborn }); }
  else if (message.method === 'throw') throw new Error('boom');
  else if (message.method === 'exit') process.exit(3);
  else parentPort.postMessage({ echo: message });
});
setInterval(() => {}, 1000);
`,
);

const request = (method: string, id = 1) => ({ kind: 'request', id, method, params: {} }) as unknown as ClientMessage;

describe('WorkerTransport', { timeout: 10_000 }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the worker its data and carries messages both ways', async () => {
    const transport = new WorkerTransport(WORKER, { threads: 1, backend: 'wasm', wasmDir: '/wasm' });
    assert.equal(transport.label, 'the engine worker');
    const messages = inbox(transport);
    assert.deepEqual(await messages.next(), { data: { threads: 1, backend: 'wasm', wasmDir: '/wasm' } });
    transport.post(request('tokenize', 7));
    assert.deepEqual(await messages.next(), { echo: { kind: 'request', id: 7, method: 'tokenize', params: {} } });
    await transport.terminate(0);
  });

  it('reports a throw once, as the throw, even to a listener set after it', async () => {
    const transport = new WorkerTransport(WORKER, {});
    const exited = exitOf(transport);
    transport.post(request('throw'));
    assert.deepEqual(await exited, { reason: 'it threw: boom' });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the 'exit' that follows the 'error'
    const late: TransportExit[] = [];
    transport.onExit((exit) => late.push(exit));
    assert.deepEqual(late, [{ reason: 'it threw: boom' }]);
  });

  it('reports an exit with its code', async () => {
    const transport = new WorkerTransport(WORKER, {});
    const exited = exitOf(transport);
    transport.post(request('exit'));
    assert.deepEqual(await exited, { reason: 'it exited with code 3' });
  });

  it('ends a WebAssembly worker at once, and asks a native one to stop with the code given', async () => {
    const wasm = new WorkerTransport(WORKER, { backend: 'wasm' });
    const wasmExit = exitOf(wasm);
    await inbox(wasm).next();
    await wasm.terminate(5);
    // Terminated, not asked: the worker never saw the code.
    assert.deepEqual(await wasmExit, { reason: 'it exited with code 1' });

    const native = new WorkerTransport(WORKER, { backend: 'native' });
    const nativeExit = exitOf(native);
    const messages = inbox(native);
    await messages.next();
    await native.terminate(4);
    assert.deepEqual(await nativeExit, { reason: 'it exited with code 4' });
  });

  it('terminates a native worker that has not stopped 30 s after it was asked', async () => {
    const native = new WorkerTransport(WORKER, { backend: 'native' });
    const exit = exitOf(native);
    const messages = inbox(native);
    await messages.next();
    native.post(request('stubborn'));
    assert.deepEqual(await messages.next(), { stubborn: true });
    // The grace time passes on a mock clock; the worker's exit is real.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const ending = native.terminate(0);
      mock.timers.tick(30_000);
      await ending;
    } finally {
      mock.timers.reset();
    }
    assert.deepEqual(await exit, { reason: 'it exited with code 1' });
  });
});
