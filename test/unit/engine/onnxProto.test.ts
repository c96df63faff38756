import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import {
  checkExternalData,
  checkExternalExtents,
  type Field,
  fields,
  GRAPH_NODE,
  graphInput,
  graphNode,
  nameOf,
  packedVarints,
  sharedParameters,
  summarizeOnnx,
  tensorFields,
  text,
  tiedParameters,
} from '../../../src/engine/onnxProto';
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

describe('fields: the protobuf wire format', () => {
  it('reads every wire type, with each field\'s extent and payload', () => {
    const bytes = Uint8Array.from([
      ...varintField(1, 300), // varint
      ...[2 * 8 + 1, 1, 2, 3, 4, 5, 6, 7, 8], // 64-bit
      ...[3 * 8 + 5, 9, 9, 9, 9], // 32-bit
      ...bytesField(4, 'hi'), // length-delimited
    ]);
    const read = [...fields(bytes)];
    assert.deepEqual(
      read.map((f) => [f.number, f.wire, f.value, f.bytes && [...f.bytes], f.start, f.end]),
      [
        [1, 0, 300, undefined, 0, 3],
        [2, 1, undefined, undefined, 3, 12],
        [3, 5, undefined, undefined, 12, 17],
        [4, 2, undefined, [104, 105], 17, 21],
      ],
    );
    assert.equal(text(read[3] as Field), 'hi');
    assert.equal(text(read[0] as Field), '', 'a field without bytes reads as no text');
  });

  it('reads a varint of ten bytes and refuses an eleventh', () => {
    const tenBytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert.equal([...fields(Uint8Array.from([8, ...tenBytes]))].length, 1);
    assert.throws(() => [...fields(Uint8Array.from([8, ...tenBytes.slice(0, 9), 0x81, 0x01]))], (e: unknown) => e instanceof ModelError && e.message === 'malformed varint in ONNX protobuf');
  });

  it('refuses damage: field number 0, unknown wire types, and every truncation', () => {
    const refuses = (bytes: number[], message: string) => assert.throws(() => [...fields(Uint8Array.from(bytes))], (e: unknown) => e instanceof ModelError && e.message === message, JSON.stringify(bytes));
    refuses([0, 1], 'invalid field number 0 in ONNX protobuf');
    for (const wire of [3, 4, 6, 7]) refuses([8 + wire, 0], `unsupported protobuf wire type ${wire} in ONNX file`);
    refuses([8 + 1, 1, 2, 3, 4, 5, 6, 7], 'truncated ONNX protobuf');
    refuses([8 + 5, 1, 2, 3], 'truncated ONNX protobuf');
    refuses([8 + 2, 3, 1, 2], 'truncated ONNX protobuf');
    refuses([8, 0x80], 'truncated ONNX protobuf');
    assert.equal([...fields(Uint8Array.from([8 + 1, 1, 2, 3, 4, 5, 6, 7, 8]))].length, 1, 'a 64-bit field that ends the buffer');
    assert.equal([...fields(Uint8Array.from([8 + 5, 1, 2, 3, 4]))].length, 1);
    assert.equal([...fields(Uint8Array.from([8 + 2, 2, 1, 2]))].length, 1);
  });

  it('packed and unpacked repeated varints', () => {
    assert.deepEqual(packedVarints([...fields(Uint8Array.from(bytesField(1, Uint8Array.from([1, 0xac, 0x02, 5]))))][0] as Field), [1, 300, 5]);
    assert.deepEqual(packedVarints([...fields(Uint8Array.from(varintField(1, 7)))][0] as Field), [7]);
    assert.equal(nameOf(message(varintField(1, 3)), 8), '', 'no name field');
  });
});

