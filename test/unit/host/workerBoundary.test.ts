// What crosses the worker boundary when things go wrong: a crash rejects every request in flight
// on that worker, a model loaded before a crash never answers with a model loaded after it,
// dispose() rejects what is pending, and each error class thrown in the worker comes back as the
// same class with the same message.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AbortError, InferenceError, ModelError, UnsupportedError } from '../../../src/engine/errors';
import type { Engine } from '../../../src/engine/types';
import { WorkerExitedError } from '../../../src/host/lifecycle';
import { WorkerHost } from '../../../src/host/workerHost';
import { modelDir, ROOT } from '../engine/helpers';
import { nextEvent } from './lifecycleEvents';

const WORKER = path.join(ROOT, 'dist', 'worker.mjs');
const ERROR_WORKER = path.join(__dirname, 'fixtures', 'errorOnRequest.mjs');
const SKIP = !existsSync(WORKER) && 'run `npm run build` first (npm test does)';
/** A request the host forgot would hang: the test fails instead. */
const TIMEOUT = { timeout: 120_000 };

/** A promise and the function that resolves it (Node 20 has no Promise.withResolvers). */
function signalled(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** What `promise` rejected with; fails the test if it resolved. Handles the rejection at once. */
function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('the request succeeded'),
    (e: unknown) => e,
  );
}

/** A generation long enough to be in flight when the test acts; `onFirstToken` runs once. */
function longGeneration(engine: Engine, onFirstToken: () => void): Promise<unknown> {
  let first = true;
  return engine.generate(
    { prompt: 'while True:', maxNewTokens: 400, useKvCache: false, reusePrefix: false },
    {
      onToken: () => {
        if (!first) return;
        first = false;
        onFirstToken();
      },
    },
  );
}

describe('WorkerHost across the boundary', { skip: SKIP }, () => {
  let host: WorkerHost;
  before(() => {
    // These tests kill the worker more often than the default crash limit allows.
    host = new WorkerHost({ workerPath: WORKER, threads: 1, crashLimit: 100 });
  });
  after(async () => host.dispose());

  it('a crash rejects every request in flight on the dead worker, whichever model it was for', TIMEOUT, async () => {
    const llama = await host.load(modelDir('tiny-llama'));
    const gpt2 = await host.load(modelDir('tiny-gpt2'));
    const crashed = nextEvent(host, (e) => e.kind === 'crashed');
    let started = 0;
    const bothStreaming = signalled();
    const onFirstToken = () => {
      started += 1;
      if (started === 2) bothStreaming.resolve();
    };
    const outcomes = [rejection(longGeneration(llama, onFirstToken)), rejection(longGeneration(gpt2, onFirstToken))];
    await bothStreaming.promise;
    await host.killWorker();
    const crash = await crashed;
    assert.ok(crash.kind === 'crashed');
    assert.deepEqual(crash.interrupted, [
      { method: 'generate', replayed: false },
      { method: 'generate', replayed: false },
    ]);
    for (const outcome of await Promise.all(outcomes)) {
      assert.ok(outcome instanceof WorkerExitedError, `a request in flight ended with ${String(outcome)}`);
      assert.match(outcome.message, /stopped during generate \(it exited with code \d+\) and was restarted; try again/);
    }
  });

  it('a model loaded before a crash keeps its own tokenizer when another is loaded after it (handles never collide)', TIMEOUT, async () => {
    const text = 'def main():\n    return 42\n';
    const llama = await host.load(modelDir('tiny-llama'));
    const llamaTokens = await llama.tokenize(text);
    await host.killWorker();
    const gpt2 = await host.load(modelDir('tiny-gpt2'));
    const gpt2Tokens = await gpt2.tokenize(text);
    assert.notDeepEqual(gpt2Tokens, llamaTokens, 'the two fixtures must tokenize differently for this test to mean anything');
    assert.deepEqual(await llama.tokenize(text), llamaTokens);
    assert.deepEqual(await gpt2.tokenize(text), gpt2Tokens);
  });

  it('errors thrown by the engine in the worker come back as their own class', TIMEOUT, async () => {
    await assert.rejects(host.load(path.join(ROOT, 'no-such-model')), (e: unknown) => e instanceof ModelError && /does not exist/.test(e.message));
    const llama = await host.load(modelDir('tiny-llama'));
    await assert.rejects(
      llama.translate({ text: 'Open the file.', from: 'en', to: 'de' }),
      (e: unknown) => e instanceof UnsupportedError && /is a decoder-only model: it cannot translate/.test(e.message),
    );
    const marian = await host.load(modelDir('tiny-marian'));
    await assert.rejects(
      marian.generate({ prompt: 'x = ' }),
      (e: unknown) => e instanceof UnsupportedError && /is an encoder-decoder model: it translates, it does not complete text/.test(e.message),
    );
    // Any other error thrown in the worker (here a TypeError) comes back as an InferenceError with its message.
    await assert.rejects(llama.tokenize(42 as unknown as string), (e: unknown) => e instanceof InferenceError && e.message.length > 0);
  });
});

describe('WorkerHost error revival', { skip: SKIP }, () => {
  let host: WorkerHost;
  let engine: Engine;
  before(async () => {
    host = new WorkerHost({ workerPath: ERROR_WORKER, threads: 1 });
    engine = await host.load(modelDir('tiny-llama'));
  });
  after(async () => host.dispose());

  const cases: readonly [string, new (message: string) => Error][] = [
    ['AbortError', AbortError],
    ['ModelError', ModelError],
    ['UnsupportedError', UnsupportedError],
    ['InferenceError', InferenceError],
    ['RangeError', InferenceError],
    ['Error', InferenceError],
  ];
  for (const [name, expected] of cases) {
    it(`a serialized ${name} becomes a${/^[AEIOU]/.test(expected.name) ? 'n' : ''} ${expected.name} with the worker's message`, TIMEOUT, async () => {
      const message = `${name} from the worker: the message is kept`;
      const error = await rejection(engine.tokenize(`ERROR ${JSON.stringify({ name, message })}`));
      assert.ok(error instanceof expected, `${name} came back as ${String(error)}`);
      assert.equal(error.constructor, expected);
      assert.equal(error.message, message);
    });
  }
});

describe('WorkerHost.dispose()', { skip: SKIP }, () => {
  it('rejects the requests still pending with an AbortError, and every later one', TIMEOUT, async () => {
    const host = new WorkerHost({ workerPath: WORKER, threads: 1 });
    try {
      const engine = await host.load(modelDir('tiny-llama'));
      const streaming = signalled();
      const generation = rejection(longGeneration(engine, () => streaming.resolve()));
      const tokenize = rejection(engine.tokenize('x = 1')); // queued behind the generation in the worker
      await streaming.promise;
      await host.dispose();
      for (const error of await Promise.all([generation, tokenize])) {
        assert.ok(error instanceof AbortError && /the engine host was disposed/.test(error.message), `a pending request ended with ${String(error)}`);
      }
      await assert.rejects(engine.tokenize('x = 1'), (e: unknown) => e instanceof AbortError && /disposed/.test(e.message));
      await assert.rejects(host.load(modelDir('tiny-llama')), (e: unknown) => e instanceof AbortError && /disposed/.test(e.message));
    } finally {
      await host.dispose();
    }
  });
});
