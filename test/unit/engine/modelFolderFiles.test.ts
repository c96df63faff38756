// How a model folder's files are found and read, on folders held in memory: the dtype files of each
// role with their external data, the required and optional JSON files, an ONNX file's external data
// checked and handed over, and large inline weights left on disk where ranges can be read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import {
  chooseDtypeFiles,
  type LazyBytes,
  listDtypeFiles,
  type ModelFiles,
  ONNX_BASES,
  onnxRoles,
  readModelFolder,
  readOnnxFile,
  releaseExternalData,
} from '../../../src/engine/modelFolder';
import { DataType, type TensorSpec } from '../../../src/engine/onnxBuild';
import { externalEntry } from '../../../src/engine/onnxExternalize';
import { GRAPH_INITIALIZER } from '../../../src/engine/onnxProto';
import { concat, lengthField, varintField } from '../../../src/engine/protoWrite';
import { MemoryModelFiles } from '../hostile/mutations';
import { graphModel } from './graphModels';
import { FIXTURES } from './helpers';

const sized = (entries: Record<string, number>) => new MemoryModelFiles(new Map(Object.entries(entries).map(([file, bytes]) => [file, new Uint8Array(bytes)])));

describe('listDtypeFiles', () => {
  it('finds each dtype’s file of every role, the first base name present, with its external data', async () => {
    const files = sized({
      'onnx/model.onnx': 10,
      'onnx/model.onnx_data': 100,
      'onnx/model.onnx_data_1': 50,
      'onnx/model.onnx_data_3': 7, // after a gap: not part of it
      'onnx/decoder_model_merged_q4.onnx': 20,
      'onnx/model_fp16.onnx': 5,
      'onnx/decoder_model_merged_fp16.onnx': 6,
    });
    const found = await listDtypeFiles(files, onnxRoles('decoder'));
    assert.deepEqual(
      found.map((f) => [f.dtype, f.paths, f.bytes]),
      [
        ['fp32', ['onnx/model.onnx'], 160],
        ['fp16', ['onnx/model_fp16.onnx'], 5],
        ['q4', ['onnx/decoder_model_merged_q4.onnx'], 20],
      ],
    );
    assert.deepEqual(found[0]?.entries, [
      { path: 'onnx/model.onnx', bytes: 10 },
      { path: 'onnx/model.onnx_data', bytes: 100 },
      { path: 'onnx/model.onnx_data_1', bytes: 50 },
    ]);
  });

  it('an encoder-decoder dtype counts only with both of its graphs, in role order', async () => {
    const files = sized({ 'onnx/encoder_model.onnx': 1, 'onnx/decoder_model_merged.onnx': 2, 'onnx/encoder_model_quantized.onnx': 3 });
    assert.deepEqual(onnxRoles('encoder-decoder'), [ONNX_BASES.encoder, ONNX_BASES.seq2seqDecoder]);
    const found = await listDtypeFiles(files, onnxRoles('encoder-decoder'));
    assert.deepEqual(found.map((f) => [f.dtype, f.paths, f.bytes]), [['fp32', ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'], 3]]);
  });
});

describe('chooseDtypeFiles', () => {
  it('returns the chosen files, every dtype present and why; nothing present is one sentence', async () => {
    const files = sized({ 'onnx/model.onnx': 400, 'onnx/model_q4.onnx': 100, 'onnx/model_fp16.onnx': 200 });
    const chosen = await chooseDtypeFiles(files, onnxRoles('decoder'), 'fp16', 'wasm');
    assert.deepEqual(chosen.paths, ['onnx/model_fp16.onnx']);
    assert.equal(chosen.file.dtype, 'fp16');
    assert.deepEqual(chosen.dtypes, ['fp32', 'fp16', 'q4']);
    assert.match(chosen.reason, /\S/);
    await assert.rejects(chooseDtypeFiles(sized({ 'config.json': 1 }), onnxRoles('decoder'), 'auto', 'wasm'), (e: unknown) => e instanceof ModelError && /has no ONNX file \(onnx\/model\.onnx/.test(e.message));
  });
});

describe('readModelFolder', () => {
  const fixture = (file: string) => new Uint8Array(readFileSync(path.join(FIXTURES, 'tiny-gpt2', file)));
  it('needs config.json and tokenizer.json; reads generation_config.json and tokenizer_config.json when present', async () => {
    const base = { 'config.json': fixture('config.json'), 'tokenizer.json': fixture('tokenizer.json') };
    const folder = await readModelFolder(new MemoryModelFiles(new Map(Object.entries(base))));
    assert.deepEqual(folder.tokenizerConfig, {});
    assert.equal(folder.config.layers, 2);
    assert.deepEqual(folder.config.eosTokenIds, [0]);
    const generation = new TextEncoder().encode(JSON.stringify({ eos_token_id: [0, 7] }));
    const tokenizerConfig = new TextEncoder().encode(JSON.stringify({ add_bos_token: false }));
    const full = await readModelFolder(new MemoryModelFiles(new Map(Object.entries({ ...base, 'generation_config.json': generation, 'tokenizer_config.json': tokenizerConfig }))));
    assert.deepEqual(full.config.eosTokenIds, [0, 7], 'generation_config.json read');
    assert.deepEqual(full.tokenizerConfig, { add_bos_token: false });
    for (const missing of ['config.json', 'tokenizer.json']) {
      const without = new Map(Object.entries(base));
      without.delete(missing);
      await assert.rejects(readModelFolder(new MemoryModelFiles(without)), (e: unknown) => e instanceof ModelError && e.message === `the fuzzed model has no ${missing}`);
    }
  });
});

/** A graph (Relu over an initializer) whose 64-byte weight lies in `location` at `offset`. */
function externalGraph(location: string, offset = 0): Uint8Array {
  const tensor = concat([
    varintField(1, 16),
    varintField(2, DataType.FLOAT),
    lengthField(8, 'w'),
    externalEntry('location', location),
    externalEntry('offset', String(offset)),
    externalEntry('length', '64'),
    varintField(14, 1),
  ]);
  return graphModel([{ op: 'Relu', inputs: ['w'], outputs: ['y'] }], [], 17, [lengthField(GRAPH_INITIALIZER, tensor)]);
}

/** ModelFiles over a memory folder that also reads ranges and lazily (as Node's does), counting how. */
class RangeFiles extends MemoryModelFiles implements ModelFiles {
  readonly lazy: string[] = [];
  readonly closed: string[] = [];
  readonly ranges: string[] = [];
  readonly whole: string[] = [];
  constructor(
    private readonly contents: ReadonlyMap<string, Uint8Array>,
    readonly diskPath?: string,
  ) {
    super(contents);
  }
  override async readBytes(relativePath: string, maxBytes: number): Promise<Uint8Array> {
    this.whole.push(relativePath);
    return super.readBytes(relativePath, maxBytes);
  }
  async readRange(relativePath: string, offset: number, length: number): Promise<Uint8Array> {
    this.ranges.push(relativePath);
    return (this.contents.get(relativePath) ?? new Uint8Array(0)).slice(offset, offset + length);
  }
  async openLazily(relativePath: string): Promise<LazyBytes> {
    this.lazy.push(relativePath);
    const bytes = (this.contents.get(relativePath) ?? new Uint8Array(0)).slice() as LazyBytes;
    bytes.close = () => void this.closed.push(relativePath);
    return bytes;
  }
}

describe('readOnnxFile', () => {
  it('hands over external data by its location, read whole where the files cannot read lazily', async () => {
    const files = new MemoryModelFiles(new Map([['onnx/model.onnx', externalGraph('model.onnx_data')], ['onnx/model.onnx_data', new Uint8Array(64).fill(3)]]));
    const onnx = await readOnnxFile(files, 'onnx/model.onnx');
    assert.deepEqual(onnx.externalData.map((d) => [d.path, d.data.length]), [['model.onnx_data', 64]]);
    assert.equal(onnx.externalDataFolder, undefined);
    assert.deepEqual(onnx.summary.externalDataLocations, ['model.onnx_data']);
  });

  it('reads it lazily where it can, says where it lies on disk, and releases it', async () => {
    const files = new RangeFiles(new Map([['onnx/model.onnx', externalGraph('model.onnx_data')], ['onnx/model.onnx_data', new Uint8Array(64)]]), '/models/m');
    const onnx = await readOnnxFile(files, 'onnx/model.onnx');
    assert.deepEqual(files.lazy, ['onnx/model.onnx_data']);
    assert.equal(onnx.externalDataFolder, '/models/m/onnx/');
    releaseExternalData(onnx);
    assert.deepEqual(files.closed, ['onnx/model.onnx_data']);
    releaseExternalData({ externalData: [{ path: 'x', data: new Uint8Array(1) }] }); // plain bytes: nothing to close
    const top = await readOnnxFile(new RangeFiles(new Map([['model.onnx', externalGraph('model.onnx_data')], ['model.onnx_data', new Uint8Array(64)]]), '/m'), 'model.onnx');
    assert.equal(top.externalDataFolder, '/m/', 'a file at the top of the folder');
  });

  it('says which external data file is missing, and refuses one too short for its tensors', async () => {
    await assert.rejects(readOnnxFile(new MemoryModelFiles(new Map([['onnx/model.onnx', externalGraph('model.onnx_data')]])), 'onnx/model.onnx'), (e: unknown) =>
      e instanceof ModelError && e.message === 'onnx/model.onnx keeps its weights in onnx/model.onnx_data, which is missing: download it too',
    );
    const short = new MemoryModelFiles(new Map([['onnx/model.onnx', externalGraph('model.onnx_data', 32)], ['onnx/model.onnx_data', new Uint8Array(64)]]));
    await assert.rejects(readOnnxFile(short, 'onnx/model.onnx'), ModelError);
  });

  it('leaves large inline weights on disk when the files read ranges, and reads small files whole', async () => {
    const weight: TensorSpec = { name: 'w', dataType: DataType.FLOAT, dims: [2048], raw: new Uint8Array(8192).fill(1) };
    const inline = graphModel([{ op: 'Relu', inputs: ['w'], outputs: ['y'] }], [weight]);
    const files = new RangeFiles(new Map([['onnx/model.onnx', inline]]));
    const big = await readOnnxFile(files, 'onnx/model.onnx', 1000);
    assert.ok(big.bytes.length < 1000, `${big.bytes.length} bytes of graph left`);
    assert.deepEqual(big.externalData.map((d) => d.path), ['model.onnx'], 'the file itself is its external data');
    assert.ok(files.ranges.length > 0, 'the graph was read by ranges');
    assert.deepEqual(files.whole, [], 'never whole');
    const small = new RangeFiles(new Map([['onnx/model.onnx', inline]]));
    const whole = await readOnnxFile(small, 'onnx/model.onnx', inline.length);
    assert.deepEqual(whole.bytes, inline);
    assert.deepEqual(small.ranges, []);
    const plain = await readOnnxFile(new MemoryModelFiles(new Map([['onnx/model.onnx', inline]])), 'onnx/model.onnx', 1000);
    assert.deepEqual(plain.bytes, inline, 'files that cannot read ranges read the graph whole');
  });
});