describe('graphNode and graphInput', () => {
  it('a node reads its named inputs and every name its subgraphs read', () => {
    const branch = message(bytesField(1, message(bytesField(1, 'outer_value'), bytesField(1, ''), bytesField(4, 'Identity'))));
    const graphs = bytesField(5, message(bytesField(1, 'body'), bytesField(11, branch)));
    const bytes = message(bytesField(1, 'cond'), bytesField(1, ''), bytesField(2, 'out'), bytesField(4, 'Loop'), graphs);
    const node = graphNode({ number: GRAPH_NODE, wire: 2, bytes, start: 0, end: bytes.length });
    assert.deepEqual([node.opType, node.inputs, node.outputs], ['Loop', ['cond', 'outer_value'], ['out']]);
  });

  const valueInfo = (name: string, elem: number | undefined, dims: ({ value: number } | { param: string } | Record<string, never>)[] | undefined) => {
    const tensorType: number[][] = elem === undefined ? [] : [varintField(1, elem)];
    if (dims) {
      const shape = message(...dims.map((d) => bytesField(1, message(...('value' in d ? [varintField(1, d.value)] : 'param' in d ? [bytesField(2, d.param)] : [])))));
      tensorType.push(bytesField(2, shape));
    }
    return message(bytesField(1, name), bytesField(2, message(bytesField(1, message(...tensorType)))));
  };

  it('reads element types by onnxruntime\'s names, and fixed, symbolic and unnamed dims', () => {
    const types: [number, string][] = [[1, 'float32'], [2, 'uint8'], [3, 'int8'], [4, 'uint16'], [5, 'int16'], [6, 'int32'], [7, 'int64'], [9, 'bool'], [10, 'float16'], [11, 'float64'], [12, 'uint32'], [13, 'uint64'], [16, 'bfloat16'], [8, 'unknown'], [99, 'unknown']];
    for (const [elem, name] of types) assert.equal(graphInput(valueInfo('x', elem, [])).type, name, String(elem));
    assert.deepEqual(graphInput(valueInfo('past', 10, [{ value: 1 }, { param: 'batch' }, {}, { value: 0 }])), { name: 'past', type: 'float16', shape: [1, 'batch', '', 0] });
    assert.deepEqual(graphInput(valueInfo('y', undefined, undefined)), { name: 'y', type: 'unknown', shape: [] });
    assert.deepEqual(graphInput(message(bytesField(1, 'bare'))), { name: 'bare', type: 'unknown', shape: [] });
  });

  it('summarizes the main graph\'s inputs and outputs, not those of subgraphs', () => {
    const inner = message(bytesField(11, valueInfo('inner_in', 1, [])), bytesField(12, message(bytesField(1, 'inner_out'))));
    const bytes = model(bytesField(11, valueInfo('ids', 7, [{ param: 'batch' }])), bytesField(1, node('If', 'branch', '', inner)), bytesField(12, message(bytesField(1, 'logits'))));
    const summary = summarizeOnnx(bytes);
    assert.deepEqual(summary.inputNames, ['ids']);
    assert.deepEqual(summary.inputs, [{ name: 'ids', type: 'int64', shape: ['batch'] }]);
    assert.deepEqual(summary.outputNames, ['logits']);
  });
});

