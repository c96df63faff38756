// The hub-* fixtures (models/recipes/make_hub_fixtures.py: random weights in the file layouts of
// Xenova/gpt2, onnx-community/Qwen2.5-Coder-0.5B-Instruct, HuggingFaceTB/SmolLM2-135M and
// Xenova/opus-mt-en-de) in transformers.js 4.3.1 (@huggingface/transformers, onnxruntime-node CPU,
// local files only), one load per ONNX file and dtype: every file the golden lists generates the
// greedy tokens onnxruntime (Python) produced on it when the golden was written
// (`dtype_goldens[dtype]`; fp32: the PyTorch eager goldens). This pins what transformers.js makes
// of the published naming (dtype suffixes, `model_file_name`, external data, use_cache_branch,
// float16 inputs and outputs, the merged seq2seq decoder's empty cross-attention presents)
// independently of Tealeaf's engine.
//
// transformers.js picks `onnx/{model_file_name}{suffix}.onnx` by dtype (fp32 '', fp16 '_fp16',
// q8 '_quantized', int8 '_int8', uint8 '_uint8', q4 '_q4', q4f16 '_q4f16', bnb4 '_bnb4');
// encoder-decoders always load encoder_model + decoder_model_merged with the same suffix.
// generation_config.json applies (Qwen's repetition_penalty 1.1: the goldens were chosen so that it
// changes no greedy token); sampling is switched off and one beam is used.
// onnxruntime-node's uint8 × int8 kernel saturates on x86 CPUs without VNNI (an AVX2 EPYC gave
// other q8 and int8 tokens than the goldens), so every session here asks for exact int8 products
// (session.x64quantprecision), the numbers transformers.js gives elsewhere and in the browser.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import { type Encoded, FIXTURES, fixturesWithGoldens, greedyTranslation, ids, idTensor } from './transformersjs';

type Dtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

const SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

interface FileEntry {
  readonly dtype: Dtype;
  readonly bytes: number;
  readonly external_data?: Record<string, number>;
}

interface DtypeGolden {
  readonly file: string;
  readonly greedy_tokens?: number[];
  readonly output_ids?: number[];
  readonly min_margin: number;
}

interface HubGoldenBase {
  readonly source_repo: string;
  readonly files: Record<string, FileEntry>;
  readonly dtype_goldens: Partial<Record<Dtype, DtypeGolden>>;
  readonly max_new_tokens: number;
}

interface DecoderGolden extends HubGoldenBase {
  readonly kind: 'decoder';
  readonly prompt: string;
  readonly add_special_tokens: boolean;
  readonly prompt_ids: number[];
  readonly greedy_tokens: number[];
}

interface Seq2SeqGolden extends HubGoldenBase {
  readonly kind: 'seq2seq';
  readonly encoder_text: string;
  readonly source_ids: number[];
  readonly decoder_start_token_id: number;
  readonly greedy: { readonly output_ids: number[] };
}

type HubGolden = DecoderGolden | Seq2SeqGolden;

/** `onnx/decoder_model_merged_quantized.onnx` (q8) -> `decoder_model_merged`. */
function baseName(file: string, dtype: Dtype): string {
  const stem = path.posix.basename(file, '.onnx');
  const suffix = SUFFIX[dtype];
  assert.ok(stem.endsWith(suffix), `${file} does not end in the ${dtype} suffix "${suffix}"`);
  return stem.slice(0, stem.length - suffix.length);
}

const EXACT_INT8_PRODUCTS = { extra: { 'session.x64quantprecision': '1' } };

function expectedTokens(golden: HubGolden, dtype: Dtype): number[] {
  if (dtype === 'fp32') return golden.kind === 'decoder' ? golden.greedy_tokens : golden.greedy.output_ids;
  const entry = golden.dtype_goldens[dtype];
  assert.ok(entry, `the golden has no dtype_goldens.${dtype}`);
  const tokens = golden.kind === 'decoder' ? entry.greedy_tokens : entry.output_ids;
  assert.ok(Array.isArray(tokens), `dtype_goldens.${dtype} has no tokens`);
  return tokens;
}

