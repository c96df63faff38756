// The side-by-side benchmark compares systems on the same work: on a fixture, every Node system
// (Tealeaf on WASM and native, transformers.js, the bare loops) decodes the same greedy tokens
// from the same prompt ids, and the timing helper reads prefill and decode from token stamps.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { openNodeSystem } from '../../../bench/sideBySide/nodeSystems';
import { pointFromStamps } from '../../../bench/sideBySide/types';
import type { NodeSystem } from '../../../bench/sideBySide/types';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { FIXTURES } from '../engine/helpers';

const SYSTEMS: readonly NodeSystem[] = ['tealeaf-wasm', 'tealeaf-native', 'transformersjs-node', 'ort-web-bare', 'ort-node-bare'];

describe('side-by-side systems', () => {
  const host = createInProcessHost({ threads: 1 });
  after(() => host.dispose());

  for (const fixture of ['tiny-llama', 'tiny-gpt2']) {
    it(`${fixture}: every system generates the same greedy tokens from the same prompt`, async () => {
      const dir = path.join(FIXTURES, fixture);
      const text = 'export function midpoint(a: Point, b: Point): Point {\n  return';
      const reference = await host.load(dir, { threads: 1 });
      const ids = (await reference.tokenize(text)).map((s) => s.id);
      const tokens = new Map<NodeSystem, readonly number[]>();
      for (const system of SYSTEMS) {
        const opened = await openNodeSystem(system, { dir, file: 'model.onnx', dtype: 'fp32' }, 1);
        try {
          const point = await opened.run({ text, ids }, 8);
          assert.equal(point.contextTokens, ids.length);
          assert.ok(point.prefillMs > 0, `${system}: prefill ${point.prefillMs} ms`);
          tokens.set(system, point.tokens);
        } finally {
          await opened.dispose();
        }
      }
      const wasm = tokens.get('tealeaf-wasm');
      assert.equal(wasm?.length, 8);
      for (const system of SYSTEMS) assert.deepEqual(tokens.get(system), wasm, system);
    });
  }
});

describe('pointFromStamps', () => {
  it('prefill is the first token’s time; decode the mean gap after it', () => {
    const point = pointFromStamps(10, 100, [150, 160, 180], [1, 2, 3]);
    assert.deepEqual(point, { contextTokens: 10, prefillMs: 50, decodeMsPerToken: 15, tokens: [1, 2, 3] });
  });
  it('refuses a run without tokens, and a single token has no decode figure', () => {
    assert.throws(() => pointFromStamps(1, 0, [], []), /no token/);
    assert.ok(Number.isNaN(pointFromStamps(1, 0, [5], [7]).decodeMsPerToken));
  });
});
