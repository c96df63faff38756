// onnxBuild: attributes written by nodeProto read back by nodeAttributes, and addToGraph appending
// to a real model (onnxruntime-web runs the result) without changing what was there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { addToGraph, DataType, float32Tensor, int64Tensor, modelOpsets, nodeAttributes, nodeDomain, nodeProto } from '../../../src/engine/onnxBuild';
import { fields, GRAPH_NODE, graphInput, graphNode, MODEL_GRAPH, summarizeOnnx } from '../../../src/engine/onnxProto';
import { ModelError } from '../../../src/engine/errors';
import { FIXTURES } from './helpers';
import { bytesField, message, varint, varintField } from './protobufWriter';

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

/** A protobuf int64 as varint bytes (negatives: ten bytes of two's complement), written independently of onnxBuild. */
function int64Varint(value: number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

const float32Bytes = (value: number): number[] => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return [...bytes];
};

describe('onnxBuild: attributes as exporters write them', () => {
  it('reads unpacked repeated ints and floats (proto2, as onnx in Python writes them) and negative single ints', () => {
    // AttributeProto: name = 1, f = 2 (32-bit), i = 3, floats = 7, ints = 8
    const ints = message(bytesField(1, 'perm'), ...[0, -2, 3].map((v) => [...varint(8 * 8), ...int64Varint(v)]));
    const floats = message(bytesField(1, 'scales'), ...[0.25, -1].map((v) => [...varint(7 * 8 + 5), ...float32Bytes(v)]));
    const single = message(bytesField(1, 'axis'), [...varint(3 * 8), ...int64Varint(-1)]);
    const node = message(bytesField(4, 'Transpose'), bytesField(5, ints), bytesField(5, floats), bytesField(5, single));
    const attributes = nodeAttributes(node);
    assert.deepEqual(attributes.get('perm')?.ints, [0, -2, 3]);
    assert.deepEqual(attributes.get('scales')?.floats, [0.25, -1]);
    assert.equal(attributes.get('axis')?.int, -1);
    assert.deepEqual([...attributes.keys()], ['perm', 'scales', 'axis']);
    assert.equal(attributes.get('axis')?.ints, undefined, 'no list where none was written');
    assert.equal(attributes.get('axis')?.floats, undefined);
  });

  it('packed ints: values past 2^53 and negatives each decode from their own bytes', () => {
    const packed = Uint8Array.from([...int64Varint(-5), ...int64Varint(300), ...int64Varint(-(2 ** 40))]);
    const node = message(bytesField(5, message(bytesField(1, 'pads'), bytesField(8, packed))));
    assert.deepEqual(nodeAttributes(node).get('pads')?.ints, [-5, 300, -(2 ** 40)]);
  });

  it('writes and reads back a tensor attribute, and writes a node name', () => {
    const tensor = float32Tensor('value', [1.5, 2.5]);
    const bytes = nodeProto({ op: 'Constant', name: 'my_constant', inputs: [], outputs: ['c'], attributes: { value: { tensor } } });
    const read = nodeAttributes(bytes).get('value')?.tensor;
    assert.ok(read);
    // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9
    const tensorFields = [...fields(read)];
    assert.deepEqual(tensorFields.filter((f) => f.number === 1).map((f) => f.value), [2]);
    assert.deepEqual(tensorFields.filter((f) => f.number === 2).map((f) => f.value), [DataType.FLOAT]);
    assert.deepEqual([...(tensorFields.find((f) => f.number === 9)?.bytes ?? [])], [...tensor.raw]);
    // NodeProto: output = 2, name = 3, op_type = 4
    assert.deepEqual([...fields(bytes)].map((f) => [f.number, new TextDecoder().decode(f.bytes)]).slice(0, 3), [[2, 'c'], [3, 'my_constant'], [4, 'Constant']]);
    assert.deepEqual([...fields(nodeProto({ op: 'Add', inputs: ['a'], outputs: [] }))].map((f) => f.number), [1, 4], 'no name, domain or attribute fields unless given');
  });

  it('tensor helpers: a scalar for one float, a vector otherwise; int64 in two\'s complement', () => {
    assert.deepEqual(float32Tensor('s', [3]).dims, []);
    assert.deepEqual(float32Tensor('v', [3, 4]).dims, [2]);
    assert.deepEqual(float32Tensor('m', [1, 2, 3, 4], [2, 2]).dims, [2, 2]);
    const ints = int64Tensor('i', [-1, 2]);
    assert.deepEqual(ints.dims, [2]);
    assert.deepEqual([...ints.raw], [255, 255, 255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(ints.dataType, DataType.INT64);
    assert.throws(() => nodeProto({ op: 'X', inputs: [], outputs: [], attributes: { n: { int: 2 ** 60 } } }), RangeError);
  });

  it('reads ai.onnx as the standard domain in opsets and nodes', () => {
    const opset = (domain: string, version: number) => bytesField(8, message(bytesField(1, domain), varintField(2, version)));
    const model = message(opset('ai.onnx', 17), opset('com.microsoft', 1));
    assert.deepEqual([...modelOpsets(model)], [['', 17], ['com.microsoft', 1]]);
    assert.equal(nodeDomain(message(bytesField(4, 'Add'), bytesField(7, 'ai.onnx'))), '');
  });
});

describe('onnxBuild: addToGraph on small graphs', () => {
  const graphOf = (model: Uint8Array) => [...fields(model)].find((f) => f.number === MODEL_GRAPH)?.bytes as Uint8Array;

  it('appends to a graph with no nodes and no outputs, and adds only the opsets the model lacks', () => {
    const opset = bytesField(8, message(bytesField(1, ''), varintField(2, 13)));
    const model = message(bytesField(7, message(bytesField(2, 'empty'))), opset);
    const edited = addToGraph(model, {
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
      outputs: [{ name: 'y' }],
      opsets: { '': 21, 'com.microsoft': 1 },
    });
    const graph = [...fields(graphOf(edited))];
    assert.deepEqual(graph.filter((f) => f.number === GRAPH_NODE).map((f) => graphNode(f).opType), ['Identity']);
    assert.deepEqual(graph.filter((f) => f.number === 12).length, 1);
    assert.deepEqual([...modelOpsets(edited)], [['', 13], ['com.microsoft', 1]], 'the model keeps its own standard opset');
  });

  it('puts new initializers first and new nodes right after the last existing node', () => {
    const node = (op: string) => bytesField(1, message(bytesField(4, op)));
    const model = message(bytesField(7, message(node('A'), bytesField(2, 'g'), node('B'), bytesField(12, message(bytesField(1, 'out'))))));
    const edited = addToGraph(model, { nodes: [{ op: 'C', inputs: [], outputs: [] }], initializers: [int64Tensor('k', [1])], outputs: [{ name: 'extra', elemType: DataType.INT64 }] });
    const order = [...fields(graphOf(edited))].map((f) => (f.number === GRAPH_NODE ? graphNode(f).opType : String(f.number)));
    assert.deepEqual(order, ['5', 'A', '2', 'B', 'C', '12', '12']);
  });

  it('refuses a model without a graph', () => {
    assert.throws(() => addToGraph(message(varintField(1, 8)), {}), (e: unknown) => e instanceof ModelError && /no graph/.test(e.message));
  });
});

describe('onnxBuild: edge cases of the writers and readers', () => {
  const graphOf = (model: Uint8Array) => [...fields(model)].find((f) => f.number === MODEL_GRAPH)?.bytes as Uint8Array;
  const layout = (model: Uint8Array) => [...fields(graphOf(model))].map((f) => (f.number === GRAPH_NODE ? graphNode(f).opType : String(f.number)));

  it('refuses an int past 2^53 naming it', () => {
    assert.throws(() => nodeProto({ op: 'X', inputs: [], outputs: [], attributes: { n: { int: 2 ** 60 } } }), (e: unknown) => e instanceof RangeError && e.message === `${2 ** 60} is not a safe integer`);
  });

  it('a new output declares its element type; outputs go right after the last output, before later fields', () => {
    const model = message(bytesField(7, message(bytesField(1, message(bytesField(4, 'A'))), bytesField(12, message(bytesField(1, 'out'))), bytesField(13, message(bytesField(1, 'hidden'))))));
    const edited = addToGraph(model, { outputs: [{ name: 'extra', elemType: DataType.INT64 }, { name: 'untyped' }] });
    assert.deepEqual(layout(edited), ['A', '12', '12', '12', '13']);
    const outputs = [...fields(graphOf(edited))].filter((f) => f.number === 12).map((f) => graphInput(f.bytes as Uint8Array));
    assert.deepEqual(outputs, [{ name: 'out', type: 'unknown', shape: [] }, { name: 'extra', type: 'int64', shape: [] }, { name: 'untyped', type: 'unknown', shape: [] }]);
  });

  it('appends once after a node or an output that is the graph\'s first field', () => {
    const nodeFirst = message(bytesField(7, message(bytesField(1, message(bytesField(4, 'A'))), bytesField(2, 'g'))));
    assert.deepEqual(layout(addToGraph(nodeFirst, { nodes: [{ op: 'B', inputs: [], outputs: [] }] })), ['A', 'B', '2']);
    const outputFirst = message(bytesField(7, message(bytesField(12, message(bytesField(1, 'out'))), bytesField(2, 'g'))));
    assert.deepEqual(layout(addToGraph(outputFirst, { outputs: [{ name: 'extra' }] })), ['12', '12', '2']);
  });

  it('modelOpsets: an opset without a domain field is the standard one, and fields other than a varint version are ignored', () => {
    const opset = (...parts: number[][]) => bytesField(8, message(...parts));
    const model = message(opset(varintField(2, 13)), opset(bytesField(1, 'com.microsoft'), varintField(2, 1), varintField(3, 9), bytesField(2, Uint8Array.from([5]))));
    assert.deepEqual([...modelOpsets(model)], [['', 13], ['com.microsoft', 1]]);
  });

  it('nodeAttributes: an unnamed attribute is listed under \'\', a key written in two bytes still reads, fields of the wrong wire type or not of a list are no values', () => {
    // AttributeProto i = 3 as a non-minimal two-byte key (0x98 0x00), a valid varint.
    const longKey = message(bytesField(1, 'axis'), [0x98, 0x00, ...int64Varint(-2)]);
    // i = 3 written as 32-bit, f = 2 written as a varint: no int, no float.
    const wrongWire = message(bytesField(1, 'odd'), [3 * 8 + 5, 1, 2, 3, 4], varintField(2, 7));
    // An If branch (g = 6) and a doc_string (13): no floats read from their bytes.
    const graph = message(bytesField(1, 'then_branch'), bytesField(6, message(bytesField(2, 'branch'))), bytesField(13, 'docs'), varintField(20, 5));
    const node = message(bytesField(4, 'If'), bytesField(5, message(varintField(3, 4))), bytesField(5, longKey), bytesField(5, wrongWire), bytesField(5, graph));
    const attributes = nodeAttributes(node);
    assert.deepEqual([...attributes], [['', { int: 4 }], ['axis', { int: -2 }], ['odd', {}], ['then_branch', {}]]);
  });
});
