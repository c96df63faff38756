// The engine's named errors (src/engine/errors.ts): their names cross the worker boundary
// (serializeError sends `name`, the host revives the class from it) and show in logs as
// "ModelError: …", so each name is pinned; isAbortError and throwIfAborted at their edges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, InferenceError, isAbortError, ModelError, throwIfAborted, UnsupportedError } from '../../../src/engine/errors';

describe('named errors', () => {
  it('carry their class name, which the host revives them by', () => {
    assert.equal(new ModelError('no config.json').name, 'ModelError');
    assert.equal(String(new ModelError('no config.json')), 'ModelError: no config.json');
    assert.equal(new AbortError().name, 'AbortError');
    assert.equal(new UnsupportedError('x').name, 'UnsupportedError');
    assert.equal(new InferenceError('x').name, 'InferenceError');
  });

  it("an AbortError without a message says 'Aborted'", () => {
    assert.equal(new AbortError().message, 'Aborted');
    assert.equal(new AbortError('stopped by the user').message, 'stopped by the user');
  });
});

describe('isAbortError', () => {
  it('is true for an Error named AbortError: ours and the platform one an aborted signal gives', () => {
    assert.equal(isAbortError(new AbortError()), true);
    assert.equal(isAbortError(new DOMException('The operation was aborted', 'AbortError')), true);
  });

  it('is false for other errors and for things that are not errors', () => {
    assert.equal(isAbortError(new Error('Aborted')), false);
    assert.equal(isAbortError(new ModelError('x')), false);
    // An object that only looks like one (e.g. a message from the worker) is not an Error.
    assert.equal(isAbortError({ name: 'AbortError', message: 'Aborted' }), false);
    assert.equal(isAbortError(null), false);
    assert.equal(isAbortError(undefined), false);
  });
});

describe('throwIfAborted', () => {
  it('throws an AbortError once the signal is aborted, and nothing before or without a signal', () => {
    const controller = new AbortController();
    assert.doesNotThrow(() => throwIfAborted(undefined));
    assert.doesNotThrow(() => throwIfAborted(controller.signal));
    controller.abort();
    assert.throws(() => throwIfAborted(controller.signal), (e: unknown) => e instanceof AbortError && e.message === 'Aborted');
  });
});
