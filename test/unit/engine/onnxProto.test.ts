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
