// The engine process's channel, from the extension host's side: a process that sends a piece of a
// large array with no message before it is out of step, and is ended as a crash with that reason
// rather than trusted with another answer.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ProcessTransport } from '../../../src/host/processTransport';
import type { TransportExit } from '../../../src/host/transport';

describe('the engine process channel', () => {
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
