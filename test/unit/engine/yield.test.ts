// yieldToEventLoop lets a queued macrotask (an abort message) run before it resolves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { yieldToEventLoop } from '../../../src/engine/yield';

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
