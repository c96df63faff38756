// onnxBuild: attributes written by nodeProto read back by nodeAttributes, and addToGraph appending
// to a real model (onnxruntime-web runs the result) without changing what was there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { addToGraph, DataType, float32Tensor, int64Tensor, modelOpsets, nodeAttributes, nodeDomain, nodeProto } from '../../../src/engine/onnxBuild';
import { fields, GRAPH_NODE, graphNode, MODEL_GRAPH, summarizeOnnx } from '../../../src/engine/onnxProto';
import { FIXTURES } from './helpers';

function mainGraphNodes(model: Uint8Array): ReturnType<typeof graphNode>[] {
  const graph = [...fields(model)].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
  return [...fields(graph)].filter((f) => f.number === GRAPH_NODE).map(graphNode);
}

describe('onnxBuild', () => {
  it('writes attributes that nodeAttributes reads back exactly (negative ints included)', () => {
    const bytes = nodeProto({
      op: 'Custom',
      domain: 'com.microsoft',
      inputs: ['a', ''],
      outputs: ['b'],
      attributes: { i: { int: -3 }, big: { int: 2 ** 40 }, f: { float: 0.5 }, is: { ints: [0, -1, 7] }, fs: { floats: [1.5, -2] }, s: { string: 'NONE' } },
    });
    const attributes = nodeAttributes(bytes);
    assert.equal(attributes.get('i')?.int, -3);
    assert.equal(attributes.get('big')?.int, 2 ** 40);
    assert.equal(attributes.get('f')?.float, 0.5);
    assert.deepEqual(attributes.get('is')?.ints, [0, -1, 7]);
    assert.deepEqual(attributes.get('fs')?.floats, [1.5, -2]);
    assert.equal(attributes.get('s')?.string, 'NONE');
    assert.equal(nodeDomain(bytes), 'com.microsoft');
    assert.equal(nodeDomain(nodeProto({ op: 'Add', inputs: [], outputs: [] })), '');
  });

  it('appends nodes, initializers, outputs and missing opsets; the model keeps its own', async () => {
    const model = new Uint8Array(readFileSync(path.join(FIXTURES, 'hub-smollm2', 'onnx', 'model.onnx')));
    const before = summarizeOnnx(model);
    const edited = addToGraph(model, {
      nodes: [
        { op: 'Mul', inputs: ['logits', 'tealeaf_test/two'], outputs: ['tealeaf_test/doubled'] },
        { op: 'Reshape', inputs: ['tealeaf_test/doubled', 'tealeaf_test/shape'], outputs: ['tealeaf_test/flat'] },
      ],
      initializers: [float32Tensor('tealeaf_test/two', [2]), int64Tensor('tealeaf_test/shape', [-1])],
      outputs: [{ name: 'tealeaf_test/flat', elemType: DataType.FLOAT }],
      opsets: { '': 1, 'tealeaf.test': 1 },
    });
    const after = summarizeOnnx(edited);
    assert.deepEqual(after.outputNames, [...before.outputNames, 'tealeaf_test/flat']);
    assert.deepEqual(after.inputNames, before.inputNames);
    assert.deepEqual(mainGraphNodes(edited).slice(-2).map((n) => n.opType), ['Mul', 'Reshape']);
    assert.equal(modelOpsets(edited).get(''), modelOpsets(model).get(''));
    assert.equal(modelOpsets(edited).get('tealeaf.test'), 1);

    const session = await ort.InferenceSession.create(edited);
    const ids = [5, 6, 7];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 3]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(3).fill(1n), [1, 3]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n]), [1, 3]),
    };
    for (const input of session.inputNames) {
      if (input.startsWith('past_key_values')) feeds[input] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
    }
    const out = await session.run(feeds);
    await session.release();
    const logits = (out.logits as ort.Tensor).data as Float32Array;
    const flat = (out['tealeaf_test/flat'] as ort.Tensor).data as Float32Array;
    assert.deepEqual(flat, logits.map((v) => v * 2));
  });
});
