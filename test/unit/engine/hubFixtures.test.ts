// Tealeaf's engine on the hub-* fixtures (random weights in the file layouts of published Hub
// exports, models/recipes/make_hub_fixtures.py), every dtype file of each: the file chosen for the
// dtype is the one the golden names, greedy tokens equal the golden's (the same tokens
// transformers.js 4.3.1 produces on that file: hub-fixtures-transformersjs.test.ts), and prefill's
// last-row logits match PyTorch within 1e-4 for fp32 and the golden's fp16 tolerance for fp16.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { type DecoderModel, openDecoderModel } from '../../../src/engine/decoderModel';
import type { Dtype } from '../../../src/engine/dtype';
import { DecoderGenerator } from '../../../src/engine/generate';
import { type ModelFolder, readModelFolder } from '../../../src/engine/modelFolder';
import { loadSeq2Seq, type MarianRunner } from '../../../src/engine/seq2seq/runner';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES, GOLDENS, maxAbsDiff } from './helpers';

interface HubDecoderGolden {
  readonly kind: 'decoder';
  readonly prompt_ids: number[];
  /** [T][V] PyTorch eager fp32 */
  readonly logits: number[][];
  readonly greedy_tokens: number[];
  readonly fp16_tolerance?: number;
  readonly dtype_goldens: Partial<Record<Dtype, { readonly file: string; readonly greedy_tokens: number[] }>>;
}

const hubDecoders = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((name) => name.startsWith('hub-') && existsSync(path.join(GOLDENS, `${name}.json`)))
      .map((name) => ({ name, golden: JSON.parse(readFileSync(path.join(GOLDENS, `${name}.json`), 'utf8')) as HubDecoderGolden }))
      .filter(({ golden }) => golden.kind === 'decoder')
  : [];

describe('hub-layout fixtures in the engine', () => {
  it('has the published layouts to check', () => {
    assert.ok(hubDecoders.some((h) => h.name === 'hub-gpt2'), hubDecoders.map((h) => h.name).join(', '));
  });

  for (const { name, golden } of hubDecoders) {
    const cases: [Dtype, readonly number[], string][] = [
      ['fp32', golden.greedy_tokens, 'onnx/model.onnx'],
      ...Object.entries(golden.dtype_goldens).map(([dtype, dg]): [Dtype, readonly number[], string] => [dtype as Dtype, dg?.greedy_tokens ?? [], dg?.file ?? '']),
    ];
    for (const [dtype, tokens, file] of cases) {
      describe(`${name} ${dtype}`, () => {
        let folder: ModelFolder;
        let model: DecoderModel;
        before(async () => {
          folder = await readModelFolder(await NodeModelFiles.open(path.join(FIXTURES, name)));
          model = await openDecoderModel(folder, { ort, backend: 'wasm' }, { dtype });
        });
        after(async () => model.dispose());

        it('opens the file of that dtype and computes the last row only', () => {
          assert.equal(model.source?.dtype, dtype);
          assert.equal(model.source?.file, file);
          assert.notEqual(model.logitsMode, 'all');
        });

        it('generates the golden greedy tokens, with the KV cache and with prefix reuse', async () => {
          const generator = new DecoderGenerator(model, folder.tokenizer);
          const run = (reusePrefix: boolean) =>
            generator.generate({ promptIds: golden.prompt_ids, maxNewTokens: tokens.length, eosTokenIds: [], useKvCache: true, reusePrefix, captureAttention: false });
          assert.deepEqual((await run(false)).tokens, tokens);
          const again = await run(true);
          assert.equal(again.reusedTokens, golden.prompt_ids.length - 1);
          assert.deepEqual(again.tokens, tokens);
        });

        if (dtype === 'fp32' || dtype === 'fp16') {
          const tolerance = dtype === 'fp32' ? 1e-4 : (golden.fp16_tolerance ?? 1e-2);
          it(`prefill's last-row logits match PyTorch within ${tolerance}`, async () => {
            const result = await model.forward(model.emptyCache(), golden.prompt_ids);
            const diff = maxAbsDiff(result.lastLogits, golden.logits[golden.logits.length - 1] as number[]);
            assert.ok(diff <= tolerance, `max diff ${diff}`);
          });
        }
      });
    }
  }
});

