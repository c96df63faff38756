// The engine process's channel, from the extension host's side, over small scripts of its own: the
// start data and environment the process is given, messages both ways, how its end is told (its
// code or signal, with the last line it wrote to stderr), how it is ended (asked, or killed), and a
// process that sends a piece of a large array with no message before it, which is out of step and
// is ended as a crash with that reason rather than trusted with another answer.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ENGINE_PROCESS_DATA_FLAG, ProcessTransport } from '../../../src/host/processTransport';
import type { TransportExit } from '../../../src/host/transport';
import { exitOf, inbox } from './transportInbox';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-process-'));
/** A child script: tells what it was started with, echoes requests, and obeys a few commands. */
const SCRIPT = path.join(dir, 'child.mjs');
writeFileSync(
  SCRIPT,
  `const flag = process.argv.find((a) => a.startsWith(${JSON.stringify(ENGINE_PROCESS_DATA_FLAG)}));
process.send({ started: { flag, electron: process.env.ELECTRON_RUN_AS_NODE, mmap: process.env.MALLOC_MMAP_THRESHOLD_, arenas: process.env.MALLOC_ARENA_MAX, execArgv: process.execArgv } });
process.on('message', (message) => {
  if (message.kind === 'stop') process.exit(message.code);
  else if (message.method === 'fail') { process.stderr.write('first line\\nwarning: something\\nfatal: the model broke\\n'); setTimeout(() => process.exit(7), 50); }
  else process.send({ echo: message });
});
setInterval(() => undefined, 1000);
`,
);

describe('the engine process channel', { timeout: 20_000 }, () => {
  it('starts the process with its data, as Node, with the allocator settings, and carries messages both ways', async () => {
    const transport = new ProcessTransport(SCRIPT, { threads: 2, backend: 'native' });
    assert.equal(transport.label, 'the engine process');
    const messages = inbox(transport);
    assert.deepEqual(await messages.next(), {
      started: { flag: `${ENGINE_PROCESS_DATA_FLAG}{"threads":2,"backend":"native"}`, electron: '1', mmap: '131072', arenas: '2', execArgv: [] },
    });
    assert.equal(typeof transport.pid, 'number');
    transport.post({ kind: 'request', id: 3, method: 'memory', params: {} });
    assert.deepEqual(await messages.next(), { echo: { kind: 'request', id: 3, method: 'memory', params: {} } });
    const exit = exitOf(transport);
    await transport.terminate(0);
    assert.deepEqual(await exit, { reason: 'it exited with code 0' }, 'asked to stop, it exited by itself');
    assert.equal(transport.pid, undefined);
    transport.post({ kind: 'request', id: 4, method: 'memory', params: {} }); // gone: dropped, no throw
  });

  it('tells an exit with its code and the last line the process wrote to stderr', async () => {
    const transport = new ProcessTransport(SCRIPT, {});
    const messages = inbox(transport);
    await messages.next();
    const exit = exitOf(transport);
    transport.post({ kind: 'request', id: 1, method: 'fail', params: {} } as never);
    assert.deepEqual(await exit, { reason: 'it exited with code 7 (fatal: the model broke)' });
  });

  it('kills the process for any code but 0, as a crash would end it', async () => {
    const transport = new ProcessTransport(SCRIPT, {});
    await inbox(transport).next();
    const exit = exitOf(transport);
    await transport.terminate(1);
    assert.deepEqual(await exit, { reason: 'it was ended by SIGKILL' });
    await transport.terminate(1); // already gone: resolves at once
  });

  it('ends a process whose messages are out of step, saying why, and hands nothing on', async () => {
    const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'tealeaf-transport-')), 'outOfStep.mjs');
    // A stray piece, then a message that would be an answer; then it waits to be ended.
    writeFileSync(
      script,
      "process.send({ kind: 'bulkPiece', bytes: new Uint8Array(4) });\n" +
        "process.send({ kind: 'response', id: 1, ok: true, result: 'wrong' });\n" +
        'setInterval(() => undefined, 1000);\n',
    );
    const transport = new ProcessTransport(script, {});
    const received: unknown[] = [];
    transport.onMessage((message) => received.push(message));
    const exit = await new Promise<TransportExit>((resolve) => transport.onExit(resolve));
    assert.equal(exit.reason, 'it sent a message out of order (a bulk piece arrived with no array to fill)');
    assert.deepEqual(received, []);
    const deadline = Date.now() + 5_000;
    while (transport.pid !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await transport.terminate(1); // already gone: resolves at once
  });
});
