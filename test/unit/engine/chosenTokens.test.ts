// ChosenTokens: where a generation ends (end token, stop string, length, abort), what it streams,
// and findStop, the earliest stop string.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChosenTokens, findStop } from '../../../src/engine/chosenTokens';
import type { ModelTokenizer } from '../../../src/engine/tokenizer';

/** Decodes id n as the n-th letter ('a' = 0), or as the multi-character pieces given. */
const letters = { decode: (ids: readonly number[]) => ids.map((id) => PIECES[id] ?? String.fromCharCode(97 + id)).join('') } as unknown as ModelTokenizer;
const PIECES: Readonly<Record<number, string>> = { 100: '\n\n', 101: 'x\n', 102: 'END' };

describe('findStop', () => {
  it('is the first place any stop string starts, ignoring empty ones', () => {
    assert.equal(findStop('abc\n\ndef', ['def', '\n\n']), 3);
    assert.equal(findStop('abc', ['', 'z']), -1);
    assert.equal(findStop('abc', ['']), -1);
    assert.equal(findStop('abcabc', ['c', 'b']), 1);
    assert.equal(findStop('abc', ['a']), 0);
    // A later stop string that is absent, or found further on, keeps the earlier find.
    assert.equal(findStop('abc', ['a', 'z']), 0);
    assert.equal(findStop('abcabc', ['b', 'c']), 1);
    assert.equal(findStop('abc', ['a', 'b']), 0);
  });
});

describe('ChosenTokens', () => {
  it('keeps tokens and their decoded text, streaming each, until the length limit', () => {
    const streamed: string[] = [];
    const chosen = new ChosenTokens({ maxNewTokens: 3, eosTokenIds: [] }, letters, { onToken: (t) => streamed.push(`${t.id}:${t.textSoFar}`) });
    assert.equal(chosen.take(0), 'continue');
    assert.equal(chosen.take(1), 'continue');
    assert.equal(chosen.take(2), 'length');
    assert.deepEqual(chosen.ids, [0, 1, 2]);
    assert.equal(chosen.text, 'abc');
    assert.deepEqual(streamed, ['0:a', '1:ab', '2:abc']);
  });

  it('ends at an end token without keeping or streaming it', () => {
    const streamed: number[] = [];
    const chosen = new ChosenTokens({ maxNewTokens: 10, eosTokenIds: [7, 9] }, letters, { onToken: (t) => streamed.push(t.id) });
    assert.equal(chosen.take(0), 'continue');
    assert.equal(chosen.take(9), 'eos');
    assert.deepEqual(chosen.ids, [0]);
    assert.equal(chosen.text, 'a');
    assert.deepEqual(streamed, [0]);
  });

  it('has no text when the first token ends it', () => {
    const chosen = new ChosenTokens({ maxNewTokens: 10, eosTokenIds: [9] }, letters, {});
    assert.equal(chosen.take(9), 'eos');
    assert.equal(chosen.text, '');
    assert.deepEqual(chosen.ids, []);
  });

  it('cuts the text before a stop string, even one that a token straddles', () => {
    const chosen = new ChosenTokens({ maxNewTokens: 10, eosTokenIds: [], stop: ['\n\n'] }, letters, {});
    assert.equal(chosen.take(0), 'continue');
    assert.equal(chosen.take(101), 'continue'); // 'ax\n': one newline only
    assert.equal(chosen.take(100), 'stop'); // 'ax\n\n\n'
    assert.equal(chosen.text, 'ax');
    assert.deepEqual(chosen.ids, [0, 101, 100]);
  });

  it('a stop string wins over the length limit on the same token', () => {
    const chosen = new ChosenTokens({ maxNewTokens: 1, eosTokenIds: [], stop: ['END'] }, letters, {});
    assert.equal(chosen.take(102), 'stop');
    assert.equal(chosen.text, '');
  });

  it('ends as aborted when the signal fired during the token (from onToken), after keeping it', () => {
    const controller = new AbortController();
    const chosen = new ChosenTokens({ maxNewTokens: 10, eosTokenIds: [] }, letters, {
      signal: controller.signal,
      onToken: (t) => t.textSoFar === 'ab' && controller.abort(),
    });
    assert.equal(chosen.take(0), 'continue');
    assert.equal(chosen.take(1), 'aborted');
    assert.deepEqual(chosen.ids, [0, 1]);
    // The length limit wins over an abort on the same token: the generation is complete.
    const last = new AbortController();
    last.abort();
    assert.equal(new ChosenTokens({ maxNewTokens: 1, eosTokenIds: [] }, letters, { signal: last.signal }).take(0), 'length');
  });
});