describe('summarizeOnnx: what counts as a parameter', () => {
  const raw = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * seed + 3) % 251);

  it('counts int8 and uint8 weights, not quantization metadata, folded constants or the packed inputs of quantized ops', () => {
    const bytes = model(
      tensor('w_int8', 3, [4, 4]), // counted: an 8-bit weight
      tensor('w_uint8', 2, [2, 8]), // counted
      tensor('w_scale', 1, [4]), // per-channel metadata, by name
      tensor('w_zero_point', 3, [4]),
      tensor('proj_scales', 1, [4]),
      tensor('rotary', 1, [1, 8, 1]), // unit axes: a folded constant
      tensor('int_weight', 3, [4, 4]), // MatMulInteger's B would be counted; its zero point input is not
      tensor('zp', 3, [4]),
      opNode('MatMulInteger', ['a', 'int_weight', 'a_zp', 'zp'], 'y'),
      tensor('bnb', 2, [64]),
      tensor('absmax', 1, [4]),
      opNode('MatMulBnb4', ['x', 'bnb', 'absmax'], 'z', intAttribute('K', 8), intAttribute('N', 4)),
      tensor('dq_scale_input', 1, [4]),
      tensor('dq_zero', 3, [4]),
      opNode('DequantizeLinear', ['q', 'dq_scale_input', 'dq_zero'], 'd'),
      tensor('qs', 1, [4]),
      tensor('qz', 2, [4]),
      opNode('QuantizeLinear', ['f', 'qs', 'qz'], 'q2'),
      tensor('g_data', 2, [16, 4]),
      tensor('g_scales', 1, [16]),
      tensor('g_zero', 2, [16]),
      opNode('GatherBlockQuantized', ['g_data', 'ids', 'g_scales', 'g_zero'], 'g'),
      tensor('dqm_scale', 1, [4]),
      tensor('dqm_zero', 3, [4]),
      opNode('DynamicQuantizeMatMul', ['a', 'w_int8', 'dqm_scale', 'dqm_zero'], 'm'),
      tensor('strings', 8, [4]), // strings are not weights
      tensor('doubles', 11, [3]),
      tensor('bf16', 16, [5]),
    );
    const summary = summarizeOnnx(bytes);
    // 16 + 16 + 16 (int_weight) + 64 (g_data) + 8 × 4 (MatMulBnb4) + 3 + 5
    assert.equal(summary.parameters, 16 + 16 + 16 + 64 + 32 + 3 + 5);
    assert.deepEqual([...summary.weightSizes].sort((a, b) => a - b), [3, 5, 16, 16, 16, 32, 64].sort((a, b) => a - b));
  });

  it('fingerprints inline weights of 256 bytes and more by type, shape and their first and last 64 bytes', () => {
    const weight = (name: string, dims: number[], data: Uint8Array, type = 1) => tensor(name, type, dims, [bytesField(9, data)]);
    const a = raw(256, 7);
    const middleChanged = a.slice();
    middleChanged[128] = (middleChanged[128] as number) ^ 1;
    const lastChanged = a.slice();
    lastChanged[255] = (lastChanged[255] as number) ^ 1;
    const summary = summarizeOnnx(model(weight('a', [8, 8], a), weight('same_ends', [8, 8], middleChanged), weight('other_end', [8, 8], lastChanged), weight('other_shape', [4, 16], a), weight('other_type', [8, 8], a, 16)));
    assert.equal(summary.weightFingerprints.size, 4, 'equal ends, type and shape are one weight');
    assert.equal(summary.parameters, 4 * 64);
    const small = summarizeOnnx(model(weight('s1', [4, 16], raw(255, 3).subarray(0, 255)), weight('s2', [4, 16], raw(255, 3).subarray(0, 255))));
    assert.equal(small.weightFingerprints.size, 0, 'under 256 bytes: no fingerprint');
    assert.equal(small.parameters, 128, 'and each copy counts');
  });

  it('reads sparse initializers\' values and indices, and counts fused attention only in its own domains', () => {
    const sparse = bytesField(15, message(bytesField(1, message(varintField(1, 6), varintField(2, 1), bytesField(8, 'sv'))), bytesField(2, message(varintField(1, 6), varintField(2, 7), bytesField(8, 'si')))));
    const bytes = model(sparse, bytesField(1, node('Attention', 'a', 'com.microsoft')), bytesField(1, node('MultiHeadAttention', 'b', 'my.domain')), bytesField(1, node('PackedAttention', 'c', '')), bytesField(1, node('SparseAttention', 'd', 'com.microsoft')));
    const summary = summarizeOnnx(bytes);
    assert.equal(summary.parameters, 6, 'the float values; int64 indices are not weights');
    assert.deepEqual(summary.fusedAttentionOps, ['Attention', 'PackedAttention', 'SparseAttention']);
  });

  it('tiedParameters takes one copy of the vocabulary matrix off when the embeddings are tied and it is stored twice', () => {
    const summary = summarizeOnnx(model(tensor('embed', 1, [10, 4]), tensor('head', 1, [4, 10]), tensor('other', 1, [3, 3])));
    assert.equal(summary.parameters, 89);
    assert.equal(tiedParameters(summary, true, 40), 49);
    assert.equal(tiedParameters(summary, false, 40), 89);
    assert.equal(tiedParameters(summary, true, 9), 89, 'one copy of a matrix is not a tied pair');
  });
});

