// Our fixture exports in the ecosystem runtime: transformers.js 4.3.1 (@huggingface/transformers,
// local files only, onnxruntime-node CPU) loads every folder under test/fixtures/models/, tokenizes
// the golden prompt/source to the golden ids and reproduces the PyTorch eager goldens
// (models/recipes/make_fixtures.py): greedy tokens exactly, prompt logits within 1e-4. This proves the
// layout, input/output names, symbolic dimensions and tokenizer files are what the ecosystem expects,
// independently of Tealeaf's engine.
//
// Settings transformers.js needs: `dtype: 'fp32'` (it would otherwise look for onnx/model_quantized.onnx
// / *_q8 files in Node), `env.allowRemoteModels = false` with `env.localModelPath` (no hub), and for
// encoder-decoder models an explicit `attention_mask` in generate(). transformers.js 4.3.1 has no beam
// search (its generate() is greedy/sampling only), so beam goldens are checked by the engine's tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer, Tensor } from '@huggingface/transformers';
import { type Encoded, fixturesWithGoldens, greedyTranslation, ids, idTensor } from './transformersjs';

const TOLERANCE = 1e-4;

/** test/fixtures/goldens/<name>.json of a decoder-only fixture (tealeaf_export.write_decoder_golden). */
interface DecoderGolden {
  readonly kind: 'decoder';
  readonly prompt: string;
  readonly add_special_tokens: boolean;
  readonly prompt_ids: number[];
  /** [T][V] */
  readonly logits: number[][];
  readonly greedy_tokens: number[];
  readonly max_new_tokens: number;
}

/** test/fixtures/goldens/<name>.json of an encoder-decoder fixture (write_seq2seq_golden). */
interface Seq2SeqGolden {
  readonly kind: 'seq2seq';
  readonly encoder_text: string;
  readonly source_ids: number[];
  readonly decoder_start_token_id: number;
  readonly max_new_tokens: number;
  readonly greedy: { readonly output_ids: number[] };
}

type Golden = DecoderGolden | Seq2SeqGolden;


function maxAbsDiff(actual: Float32Array, expected: readonly number[][]): number {
  const flat = expected.flat();
  assert.equal(actual.length, flat.length, 'logit counts differ');
  let max = 0;
  for (let i = 0; i < flat.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (flat[i] as number)));
  return max;
}

// The fused-* goldens hold attention probabilities only (fusedAttention.test.ts checks them).
const all = fixturesWithGoldens<Golden>().filter((f) => f.golden.kind === 'decoder' || f.golden.kind === 'seq2seq');

describe('transformers.js 4.3.1 runs the fixtures like PyTorch', () => {
  it('finds the four fixtures', () => {
    const names = all.map((f) => f.name).sort();
    for (const want of ['tiny-bloom', 'tiny-gpt2', 'tiny-llama', 'tiny-marian']) {
      assert.ok(names.includes(want), `missing fixture ${want} (python3 models/recipes/make_fixtures.py); found ${names.join(', ')}`);
    }
  });

  for (const { name, golden } of all) {
    if (golden.kind === 'decoder') {
      it(`${name}: tokenizer ids, prompt logits within ${TOLERANCE}, ${golden.greedy_tokens.length} greedy tokens`, async () => {
        const tokenizer = await AutoTokenizer.from_pretrained(name);
        const encoded = tokenizer(golden.prompt, { add_special_tokens: golden.add_special_tokens }) as Encoded;
        assert.deepEqual(ids(encoded.input_ids), golden.prompt_ids, 'prompt ids');

        const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' });
        try {
          const input_ids = idTensor(golden.prompt_ids); // [1, T]
          const attention_mask = idTensor(golden.prompt_ids.map(() => 1)); // [1, T]
          const forward = (await model({ input_ids, attention_mask })) as { logits: Tensor };
          assert.deepEqual(forward.logits.dims, [1, golden.prompt_ids.length, golden.logits[0]?.length]);
          const diff = maxAbsDiff(forward.logits.data as Float32Array, golden.logits); // [1, T, V]
          assert.ok(diff < TOLERANCE, `prompt logits differ from PyTorch by ${diff}`);

          // The goldens never pick EOS (asserted when written), so transformers.js runs to the limit.
          const out = (await model.generate({
            input_ids,
            attention_mask,
            max_new_tokens: golden.greedy_tokens.length,
            do_sample: false,
            num_beams: 1,
          })) as Tensor;
          assert.deepEqual(ids(out).slice(golden.prompt_ids.length), golden.greedy_tokens, 'greedy tokens');
        } finally {
          await model.dispose();
        }
      });
    } else {
      it(`${name}: encoder ids and greedy translation ids`, async () => {
        const tokenizer = await AutoTokenizer.from_pretrained(name);
        const encoded = tokenizer(golden.encoder_text) as Encoded;
        assert.deepEqual(ids(encoded.input_ids), golden.source_ids, 'encoder ids (target token, text, EOS)');

        const model = await AutoModelForSeq2SeqLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' });
        try {
          const tokens = await greedyTranslation(model, golden.source_ids, golden.max_new_tokens);
          assert.equal(tokens[0], golden.decoder_start_token_id, 'output starts with the decoder start token');
          assert.deepEqual(tokens.slice(1), golden.greedy.output_ids, 'greedy output ids');
        } finally {
          await model.dispose();
        }
      });
    }
  }
});
