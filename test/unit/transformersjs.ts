// What the transformers.js agreement tests share: transformers.js configured for the local fixture
// folders only (no hub), the fixture/golden pairs, id tensors, and one greedy translation.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { env, LogLevel, Tensor } from '@huggingface/transformers';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'models');
export const GOLDENS = path.join(ROOT, 'test', 'fixtures', 'goldens');

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${FIXTURES}${path.sep}`;
// MarianTokenizer warns on every load that it is "not yet supported by fast tokenizers".
env.logLevel = LogLevel.ERROR;

/** The tensors transformers.js' tokenizer returns for one text. */
export interface Encoded {
  readonly input_ids: Tensor;
  readonly attention_mask: Tensor;
}

/** Fixture folders (those `keep` accepts) with their goldens; a folder without a golden fails the test, not skips it. */
export function fixturesWithGoldens<G>(keep: (name: string) => boolean = () => true): { name: string; golden: G }[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && keep(d.name))
    .map((d) => {
      const file = path.join(GOLDENS, `${d.name}.json`);
      assert.ok(existsSync(file), `test/fixtures/models/${d.name} has no golden ${file}`);
      return { name: d.name, golden: JSON.parse(readFileSync(file, 'utf8')) as G };
    });
}

/** Ids of a [1, n] int64 tensor as numbers. */
export function ids(tensor: Tensor): number[] {
  assert.equal(tensor.type, 'int64');
  return Array.from(tensor.data as BigInt64Array, (v) => Number(v));
}

/** A [1, n] int64 tensor. */
export function idTensor(values: readonly number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);
}

/** A loaded transformers.js encoder-decoder, as far as these tests use it. */
interface Seq2SeqModel {
  generate(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Greedy output ids (decoder start token first) for encoder ids. transformers.js 4.3.1 does not
 * derive the encoder mask itself, so it is passed.
 */
export async function greedyTranslation(model: Seq2SeqModel, sourceIds: readonly number[], maxNewTokens: number): Promise<number[]> {
  const out = (await model.generate({
    input_ids: idTensor(sourceIds),
    attention_mask: idTensor(sourceIds.map(() => 1)),
    max_new_tokens: maxNewTokens,
    do_sample: false,
    num_beams: 1,
  })) as Tensor;
  return ids(out);
}
