// The first look at an untrusted ONNX file, before any other reader walks it or onnxruntime sees
// it: a file that is not a model at all (empty, a Git LFS pointer, damaged bytes), subgraphs nested
// deep enough to exhaust the stack of a recursive reader, and declared sizes no WebAssembly heap
// could hold (onnxruntime would try to allocate them). Each refusal is one sentence naming the file.
import { ModelError } from './errors';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_GRAPHS,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_SPARSE_INITIALIZER,
  graphInput,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  packedVarints,
  SPARSE_INDICES,
  SPARSE_VALUES,
  TENSOR_DIMS,
  TENSOR_NAME,
  text,
} from './onnxProto';

/** Real exports nest a few If/Loop bodies; a recursive reader needs a few frames per level. */
export const MAX_SUBGRAPH_DEPTH = 64;

/** onnxruntime-web's heap is 4 GiB (wasm32): no tensor of more elements can be allocated in it. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/** AttributeProto.t and .tensors: a Constant's value is a tensor, with dims like an initializer's. */
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_TENSORS = 10;

const GIT_LFS_POINTER = new TextEncoder().encode('version https://git-lfs.github.com/spec/');

/** A protobuf the readers cannot walk; readOnnxFile turns it into one sentence naming the file. */
class Unreadable extends Error {}

/** A readable file Tealeaf refuses: its sentence is final. */
class Refusal extends ModelError {}

const AGAIN = 'download or export it again';

/** The error to show for a reader's failure on `path`: protobuf damage is named as such, other errors pass. */
export function unreadableOnnx(path: string, error: unknown): unknown {
  if (!(error instanceof ModelError) && !(error instanceof Unreadable)) return error;
  const reason = error.message.replace(/ (in|of) ONNX (file|protobuf)$/, '').replace(/ ONNX protobuf$/, ' protobuf');
  return new ModelError(`${path} is not a readable ONNX file (${reason}): ${AGAIN}`);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * Refuses a file that is not an ONNX model Tealeaf may hand on, with one sentence; returns when the
 * file can be summarized and given to onnxruntime.
 */
export function vetOnnxBytes(path: string, bytes: Uint8Array): void {
  if (bytes.length === 0) throw new ModelError(`${path} is empty (0 bytes): ${AGAIN}`);
  if (startsWith(bytes, GIT_LFS_POINTER)) throw new ModelError(`${path} is a Git LFS pointer, not the model: fetch the file itself (git lfs pull)`);
  let graphs = 0;
  try {
    for (const field of fields(bytes)) {
      if (field.number === MODEL_GRAPH && field.bytes) {
        graphs++;
        vetGraph(path, field.bytes, 1);
      }
    }
  } catch (error) {
    throw error instanceof Refusal ? error : unreadableOnnx(path, error);
  }
  if (graphs === 0) throw new ModelError(`${path} holds no ONNX graph: ${AGAIN}`);
}

function vetGraph(path: string, graph: Uint8Array, depth: number): void {
  if (depth > MAX_SUBGRAPH_DEPTH) throw new Unreadable(`subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels`);
  for (const field of fields(graph)) {
    if (!field.bytes) continue;
    if (field.number === GRAPH_INITIALIZER) vetTensor(path, field.bytes);
    else if (field.number === GRAPH_SPARSE_INITIALIZER) {
      for (const part of fields(field.bytes)) if ((part.number === SPARSE_VALUES || part.number === SPARSE_INDICES) && part.bytes) vetTensor(path, part.bytes);
    } else if (field.number === GRAPH_NODE) {
      for (const part of fields(field.bytes)) if (part.number === NODE_ATTRIBUTE && part.bytes) vetAttribute(path, part.bytes, depth);
    } else if (depth === 1 && (field.number === GRAPH_INPUT || field.number === GRAPH_OUTPUT)) vetValueInfo(path, field.bytes);
  }
}

function vetAttribute(path: string, attribute: Uint8Array, depth: number): void {
  for (const field of fields(attribute)) {
    if (!field.bytes) continue;
    if (field.number === ATTRIBUTE_GRAPH || field.number === ATTRIBUTE_GRAPHS) vetGraph(path, field.bytes, depth + 1);
    else if (field.number === ATTRIBUTE_TENSOR || field.number === ATTRIBUTE_TENSORS) vetTensor(path, field.bytes);
  }
}

function tooLarge(path: string, what: string): Refusal {
  return new Refusal(`${path} declares ${what}, more than onnxruntime-web's 4 GB memory holds: refused`);
}

function vetTensor(path: string, tensor: Uint8Array): void {
  let name = '';
  let elements = 1;
  for (const field of fields(tensor)) {
    if (field.number === TENSOR_NAME) name = text(field);
    else if (field.number === TENSOR_DIMS) for (const dim of packedVarints(field)) elements *= dim;
  }
  if (elements > MAX_TENSOR_ELEMENTS) throw tooLarge(path, `the tensor ${name || '(unnamed)'} with ${elements} elements`);
}

/** A graph input or output whose declared shape has a fixed dimension no heap could hold. */
function vetValueInfo(path: string, valueInfo: Uint8Array): void {
  const { name, shape } = graphInput(valueInfo);
  const largest = Math.max(0, ...shape.filter((d): d is number => typeof d === 'number'));
  if (largest > MAX_TENSOR_ELEMENTS) throw tooLarge(path, `${name} with a dimension of ${largest}`);
}
