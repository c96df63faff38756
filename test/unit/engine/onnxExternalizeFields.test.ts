// externalizeInitializers on models built here, field by field (onnxExternalize.test.ts runs real
// exports through onnxruntime): which tensors move out and where their external data points, what
// is copied untouched, how the file is read, and each malformed file named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import { type TensorSpec, tensorProto } from '../../../src/engine/onnxBuild';
import { externalizeInitializers } from '../../../src/engine/onnxExternalize';
import { ENTRY_KEY, ENTRY_VALUE, fields, GRAPH_INITIALIZER, MODEL_GRAPH, nameOf, TENSOR_DATA_LOCATION, TENSOR_EXTERNAL_DATA, TENSOR_NAME, TENSOR_RAW_DATA, text } from '../../../src/engine/onnxProto';
import { concat, lengthField, varint, varintField } from '../../../src/engine/protoWrite';

const raw = (name: string, bytes: number, fill: number): TensorSpec => ({ name, dataType: 2, dims: [bytes], raw: new Uint8Array(bytes).fill(fill) });

/** A fixed64 field and a fixed32 field (kinds no ONNX writer emits at the top, skipped as opaque). */
const fixed = concat([Uint8Array.from([...varint(99 * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8]), Uint8Array.from([...varint(98 * 8 + 5), 9, 9, 9, 9])]);

function modelWith(initializers: readonly Uint8Array[], extraGraph: readonly Uint8Array[] = []): Uint8Array {
  const node = lengthField(1, concat([lengthField(1, 'a'), lengthField(2, 'b'), lengthField(4, 'Relu')]));
  const graph = concat([node, ...initializers.map((t) => lengthField(GRAPH_INITIALIZER, t)), lengthField(2, 'g'), ...extraGraph]);
  return concat([varintField(1, 8), fixed, lengthField(MODEL_GRAPH, graph), lengthField(8, concat([lengthField(1, ''), varintField(2, 17)]))]);
}

interface Reads {
  readonly read: (offset: number, length: number) => Promise<Uint8Array>;
  readonly calls: [offset: number, length: number][];
}

function reader(file: Uint8Array): Reads {
  const calls: [number, number][] = [];
  return {
    calls,
    read: async (offset, length) => {
      calls.push([offset, length]);
      assert.ok(offset >= 0 && offset + length <= file.length, `read [${offset}, ${offset + length}) of ${file.length}`);
      return file.slice(offset, offset + length);
    },
  };
}

/** The graph's initializers: name → their fields (external_data as key → value, raw, location). */
function initializers(model: Uint8Array): Map<string, { external: Record<string, string>; raw?: Uint8Array; location?: number; bytes: Uint8Array }> {
  const graph = [...fields(model)].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
  const result = new Map<string, { external: Record<string, string>; raw?: Uint8Array; location?: number; bytes: Uint8Array }>();
  for (const field of fields(graph)) {
    if (field.number !== GRAPH_INITIALIZER || !field.bytes) continue;
    const external: Record<string, string> = {};
    let rawData: Uint8Array | undefined;
    let location: number | undefined;
    for (const part of fields(field.bytes)) {
      if (part.number === TENSOR_EXTERNAL_DATA && part.bytes) {
        const entry = [...fields(part.bytes)];
        const key = entry.find((e) => e.number === ENTRY_KEY);
        const value = entry.find((e) => e.number === ENTRY_VALUE);
        external[key ? text(key) : ''] = value ? text(value) : '';
      } else if (part.number === TENSOR_RAW_DATA) rawData = part.bytes;
      else if (part.number === TENSOR_DATA_LOCATION) location = part.value;
    }
    result.set(nameOf(field.bytes, TENSOR_NAME), { external, ...(rawData ? { raw: rawData } : {}), ...(location === undefined ? {} : { location }), bytes: field.bytes });
  }
  return result;
}

describe('externalizeInitializers, field by field', () => {
  it('points each large tensor at its own bytes in the file, keeps the small ones inline, and copies everything else untouched', async () => {
    const small = tensorProto(raw('small', 15, 1));
    const model = modelWith([tensorProto(raw('large', 64, 7)), small, tensorProto(raw('edge', 16, 3))]);
    const result = await externalizeInitializers(reader(model).read, model.length, 'model_q4.onnx', 16);
    assert.ok(result);
    assert.equal(result.externalized, 2);
    const tensors = initializers(result.bytes);
    assert.deepEqual([...tensors.keys()], ['large', 'small', 'edge'], 'in their order');
    for (const [name, fill, length] of [['large', 7, 64], ['edge', 3, 16]] as const) {
      const tensor = tensors.get(name);
      assert.equal(tensor?.raw, undefined, `${name}: no raw_data left`);
      assert.equal(tensor?.location, 1, `${name}: data_location EXTERNAL`);
      assert.deepEqual(Object.keys(tensor?.external ?? {}), ['location', 'offset', 'length']);
      assert.equal(tensor?.external.location, 'model_q4.onnx');
      assert.equal(tensor?.external.length, String(length));
      const offset = Number(tensor?.external.offset);
      assert.deepEqual(model.slice(offset, offset + length), new Uint8Array(length).fill(fill), `${name}: the offset is its raw bytes in the file`);
      // Its name, type and dims are kept before the external entries.
      const kept = [...fields(tensor?.bytes ?? new Uint8Array(0))].filter((f) => f.number !== TENSOR_EXTERNAL_DATA && f.number !== TENSOR_DATA_LOCATION);
      assert.deepEqual(kept.map((f) => f.number), [1, 2, 8]);
    }
    assert.deepEqual(tensors.get('small')?.bytes, small, 'the small tensor is copied byte for byte');
    // Everything but the moved tensors is the original's, byte for byte: the model's fields around the graph, the node, the graph's name.
    assert.deepEqual(result.bytes.slice(0, 2 + fixed.length), model.slice(0, 2 + fixed.length));
    assert.deepEqual(result.bytes.slice(-9), model.slice(-9), "the graph's name and the opset import after it");
    const graph = [...fields(result.bytes)].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
    assert.deepEqual([...fields(graph)].map((f) => f.number), [1, GRAPH_INITIALIZER, GRAPH_INITIALIZER, GRAPH_INITIALIZER, 2]);
  });

  it('leaves inline a large tensor whose data is not raw_data, and returns nothing when nothing moves', async () => {
    // float_data (field 4), packed: large, but there are no raw bytes to point at.
    const floats = concat([varintField(1, 64), varintField(2, 1), lengthField(4, new Uint8Array(256)), lengthField(TENSOR_NAME, 'floats')]);
    const model = modelWith([floats]);
    assert.equal(await externalizeInitializers(reader(model).read, model.length, 'm.onnx', 16), undefined);
    const smallOnly = modelWith([tensorProto(raw('small', 15, 1))]);
    assert.equal(await externalizeInitializers(reader(smallOnly).read, smallOnly.length, 'm.onnx', 16), undefined);
  });

  it('moves a tensor at exactly the default 1 MiB, not one byte under it', async () => {
    const model = modelWith([tensorProto(raw('under', (1 << 20) - 1, 1)), tensorProto(raw('at', 1 << 20, 2))]);
    const result = await externalizeInitializers(reader(model).read, model.length, 'm.onnx');
    assert.equal(result?.externalized, 1);
    assert.equal(initializers(result?.bytes ?? new Uint8Array(0)).get('at')?.external.length, String(1 << 20));
  });

  it('reads through a window: a few reads for a small file, and large tensors are never read', async () => {
    const small = modelWith([tensorProto(raw('a', 100, 1)), tensorProto(raw('b', 100, 2))]);
    const few = reader(small);
    await externalizeInitializers(few.read, small.length, 'm.onnx', 16);
    assert.deepEqual(few.calls, [[0, small.length]], 'one read of the whole small file');

    // Two 3 MiB tensors: their headers are read, their payloads are skipped.
    const big = modelWith([tensorProto(raw('x', 3 << 20, 5)), tensorProto(raw('y', 3 << 20, 6))]);
    const reads = reader(big);
    const result = await externalizeInitializers(reads.read, big.length, 'm.onnx', 16);
    const tensors = initializers(result?.bytes ?? new Uint8Array(0));
    for (const [name, fill] of [['x', 5], ['y', 6]] as const) {
      const offset = Number(tensors.get(name)?.external.offset);
      assert.deepEqual(big.slice(offset, offset + 8), new Uint8Array(8).fill(fill), `${name}'s offset`);
    }
    const total = reads.calls.reduce((n, [, length]) => n + length, 0);
    assert.ok(reads.calls.length <= 6, `${reads.calls.length} reads`);
    assert.ok(total <= 4 << 20, `${total} bytes read of ${big.length}: windows of 1 MiB at field headers, no payload whole`);
  });

  const refused: readonly [string, Uint8Array, RegExp][] = [
    ['a field cut short', modelWith([tensorProto(raw('a', 100, 1))]).slice(0, 40), /^truncated ONNX protobuf$/],
    ['a varint past the end', Uint8Array.from([0x08, 0x80]), /^truncated ONNX protobuf$/],
    ['a varint of eleven bytes', Uint8Array.from([0x08, ...new Array<number>(10).fill(0xff), 0x01]), /^malformed varint in ONNX protobuf$/],
    ['field number 0', Uint8Array.from([0x00, 0x01]), /^invalid field number 0 in ONNX protobuf$/],
    ['wire type 3 (groups)', Uint8Array.from([0x0b]), /^unsupported protobuf wire type 3 in ONNX file$/],
    ['wire type 7', Uint8Array.from([0x0f]), /^unsupported protobuf wire type 7 in ONNX file$/],
    ['a fixed64 past the end', Uint8Array.from([0x09, 1, 2, 3]), /^truncated ONNX protobuf$/],
    ['a fixed32 past the end', Uint8Array.from([0x0d, 1, 2]), /^truncated ONNX protobuf$/],
    ['a graph longer than the file', concat([lengthField(MODEL_GRAPH, new Uint8Array(50))]).slice(0, 30), /^truncated ONNX protobuf$/],
  ];
  for (const [what, file, message] of refused) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(externalizeInitializers(reader(file).read, file.length, 'm.onnx', 16), (e: unknown) => e instanceof ModelError && message.test(e.message));
    });
  }

  it('copies whole a field whose header straddles the end of a read window', async () => {
    // A doc_string fills the first 1 MiB window but its last byte, where the next field's key
    // sits: its length byte opens the next window, so the field starts before that window.
    const docString = lengthField(6, new Uint8Array((1 << 20) - 7).fill(0x61));
    const producer = lengthField(2, 'tealeaf');
    const head = concat([varintField(1, 8), docString, producer]);
    assert.equal(head.length - producer.length, (1 << 20) - 1);
    const model = concat([head, lengthField(MODEL_GRAPH, lengthField(GRAPH_INITIALIZER, tensorProto(raw('large', 64, 7))))]);
    const result = await externalizeInitializers(reader(model).read, model.length, 'm.onnx', 16);
    assert.equal(result?.externalized, 1);
    assert.deepEqual(result?.bytes.slice(head.length - producer.length, head.length), producer, 'the straddling field, byte for byte');
    assert.deepEqual(result?.bytes.slice(0, head.length), head);
  });

  it('refuses a file cut inside a field key, as truncated (the byte past the end is not read as 0)', async () => {
    // 0x80: a key whose varint goes on past the last byte of the file.
    const file = concat([modelWith([tensorProto(raw('a', 64, 1))]), Uint8Array.from([0x80])]);
    await assert.rejects(externalizeInitializers(reader(file).read, file.length, 'm.onnx', 16), (e: unknown) => e instanceof ModelError && /^truncated ONNX protobuf$/.test(e.message));
  });

  it('copies untouched a field numbered as the graph, an initializer or raw_data that is not length-delimited', async () => {
    // Field 7 as a fixed32 whose four bytes would parse as two varint fields; field 5 of the graph
    // as a fixed64 whose zeros would not parse at all; raw_data (9) as a fixed64 of minBytes bytes.
    const oddGraph = Uint8Array.from([...varint(MODEL_GRAPH * 8 + 5), 0x08, 0x01, 0x08, 0x02]);
    const oddInitializer = Uint8Array.from([...varint(GRAPH_INITIALIZER * 8 + 1), 0, 0, 0, 0, 0, 0, 0, 0]);
    const oddTensor = concat([varintField(2, 2), lengthField(TENSOR_NAME, 'odd'), Uint8Array.from([...varint(TENSOR_RAW_DATA * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8])]);
    const graph = concat([lengthField(GRAPH_INITIALIZER, tensorProto(raw('large', 64, 7))), oddInitializer, lengthField(GRAPH_INITIALIZER, oddTensor), lengthField(2, 'g')]);
    const model = concat([varintField(1, 8), lengthField(MODEL_GRAPH, graph), oddGraph]);
    const result = await externalizeInitializers(reader(model).read, model.length, 'm.onnx', 8);
    assert.ok(result);
    assert.equal(result.externalized, 1, 'only the tensor with length-delimited raw_data');
    assert.deepEqual(result.bytes.slice(-oddGraph.length), oddGraph, 'the fixed32 field 7 after the graph');
    const tensors = initializers(result.bytes);
    assert.equal(tensors.get('large')?.external.length, '64');
    assert.deepEqual(tensors.get('odd')?.bytes, oddTensor);
    const newGraph = [...fields(result.bytes)].find((f) => f.number === MODEL_GRAPH && f.bytes)?.bytes ?? new Uint8Array(0);
    const kept = [...fields(newGraph)].filter((f) => f.wire === 1);
    assert.deepEqual(kept.map((f) => newGraph.slice(f.start, f.end)), [oddInitializer]);
  });

  it('opens only initializers: a node as large, with a metadata entry in field 9 as raw_data is, is copied as it is', async () => {
    // NodeProto.metadata_props is field 9, like TensorProto.raw_data: read as a tensor, this node
    // would lose its entry to external data.
    const node = concat([lengthField(1, 'a'), lengthField(2, 'b'), lengthField(4, 'Relu'), lengthField(9, concat([lengthField(1, 'note'), lengthField(2, 'x'.repeat(40))]))]);
    const model = modelWith([tensorProto(raw('large', 64, 7))], [lengthField(1, node)]);
    const result = await externalizeInitializers(reader(model).read, model.length, 'm.onnx', 16);
    assert.equal(result?.externalized, 1);
    const graph = [...fields(result?.bytes ?? new Uint8Array(0))].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
    const nodes = [...fields(graph)].filter((f) => f.number === 1).map((f) => f.bytes);
    assert.equal(nodes.length, 2);
    assert.deepEqual(nodes[1], node);
  });

  it('reads inside initializers of minBytes and more only: damage in one under it is copied, in one at it refused', async () => {
    // Zeros do not parse as a TensorProto (field number 0). Under minBytes the initializer is
    // copied unread (its raw_data could not reach minBytes); at minBytes it is opened.
    const under = modelWith([tensorProto(raw('large', 64, 7)), new Uint8Array(15)]);
    const result = await externalizeInitializers(reader(under).read, under.length, 'm.onnx', 16);
    assert.equal(result?.externalized, 1);
    const graph = [...fields(result?.bytes ?? new Uint8Array(0))].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
    const copied = [...fields(graph)].filter((f) => f.number === GRAPH_INITIALIZER).map((f) => f.bytes);
    assert.deepEqual(copied[1], new Uint8Array(15));
    const at = modelWith([tensorProto(raw('large', 64, 7)), new Uint8Array(16)]);
    await assert.rejects(externalizeInitializers(reader(at).read, at.length, 'm.onnx', 16), (e: unknown) => e instanceof ModelError && /^invalid field number 0 in ONNX protobuf$/.test(e.message));
  });

  it('a tensor field inside the graph cut short is refused, not copied', async () => {
    // The graph claims an initializer of 200 bytes where the graph holds 20.
    const graph = concat([Uint8Array.from([...varint(GRAPH_INITIALIZER * 8 + 2), ...varint(200)]), new Uint8Array(20)]);
    const file = lengthField(MODEL_GRAPH, graph);
    await assert.rejects(externalizeInitializers(reader(file).read, file.length, 'm.onnx', 16), /truncated ONNX protobuf/);
  });
});
