// Speculative decoding changes how many passes a generation takes, never what it generates: over
// random prompts (with repeated fragments, so prompt lookup finds matches) on every decoder fixture,
// the tokens equal plain greedy decoding's exactly, from a fresh cache and after prefix reuse of a
// random earlier request, and the KV cache left after rollbacks equals one prefill of the same ids.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import * as ort from 'onnxruntime-web';
import { type DecoderModel, openDecoderModel } from '../../../src/engine/decoderModel';
import type { Dtype } from '../../../src/engine/dtype';
import { DecoderGenerator, type GenerationInput } from '../../../src/engine/generate';
import type { KvCache } from '../../../src/engine/kvCache';
import { ModelDrafter } from '../../../src/engine/modelDrafter';
import { readModelFolder, type ModelFolder } from '../../../src/engine/modelFolder';
import { seededRandom } from '../../../src/engine/sampling';
import { DraftLength } from '../../../src/engine/draftLength';
import { type Drafter, promptLookupDrafter, type SpeculationPlan } from '../../../src/engine/speculation';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES, maxAbsDiff, ROOT } from './helpers';

/** Every decoder-only fixture, and the default code model. */
const DECODERS = [
  ...readdirSync(FIXTURES)
    .filter((name) => existsSync(path.join(FIXTURES, name, 'config.json')))
    .filter((name) => {
      const config = JSON.parse(readFileSync(path.join(FIXTURES, name, 'config.json'), 'utf8')) as { is_encoder_decoder?: boolean; model_type?: string };
      return config.is_encoder_decoder !== true && config.model_type !== 'marian';
    })
    .map((name) => path.join(FIXTURES, name)),
  path.join(ROOT, 'models', 'tealeaf-code'),
];

/** Longest generation compared; maxNewTokens is drawn up to it. */
const MAX_NEW = 16;
const KV_TOLERANCE = 1e-4;
const RUNS = Number(process.env.TEALEAF_SPECULATIVE_RUNS ?? 10);
/** fast-check's seed: fixed, so that a failure reproduces; TEALEAF_SPECULATIVE_SEED explores others. */
const SEED = Number(process.env.TEALEAF_SPECULATIVE_SEED ?? 20261205);

interface Loaded {
  readonly folder: ModelFolder;
  readonly model: DecoderModel;
  /** Ids the tokenizer knows (decoding an id past them fails). */
  readonly knownIds: number;
}

async function load(dir: string, dtype: Dtype = 'fp32'): Promise<Loaded> {
  const folder = await readModelFolder(await NodeModelFiles.open(dir));
  const model = await openDecoderModel(folder, { ort, backend: 'wasm' }, { dtype });
  let knownIds = 0;
  while (knownIds < folder.config.vocabSize && folder.tokenizer.tokenString(knownIds) !== undefined) knownIds++;
  return { folder, model, knownIds };
}

function input(promptIds: readonly number[], maxNewTokens: number, options: Partial<GenerationInput> = {}): GenerationInput {
  return { promptIds, maxNewTokens, eosTokenIds: [], useKvCache: true, reusePrefix: false, captureAttention: false, ...options };
}

/**
 * A drafter that knows the greedy continuation and spoils it: from a seeded PRNG, each draft is
 * the true continuation, cut short, with one token changed at a random place (or none), so drafts
 * are accepted in part at every position.
 */
function spoiledOracle(promptLength: number, truth: readonly number[], seed: number, vocab: number): Drafter {
  const random = seededRandom(seed);
  return {
    draft: async (context, max) => {
      const at = context.length - promptLength;
      const drafts = truth.slice(at, at + 1 + Math.floor(random() * max));
      const spoil = Math.floor(random() * (drafts.length + 1));
      if (spoil < drafts.length) drafts[spoil] = ((drafts[spoil] as number) + 1 + Math.floor(random() * (vocab - 1))) % vocab;
      return { tokens: drafts, kind: 'oracle' };
    },
  };
}

