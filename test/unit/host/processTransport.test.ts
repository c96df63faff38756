// The engine process's channel, from the extension host's side, over small scripts of its own: the
// start data and environment the process is given, messages both ways, how its end is told (its
// code or signal, with the last line it wrote to stderr), how it is ended (asked, or killed), and a
// process that sends a piece of a large array with no message before it, which is out of step and
// is ended as a crash with that reason rather than trusted with another answer (nothing more goes
// either way, even while the kill has yet to take effect).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, mock } from 'node:test';
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
let stubborn = false;
process.on('message', (message) => {
  if (message.kind === 'stop') { if (!stubborn) process.exit(message.code); }
  else if (message.method === 'fail') { process.stderr.write('first line\\nwarning: something\\n  fatal: the model broke  \\n   \\n'); setTimeout(() => process.exit(7), 50); }
  else if (message.method === 'disconnect') process.disconnect();
  else if (message.method === 'stubborn') { stubborn = true; process.send({ stubborn }); }
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

  it('tells an exit with its code and the last line the process wrote to stderr, trimmed, blank lines skipped', async () => {
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

  it('kills a process that has not stopped 5 s after it was asked', async () => {
    const transport = new ProcessTransport(SCRIPT, {});
    const messages = inbox(transport);
    await messages.next();
    transport.post({ kind: 'request', id: 1, method: 'stubborn', params: {} } as never);
    assert.deepEqual(await messages.next(), { stubborn: true });
    const exit = exitOf(transport);
    // The grace time passes on a mock clock; the process's end is real.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const ending = transport.terminate(0);
      mock.timers.tick(5_000);
      await ending;
    } finally {
      mock.timers.reset();
    }
    assert.deepEqual(await exit, { reason: 'it was ended by SIGKILL' });
  });

  it('drops requests to a process that closed its channel, and kills it when asked to stop, without a wrong reason', async () => {
    const transport = new ProcessTransport(SCRIPT, {});
    await inbox(transport).next();
    const exits: TransportExit[] = [];
    transport.onExit((exit) => exits.push(exit));
    transport.post({ kind: 'request', id: 1, method: 'disconnect', params: {} } as never);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Sending on a closed channel would be an 'error' of the process: it is not sent at all.
    transport.post({ kind: 'request', id: 2, method: 'memory', params: {} });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(exits, [], 'the process still runs');
    await transport.terminate(0);
    assert.deepEqual(exits, [{ reason: 'it was ended by SIGKILL' }], 'it cannot be asked: killed');
  });

  it('a running process whose message could not be sent (EPIPE while it ends) is told by its exit, not as one that could not start', async () => {
    const transport = new ProcessTransport(SCRIPT, {});
    const messages = inbox(transport);
    await messages.next();
    const exits: TransportExit[] = [];
    const exited = new Promise<void>((resolve) => transport.onExit((exit) => (exits.push(exit), resolve())));
    // What Node's ChildProcess emits when send() fails on a closing channel.
    (transport as unknown as { child: EventEmitter }).child.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    assert.deepEqual(exits, []);
    transport.post({ kind: 'request', id: 1, method: 'fail', params: {} } as never);
    await exited;
    assert.deepEqual(exits, [{ reason: 'it exited with code 7 (fatal: the model broke)' }]);
  });

  it('tells a process that could not start, and terminates it at once', async () => {
    const node = process.execPath;
    process.execPath = path.join(dir, 'no-such-node');
    let transport: ProcessTransport;
    try {
      transport = new ProcessTransport(SCRIPT, {});
    } finally {
      process.execPath = node;
    }
    const exit = exitOf(transport);
    await transport.terminate(0); // before its 'error' is even told: nothing to end
    assert.deepEqual(await exit, { reason: `it could not start: spawn ${path.join(dir, 'no-such-node')} ENOENT` });
    assert.equal(transport.pid, undefined);
    await transport.terminate(1);
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
    const exits: TransportExit[] = [];
    const exit = await new Promise<TransportExit>((resolve) => transport.onExit((told) => (exits.push(told), resolve(told))));
    assert.equal(exit.reason, 'it sent a message out of order (a bulk piece arrived with no array to fill)');
    assert.deepEqual(received, []);
    const deadline = Date.now() + 5_000;
    while (transport.pid !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await transport.terminate(1); // already gone: resolves at once
    // The kill that followed is the same end, not told again.
    assert.deepEqual(exits, [exit]);
  });
  it('after messages out of step, hands on nothing more the process sends and sends it nothing more, even before the kill takes effect', async () => {
    const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'tealeaf-transport-')), 'outOfStepLater.mjs');
    // A stray piece; it echoes what it receives, and sends what would be an answer a moment later.
    writeFileSync(
      script,
      "process.send({ kind: 'bulkPiece', bytes: new Uint8Array(4) });\n" +
        'process.on(\'message\', (message) => process.send({ echo: message }));\n' +
        "setTimeout(() => process.send({ kind: 'response', id: 1, ok: true, result: 'wrong' }), 300);\n" +
        'setInterval(() => undefined, 1000);\n',
    );
    const transport = new ProcessTransport(script, {});
    const child = (transport as unknown as { child: ChildProcess }).child;
    // The kill is recorded and held back, so that the process lives on to send more.
    const kill = mock.method(child, 'kill', () => true);
    const sent: { kind?: string; echo?: unknown }[] = [];
    const answered = new Promise<void>((resolve) =>
      child.on('message', (message: { kind?: string; echo?: unknown }) => {
        sent.push(message);
        if (message.kind === 'response') resolve();
      }),
    );
    const received: unknown[] = [];
    transport.onMessage((message) => received.push(message));
    const exit = await exitOf(transport);
    assert.equal(exit.reason, 'it sent a message out of order (a bulk piece arrived with no array to fill)');
    transport.post({ kind: 'request', id: 2, method: 'memory', params: {} }); // not for a process that has ended
    await answered;
    assert.deepEqual(received, []);
    assert.deepEqual(kill.mock.calls.map((call) => call.arguments), [['SIGKILL']]);
    assert.deepEqual(sent.map((message) => message.kind ?? `echo of ${JSON.stringify(message.echo)}`), ['bulkPiece', 'response'], 'nothing was sent to it');
    kill.mock.restore();
    await transport.terminate(1);
  });
});