describe('external data: extents and locations', () => {
  it('reads a location without offset or length as offset 0 to the end of the file', () => {
    const entry = (key: string, value: string) => bytesField(13, message(bytesField(1, key), bytesField(2, value)));
    const fieldsOf = tensorFields(message(bytesField(8, 'w'), varintField(2, 1), bytesField(1, Uint8Array.from([2, 3])), entry('location', 'data.bin')));
    assert.equal(fieldsOf.external?.location, 'data.bin');
    assert.equal(fieldsOf.external?.offset, 0);
    assert.ok(Number.isNaN(fieldsOf.external?.length));
    assert.deepEqual(fieldsOf.dims, [2, 3], 'packed dims');
    const summary = summarizeOnnx(model(bytesField(5, message(bytesField(8, 'w'), entry('location', 'data.bin'), entry('offset', '8')))));
    checkExternalExtents(summary, 'data.bin', 8);
    assert.throws(() => checkExternalExtents(summary, 'data.bin', 7), /reads up to byte 8/);
  });

  it('refuses malformed offsets and lengths', () => {
    for (const [offset, length] of [[-1, 4], [0.5, 4], [0, -4], [0, 1.5], [2 ** 60, 4]] as const) {
      const summary = summarizeOnnx(model(tensor('w', 1, [4], located('d.bin', offset, length))));
      assert.throws(() => checkExternalExtents(summary, 'd.bin', 2 ** 40), (e: unknown) => e instanceof ModelError && e.message === 'd.bin: the graph gives a malformed offset or length for tensor data', `${offset} ${length}`);
    }
  });

  it('refuses backslash, drive-letter and Windows-style parent paths, and lists each location once', () => {
    for (const location of ['\\\\server\\share', 'D:data', 'a\\..\\b']) {
      assert.throws(() => checkExternalData(summarizeOnnx(model(bytesField(5, externalTensor(location)))), 'onnx/model.onnx'), /refused/, location);
    }
    assert.throws(() => checkExternalData(summarizeOnnx(model(bytesField(5, externalTensor('/abs')))), 'onnx/model.onnx'), /absolute external-data path \(\/abs\)/);
    assert.throws(() => checkExternalData(summarizeOnnx(model(bytesField(5, externalTensor('x/../y')))), 'f.onnx'), /f.onnx uses an external-data path outside the model folder/);
    assert.throws(() => checkExternalData(summarizeOnnx(model(bytesField(5, externalTensor('a_ORT_MEM_ADDR_b')))), 'f.onnx'), /f.onnx points external data at process memory/);
    const twice = summarizeOnnx(model(bytesField(5, externalTensor('d.bin')), bytesField(5, externalTensor('d.bin')), bytesField(5, externalTensor('sub/e.bin'))));
    assert.deepEqual(checkExternalData(twice, 'f.onnx'), ['d.bin', 'sub/e.bin']);
    assert.deepEqual(checkExternalData(summarizeOnnx(model(bytesField(5, externalTensor('..data')))), 'f.onnx'), ['..data'], 'two dots inside a name are not a parent folder');
  });
});