/** Random prompts built from a few fragments, some repeated, as code repeats itself. */
function promptArbitrary(knownIds: number, maxLength: number): fc.Arbitrary<number[]> {
  const fragment = fc.array(fc.integer({ min: 0, max: knownIds - 1 }), { minLength: 1, maxLength: 5 });
  return fc
    .record({ fragments: fc.array(fragment, { minLength: 1, maxLength: 4 }), order: fc.array(fc.nat(), { minLength: 1, maxLength: 10 }) })
    .map(({ fragments, order }) => order.flatMap((i) => fragments[i % fragments.length] as number[]).slice(0, maxLength));
}

/** Ids equal, and every tensor within KV_TOLERANCE of one prefill of the same ids. */
async function assertCacheFromScratch(model: DecoderModel, cache: KvCache): Promise<void> {
  assert.ok(cache.length > 0, 'the cache holds the prompt');
  const scratch = (await model.forward(model.emptyCache(), cache.ids)).cache;
  assert.deepEqual(cache.ids, scratch.ids);
  cache.tensors.forEach((tensor, i) => {
    const expected = scratch.tensors[i]!;
    assert.deepEqual(tensor.dims, expected.dims, `${cache.layout.pastNames[i]}: shape`);
    const diff = maxAbsDiff(tensor.data as Float32Array, expected.data as Float32Array);
    assert.ok(diff < KV_TOLERANCE, `${cache.layout.pastNames[i]}: max diff ${diff}`);
  });
}

describe('speculative decoding equals greedy decoding', () => {
  it('covers every decoder fixture and the default model', () => {
    const names = DECODERS.map((d) => path.basename(d));
    for (const name of ['tiny-gpt2', 'tiny-llama', 'tiny-bloom', 'hub-gpt2', 'hub-qwen2.5-coder', 'hub-smollm2', 'fused-qwen2-gqa', 'tealeaf-code']) assert.ok(names.includes(name), name);
  });

  for (const dir of DECODERS) {
    describe(path.basename(dir), () => {
      let loaded: Loaded;
      before(async () => {
        loaded = await load(dir);
      });
      after(async () => loaded.model.dispose());

      it('gives greedy’s tokens with prompt lookup and with spoiled drafts, fresh and after prefix reuse; its cache equals a prefill', async () => {
        const { model, folder, knownIds } = loaded;
        const reference = new DecoderGenerator(model, folder.tokenizer);
        // One generator per drafter, kept across cases: each case reuses what the one before left.
        const lookup = new DecoderGenerator(model, folder.tokenizer);
        const spoiled = new DecoderGenerator(model, folder.tokenizer);
        const lookupPlan: SpeculationPlan = { drafter: promptLookupDrafter, length: new DraftLength() };
        const maxPrompt = Math.min(48, model.config.maxPositions - MAX_NEW - 2);
        let rollbacks = 0;
        let acceptedInPart = 0;
        await fc.assert(
          fc.asyncProperty(
            promptArbitrary(knownIds, maxPrompt),
            fc.integer({ min: 1, max: MAX_NEW }),
            fc.option(fc.nat(MAX_NEW - 1)), // an end token: the greedy token at this index
            fc.integer({ min: 1, max: 2 ** 31 - 1 }),
            fc.integer({ min: 1, max: 64 }), // a chunk size for the prefill
            promptArbitrary(knownIds, 8), // what an earlier request added to the prompt
            fc.option(fc.nat(MAX_NEW - 1)), // a stop string: the text of the greedy token at this index
            async (promptIds, maxNewTokens, eosIndex, seed, prefillChunk, extra, stopIndex) => {
              const truth = (await reference.generate(input(promptIds, MAX_NEW))).tokens;
              const eos = eosIndex === null ? [] : [truth[eosIndex] as number];
              const stopText = stopIndex === null ? '' : folder.tokenizer.decode([truth[stopIndex] as number]).trim();
              const stop = stopText === '' ? [] : [stopText];
              const expected = await reference.generate(input(promptIds, maxNewTokens, { eosTokenIds: eos, stop }));
              const spoiledPlan: SpeculationPlan = { drafter: spoiledOracle(promptIds.length, truth, seed, knownIds), length: new DraftLength({ fixed: 1 + (seed % 8) }) };

              for (const [generator, plan] of [
                [lookup, lookupPlan],
                [spoiled, spoiledPlan],
              ] as const) {
                const fresh = await generator.generate(input(promptIds, maxNewTokens, { eosTokenIds: eos, stop, speculation: plan, prefillChunk }));
                assert.deepEqual(fresh.tokens, expected.tokens, 'from a fresh cache');
                assert.equal(fresh.text, expected.text);
                assert.equal(fresh.finishReason, expected.finishReason);
                await assertCacheFromScratch(model, generator.cachedState);
                rollbacks += fresh.drafted - fresh.accepted > 0 ? 1 : 0;
                acceptedInPart += fresh.accepted > 0 && fresh.accepted < fresh.drafted ? 1 : 0;

                // An earlier request whose prompt shares a prefix with this one (typed, then deleted).
                const cutAt = seed % (promptIds.length + 1);
                await generator.generate(input([...promptIds.slice(0, cutAt), ...extra], maxNewTokens, { speculation: plan }));
                const reused = await generator.generate(input(promptIds, maxNewTokens, { eosTokenIds: eos, stop, speculation: plan, reusePrefix: true, prefillChunk }));
                assert.deepEqual(reused.tokens, expected.tokens, 'after prefix reuse');
                assert.ok(reused.reusedTokens >= Math.min(cutAt, promptIds.length - 1), 'the common prefix was reused');
              }
            },
          ),
          { numRuns: RUNS, seed: SEED },
        );
        assert.ok(rollbacks > 0, 'some verify passes rejected drafts and rolled the cache back');
        assert.ok(acceptedInPart > 0, 'some drafts were accepted in part');
      });
    });
  }
});

