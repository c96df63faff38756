import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import { checkExternalData, checkExternalExtents, sharedParameters, summarizeOnnx } from '../../../src/engine/onnxProto';
import { bytesField, message, varintField } from './protobufWriter';


function node(opType: string, output: string, domain = '', subgraph?: Uint8Array): Uint8Array {
  const attribute = subgraph ? [bytesField(5, message(bytesField(1, 'then_branch'), bytesField(6, subgraph)))] : [];
  return message(bytesField(1, 'x'), bytesField(2, output), bytesField(4, opType), bytesField(7, domain), ...attribute);
}
function externalTensor(location: string): Uint8Array {
  return message(bytesField(8, 'w'), varintField(14, 1), bytesField(13, message(bytesField(1, 'location'), bytesField(2, location))), bytesField(13, message(bytesField(1, 'offset'), bytesField(2, '0'))));
}
function model(...graphParts: number[][]): Uint8Array {
  return message(varintField(1, 8), bytesField(7, message(...graphParts)));
}

describe('summarizeOnnx', () => {
  it('lists Softmax outputs (also inside subgraphs), op counts and fused attention', () => {
    const inner = message(bytesField(1, node('Softmax', 'inner_probs')));
    const bytes = model(
      bytesField(1, node('MatMul', 'scores')),
      bytesField(1, node('Softmax', 'probs')),
      bytesField(1, node('If', 'branch', '', inner)),
      bytesField(1, node('GroupQueryAttention', 'gqa', 'com.microsoft')),
    );
    const summary = summarizeOnnx(bytes);
    assert.deepEqual(summary.softmaxOutputs, ['probs', 'inner_probs']);
    assert.equal(summary.opTypes.get('MatMul'), 1);
    assert.deepEqual(summary.fusedAttentionOps, ['GroupQueryAttention']);
  });

  it('collects external data locations and refuses unsafe ones', () => {
    const ok = summarizeOnnx(model(bytesField(5, externalTensor('model.onnx_data'))));
    assert.deepEqual(checkExternalData(ok, 'onnx/model.onnx'), ['model.onnx_data']);
    for (const location of ['../secret', '/etc/passwd', 'C:\\x', '_ORT_MEM_ADDR_', 'a/../../b']) {
      const summary = summarizeOnnx(model(bytesField(5, externalTensor(location))));
      assert.throws(() => checkExternalData(summary, 'onnx/model.onnx'), /refused/, location);
    }
  });

  it('reports truncated input instead of reading past the end', () => {
    const bytes = model(bytesField(1, node('Softmax', 'p')));
    assert.throws(() => summarizeOnnx(bytes.subarray(0, bytes.length - 3)), /truncated/);
  });
});

function tensor(name: string, dataType: number, dims: number[], extras: number[][] = []): number[] {
  return bytesField(5, message(...dims.map((d) => varintField(1, d)), varintField(2, dataType), bytesField(8, name), ...extras));
}
function intAttribute(name: string, value: number): number[] {
  return bytesField(5, message(bytesField(1, name), varintField(3, value), varintField(20, 2)));
}
function opNode(opType: string, inputs: string[], output: string, ...attributes: number[][]): number[] {
  return bytesField(1, message(...inputs.map((i) => bytesField(1, i)), bytesField(2, output), bytesField(4, opType), ...attributes));
}
function located(location: string, offset: number, length: number): number[][] {
  const entry = (key: string, value: string) => bytesField(13, message(bytesField(1, key), bytesField(2, value)));
  return [entry('location', location), entry('offset', String(offset)), entry('length', String(length)), varintField(14, 1)];
}

describe('summarizeOnnx: parameters, extents, inputs', () => {
  it('counts float weights, MatMulNBits as K × N, and not scales, zero points or scalars', () => {
    const bytes = model(
      tensor('w', 1, [4, 8]), // 32 float32
      tensor('norm', 10, [8]), // 8 float16
      tensor('eps', 1, [1]), // a scalar constant: not a parameter
      tensor('shape', 7, [3]), // int64: not a parameter
      tensor('packed', 2, [16, 2, 16]), // MatMulNBits B (packed uint8): counted as K × N instead
      tensor('scales', 1, [32]), // MatMulNBits scales: not parameters
      opNode('MatMulNBits', ['x', 'packed', 'scales'], 'y', intAttribute('K', 64), intAttribute('N', 16)),
      bytesField(11, message(bytesField(1, 'input_ids'))),
      bytesField(12, message(bytesField(1, 'logits'))),
    );
    const summary = summarizeOnnx(bytes);
    assert.equal(summary.parameters, 32 + 8 + 64 * 16);
    assert.deepEqual(summary.inputNames, ['input_ids']);
    assert.deepEqual(summary.outputNames, ['logits']);
  });

  it('counts a weight written twice once, and finds weights two graphs share', () => {
    const raw = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 251);
    const other = Uint8Array.from({ length: 512 }, (_, i) => (i * 11) % 251);
    const weight = (name: string, data: Uint8Array) => tensor(name, 1, [8, 16], [bytesField(9, data)]);
    const encoder = summarizeOnnx(model(weight('embed', raw), weight('embed_copy', raw), weight('other', other)));
    assert.equal(encoder.parameters, 2 * 128);
    const decoder = summarizeOnnx(model(weight('lm_head', raw)));
    assert.equal(sharedParameters(encoder, decoder), 128);
    // A vocabulary of 16 makes [8, 16] a word embedding, one module; of 99, two equal tables.
    assert.equal(sharedParameters(encoder, decoder, 16), 128);
    assert.equal(sharedParameters(encoder, decoder, 99), 0);
  });

  it('refuses external data shorter than the tensors the graph reads from it', () => {
    const summary = summarizeOnnx(model(tensor('a', 1, [4], located('model.onnx_data', 0, 16)), tensor('b', 1, [4], located('model.onnx_data', 16, 16))));
    assert.deepEqual(summary.externalDataLocations, ['model.onnx_data']);
    checkExternalExtents(summary, 'model.onnx_data', 32);
    assert.throws(
      () => checkExternalExtents(summary, 'model.onnx_data', 31),
      (e: unknown) => e instanceof ModelError && /model.onnx_data is truncated or incomplete: it has 31 bytes, but the graph reads up to byte 32/.test(e.message),
    );
    checkExternalExtents(summary, 'other.bin', 0); // extents of other files do not apply
  });
});
