// Encoder-decoder translation (src/engine/seq2seq) against PyTorch eager goldens written by
// models/recipes/make_fixtures.py (tiny-marian: random weights, >>en<< / >>de<< target tokens):
// source ids exactly; teacher-forced decoder logits and cross-attentions within 1e-4 through the
// cached decoder (self-attention KV cache, cross-attention K/V of the first step reused); greedy and
// beam-search ids exactly. Plus the pure parts: settings, logits processors, language detection.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { AbortError, ModelError, UnsupportedError } from '../../src/engine/errors';
import { type ModelFolder, readModelFolder } from '../../src/engine/modelFolder';
import { summarizeOnnx } from '../../src/engine/onnxProto';
import { detectLanguages, normalizeLanguage } from '../../src/engine/seq2seq/languages';
import { applyProcessors } from '../../src/engine/seq2seq/processors';
import { loadSeq2Seq, MarianRunner } from '../../src/engine/seq2seq/runner';
import { greedySearch, type StepModel } from '../../src/engine/seq2seq/search';
import { parseSeq2SeqSettings, type Seq2SeqSettings } from '../../src/engine/seq2seq/settings';
import { NodeModelFiles } from '../../src/host/nodeModelFiles';
import { GOLDENS, maxAbsDiff, modelDir } from './engine/helpers';
import { flatData } from '../blocks';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const TOLERANCE = 1e-4;

/** A seq2seq golden (models/recipes/tealeaf_export.py write_seq2seq_golden). */
interface Seq2SeqGolden {
  readonly kind: 'seq2seq';
  readonly source: string;
  readonly target_lang_token: string | null;
  readonly encoder_text: string;
  readonly source_ids: number[];
  readonly decoder_start_token_id: number;
  readonly eos_token_id: number;
  readonly max_new_tokens: number;
  readonly greedy: { readonly output_ids: number[]; readonly text: string };
  readonly beam: {
    readonly num_beams: number;
    readonly length_penalty: number;
    readonly early_stopping: boolean | 'never';
    readonly output_ids: number[];
    readonly text: string;
  };
  /** [steps][vocab] teacher-forced on the greedy sequence */
  readonly decoder_logits_first_steps: number[][];
  /** [layers][heads][target][source] teacher-forced on the greedy sequence */
  readonly cross_attentions: number[][][][];
}

function seq2seqGoldens(): { name: string; golden: Seq2SeqGolden }[] {
  if (!existsSync(GOLDENS)) return [];
  return readdirSync(GOLDENS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: f.replace(/\.json$/, ''), golden: JSON.parse(readFileSync(path.join(GOLDENS, f), 'utf8')) as Seq2SeqGolden }))
    .filter(({ name, golden }) => golden.kind === 'seq2seq' && existsSync(path.join(modelDir(name), 'config.json')));
}

/** The target language a golden asks for: its `>>xx<<` token, or the model's only target. */
function targetOf(golden: Seq2SeqGolden, runner: MarianRunner): { from: string; to: string } {
  const token = golden.target_lang_token;
  const to = token ? normalizeLanguage(token.slice(2, -2)) : (runner.translationPairs[0]?.to as string);
  const pair = runner.translationPairs.find((p) => p.to === to);
  assert.ok(pair, `the model offers no pair into ${to}`);
  return pair;
}

const goldens = seq2seqGoldens();

/** Whether the fixture's decoder exports cross_attentions.{i} (our exports do; standard Optimum ones do not). */
function exportsCrossAttention(name: string): boolean {
  const decoder = new Uint8Array(readFileSync(path.join(modelDir(name), 'onnx', 'decoder_model_merged.onnx')));
  return summarizeOnnx(decoder).outputNames.includes('cross_attentions.0');
}