/**
 * Draft models with the main model's tokenizer: the same random weights quantized to 4 bits, whose
 * greedy tokens agree with the main model's for a while and then drift, and a model with other
 * weights, which agrees by chance only.
 */
const DRAFT_PAIRS: readonly { readonly main: string; readonly draft: string; readonly draftDtype: Dtype; readonly agrees: boolean }[] = [
  { main: 'hub-qwen2.5-coder', draft: 'hub-qwen2.5-coder', draftDtype: 'q4', agrees: true },
  { main: 'hub-smollm2', draft: 'hub-smollm2', draftDtype: 'q4', agrees: true },
  { main: 'hub-qwen2.5-coder', draft: 'fused-qwen2-gqa', draftDtype: 'fp16', agrees: false },
];

describe('speculative decoding with a draft model equals greedy decoding', () => {
  for (const pair of DRAFT_PAIRS) {
    describe(`${pair.main} drafted by ${pair.draft} ${pair.draftDtype}`, () => {
      let main: Loaded;
      let draft: Loaded;
      before(async () => {
        main = await load(path.join(FIXTURES, pair.main));
        draft = await load(path.join(FIXTURES, pair.draft), pair.draftDtype);
      });
      after(async () => {
        await main.model.dispose();
        await draft.model.dispose();
      });

      it('gives greedy’s tokens, fresh and after prefix reuse, and rolls back to a cache equal to a prefill', async () => {
        const reference = new DecoderGenerator(main.model, main.folder.tokenizer);
        const speculative = new DecoderGenerator(main.model, main.folder.tokenizer);
        // The drafter keeps its own cache across cases too.
        const plan: SpeculationPlan = { drafter: new ModelDrafter(draft.model, pair.draft), length: new DraftLength({ fixed: 4 }) };
        const maxPrompt = Math.min(48, main.model.config.maxPositions - MAX_NEW - 2);
        let accepted = 0;
        let rejected = 0;
        await fc.assert(
          fc.asyncProperty(promptArbitrary(main.knownIds, maxPrompt), fc.integer({ min: 1, max: MAX_NEW }), fc.boolean(), async (promptIds, maxNewTokens, reusePrefix) => {
            const expected = (await reference.generate(input(promptIds, maxNewTokens))).tokens;
            const result = await speculative.generate(input(promptIds, maxNewTokens, { speculation: plan, reusePrefix }));
            assert.deepEqual(result.tokens, expected);
            await assertCacheFromScratch(main.model, speculative.cachedState);
            accepted += result.accepted;
            rejected += result.drafted - result.accepted;
          }),
          { numRuns: RUNS, seed: SEED },
        );
        assert.ok(rejected > 0, 'drafts were rejected and the cache rolled back');
        assert.ok(accepted >= (pair.agrees ? 1 : 0), `a draft model that agrees in part had drafts accepted (${accepted})`);
      });
    });
  }
});

