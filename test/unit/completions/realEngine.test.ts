// The completion pipeline on the real engine (tiny random-weight fixtures, in-process WASM): prefix
// reuse through the CompletionService gives the same suggestions as cold runs, and the benchmark's
// bare onnxruntime-web loop decodes the same greedy tokens as the engine (so the two speeds compare
// the same work).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { openNodeSystem } from '../../../bench/sideBySide/nodeSystems';
import { CompletionService } from '../../../src/completions/service';
import { DEFAULT_SETTINGS } from '../../../src/completions/settings';
import { createInProcessHost } from '../../../src/host/inProcessHost';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// Typed text: a frozen copy of a source (see test/fixtures/text/README.md).
const SOURCE = readFileSync(path.join(ROOT, 'test', 'fixtures', 'text', 'context.ts.txt'), 'utf8');
const host = createInProcessHost();
after(() => host.dispose());

for (const name of ['tiny-llama', 'tiny-gpt2']) {
  const dir = path.join(ROOT, 'test', 'fixtures', 'models', name);

  test(`${name}: typing with prefix reuse suggests exactly what cold runs suggest`, async () => {
    const engine = await host.load(dir, { threads: 1 });
    const settings = { ...DEFAULT_SETTINGS, debounceMs: 0, contextTokens: 120, maxTokens: 12 };
    const warm = new CompletionService({ engine: () => engine, settings: () => settings, useCache: false });
    const cold = new CompletionService({ engine: () => engine, settings: () => settings, useCache: false, reusePrefix: false });
    const start = SOURCE.indexOf('\n', 1500) + 1;
    let reused = 0;
    let prompt = 0;
    for (let cursor = start; cursor < start + 30; cursor++) {
      const request = { documentKey: 'file:///context.ts', windowStart: 0, before: SOURCE.slice(0, cursor), after: SOURCE.slice(cursor) };
      const a = await warm.complete(request);
      const statsA = warm.lastGeneration;
      const b = await cold.complete(request);
      assert.equal(a?.text, b?.text, `suggestion at offset ${cursor}`);
      assert.equal(statsA?.generatedTokens, cold.lastGeneration?.generatedTokens);
      if (statsA?.reusedTokens !== undefined) {
        reused += statsA.reusedTokens;
        prompt += statsA.promptTokens;
      }
    }
    assert.ok(reused / prompt > 0.8, `reused ${reused} of ${prompt} prompt tokens`);
  });

  test(`${name}: the benchmark's bare ORT loop decodes the engine's greedy tokens`, async () => {
    const engine = await host.load(dir, { threads: 1 });
    const prompt = SOURCE.slice(0, 300);
    const result = await engine.generate({ prompt, maxNewTokens: 20, reusePrefix: false });
    const ids = (await engine.tokenize(prompt)).map((t) => t.id);
    const bare = await openNodeSystem('ort-web-bare', { dir, file: 'model.onnx', dtype: 'fp32' }, 1);
    try {
      const loop = await bare.run({ text: prompt, ids }, result.tokens.length);
      assert.deepEqual(loop.tokens, [...result.tokens]);
    } finally {
      await bare.dispose();
    }
  });
}