describe('seq2seq goldens', () => {
  it('has the tiny-marian fixture (python3 models/recipes/make_fixtures.py tiny-marian)', () => {
    assert.ok(
      goldens.some((g) => g.name === 'tiny-marian'),
      `no test/fixtures/goldens/tiny-marian.json with its model folder; found ${goldens.map((g) => g.name).join(', ') || 'none'}`,
    );
    // The cross-attention tests below run only for exports with cross_attentions outputs: ours.
    assert.ok(exportsCrossAttention('tiny-marian'), 'tiny-marian exports cross_attentions.{i}');
  });

  for (const { name, golden } of goldens) {
    describe(name, () => {
      // Cross-attention, and recomputing cross keys/values from an empty past, need our own exports.
      const crossOutputs = exportsCrossAttention(name);
      let runner: MarianRunner;
      let folder: ModelFolder;
      before(async () => {
        folder = await readModelFolder(await NodeModelFiles.open(modelDir(name)));
        // The goldens are PyTorch's fp32 numbers, whatever file `auto` would take.
        runner = (await loadSeq2Seq(folder, { ort, backend: 'wasm' }, 'fp32')) as MarianRunner;
      });
      after(async () => runner.dispose());

      it('reads ids and languages from the folder and builds the same encoder input', () => {
        assert.equal(runner.settings.decoderStartTokenId, golden.decoder_start_token_id);
        assert.ok(runner.settings.eosTokenIds.includes(golden.eos_token_id));
        const { from, to } = targetOf(golden, runner);
        const prepared = runner.prepareSource(golden.source, from, to);
        assert.equal(prepared.encoderText, golden.encoder_text);
        assert.deepEqual(prepared.ids, golden.source_ids);
      });

      it(`teacher-forced logits match PyTorch within ${TOLERANCE} (cached decoder)`, async () => {
        const model = runner.model;
        const encoded = await model.encode(golden.source_ids);
        let state = model.start(encoded);
        const inputs = [golden.decoder_start_token_id, ...golden.greedy.output_ids.slice(0, -1)];
        for (let step = 0; step < golden.decoder_logits_first_steps.length; step++) {
          const out = await model.step(state, [inputs[step] as number]);
          state = out.state;
          assert.ok(maxAbsDiff(out.logits, golden.decoder_logits_first_steps[step] as number[]) < TOLERANCE, `logits of step ${step}`);
        }
        assert.ok(golden.decoder_logits_first_steps.length > 0);
      });

      if (crossOutputs) {
        it(`teacher-forced logits and cross-attentions match PyTorch within ${TOLERANCE} (cached decoder)`, async () => {
          const model = runner.model;
          assert.ok(model.decoderIo.selfKv, 'the fixture caches self-attention keys/values');
          assert.ok(model.decoderIo.crossKv, 'the fixture feeds cross-attention keys/values back');
          const encoded = await model.encode(golden.source_ids);
          let state = model.start(encoded);
          const inputs = [golden.decoder_start_token_id, ...golden.greedy.output_ids.slice(0, -1)];
          const [layers, heads] = [golden.cross_attentions.length, golden.cross_attentions[0]?.length ?? 0];
          const logits: Float32Array[] = [];
          for (let step = 0; step < inputs.length; step++) {
            const out = await model.step(state, [inputs[step] as number], { crossAttention: true });
            state = out.state;
            logits.push(out.logits);
            const cross = out.cross?.[0];
            assert.ok(cross && cross.length === layers, `cross-attention of step ${step}`);
            for (let layer = 0; layer < layers; layer++) {
              const expected = Array.from({ length: heads }, (_, h) => golden.cross_attentions[layer]?.[h]?.[step] as number[]).flat();
              const diff = maxAbsDiff(cross[layer] as Float32Array, expected);
              assert.ok(diff < TOLERANCE, `cross-attention layer ${layer} step ${step}: ${diff}`);
            }
            // After the first step the cross keys/values are fed back, not recomputed.
            assert.equal(state.crossKv[0]?.dims[2], golden.source_ids.length);
          }
          // The golden holds the logits of the first steps only.
          assert.ok(golden.decoder_logits_first_steps.length > 0 && golden.decoder_logits_first_steps.length <= logits.length);
          golden.decoder_logits_first_steps.forEach((expected, step) =>
            assert.ok(maxAbsDiff(logits[step] as Float32Array, expected) < TOLERANCE, `logits of step ${step}`),
          );
        });
      }

      if (crossOutputs) {
        it('reusing the first step\'s cross-attention keys/values gives the logits of recomputing them', async () => {
          const model = runner.model;
          const encoded = await model.encode(golden.source_ids);
          const inputs = [golden.decoder_start_token_id, ...golden.greedy.output_ids.slice(0, 4)];
          let reused = model.start(encoded);
          let recomputed = model.start(encoded);
          const empty = recomputed.crossKv;
          for (const token of inputs) {
            const a = await model.step(reused, [token]);
            // An empty cross past makes this export project the encoder states again.
            const b = await model.step({ ...recomputed, crossKv: empty }, [token]);
            assert.ok(maxAbsDiff(a.logits, b.logits) < 1e-5, `step with token ${token}`);
            reused = a.state;
            recomputed = b.state;
          }
        });
      }

      it('greedy search gives the golden ids exactly', async () => {
        const result = await runner.generateIds(golden.source_ids, { maxNewTokens: golden.max_new_tokens, numBeams: 1 });
        assert.deepEqual(result.tokens, golden.greedy.output_ids);
      });

      it(`beam search (${golden.beam.num_beams} beams) gives the golden ids exactly`, async () => {
        const result = await runner.generateIds(golden.source_ids, {
          maxNewTokens: golden.max_new_tokens,
          numBeams: golden.beam.num_beams,
          lengthPenalty: golden.beam.length_penalty,
          earlyStopping: golden.beam.early_stopping,
        });
        assert.deepEqual(result.tokens, golden.beam.output_ids);
      });

      if (crossOutputs) {
        it('translate() returns the greedy text and keeps the cross-attention for the inspector', async () => {
          const { from, to } = targetOf(golden, runner);
          const result = await runner.translate({
            text: golden.source,
            from,
            to,
            beams: 1,
            captureAttention: true,
            // The golden's budget, so that a run to max length compares too.
            maxLengthRatio: 0,
            maxLengthOffset: golden.max_new_tokens,
          });
          const withoutEos = golden.greedy.output_ids.filter((t) => t !== golden.eos_token_id);
          assert.deepEqual(result.tokens, withoutEos);
          assert.equal(result.target, golden.greedy.text.trimStart(), "the decoded golden, without the leading space a translation never keeps");
          assert.ok(result.attentionId !== undefined);
          const attention = await runner.translationAttention(result.attentionId);
          assert.ok(attention);
          const layers = golden.cross_attentions.length;
          const heads = golden.cross_attentions[0]?.length ?? 0;
          const source = golden.source_ids.length;
          assert.equal(attention.sourceText, golden.encoder_text);
          assert.deepEqual(attention.sourceTokens.map((t) => t.id), golden.source_ids);
          assert.equal(attention.targetTokens.length, withoutEos.length);
          assert.deepEqual([attention.totalLayers, attention.totalHeads, attention.cross.keys], [layers, heads, source]);
          // [layers, heads, target, source]: row r is the step that chose target token r.
          const rows = withoutEos.length;
          for (let layer = 0; layer < layers; layer++) {
            for (let head = 0; head < heads; head++) {
              const from0 = ((layer * heads + head) * rows) * source;
              const got = flatData(attention.cross).subarray(from0, from0 + rows * source);
              const expected = (golden.cross_attentions[layer]?.[head] ?? []).slice(0, rows).flat();
              assert.ok(maxAbsDiff(got, expected) < TOLERANCE, `layer ${layer} head ${head}`);
            }
          }
          assert.equal(await runner.translationAttention(result.attentionId + 1), undefined);
        });
      }

      it('translate() with beams returns the beam text, which differs from the greedy text', async () => {
        // The golden is only a test of the beam size when beam search and greedy disagree on it.
        assert.notDeepEqual(golden.beam.output_ids, golden.greedy.output_ids, 'the golden\'s beam ids equal its greedy ids');
        assert.notEqual(golden.beam.text.trimStart(), golden.greedy.text.trimStart());
        // early_stopping comes from generation_config.json and TranslateRequest has no field for it:
        // a runner over the same model, with the golden's early_stopping in its settings.
        const languages = detectLanguages({
          tokenizerJson: folder.tokenizerJson,
          tokenizerConfig: folder.tokenizerConfig,
          config: folder.rawConfig,
          location: folder.files.location,
        });
        const beamRunner = new MarianRunner(folder, runner.model, { ...runner.settings, earlyStopping: golden.beam.early_stopping }, languages);
        const { from, to } = targetOf(golden, runner);
        const request = {
          text: golden.source,
          from,
          to,
          lengthPenalty: golden.beam.length_penalty,
          maxLengthRatio: 0,
          maxLengthOffset: golden.max_new_tokens,
        };
        const beam = await beamRunner.translate({ ...request, beams: golden.beam.num_beams });
        const beamWithoutEos = golden.beam.output_ids.filter((t) => t !== golden.eos_token_id);
        assert.deepEqual(beam.tokens, beamWithoutEos);
        assert.equal(beam.target, golden.beam.text.trimStart());
        const greedy = await beamRunner.translate({ ...request, beams: 1 });
        assert.deepEqual(greedy.tokens, golden.greedy.output_ids.filter((t) => t !== golden.eos_token_id));
        assert.equal(greedy.target, golden.greedy.text.trimStart());
        assert.ok(beam.ms >= 0);
      });

      it('stops on abort and refuses a direction the model lacks', async () => {
        const { from, to } = targetOf(golden, runner);
        const controller = new AbortController();
        const pending = runner.translate({ text: golden.source, from, to, beams: 2 }, controller.signal);
        controller.abort();
        await assert.rejects(pending, AbortError);
        await assert.rejects(runner.translate({ text: golden.source, from, to: 'xx' }), UnsupportedError);
      });

      for (const beams of [1, 2]) {
        it(`an abort during the search (${beams === 1 ? 'greedy' : `${beams} beams`}) stops it at the next step`, async () => {
          const { from, to } = targetOf(golden, runner);
          const model = runner.model;
          const original = model.step;
          const controller = new AbortController();
          let steps = 0;
          // Abort from inside the second decoder step: encoding is long over, so only the search's
          // own per-step check of the signal can stop it (the decoder step never sees the signal).
          model.step = async function (...args: Parameters<typeof original>) {
            steps += 1;
            if (steps === 2) controller.abort();
            return original.apply(this, args);
          };
          try {
            const pending = runner.translate(
              { text: golden.source, from, to, beams, maxLengthRatio: 0, maxLengthOffset: golden.max_new_tokens },
              controller.signal,
            );
            await assert.rejects(pending, AbortError);
          } finally {
            model.step = original;
          }
          assert.equal(steps, 2, 'no decoder step after the abort');
          // Unaborted, the same request runs more than two steps (so the abort is what stopped it).
          assert.ok(golden.greedy.output_ids.length > 2 && golden.beam.output_ids.length > 2);
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Pure parts

function settings(overrides: Partial<Seq2SeqSettings> = {}): Seq2SeqSettings {
  return { ...parseSeq2SeqSettings({ eos_token_id: 0, pad_token_id: 2 }, {}, 10), ...overrides };
}

describe('seq2seq settings', () => {
  it('reads ids and processors with generation_config.json over config.json', () => {
    const parsed = parseSeq2SeqSettings(
      { eos_token_id: 0, pad_token_id: 9, decoder_start_token_id: 9, num_beams: 6, bad_words_ids: [[9]], max_length: 512 },
      { num_beams: 4, forced_eos_token_id: 0, early_stopping: 'never', length_penalty: 0.6 },
      10,
    );
    assert.equal(parsed.decoderStartTokenId, 9);
    assert.deepEqual(parsed.eosTokenIds, [0]);
    assert.equal(parsed.numBeams, 4);
    assert.deepEqual(parsed.badWordsIds, [[9]]);
    assert.equal(parsed.forcedEosTokenId, 0);
    assert.equal(parsed.maxLength, 512);
    assert.equal(parsed.earlyStopping, 'never');
    assert.equal(parsed.lengthPenalty, 0.6);
  });

  it('falls back to pad as the decoder start and rejects ids outside the vocabulary', () => {
    assert.equal(parseSeq2SeqSettings({ eos_token_id: 0, pad_token_id: 5 }, {}, 10).decoderStartTokenId, 5);
    assert.throws(() => parseSeq2SeqSettings({ eos_token_id: 0, pad_token_id: 50 }, {}, 10), ModelError);
    assert.throws(() => parseSeq2SeqSettings({ pad_token_id: 1 }, {}, 10), ModelError);
  });
});

describe('seq2seq logits processors', () => {
  it('bans bad words (single ids and phrases), repeated n-grams, early EOS, and forces EOS at the end', () => {
    const s = settings({ badWordsIds: [[2], [4, 5]], noRepeatNgramSize: 2, minLength: 5, forcedEosTokenId: 0 });
    const scores = new Float32Array(10).fill(1);
    applyProcessors(scores, s, { sequence: [2, 4, 6, 4], maxLength: 10 });
    // 2 always banned; 5 follows the phrase prefix 4; 6 would repeat the bigram (4, 6); EOS before min_length.
    assert.deepEqual([...scores].map((v) => (v === -Infinity ? 'x' : v)), ['x', 1, 'x', 1, 1, 'x', 'x', 1, 1, 1]);
    const last = new Float32Array(10).fill(1);
    applyProcessors(last, s, { sequence: [2, 3, 7, 8, 1, 3, 7, 8, 9], maxLength: 10 });
    assert.deepEqual([...last].map((v) => (v === -Infinity ? 'x' : v)), [0, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']);
  });

  it('greedy search applies them and stops at EOS', async () => {
    // A fake decoder whose favourite next token is always 2 (banned), then 3, then EOS 0.
    const fake: StepModel<number> = {
      async step(state) {
        const logits = new Float32Array(10);
        logits.set([state >= 2 ? 5 : 0, 0, 9, state < 2 ? 4 : 0, 0, 0, 0, 0, 0, 0]);
        return { logits, vocab: 10, state: state + 1 };
      },
      reorder: (state) => state,
    };
    const common = { maxNewTokens: 8, numBeams: 1, lengthPenalty: 1, earlyStopping: false, captureCross: false } as const;
    const result = await greedySearch(fake, 0, { ...common, settings: settings({ badWordsIds: [[2]] }) });
    assert.deepEqual(result.tokens, [3, 3, 0]);
    assert.equal(result.finishReason, 'eos');
    const forced = await greedySearch(fake, 0, { ...common, maxNewTokens: 1, settings: settings({ badWordsIds: [[2]], forcedEosTokenId: 0 }) });
    assert.deepEqual(forced.tokens, [0]);
  });
});