describe('the readers skip what they do not count', () => {
  it('a node counts what its subgraph\'s nodes read, not the subgraph\'s own name, inputs or initializers', () => {
    const body = message(
      bytesField(2, 'body'),
      bytesField(11, message(bytesField(1, 'iteration'))),
      bytesField(5, message(varintField(1, 4), varintField(2, 1), bytesField(8, 'local_weight'))),
      bytesField(1, message(bytesField(1, 'outer_value'), bytesField(2, 'y'), bytesField(4, 'Identity'))),
    );
    const bytes = message(bytesField(1, 'cond'), bytesField(2, 'out'), bytesField(4, 'Loop'), bytesField(5, message(bytesField(1, 'body'), bytesField(6, body))));
    const node = graphNode({ number: GRAPH_NODE, wire: 2, bytes, start: 0, end: bytes.length });
    assert.deepEqual(node.inputs, ['cond', 'outer_value']);
  });

  it('a node without an op type has the op type \'\'', () => {
    const bytes = message(bytesField(1, 'x'), bytesField(2, 'y'));
    assert.equal(graphNode({ number: GRAPH_NODE, wire: 2, bytes, start: 0, end: bytes.length }).opType, '');
  });

  it('graphInput: no name is \'\', a map type is unknown without shape, a dim with only a denotation is unnamed, and fields ONNX does not define are skipped', () => {
    const tensorType = (...parts: number[][]) => bytesField(2, message(bytesField(1, message(...parts))));
    const dim = (...parts: number[][]) => bytesField(1, message(...parts));
    assert.deepEqual(graphInput(message(tensorType(varintField(1, 1), bytesField(2, message(dim(varintField(1, 4))))))), { name: '', type: 'float32', shape: [4] });
    // map<int64, tensor(float)>: key_type 7, value_type a tensor type
    const mapType = bytesField(5, message(varintField(1, 7), bytesField(2, message(bytesField(1, message(varintField(1, 1), bytesField(2, message(dim(varintField(1, 3))))))))));
    assert.deepEqual(graphInput(message(bytesField(1, 'scores'), bytesField(2, message(mapType)))), { name: 'scores', type: 'unknown', shape: [] });
    assert.deepEqual(graphInput(message(bytesField(1, 'x'), tensorType(varintField(1, 1), bytesField(2, message(dim(bytesField(3, 'DATA_BATCH'))))))), { name: 'x', type: 'float32', shape: [''] });
    // An unknown field 3 of the tensor type and 2 of the shape, each shaped like a shape and a dim.
    const unknownInType = bytesField(3, message(dim(varintField(1, 5))));
    const unknownInShape = bytesField(2, message(varintField(1, 9)));
    assert.deepEqual(graphInput(message(bytesField(1, 'x'), tensorType(varintField(1, 1), unknownInType, bytesField(2, message(dim(varintField(1, 2)), unknownInShape))))), { name: 'x', type: 'float32', shape: [2] });
  });

  it('summarizeOnnx counts a node without an op type under \'\', and a fused attention op without a domain as the default domain\'s', () => {
    const summary = summarizeOnnx(model(bytesField(1, message(bytesField(2, 'o'))), bytesField(1, message(bytesField(2, 'a'), bytesField(4, 'Attention')))));
    assert.deepEqual([...summary.opTypes], [['', 1], ['Attention', 1]]);
    assert.deepEqual(summary.fusedAttentionOps, ['Attention']);
  });

  it('summarizeOnnx reads the subgraphs of a graphs attribute, and no other attribute as a graph', () => {
    const inner = message(bytesField(1, node('Softmax', 'inner_probs')));
    const pad = message(bytesField(1, 'x'), bytesField(2, 'padded'), bytesField(4, 'Pad'), bytesField(5, message(bytesField(1, 'mode'), bytesField(4, 'constant'), varintField(20, 3))));
    const custom = message(bytesField(2, 'c'), bytesField(4, 'Custom'), bytesField(5, message(bytesField(1, 'branches'), bytesField(11, inner), varintField(20, 10))));
    const summary = summarizeOnnx(model(bytesField(1, pad), bytesField(1, custom)));
    assert.deepEqual(summary.softmaxOutputs, ['inner_probs']);
    assert.deepEqual([...summary.opTypes], [['Pad', 1], ['Softmax', 1], ['Custom', 1]]);
  });

  it('a sparse initializer: its packed dims are no tensor, and its indices\' external data is listed', () => {
    const values = message(varintField(1, 3), varintField(2, 1), bytesField(8, 'sv'));
    const indices = message(varintField(1, 3), varintField(2, 7), bytesField(8, 'si'), ...located('sparse.bin', 0, 24));
    const sparse = bytesField(15, message(bytesField(1, values), bytesField(2, indices), bytesField(3, Uint8Array.from([2, 3]))));
    const summary = summarizeOnnx(model(sparse));
    assert.equal(summary.parameters, 3);
    assert.deepEqual(summary.externalDataLocations, ['sparse.bin']);
  });

  it('counts a weight of two elements, a name with _scale inside it, and an unnamed weight though a quantized op leaves an optional input empty', () => {
    const bytes = model(
      tensor('pair', 1, [2]),
      tensor('layer_scale.weight', 1, [8]),
      bytesField(5, message(varintField(1, 4), varintField(2, 1))), // no name
      tensor('q_scale', 1, [4]),
      opNode('DequantizeLinear', ['q', 'q_scale', ''], 'd'),
    );
    const summary = summarizeOnnx(bytes);
    assert.deepEqual(summary.weightSizes, [2, 8, 4]);
    assert.equal(summary.parameters, 14);
  });

  it('a weight\'s fingerprint is type:dims:first 64 bytes:last 64 bytes in two-digit hex', () => {
    const data = Uint8Array.from({ length: 256 }, (_, i) => i);
    const summary = summarizeOnnx(model(tensor('w', 1, [8, 8], [bytesField(9, data)])));
    const hexOf = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => (from + i).toString(16).padStart(2, '0')).join('');
    assert.deepEqual([...summary.weightFingerprints], [[`1:8x8:${hexOf(0, 64)}:${hexOf(192, 256)}`, 64]]);
  });

  it('sharedParameters counts only the weights both summaries hold', () => {
    const weight = (name: string, dims: number[], seed: number) => tensor(name, 1, dims, [bytesField(9, Uint8Array.from({ length: dims[0]! * dims[1]! * 4 }, (_, i) => (i * seed + 1) % 251))]);
    const encoder = summarizeOnnx(model(weight('embed', [8, 16], 7), weight('encoder_only', [8, 32], 11)));
    const decoder = summarizeOnnx(model(weight('lm_head', [8, 16], 7), weight('decoder_only', [4, 16], 13)));
    assert.equal(sharedParameters(encoder, decoder), 128);
    assert.equal(sharedParameters(decoder, encoder), 128);
  });

  it('tensorFields: no name is \'\', a location entry without a value is \'\', and an entry\'s value may come before its key', () => {
    assert.equal(tensorFields(message(varintField(1, 4), varintField(2, 1))).name, '');
    const valueless = tensorFields(message(bytesField(8, 'w'), bytesField(13, message(bytesField(1, 'location')))));
    assert.equal(valueless.external?.location, '');
    const reversed = tensorFields(message(bytesField(8, 'w'), bytesField(13, message(bytesField(2, 'data.bin'), bytesField(1, 'location')))));
    assert.equal(reversed.external?.location, 'data.bin');
  });

  it('checkExternalExtents accepts a tensor of length 0 at the end of the file; checkExternalData a colon inside a relative path', () => {
    checkExternalExtents(summarizeOnnx(model(tensor('empty', 1, [0], located('d.bin', 4, 0)))), 'd.bin', 4);
    assert.deepEqual(checkExternalData(summarizeOnnx(model(bytesField(5, externalTensor('part:1.bin')))), 'f.onnx'), ['part:1.bin']);
  });
});
