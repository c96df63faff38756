import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExternalData, summarizeOnnx } from '../../../src/engine/onnxProto';
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
