// vetOnnxBytes, the first look at an untrusted ONNX file: not a model (empty, a Git LFS pointer,
// no graph, damaged bytes), subgraphs nested too deep, and tensors or graph inputs larger than
// onnxruntime-web's heap, wherever they are declared. Each refusal is one sentence naming the file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_GRAPHS,
  DIM_PARAM,
  DIM_VALUE,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_SPARSE_INITIALIZER,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  SHAPE_DIM,
  SPARSE_INDICES,
  SPARSE_VALUES,
  TENSOR_DIMS,
  TENSOR_NAME,
  TENSOR_TYPE_SHAPE,
  TYPE_TENSOR,
  VALUE_INFO_NAME,
  VALUE_INFO_TYPE,
} from '../../../src/engine/onnxProto';
import { MAX_SUBGRAPH_DEPTH, MAX_TENSOR_ELEMENTS, unreadableOnnx, vetOnnxBytes } from '../../../src/engine/onnxVet';
import { concat, lengthField, varint, varintField } from '../../../src/engine/protoWrite';

const FILE = 'onnx/model.onnx';
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_TENSORS = 10;
/** SparseTensorProto.dims (packed int64). */
const SPARSE_DIMS = 3;

/** A TensorProto with packed dims (or one unpacked dim field per dim). */
function tensor(name: string, dims: readonly number[], packed = true): Uint8Array {
  const dimFields = packed ? [lengthField(TENSOR_DIMS, Uint8Array.from(dims.flatMap((d) => varint(d))))] : dims.map((d) => varintField(TENSOR_DIMS, d));
  return concat([...dimFields, lengthField(TENSOR_NAME, name)]);
}

function valueInfo(name: string, dims: readonly (number | string)[]): Uint8Array {
  const shape = concat(dims.map((d) => lengthField(SHAPE_DIM, typeof d === 'number' ? varintField(DIM_VALUE, d) : lengthField(DIM_PARAM, d))));
  const type = lengthField(TYPE_TENSOR, lengthField(TENSOR_TYPE_SHAPE, shape));
  return concat([lengthField(VALUE_INFO_NAME, name), lengthField(VALUE_INFO_TYPE, type)]);
}

const graph = (...fields: Uint8Array[]) => concat(fields);
const model = (graphBytes: Uint8Array) => concat([varintField(1, 8), lengthField(MODEL_GRAPH, graphBytes)]);
/** A node whose attribute holds `payload` in field `field` (a subgraph, or a Constant's tensor). */
const nodeWith = (field: number, payload: Uint8Array) => lengthField(GRAPH_NODE, lengthField(NODE_ATTRIBUTE, lengthField(field, payload)));

