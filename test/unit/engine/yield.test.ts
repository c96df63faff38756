// yieldToEventLoop lets a queued macrotask (an abort message) run before it resolves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { pickScheduler, type SchedulerGlobals, yieldToEventLoop } from '../../../src/engine/yield';

describe('yieldToEventLoop', () => {
  it('resolves only after a macrotask queued before it has run', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    await Promise.resolve();
    assert.equal(ran, false);
    await yieldToEventLoop();
    assert.equal(ran, true);
  });
});

describe('pickScheduler', () => {
  /** Runs three callbacks through `scope`'s scheduler: the order they ran in, once all have. */
  async function order(scope: SchedulerGlobals): Promise<number[]> {
    const schedule = pickScheduler(scope);
    const ran: number[] = [];
    await new Promise<void>((done) => {
      for (const n of [1, 2, 3]) schedule(() => (ran.push(n), n === 3 && done()));
      ran.push(0); // synchronous: before every callback
    });
    return ran;
  }

  it('runs callbacks later, in order, on setImmediate, a MessageChannel (browsers) or setTimeout', async () => {
    assert.deepEqual(await order({ setImmediate }), [0, 1, 2, 3]);
    // Node's own MessageChannel, closed afterwards (an open port keeps the process alive).
    const opened: MessageChannel[] = [];
    class ClosableChannel extends MessageChannel {
      constructor() {
        super();
        opened.push(this);
      }
    }
    const channel = await order({ MessageChannel: ClosableChannel as unknown as SchedulerGlobals['MessageChannel'] });
    for (const c of opened) c.port1.close();
    assert.equal(opened.length, 1);
    assert.deepEqual(channel, [0, 1, 2, 3]);
    assert.deepEqual(await order({}), [0, 1, 2, 3]);
  });

  it('prefers setImmediate, then MessageChannel, and uses neither when absent', () => {
    const used: string[] = [];
    class Channel {
      readonly port1 = { onmessage: null };
      readonly port2 = { postMessage: () => used.push('channel') };
    }
    pickScheduler({ setImmediate: () => used.push('immediate'), MessageChannel: Channel })(() => {});
    pickScheduler({ MessageChannel: Channel })(() => {});
    assert.deepEqual(used, ['immediate', 'channel']);
  });
});
