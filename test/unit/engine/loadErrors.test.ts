// Loading errors a user meets with their own model folders, each one ModelError sentence: an ONNX
// file onnxruntime refuses (the file named, onnxruntime's reason without its wrapper), a
// tokenizer.json the tokenizer library cannot build, text over the tokenizer's cap, a model path
// that is a file, a folder where a model file should be, a config.json that declares no layers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { ModelError } from '../../../src/engine/errors';
import { parseModelConfig } from '../../../src/engine/modelConfig';
import { addToGraph } from '../../../src/engine/onnxBuild';
import { createSession } from '../../../src/engine/onnx';
import { MAX_TOKENIZER_INPUT_CHARS, ModelTokenizer } from '../../../src/engine/tokenizer';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES } from './helpers';

const TINY_GPT2 = path.join(FIXTURES, 'tiny-gpt2');

function json(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(TINY_GPT2, file), 'utf8')) as Record<string, unknown>;
}

describe('an ONNX file onnxruntime refuses', () => {
  it('is a ModelError naming the file and the runtime, with onnxruntime’s reason on one line', async () => {
    const model = new Uint8Array(readFileSync(path.join(TINY_GPT2, 'onnx', 'model.onnx')));
    // A well-formed graph with a node no runtime implements: only onnxruntime can tell.
    const refused = addToGraph(model, { nodes: [{ op: 'NoSuchOperator', domain: 'tealeaf.test', inputs: ['logits'], outputs: ['tealeaf_test/out'] }], opsets: { 'tealeaf.test': 1 } });
    await assert.rejects(createSession({ ort, backend: 'wasm' }, { path: 'onnx/model.onnx', bytes: refused, externalData: [] }), (e: unknown) => {
      assert.ok(e instanceof ModelError, `not a ModelError: ${String(e)}`);
      assert.match(e.message, /^onnx\/model\.onnx could not be loaded by onnxruntime-web: .*NoSuchOperator/);
      assert.doesNotMatch(e.message, /\n|ERROR_MESSAGE|ERROR_CODE/);
      return true;
    });
  });
});

describe('tokenizer errors', () => {
  it('a tokenizer.json the library cannot build is a ModelError with the library’s reason', () => {
    const broken = { ...json('tokenizer.json'), model: { type: 'NoSuchModel' } };
    assert.throws(
      () => new ModelTokenizer(broken, json('tokenizer_config.json')),
      (e: unknown) => e instanceof ModelError && /^tokenizer\.json could not be loaded: \S/.test(e.message),
    );
  });

  it('text over the tokenizer’s cap is refused before it is encoded', () => {
    const tokenizer = new ModelTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    const over = 'a'.repeat(MAX_TOKENIZER_INPUT_CHARS + 1);
    const message = `Input of ${MAX_TOKENIZER_INPUT_CHARS + 1} characters exceeds the tokenizer cap of ${MAX_TOKENIZER_INPUT_CHARS}`;
    assert.throws(() => tokenizer.encode(over), (e: unknown) => e instanceof ModelError && e.message === message);
    assert.throws(() => tokenizer.encodeWithSpans(over), (e: unknown) => e instanceof ModelError && e.message === message);
  });

  it('text of exactly the tokenizer’s cap is encoded', () => {
    const tokenizer = new ModelTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    // Each newline is one token of the test vocabulary.
    assert.equal(tokenizer.encode('\n'.repeat(MAX_TOKENIZER_INPUT_CHARS)).length, MAX_TOKENIZER_INPUT_CHARS);
  });
});

describe('model folder errors', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tealeaf-load-errors-'));
    writeFileSync(path.join(root, 'model.onnx'), 'not a folder');
    mkdirSync(path.join(root, 'model', 'onnx', 'model.onnx'), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a model path that is a file is not a folder', async () => {
    const file = path.join(root, 'model.onnx');
    await assert.rejects(NodeModelFiles.open(file), (e: unknown) => e instanceof ModelError && e.message === `${file} is not a folder`);
  });

  it('a folder where a model file should be is refused, by name', async () => {
    const files = await NodeModelFiles.open(path.join(root, 'model'));
    await assert.rejects(files.readBytes('onnx/model.onnx', 1024), (e: unknown) => e instanceof ModelError && e.message === 'onnx/model.onnx is a folder where a file should be');
  });

  it('a config.json that declares no layers says which keys it looked for', () => {
    const { n_layer: _layers, ...config } = json('config.json');
    assert.throws(
      () => parseModelConfig(config, undefined),
      (e: unknown) => e instanceof ModelError && e.message === 'config.json does not declare the number of layers (num_hidden_layers / n_layer / encoder_layers / num_layers)',
    );
  });
});
