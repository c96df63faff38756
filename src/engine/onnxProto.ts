// A minimal reader of the ONNX protobuf, enough to vet an untrusted model before onnxruntime sees it:
// external-data locations (onnxruntime-web does not check them), fused attention ops that hide the
// probabilities, and Softmax nodes. Field numbers are those of onnx.proto3.
import { ModelError } from './errors';

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
export const WIRE_LENGTH_DELIMITED = 2;
const WIRE_32BIT = 5;

export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
const GRAPH_SPARSE_INITIALIZER = 15;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
export const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
export const ATTRIBUTE_GRAPH = 6;
export const ATTRIBUTE_GRAPHS = 11;
/** ValueInfoProto.name and TensorProto.name */
export const VALUE_INFO_NAME = 1;
export const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;

export interface Field {
  readonly number: number;
  readonly wire: number;
  /** Payload of length-delimited fields. */
  readonly bytes?: Uint8Array;
  /** The whole field (key and payload) is buf[start, end): copied verbatim when a message is rebuilt. */
  readonly start: number;
  readonly end: number;
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ModelError('truncated ONNX protobuf');
    const byte = buf[pos++] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
  throw new ModelError('malformed varint in ONNX protobuf');
}

export function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, afterKey] = readVarint(buf, pos);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    pos = afterKey;
    switch (wire) {
      case WIRE_VARINT:
        pos = readVarint(buf, pos)[1];
        yield { number, wire, start, end: pos };
        break;
      case WIRE_64BIT:
        pos += 8;
        if (pos > buf.length) throw new ModelError('truncated ONNX protobuf');
        yield { number, wire, start, end: pos };
        break;
      case WIRE_32BIT:
        pos += 4;
        if (pos > buf.length) throw new ModelError('truncated ONNX protobuf');
        yield { number, wire, start, end: pos };
        break;
      case WIRE_LENGTH_DELIMITED: {
        const [length, payload] = readVarint(buf, pos);
        if (payload + length > buf.length) throw new ModelError('truncated ONNX protobuf');
        yield { number, wire, bytes: buf.subarray(payload, payload + length), start, end: payload + length };
        pos = payload + length;
        break;
      }
      default:
        throw new ModelError(`unsupported protobuf wire type ${wire} in ONNX file`);
    }
  }
}

const decoder = new TextDecoder();

export function text(field: Field): string {
  return field.bytes ? decoder.decode(field.bytes) : '';
}

export interface OnnxSummary {
  readonly opTypes: ReadonlyMap<string, number>;
  /** Outputs of Softmax nodes, in graph order. */
  readonly softmaxOutputs: readonly string[];
  readonly externalDataLocations: readonly string[];
  readonly fusedAttentionOps: readonly string[];
}

const FUSED_ATTENTION_OPS = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'SparseAttention']);

export function summarizeOnnx(model: Uint8Array): OnnxSummary {
  const opTypes = new Map<string, number>();
  const softmaxOutputs: string[] = [];
  const externalDataLocations: string[] = [];
  const fused: string[] = [];

  const visitTensor = (tensor: Uint8Array): void => {
    for (const field of fields(tensor)) {
      if (field.number !== TENSOR_EXTERNAL_DATA || !field.bytes) continue;
      let key = '';
      let value = '';
      for (const entry of fields(field.bytes)) {
        if (entry.number === ENTRY_KEY) key = text(entry);
        if (entry.number === ENTRY_VALUE) value = text(entry);
      }
      if (key === 'location') externalDataLocations.push(value);
    }
  };

  const visitGraph = (graph: Uint8Array): void => {
    for (const field of fields(graph)) {
      if (!field.bytes) continue;
      if (field.number === GRAPH_INITIALIZER) visitTensor(field.bytes);
      if (field.number === GRAPH_SPARSE_INITIALIZER) {
        for (const part of fields(field.bytes)) {
          if ((part.number === SPARSE_VALUES || part.number === SPARSE_INDICES) && part.bytes) visitTensor(part.bytes);
        }
      }
      if (field.number === GRAPH_NODE) visitNode(field.bytes);
    }
  };

  const visitNode = (node: Uint8Array): void => {
    let opType = '';
    let domain = '';
    const outputs: string[] = [];
    for (const field of fields(node)) {
      if (field.number === NODE_OP_TYPE) opType = text(field);
      else if (field.number === NODE_DOMAIN) domain = text(field);
      else if (field.number === NODE_OUTPUT) outputs.push(text(field));
      else if (field.number === NODE_ATTRIBUTE && field.bytes) {
        for (const attribute of fields(field.bytes)) {
          if ((attribute.number === ATTRIBUTE_GRAPH || attribute.number === ATTRIBUTE_GRAPHS) && attribute.bytes) visitGraph(attribute.bytes);
        }
      }
    }
    opTypes.set(opType, (opTypes.get(opType) ?? 0) + 1);
    if (opType === 'Softmax' && outputs[0]) softmaxOutputs.push(outputs[0]);
    if (FUSED_ATTENTION_OPS.has(opType) && (domain === 'com.microsoft' || domain === '')) fused.push(opType);
  };

  for (const field of fields(model)) {
    if (field.number === MODEL_GRAPH && field.bytes) visitGraph(field.bytes);
  }
  return { opTypes, softmaxOutputs, externalDataLocations, fusedAttentionOps: fused };
}

/**
 * Rejects external-data locations that could read outside the model folder or arbitrary memory.
 * Returns the (validated, relative) locations the caller must supply as external data.
 */
export function checkExternalData(summary: OnnxSummary, file: string): string[] {
  const locations = new Set<string>();
  for (const location of summary.externalDataLocations) {
    if (location.includes('_ORT_MEM_ADDR_')) throw new ModelError(`${file} points external data at process memory (_ORT_MEM_ADDR_): refused`);
    if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) {
      throw new ModelError(`${file} uses an absolute external-data path (${location}): refused`);
    }
    if (location.split(/[\\/]/).some((part) => part === '..')) {
      throw new ModelError(`${file} uses an external-data path outside the model folder (${location}): refused`);
    }
    locations.add(location);
  }
  return [...locations];
}
