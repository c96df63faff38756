// The engine against PyTorch eager goldens (models/recipes/make_fixtures.py and the default-model
// recipes): logits and attentions within 1e-4, greedy tokens exactly, on the cached path, the
// recompute path and with prefix reuse.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sliceLogitsToLastPosition } from '../../../src/engine/onnxLastLogits';
import { summarizeOnnx } from '../../../src/engine/onnxProto';
import { decoderGoldens, loadDecoder, type LoadedDecoder, maxAbsDiff, modelDir } from './helpers';

const TOLERANCE = 1e-4;
const goldens = decoderGoldens();

/** The fixture's fp32 decoder graph, read at registration time to decide which checks apply. */
function fp32Graph(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(modelDir(name), 'onnx', 'model.onnx')));
}

/** Whether the fixture's fp32 graph has its own `attentions.{i}` outputs (the other checks apply to all). */
function exportsAttention(name: string): boolean {
  return summarizeOnnx(fp32Graph(name)).outputNames.includes('attentions.0');
}

describe('decoder goldens', () => {
  it('has fixtures to check', () => {
    assert.ok(goldens.length >= 3, `expected at least the three decoder fixtures, found ${goldens.map((g) => g.name).join(', ')}`);
    const sliceable = goldens.filter((g) => sliceLogitsToLastPosition(fp32Graph(g.name)) !== undefined).map((g) => g.name);
    for (const name of ['tiny-gpt2', 'tiny-llama', 'tiny-bloom']) assert.ok(sliceable.includes(name), `${name}: the LM head was not found`);
  });

  it('checks the exported attention of every fixture that exports it (the hub layouts do not)', () => {
    assert.deepEqual(goldens.filter((g) => exportsAttention(g.name)).map((g) => g.name).sort(), ['tealeaf-code', 'tiny-bloom', 'tiny-gpt2', 'tiny-llama']);
    assert.ok(goldens.filter((g) => exportsAttention(g.name)).every((g) => g.golden.attentions !== undefined), 'a fixture that exports attention has an attention golden');
  });

  for (const { name, golden } of goldens) {
    describe(name, () => {
      let loaded: LoadedDecoder;
      before(async () => {
        loaded = await loadDecoder(name, { logits: 'all' });
      });
      after(async () => loaded.model.dispose());

      const greedy = (promptIds: readonly number[], options: { useKvCache?: boolean; reusePrefix?: boolean } = {}) =>
        loaded.generator.generate({
          promptIds,
          maxNewTokens: golden.greedy_tokens.length,
          eosTokenIds: [], // the goldens generate exactly N tokens, EOS disabled
          useKvCache: options.useKvCache ?? true,
          reusePrefix: options.reusePrefix ?? false,
          captureAttention: false,
        });

      it('tokenizes the prompt like the Python tokenizer', () => {
        const ids = loaded.folder.tokenizer.encode(golden.prompt, { addSpecialTokens: golden.add_special_tokens });
        assert.deepEqual(ids, golden.prompt_ids);
      });

      it(`prompt logits match within ${TOLERANCE}`, async () => {
        const { model } = loaded;
        const result = await model.forward(model.emptyCache(), golden.prompt_ids, { allLogits: true });
        assert.ok(maxAbsDiff(result.allLogits as Float32Array, golden.logits.flat()) < TOLERANCE);
      });

      // Standard exports (the hub-* fixtures) have no attention outputs: their goldens' attentions
      // are for graph surgery, checked where that is tested.
      if (exportsAttention(name)) {
        it(`prompt attentions match within ${TOLERANCE}`, async () => {
          const { model } = loaded;
          const attentions = (await model.forward(model.emptyCache(), golden.prompt_ids, { attention: true })).attentions ?? [];
          assert.ok(golden.attentions, `${name} has no attention golden`);
          assert.equal(attentions.length, golden.attentions.length);
          attentions.forEach((tensor, layer) => {
            const diff = maxAbsDiff(tensor.data as Float32Array, (golden.attentions[layer] as number[][][]).flat(2));
            assert.ok(diff < TOLERANCE, `layer ${layer}: max diff ${diff}`);
          });
        });
      }

      it('prompt logits match when prefilled in two chunks over the KV cache', async () => {
        const { model } = loaded;
        const split = Math.floor(golden.prompt_ids.length / 2);
        const first = await model.forward(model.emptyCache(), golden.prompt_ids.slice(0, split), { allLogits: true });
        const second = await model.forward(first.cache, golden.prompt_ids.slice(split), { allLogits: true });
        const combined = new Float32Array([...(first.allLogits as Float32Array), ...(second.allLogits as Float32Array)]);
        assert.ok(maxAbsDiff(combined, golden.logits.flat()) < TOLERANCE);
      });

      it('greedy tokens match with the KV cache', async () => {
        assert.deepEqual((await greedy(golden.prompt_ids)).tokens, golden.greedy_tokens);
      });

      it('greedy tokens match without the KV cache (full recompute)', async () => {
        assert.deepEqual((await greedy(golden.prompt_ids, { useKvCache: false })).tokens, golden.greedy_tokens);
      });

      it('greedy tokens match with prefix reuse after a shorter, a diverging and a longer prompt', async () => {
        const ids = golden.prompt_ids;
        const shorter = ids.slice(0, Math.max(1, ids.length - 3));
        await greedy(shorter, { reusePrefix: true });
        const afterShorter = await greedy(ids, { reusePrefix: true });
        assert.ok(afterShorter.reusedTokens > 0, 'the cached prefix was reused');
        assert.deepEqual(afterShorter.tokens, golden.greedy_tokens);

        const diverging = [...ids.slice(0, 2), ...golden.greedy_tokens.slice(0, 4)];
        await greedy(diverging, { reusePrefix: true });
        const afterDiverging = await greedy(ids, { reusePrefix: true });
        assert.ok(afterDiverging.reusedTokens >= 2 && afterDiverging.reusedTokens < ids.length - 1, 'the cache was cut back to the common prefix');
        assert.deepEqual(afterDiverging.tokens, golden.greedy_tokens);

        // The cache now holds prompt + generated tokens; the bare prompt is a strict prefix of it.
        const again = await greedy(ids, { reusePrefix: true });
        assert.equal(again.reusedTokens, ids.length - 1);
        assert.deepEqual(again.tokens, golden.greedy_tokens);
      });
    });
  }

  // What generation runs: the graph edited so prefill computes the last position's logits only
  // (where the LM head sits in the main graph; Optimum's merged graphs keep it inside an If).
  for (const { name, golden } of goldens.filter((g) => sliceLogitsToLastPosition(fp32Graph(g.name)) !== undefined)) {
    describe(`${name}, last-position logits`, () => {
      let loaded: LoadedDecoder;
      before(async () => {
        loaded = await loadDecoder(name);
      });
      after(async () => loaded.model.dispose());

      it('prefill returns one row, equal to the last row of the full logits', async () => {
        const { model } = loaded;
        assert.notEqual(model.logitsMode, 'all', 'prefill computes every row');
        const result = await model.forward(model.emptyCache(), golden.prompt_ids);
        const last = golden.logits[golden.logits.length - 1] as number[];
        assert.ok(maxAbsDiff(result.lastLogits, last) < TOLERANCE);
        await assert.rejects(model.forward(model.emptyCache(), golden.prompt_ids, { allLogits: true }), /opened for last-position logits/);
      });

      it('greedy tokens match with the KV cache and with prefix reuse', async () => {
        const run = (promptIds: readonly number[], reusePrefix: boolean) =>
          loaded.generator.generate({ promptIds, maxNewTokens: golden.greedy_tokens.length, eosTokenIds: [], useKvCache: true, reusePrefix, captureAttention: false });
        assert.deepEqual((await run(golden.prompt_ids, false)).tokens, golden.greedy_tokens);
        await run(golden.prompt_ids.slice(0, Math.max(1, golden.prompt_ids.length - 3)), true);
        const reused = await run(golden.prompt_ids, true);
        assert.ok(reused.reusedTokens > 0);
        assert.deepEqual(reused.tokens, golden.greedy_tokens);
      });
    });
  }
});
