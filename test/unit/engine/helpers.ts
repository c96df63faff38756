// Shared test helpers: load fixture/default models and their PyTorch goldens.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { type DecoderModel, type OpenDecoderOptions, openDecoderModel } from '../../../src/engine/decoderModel';
import { DecoderGenerator } from '../../../src/engine/generate';
import { readModelFolder, type ModelFolder } from '../../../src/engine/modelFolder';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'models');
export const GOLDENS = path.join(ROOT, 'test', 'fixtures', 'goldens');

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** Golden of a decoder-only model, written by models/recipes/make_fixtures.py from PyTorch eager. */
export interface DecoderGolden {
  readonly prompt: string;
  readonly prompt_ids: number[];
  readonly add_special_tokens: boolean;
  /** [T][V] */
  readonly logits: number[][];
  /** [L][H][T][T] */
  readonly attentions: number[][][][];
  readonly greedy_tokens: number[];
  readonly greedy_text?: string;
}

export function modelDir(name: string): string {
  const fixture = path.join(FIXTURES, name);
  return existsSync(fixture) ? fixture : path.join(ROOT, 'models', name);
}

/** Goldens of decoder models whose folder exists (fixtures and shipped defaults). */
export function decoderGoldens(): { name: string; golden: DecoderGolden }[] {
  if (!existsSync(GOLDENS)) return [];
  return readdirSync(GOLDENS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: f.replace(/\.json$/, ''), golden: JSON.parse(readFileSync(path.join(GOLDENS, f), 'utf8')) as DecoderGolden }))
    .filter(({ name, golden }) => Array.isArray(golden.greedy_tokens) && Array.isArray(golden.logits) && existsSync(path.join(modelDir(name), 'config.json')));
}

export interface LoadedDecoder {
  readonly folder: ModelFolder;
  readonly model: DecoderModel;
  readonly generator: DecoderGenerator;
}

/** Opens the fixture's fp32 file unless told otherwise: the goldens are PyTorch's fp32 numbers. */
export async function loadDecoder(name: string, options: OpenDecoderOptions = {}): Promise<LoadedDecoder> {
  const files = await NodeModelFiles.open(modelDir(name));
  const folder = await readModelFolder(files);
  const model = await openDecoderModel(folder, { ort, backend: 'wasm' }, { dtype: 'fp32', ...options });
  return { folder, model, generator: new DecoderGenerator(model, folder.tokenizer) };
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  return max;
}

/**
 * Logits [1, ids.length, vocab] of one pass over `ids` with an empty cache, through a bare session
 * of a decoder-only export (input_ids, attention_mask, position_ids, past_key_values.*).
 */
export async function bareSessionLogits(session: ort.InferenceSession, ids: readonly number[]): Promise<Float32Array> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(i)), [1, ids.length]),
  };
  for (const input of session.inputMetadata) {
    if (input.name.startsWith('past_key_values') && input.isTensor) feeds[input.name] = new ort.Tensor(input.type as 'float32', new Float32Array(0), [1, input.shape[1] as number, 0, input.shape[3] as number]);
  }
  return (await session.run(feeds, ['logits'])).logits!.data as Float32Array;
}