const all = fixturesWithGoldens<HubGolden>((name) => name.startsWith('hub-'));

describe('transformers.js 4.3.1 runs every dtype file of the hub-layout fixtures', () => {
  it('finds the four hub fixtures', () => {
    const names = all.map((f) => f.name).sort();
    assert.deepEqual(names, ['hub-gpt2', 'hub-opus-mt-en-de', 'hub-qwen2.5-coder', 'hub-smollm2'], 'python3 models/recipes/make_hub_fixtures.py');
  });

  for (const { name, golden } of all) {
    describe(`${name} (${golden.source_repo})`, () => {
      it('the golden lists every ONNX file of the folder, with its size', () => {
        const onnxDir = path.join(FIXTURES, name, 'onnx');
        const present = readdirSync(onnxDir).filter((f) => f.endsWith('.onnx')).map((f) => `onnx/${f}`).sort();
        assert.deepEqual(Object.keys(golden.files).sort(), present);
        for (const [file, entry] of Object.entries(golden.files)) {
          assert.ok(entry.bytes > 0, file);
          for (const data of Object.keys(entry.external_data ?? {})) assert.ok(existsSync(path.join(FIXTURES, name, data)), `${data} is missing`);
        }
      });

      if (golden.kind === 'decoder') {
        it('tokenizes the prompt like the Python tokenizer', async () => {
          const tokenizer = await AutoTokenizer.from_pretrained(name);
          const encoded = tokenizer(golden.prompt, { add_special_tokens: golden.add_special_tokens }) as Encoded;
          assert.deepEqual(ids(encoded.input_ids), golden.prompt_ids);
        });
        for (const [file, entry] of Object.entries(golden.files)) {
          const model_file_name = baseName(file, entry.dtype);
          it(`${file} (dtype ${entry.dtype}): greedy tokens`, async () => {
            const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: entry.dtype, device: 'cpu', model_file_name, session_options: EXACT_INT8_PRODUCTS });
            try {
              const input_ids = idTensor(golden.prompt_ids);
              const out = (await model.generate({
                input_ids,
                attention_mask: idTensor(golden.prompt_ids.map(() => 1)),
                max_new_tokens: golden.max_new_tokens,
                do_sample: false,
                num_beams: 1,
              })) as Tensor;
              assert.deepEqual(ids(out).slice(golden.prompt_ids.length), expectedTokens(golden, entry.dtype));
            } finally {
              await model.dispose();
            }
          });
        }
      } else {
        it('tokenizes the source like the Python tokenizer', async () => {
          const tokenizer = await AutoTokenizer.from_pretrained(name);
          const encoded = tokenizer(golden.encoder_text) as Encoded;
          assert.deepEqual(ids(encoded.input_ids), golden.source_ids);
        });
        // An encoder-decoder dtype is a pair of files loaded together.
        const dtypes = [...new Set(Object.values(golden.files).map((e) => e.dtype))];
        for (const dtype of dtypes) {
          it(`encoder_model${SUFFIX[dtype]}.onnx + decoder_model_merged${SUFFIX[dtype]}.onnx (dtype ${dtype}): greedy translation`, async () => {
            assert.ok(golden.files[`onnx/encoder_model${SUFFIX[dtype]}.onnx`] && golden.files[`onnx/decoder_model_merged${SUFFIX[dtype]}.onnx`]);
            const model = await AutoModelForSeq2SeqLM.from_pretrained(name, { dtype, device: 'cpu', session_options: EXACT_INT8_PRODUCTS });
            try {
              const tokens = await greedyTranslation(model, golden.source_ids, golden.max_new_tokens);
              assert.equal(tokens[0], golden.decoder_start_token_id);
              assert.deepEqual(tokens.slice(1), expectedTokens(golden, dtype));
            } finally {
              await model.dispose();
            }
          });
        }
      }
    });
  }
});