/** The opus-mt layout: encoder and merged decoder of each dtype, greedy ids as the golden says. */
interface HubSeq2SeqGolden {
  readonly kind: 'seq2seq';
  readonly source_ids: number[];
  readonly max_new_tokens: number;
  readonly decoder_start_token_id: number;
  /** PyTorch's fp32 logits of the first teacher-forced decoder steps along the greedy ids. */
  readonly decoder_logits_first_steps: number[][];
  readonly fp16_tolerance?: number;
  readonly greedy: { readonly output_ids: number[] };
  readonly dtype_goldens: Partial<Record<Dtype, { readonly file: string; readonly output_ids: number[] }>>;
}

const hubSeq2Seq = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((name) => name.startsWith('hub-') && existsSync(path.join(GOLDENS, `${name}.json`)))
      .map((name) => ({ name, golden: JSON.parse(readFileSync(path.join(GOLDENS, `${name}.json`), 'utf8')) as HubSeq2SeqGolden }))
      .filter(({ golden }) => golden.kind === 'seq2seq')
  : [];

describe('hub-layout encoder-decoders in the engine', () => {
  it('has the opus-mt layout to check', () => {
    assert.ok(hubSeq2Seq.some((h) => h.name === 'hub-opus-mt-en-de'));
  });

  for (const { name, golden } of hubSeq2Seq) {
    const cases: [Dtype, readonly number[], string][] = [
      ['fp32', golden.greedy.output_ids, 'onnx/decoder_model_merged.onnx'],
      ...Object.entries(golden.dtype_goldens).map(([dtype, dg]): [Dtype, readonly number[], string] => [dtype as Dtype, dg?.output_ids ?? [], dg?.file ?? '']),
    ];
    for (const [dtype, tokens, decoderFile] of cases) {
      it(`${name} ${dtype}: opens ${decoderFile} and its encoder, greedy ids equal the golden`, async () => {
        const folder = await readModelFolder(await NodeModelFiles.open(path.join(FIXTURES, name)));
        const runner = (await loadSeq2Seq(folder, { ort, backend: 'wasm' }, dtype)) as MarianRunner;
        try {
          assert.equal(runner.source.dtype, dtype);
          assert.equal(runner.source.files[1], decoderFile);
          const result = await runner.generateIds(golden.source_ids, { maxNewTokens: golden.max_new_tokens, numBeams: 1 });
          assert.deepEqual(result.tokens, tokens);
        } finally {
          await runner.dispose();
        }
      });
    }

    for (const [dtype, tolerance] of [['fp32', 1e-4], ['fp16', golden.fp16_tolerance ?? 1e-2]] as const) {
      it(`${name} ${dtype}: teacher-forced decoder logits match PyTorch within ${tolerance}`, async () => {
        const folder = await readModelFolder(await NodeModelFiles.open(path.join(FIXTURES, name)));
        const runner = (await loadSeq2Seq(folder, { ort, backend: 'wasm' }, dtype)) as MarianRunner;
        try {
          assert.equal(runner.source.dtype, dtype);
          const model = runner.model;
          let state = model.start(await model.encode(golden.source_ids));
          const inputs = [golden.decoder_start_token_id, ...golden.greedy.output_ids];
          assert.ok(golden.decoder_logits_first_steps.length > 0);
          for (const [step, expected] of golden.decoder_logits_first_steps.entries()) {
            const out = await model.step(state, [inputs[step] as number]);
            state = out.state;
            const diff = maxAbsDiff(out.logits, expected);
            assert.ok(diff <= tolerance, `step ${step}: max diff ${diff}`);
          }
        } finally {
          await runner.dispose();
        }
      });
    }
  }
});
