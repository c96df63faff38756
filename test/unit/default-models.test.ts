// The shipped default models in the ecosystem runtime: transformers.js (@huggingface/transformers,
// local files only, onnxruntime-node) and Tealeaf's engine (onnxruntime-web WASM) tokenize the same
// prompts to the same ids and produce the same greedy tokens, for tealeaf-code and for
// tealeaf-translate in both directions (one model, target chosen by a >>de<< / >>en<< token).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import * as ort from 'onnxruntime-web';
import { readModelFolder } from '../../src/engine/modelFolder';
import { loadSeq2Seq, type MarianRunner } from '../../src/engine/seq2seq/runner';
import { NodeModelFiles } from '../../src/host/nodeModelFiles';
import { loadDecoder, type LoadedDecoder, ROOT } from './engine/helpers';

const MODELS = path.join(ROOT, 'models');
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${MODELS}${path.sep}`;
ort.env.wasm.numThreads = 1;

const CODE_PROMPTS = [
  'function add(a, b) {\n  return',
  'import os\n\n\ndef read_lines(path):\n    with open(path) as f:\n',
  "const fs = require('fs');\nconst path = require('path');\n\n",
  'export interface User {\n  id: number;\n  name: string;\n',
  'for (let i = 0; i < items.length; i++) {\n    if (',
];
const TRANSLATIONS: { readonly text: string; readonly from: string; readonly to: string }[] = [
  { text: 'Could not open the file.', from: 'en', to: 'de' },
  { text: 'Save the document', from: 'en', to: 'de' },
  { text: 'The printer is not connected.', from: 'en', to: 'de' },
  { text: 'Die Datei wurde nicht gefunden.', from: 'de', to: 'en' },
  { text: 'Einstellungen speichern', from: 'de', to: 'en' },
];
const NEW_TOKENS = 16;

/** Ids of a [1, n] int64 tensor as numbers. */
function ids(tensor: Tensor): number[] {
  return Array.from(tensor.data as BigInt64Array, (v) => Number(v));
}

/** Generated ids cut at the first of `stop` (exclusive), so both runtimes compare the same span. */
function untilStop(tokens: readonly number[], stop: readonly number[]): number[] {
  const end = tokens.findIndex((t) => stop.includes(t));
  return end < 0 ? [...tokens] : tokens.slice(0, end);
}

function requireModel(name: string): void {
  assert.ok(existsSync(path.join(MODELS, name, 'config.json')), `models/${name} is missing (models/recipes/build.sh)`);
}

describe('tealeaf-code: transformers.js and Tealeaf agree', () => {
  let tealeaf: LoadedDecoder;
  let eos: number;
  before(async () => {
    requireModel('tealeaf-code');
    tealeaf = await loadDecoder('tealeaf-code');
    const config = JSON.parse(readFileSync(path.join(MODELS, 'tealeaf-code', 'config.json'), 'utf8')) as { eos_token_id: number };
    eos = config.eos_token_id;
  });
  after(async () => tealeaf?.model.dispose());

  it(`greedy ${NEW_TOKENS} tokens for ${CODE_PROMPTS.length} prompts`, async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('tealeaf-code');
    const model = await AutoModelForCausalLM.from_pretrained('tealeaf-code', { dtype: 'fp32', device: 'cpu' });
    try {
      for (const prompt of CODE_PROMPTS) {
        const encoded = tokenizer(prompt, { add_special_tokens: false }) as { input_ids: Tensor; attention_mask: Tensor };
        const promptIds = ids(encoded.input_ids);
        assert.deepEqual(tealeaf.folder.tokenizer.encode(prompt, { addSpecialTokens: false }), promptIds, `ids of ${JSON.stringify(prompt)}`);
        const out = (await model.generate({ ...encoded, max_new_tokens: NEW_TOKENS, do_sample: false })) as Tensor;
        const theirs = untilStop(ids(out).slice(promptIds.length), [eos]);
        const ours = await tealeaf.generator.generate({
          promptIds,
          maxNewTokens: NEW_TOKENS,
          eosTokenIds: [eos],
          useKvCache: true,
          reusePrefix: false,
          captureAttention: false,
        });
        assert.deepEqual(untilStop(ours.tokens, [eos]), theirs, `greedy continuation of ${JSON.stringify(prompt)}`);
        assert.ok(theirs.length > 0, 'the model generates something');
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('tealeaf-translate: transformers.js and Tealeaf agree', () => {
  let runner: MarianRunner;
  before(async () => {
    requireModel('tealeaf-translate');
    const folder = await readModelFolder(await NodeModelFiles.open(path.join(MODELS, 'tealeaf-translate')));
    runner = (await loadSeq2Seq(folder, { ort, backend: 'wasm' })) as MarianRunner;
  });
  after(async () => runner?.dispose());

  it('offers English→German and German→English', () => {
    const pairs = runner.translationPairs.map((p) => `${p.from}-${p.to}`);
    assert.ok(pairs.includes('en-de') && pairs.includes('de-en'), `pairs: ${pairs.join(', ')}`);
  });

  it(`greedy translations of ${TRANSLATIONS.length} sources, both directions`, async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('tealeaf-translate');
    const model = await AutoModelForSeq2SeqLM.from_pretrained('tealeaf-translate', { dtype: 'fp32', device: 'cpu' });
    const stop = [...runner.settings.eosTokenIds];
    try {
      for (const { text, from, to } of TRANSLATIONS) {
        const prepared = runner.prepareSource(text, from, to);
        const encoded = tokenizer(prepared.encoderText) as { input_ids: Tensor; attention_mask: Tensor };
        assert.deepEqual(ids(encoded.input_ids), [...prepared.ids], `encoder ids of ${prepared.encoderText}`);
        // transformers.js 4.3.1 needs the attention mask passed explicitly to generate().
        const out = (await model.generate({
          input_ids: encoded.input_ids,
          attention_mask: encoded.attention_mask,
          max_new_tokens: 2 * NEW_TOKENS,
          do_sample: false,
          num_beams: 1,
        })) as Tensor;
        const theirs = untilStop(ids(out).slice(1), stop); // drop the decoder start token
        const ours = await runner.generateIds(prepared.ids, { maxNewTokens: 2 * NEW_TOKENS, numBeams: 1 });
        assert.deepEqual(untilStop(ours.tokens, stop), theirs, `greedy ${from}→${to} of ${JSON.stringify(text)}`);
        assert.ok(theirs.length > 0, 'the model translates to something');
      }
    } finally {
      await model.dispose();
    }
  });
});