function refusal(bytes: Uint8Array): string {
  try {
    vetOnnxBytes(FILE, bytes);
  } catch (error) {
    assert.ok(error instanceof ModelError, `a ModelError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('the file was accepted');
}

const BIG = MAX_TENSOR_ELEMENTS + 1;

describe('vetOnnxBytes', () => {
  it('accepts a model of ordinary size, symbolic dims and nested subgraphs', () => {
    const body = graph(lengthField(GRAPH_INITIALIZER, tensor('w', [2, 3])));
    vetOnnxBytes(FILE, model(graph(lengthField(GRAPH_INPUT, valueInfo('input_ids', ['batch', 'seq', 4096])), nodeWith(ATTRIBUTE_GRAPH, body), lengthField(GRAPH_INITIALIZER, tensor('e', [65536, 65536])))));
  });

  it('refuses what is not a model at all', () => {
    assert.equal(refusal(new Uint8Array(0)), `${FILE} is empty (0 bytes): download or export it again`);
    assert.equal(
      refusal(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n')),
      `${FILE} is a Git LFS pointer, not the model: fetch the file itself (git lfs pull)`,
    );
    // Cut off right after the pointer's marker: still a pointer.
    assert.equal(refusal(new TextEncoder().encode('version https://git-lfs.github.com/spec/')), `${FILE} is a Git LFS pointer, not the model: fetch the file itself (git lfs pull)`);
    assert.equal(refusal(varintField(1, 8)), `${FILE} holds no ONNX graph: download or export it again`);
    assert.match(refusal(Uint8Array.from([0x3a, 0x50, 0x01])), new RegExp(`^${FILE} is not a readable ONNX file \\(.+\\): download or export it again$`));
  });

  it('refuses subgraphs nested deeper than a recursive reader may go, through either attribute', () => {
    const nested = (levels: number, field: number) => {
      let g = graph();
      for (let i = 1; i < levels; i++) g = graph(nodeWith(field, g));
      return model(g);
    };
    vetOnnxBytes(FILE, nested(MAX_SUBGRAPH_DEPTH, ATTRIBUTE_GRAPH));
    const deep = `${FILE} is not a readable ONNX file (subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels): download or export it again`;
    assert.equal(refusal(nested(MAX_SUBGRAPH_DEPTH + 1, ATTRIBUTE_GRAPH)), deep);
    assert.equal(refusal(nested(MAX_SUBGRAPH_DEPTH + 1, ATTRIBUTE_GRAPHS)), deep);
  });

  it('refuses a tensor larger than the heap, wherever it is declared, naming it', () => {
    const huge = tensor('model.embed', [BIG]);
    const sentence = (name: string) => `${FILE} declares the tensor ${name} with ${BIG} elements, more than onnxruntime-web's 4 GB memory holds: refused`;
    assert.equal(refusal(model(graph(lengthField(GRAPH_INITIALIZER, huge)))), sentence('model.embed'));
    assert.equal(refusal(model(graph(lengthField(GRAPH_INITIALIZER, tensor('split', [65536, 65537], false))))), `${FILE} declares the tensor split with ${65536 * 65537} elements, more than onnxruntime-web's 4 GB memory holds: refused`);
    assert.equal(refusal(model(graph(lengthField(GRAPH_SPARSE_INITIALIZER, lengthField(SPARSE_VALUES, huge))))), sentence('model.embed'));
    assert.equal(refusal(model(graph(lengthField(GRAPH_SPARSE_INITIALIZER, lengthField(SPARSE_INDICES, tensor('', [BIG])))))), sentence('(unnamed)'));
    // No name field at all: unnamed too.
    assert.equal(refusal(model(graph(lengthField(GRAPH_INITIALIZER, lengthField(TENSOR_DIMS, Uint8Array.from(varint(BIG))))))), sentence('(unnamed)'));
    assert.equal(refusal(model(graph(nodeWith(ATTRIBUTE_TENSOR, huge)))), sentence('model.embed'));
    assert.equal(refusal(model(graph(nodeWith(ATTRIBUTE_TENSORS, huge)))), sentence('model.embed'));
    assert.equal(refusal(model(graph(nodeWith(ATTRIBUTE_GRAPH, graph(lengthField(GRAPH_INITIALIZER, huge)))))), sentence('model.embed'));
    // Exactly the heap's element count is allowed.
    vetOnnxBytes(FILE, model(graph(lengthField(GRAPH_INITIALIZER, tensor('edge', [MAX_TENSOR_ELEMENTS])))));
    // A sparse initializer's own dims (a packed field beside values and indices) are not a tensor.
    vetOnnxBytes(FILE, model(graph(lengthField(GRAPH_SPARSE_INITIALIZER, concat([lengthField(SPARSE_VALUES, tensor('v', [4])), lengthField(SPARSE_INDICES, tensor('i', [4])), lengthField(SPARSE_DIMS, Uint8Array.from([...varint(BIG), ...varint(BIG)]))])))));
  });

  it('refuses a graph input or output with a fixed dimension larger than the heap, at the top level only', () => {
    const refused = `${FILE} declares input_ids with a dimension of ${BIG}, more than onnxruntime-web's 4 GB memory holds: refused`;
    assert.equal(refusal(model(graph(lengthField(GRAPH_INPUT, valueInfo('input_ids', ['batch', BIG]))))), refused);
    assert.equal(refusal(model(graph(lengthField(GRAPH_OUTPUT, valueInfo('input_ids', [BIG, 1]))))), refused);
    vetOnnxBytes(FILE, model(graph(lengthField(GRAPH_INPUT, valueInfo('edge', [MAX_TENSOR_ELEMENTS])))));
    // A subgraph's inputs are not what the caller feeds: not checked.
    vetOnnxBytes(FILE, model(graph(nodeWith(ATTRIBUTE_GRAPH, graph(lengthField(GRAPH_INPUT, valueInfo('inner', [BIG])))))));
  });
});

describe('unreadableOnnx', () => {
  it('names a reader’s protobuf failure as an unreadable file, and passes other errors on', () => {
    const damaged = unreadableOnnx(FILE, new ModelError('truncated varint in ONNX protobuf'));
    assert.ok(damaged instanceof ModelError);
    assert.equal(damaged.message, `${FILE} is not a readable ONNX file (truncated varint): download or export it again`);
    assert.equal((unreadableOnnx(FILE, new ModelError('field 3 runs past the end of ONNX file')) as Error).message, `${FILE} is not a readable ONNX file (field 3 runs past the end): download or export it again`);
    assert.equal((unreadableOnnx(FILE, new ModelError('bad tag of ONNX protobuf')) as Error).message, `${FILE} is not a readable ONNX file (bad tag): download or export it again`);
    assert.equal((unreadableOnnx(FILE, new ModelError('a damaged ONNX protobuf')) as Error).message, `${FILE} is not a readable ONNX file (a damaged protobuf): download or export it again`);
    // Only a trailing "in/of ONNX file/protobuf" is the reader's wording.
    assert.equal((unreadableOnnx(FILE, new ModelError('tag in ONNX file header is zero')) as Error).message, `${FILE} is not a readable ONNX file (tag in ONNX file header is zero): download or export it again`);
    assert.equal((unreadableOnnx(FILE, new ModelError('a ONNX protobuf field is cut')) as Error).message, `${FILE} is not a readable ONNX file (a ONNX protobuf field is cut): download or export it again`);
    const other = new RangeError('offset out of range');
    assert.equal(unreadableOnnx(FILE, other), other);
  });
});