describe('speculative decoding keeps the attention a generation captures', () => {
  it('every generated token’s attention rows equal plain decoding’s (the default model exports attention)', async () => {
    const { model, folder } = await load(path.join(ROOT, 'models', 'tealeaf-code'));
    try {
      assert.ok(model.io.attentionNames.length > 0, 'the default model exports attentions.{i}');
      const promptIds = folder.tokenizer.encode('function add(a, b) {\n  return a + b;\n}\nfunction sub(a, b) {\n  return a - b;\n}\nfunction mul(a, b) {');
      const request = input(promptIds, 24, { captureAttention: true });
      const plain = await new DecoderGenerator(model, folder.tokenizer).generate(request);
      const speculative = await new DecoderGenerator(model, folder.tokenizer).generate({ ...request, speculation: { drafter: promptLookupDrafter, length: new DraftLength({ fixed: 6 }) } });
      assert.deepEqual(speculative.tokens, plain.tokens);
      assert.ok(speculative.accepted > 0 && speculative.drafted > speculative.accepted, `${speculative.accepted} of ${speculative.drafted} accepted`);
      assert.equal(speculative.captured?.heads, plain.captured?.heads);
      assert.equal(speculative.captured?.rows.length, plain.tokens.length);
      plain.captured?.rows.forEach((layers, token) => {
        layers.forEach((row, layer) => {
          const other = speculative.captured?.rows[token]?.[layer] as Float32Array;
          assert.equal(other.length, row.length, `token ${token}, layer ${layer}: [heads, prompt + ${token}]`);
          assert.ok(maxAbsDiff(other, row) < KV_TOLERANCE, `token ${token}, layer ${layer}`);
        });
      });
    } finally {
      await model.dispose();
    }
  });
});

describe('speculative decoding stops between verify passes', () => {
  it('an abort during a draft ends the generation in that pass, with greedy’s tokens so far', async () => {
    const { model, folder } = await load(path.join(ROOT, 'models', 'tealeaf-code'));
    try {
      const promptIds = folder.tokenizer.encode('function add(a, b) {\n  return a + b;\n}\nfunction sub(a, b) {');
      const plain = await new DecoderGenerator(model, folder.tokenizer).generate(input(promptIds, 32));
      const controller = new AbortController();
      let drafts = 0;
      // The true continuation, four tokens a pass; the second draft is where the user types on.
      const drafter: Drafter = {
        draft: async (context) => {
          if (++drafts === 2) controller.abort();
          const at = context.length - promptIds.length;
          return { tokens: plain.tokens.slice(at, at + 4), kind: 'truth' };
        },
      };
      const speculative = await new DecoderGenerator(model, folder.tokenizer).generate(input(promptIds, 32, { speculation: { drafter, length: new DraftLength({ fixed: 4 }) } }), { signal: controller.signal });
      assert.equal(speculative.finishReason, 'aborted');
      assert.equal(drafts, 2, 'no draft is asked for after the abort');
      assert.equal(speculative.forwardPasses, 2);
      // The first pass keeps its four drafts and chooses one token more; the pass the abort came
      // in gives the one token the model chose itself, and its drafts are dropped from the cache.
      assert.deepEqual(speculative.tokens, plain.tokens.slice(0, 6));
      assert.equal(speculative.accepted, 4);
    } finally {
      await model.dispose();
    }
  });
});
