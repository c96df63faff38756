// A minimal reader of the ONNX protobuf, enough to vet an untrusted model before onnxruntime sees it:
// external-data locations (onnxruntime-web does not check them), fused attention ops that hide the
// probabilities, and Softmax nodes. Field numbers are those of onnx.proto3.
import { ModelError } from './errors';

export const WIRE_VARINT = 0;
export const WIRE_64BIT = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_32BIT = 5;

export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
export const GRAPH_SPARSE_INITIALIZER = 15;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_OP_TYPE = 4;
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_INT = 3;
export const NODE_ATTRIBUTE = 5;
export const NODE_DOMAIN = 7;
export const ATTRIBUTE_GRAPH = 6;
export const ATTRIBUTE_GRAPHS = 11;
/** ValueInfoProto.name and TensorProto.name */
export const VALUE_INFO_NAME = 1;
export const TENSOR_NAME = 8;
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_RAW_DATA = 9;
export const TENSOR_EXTERNAL_DATA = 13;
export const TENSOR_DATA_LOCATION = 14;
export const DATA_LOCATION_EXTERNAL = 1;
export const NODE_NAME = 3;
export const ATTRIBUTE_TYPE = 20;
export const ATTRIBUTE_TYPE_INT = 2;
/** TensorProto.DataType INT64 */
export const INT64 = 7;
export const ENTRY_KEY = 1;
export const ENTRY_VALUE = 2;
export const SPARSE_VALUES = 1;
export const SPARSE_INDICES = 2;

export interface Field {
  readonly number: number;
  readonly wire: number;
  /** Payload of length-delimited fields. */
  readonly bytes?: Uint8Array;
  /** Value of varint fields. */
  readonly value?: number;
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
    // Field numbers start at 1: a zero key is damage (or a zero-filled, preallocated download).
    if (number === 0) throw new ModelError('invalid field number 0 in ONNX protobuf');
    pos = afterKey;
    switch (wire) {
      case WIRE_VARINT: {
        const [value, next] = readVarint(buf, pos);
        pos = next;
        yield { number, wire, value, start, end: pos };
        break;
      }
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

/** The name field of a message (ValueInfoProto, TensorProto, …), or '' when it has none. */
export function nameOf(message: Uint8Array, nameField: number): string {
  for (const field of fields(message)) if (field.number === nameField) return text(field);
  return '';
}

/** A NodeProto as graph edits see it: where it lies, its op, what it reads and writes. */
export interface GraphNode {
  readonly field: Field;
  readonly opType: string;
  /** Named inputs, and for nodes with subgraphs every name those read (see below). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * Every value name a subgraph (If/Loop/Scan bodies) reads. A node with a subgraph may read values
 * of the outer graph implicitly, so all of them count as inputs of the node — over-counting names
 * local to the subgraph keeps a few nodes too many at worst, never too few.
 */
function subgraphReads(graph: Uint8Array, into: string[]): void {
  for (const field of fields(graph)) {
    if (field.number === GRAPH_NODE && field.bytes) into.push(...graphNode(field).inputs);
  }
}

export function graphNode(field: Field): GraphNode {
  let opType = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const part of fields(field.bytes as Uint8Array)) {
    if (part.number === NODE_OP_TYPE) opType = text(part);
    else if (part.number === NODE_INPUT) inputs.push(text(part));
    else if (part.number === NODE_OUTPUT) outputs.push(text(part));
    else if (part.number === NODE_ATTRIBUTE && part.bytes) {
      for (const attribute of fields(part.bytes)) {
        if ((attribute.number === ATTRIBUTE_GRAPH || attribute.number === ATTRIBUTE_GRAPHS) && attribute.bytes) {
          subgraphReads(attribute.bytes, inputs);
        }
      }
    }
  }
  return { field, opType, inputs: inputs.filter((name) => name !== ''), outputs };
}

/** One tensor's bytes in an external-data file. */
export interface ExternalExtent {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export interface OnnxSummary {
  readonly opTypes: ReadonlyMap<string, number>;
  /** Outputs of Softmax nodes, in graph order. */
  readonly softmaxOutputs: readonly string[];
  readonly externalDataLocations: readonly string[];
  /** Where each externally stored tensor lies (to refuse truncated data files before onnxruntime reads them). */
  readonly externalExtents: readonly ExternalExtent[];
  readonly fusedAttentionOps: readonly string[];
  /**
   * Weights the graph stores, counted as the model's parameters: every floating-point initializer
   * of two or more elements, and the logical size of quantized matrices (MatMulNBits' and MatMulBnb4's K × N, 8-bit
   * initializers of MatMulInteger) rather than their packed bytes.
   */
  readonly parameters: number;
  /** The element count of every weight counted in `parameters`. */
  readonly weightSizes: readonly number[];
  /**
   * Large weights stored inline, by a fingerprint of type, shape and their first and last bytes,
   * with their element counts: the same tensor in two graphs (an encoder's embedding tied to its
   * decoder's LM head) counts once when the graphs are summed (`sharedParameters`).
   */
  readonly weightFingerprints: ReadonlyMap<string, number>;
  /** Names of the main graph's inputs and outputs. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The main graph's inputs with their element type and shape, as onnxruntime reports them. */
  readonly inputs: readonly GraphInput[];
}

/** A graph input as its ValueInfoProto declares it (onnxruntime's inputMetadata says the same). */
export interface GraphInput {
  readonly name: string;
  /** onnxruntime's name of the element type ('float32', 'float16', 'int64', 'bool', …), or 'unknown'. */
  readonly type: string;
  /** Fixed dims are numbers, symbolic ones their name ('' when unnamed); empty when undeclared. */
  readonly shape: readonly (number | string)[];
}

/** ValueInfoProto.type, TypeProto.tensor_type, its elem_type and shape, a shape's dim, a dim's dim_value and dim_param. */
export const VALUE_INFO_TYPE = 2;
export const TYPE_TENSOR = 1;
export const TENSOR_TYPE_ELEM = 1;
export const TENSOR_TYPE_SHAPE = 2;
export const SHAPE_DIM = 1;
export const DIM_VALUE = 1;
export const DIM_PARAM = 2;

/** TensorProto.DataType → onnxruntime's tensor type names. */
const ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** Reads a ValueInfoProto's name, tensor element type and shape. */
export function graphInput(valueInfo: Uint8Array): GraphInput {
  let name = '';
  let type = 'unknown';
  const shape: (number | string)[] = [];
  for (const field of fields(valueInfo)) {
    if (field.number === VALUE_INFO_NAME) name = text(field);
    if (field.number !== VALUE_INFO_TYPE || !field.bytes) continue;
    for (const typeField of fields(field.bytes)) {
      if (typeField.number !== TYPE_TENSOR || !typeField.bytes) continue;
      for (const tensorField of fields(typeField.bytes)) {
        if (tensorField.number === TENSOR_TYPE_ELEM) type = ELEMENT_TYPES[tensorField.value ?? 0] ?? 'unknown';
        if (tensorField.number !== TENSOR_TYPE_SHAPE || !tensorField.bytes) continue;
        for (const dim of fields(tensorField.bytes)) {
          if (dim.number !== SHAPE_DIM || !dim.bytes) continue;
          let value: number | string = '';
          for (const part of fields(dim.bytes)) {
            if (part.number === DIM_VALUE) value = part.value ?? 0;
            if (part.number === DIM_PARAM) value = text(part);
          }
          shape.push(value);
        }
      }
    }
  }
  return { name, type, shape };
}

/** TensorProto.DataType values of floating-point tensors (FLOAT, FLOAT16, DOUBLE, BFLOAT16). */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);
/** UINT8, INT8 */
const BYTE_TYPES = new Set([2, 3]);

/** The values of a repeated varint field, packed or not. */
export function packedVarints(field: Field): number[] {
  if (field.wire === WIRE_VARINT) return [field.value ?? 0];
  const values: number[] = [];
  const bytes = field.bytes ?? new Uint8Array(0);
  let pos = 0;
  while (pos < bytes.length) {
    const [value, next] = readVarint(bytes, pos);
    values.push(value);
    pos = next;
  }
  return values;
}

const FUSED_ATTENTION_OPS = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'SparseAttention']);

/** Inputs of quantized ops that hold packed weights, scales or zero points rather than parameters. */
const QUANTIZATION_INPUTS: Readonly<Record<string, readonly number[]>> = {
  MatMulNBits: [1, 2, 3, 4],
  MatMulBnb4: [1, 2],
  MatMulInteger: [2, 3],
  DynamicQuantizeMatMul: [2, 3],
  DequantizeLinear: [1, 2],
  QuantizeLinear: [1, 2],
  GatherBlockQuantized: [2, 3],
};

const QUANTIZATION_METADATA = /_(scale|zero_point|absmax|scales|zero_points)$/;

interface InitializerFacts {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly elements: number;
  readonly fingerprint?: string;
}

/**
 * Parameters of a graph whose input and output embeddings are tied: exporters often store the LM
 * head a second time (transposed, or quantized while the embedding is not), which the model
 * counts once. `matrix` is vocabulary × hidden size.
 */
export function tiedParameters(summary: OnnxSummary, tied: boolean, matrix: number): number {
  const copies = summary.weightSizes.filter((size) => size === matrix).length;
  return tied && copies >= 2 ? summary.parameters - matrix : summary.parameters;
}

/**
 * Elements of weights that both summaries hold (see OnnxSummary.weightFingerprints). With
 * `vocabSize`, only those with a dimension of that size: word embeddings an encoder and a decoder
 * share are one module, which the model counts once; equal tables of separate modules (Marian's
 * sinusoidal positions, one in each half) it counts twice.
 */
export function sharedParameters(a: OnnxSummary, b: OnnxSummary, vocabSize?: number): number {
  let shared = 0;
  for (const [fingerprint, elements] of a.weightFingerprints) {
    if (!b.weightFingerprints.has(fingerprint)) continue;
    if (vocabSize !== undefined && !fingerprintDims(fingerprint).includes(vocabSize)) continue;
    shared += elements;
  }
  return shared;
}

/** The dims a weight fingerprint names (`type:AxB:first:last`). */
function fingerprintDims(fingerprint: string): number[] {
  return (fingerprint.split(':')[1] ?? '').split('x').map(Number);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A TensorProto's own fields, as the summary and graph edits read them. */
export interface TensorFields {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Inline bytes (raw_data), where the tensor has them. */
  readonly raw?: Uint8Array;
  /** Where its bytes lie when it names an external-data location; a missing length is NaN ("to the end of the file"). */
  readonly external?: ExternalExtent;
}

export function tensorFields(tensor: Uint8Array): TensorFields {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const entries = new Map<string, string>();
  for (const field of fields(tensor)) {
    if (field.number === TENSOR_NAME) name = text(field);
    else if (field.number === TENSOR_RAW_DATA) raw = field.bytes;
    else if (field.number === TENSOR_DATA_TYPE) dataType = field.value ?? 0;
    else if (field.number === TENSOR_DIMS) dims.push(...packedVarints(field));
    else if (field.number === TENSOR_EXTERNAL_DATA && field.bytes) {
      let key = '';
      let value = '';
      for (const entry of fields(field.bytes)) {
        if (entry.number === ENTRY_KEY) key = text(entry);
        if (entry.number === ENTRY_VALUE) value = text(entry);
      }
      entries.set(key, value);
    }
  }
  const location = entries.get('location');
  // Offset and length must be whole numbers (checkExternalExtents refuses the rest).
  const external = location === undefined ? undefined : { location, offset: Number(entries.get('offset') ?? 0), length: Number(entries.get('length') ?? Number.NaN) };
  return { name, dataType, dims, ...(raw ? { raw } : {}), ...(external ? { external } : {}) };
}

export function summarizeOnnx(model: Uint8Array): OnnxSummary {
  const opTypes = new Map<string, number>();
  const softmaxOutputs: string[] = [];
  const externalExtents: ExternalExtent[] = [];
  const fused: string[] = [];
  const initializers: InitializerFacts[] = [];
  const notParameters = new Set<string>();
  let packedParameters = 0;
  const packedSizes: number[] = [];
  const inputs: GraphInput[] = [];
  const outputNames: string[] = [];
  let depth = 0;

  const visitTensor = (tensor: Uint8Array): void => {
    const { name, dataType, dims, raw, external } = tensorFields(tensor);
    const elements = dims.reduce((product, dim) => product * dim, 1);
    const fingerprint =
      raw && raw.length >= 256 ? `${dataType}:${dims.join('x')}:${hex(raw.subarray(0, 64))}:${hex(raw.subarray(raw.length - 64))}` : undefined;
    initializers.push({ name, dataType, dims, elements, ...(fingerprint ? { fingerprint } : {}) });
    if (external) externalExtents.push(external);
  };

  const visitGraph = (graph: Uint8Array): void => {
    depth++;
    for (const field of fields(graph)) {
      if (!field.bytes) continue;
      if (depth === 1 && field.number === GRAPH_INPUT) inputs.push(graphInput(field.bytes));
      if (depth === 1 && field.number === GRAPH_OUTPUT) outputNames.push(nameOf(field.bytes, VALUE_INFO_NAME));
      if (field.number === GRAPH_INITIALIZER) visitTensor(field.bytes);
      if (field.number === GRAPH_SPARSE_INITIALIZER) {
        for (const part of fields(field.bytes)) {
          if ((part.number === SPARSE_VALUES || part.number === SPARSE_INDICES) && part.bytes) visitTensor(part.bytes);
        }
      }
      if (field.number === GRAPH_NODE) visitNode(field.bytes);
    }
    depth--;
  };

  const visitNode = (node: Uint8Array): void => {
    let opType = '';
    let domain = '';
    const inputs: string[] = [];
    const outputs: string[] = [];
    const ints = new Map<string, number>();
    for (const field of fields(node)) {
      if (field.number === NODE_OP_TYPE) opType = text(field);
      else if (field.number === NODE_DOMAIN) domain = text(field);
      else if (field.number === NODE_INPUT) inputs.push(text(field));
      else if (field.number === NODE_OUTPUT) outputs.push(text(field));
      else if (field.number === NODE_ATTRIBUTE && field.bytes) {
        let attributeName = '';
        for (const attribute of fields(field.bytes)) {
          if (attribute.number === ATTRIBUTE_NAME) attributeName = text(attribute);
          else if (attribute.number === ATTRIBUTE_INT) ints.set(attributeName, attribute.value ?? 0);
          else if ((attribute.number === ATTRIBUTE_GRAPH || attribute.number === ATTRIBUTE_GRAPHS) && attribute.bytes) visitGraph(attribute.bytes);
        }
      }
    }
    opTypes.set(opType, (opTypes.get(opType) ?? 0) + 1);
    if (opType === 'Softmax' && outputs[0]) softmaxOutputs.push(outputs[0]);
    if (FUSED_ATTENTION_OPS.has(opType) && (domain === 'com.microsoft' || domain === '')) fused.push(opType);
    for (const index of QUANTIZATION_INPUTS[opType] ?? []) {
      const input = inputs[index];
      if (input) notParameters.add(input);
    }
    if (opType === 'MatMulNBits' || opType === 'MatMulBnb4') {
      const size = (ints.get('K') ?? 0) * (ints.get('N') ?? 0);
      packedParameters += size;
      packedSizes.push(size);
    }
  };

  for (const field of fields(model)) {
    if (field.number === MODEL_GRAPH && field.bytes) visitGraph(field.bytes);
  }
  let parameters = packedParameters;
  const weightSizes = [...packedSizes];
  const weightFingerprints = new Map<string, number>();
  for (const initializer of initializers) {
    if (notParameters.has(initializer.name) || initializer.elements < 2) continue;
    if (!FLOAT_TYPES.has(initializer.dataType) && !BYTE_TYPES.has(initializer.dataType)) continue;
    // Unit axes mark constants the exporter folded (rotary frequencies [1, d, 1], Marian's
    // final_logits_bias [1, vocab]): buffers, not trained weights.
    if (initializer.dims.length > 1 && initializer.dims.includes(1)) continue;
    // onnxruntime's quantizers name per-channel metadata after the weight it describes.
    if (QUANTIZATION_METADATA.test(initializer.name)) continue;
    if (initializer.fingerprint !== undefined) {
      // A weight an exporter wrote twice (a tied embedding) is one parameter.
      if (weightFingerprints.has(initializer.fingerprint)) continue;
      weightFingerprints.set(initializer.fingerprint, initializer.elements);
    }
    parameters += initializer.elements;
    weightSizes.push(initializer.elements);
  }
  const externalDataLocations = [...new Set(externalExtents.map((e) => e.location))];
  return { opTypes, softmaxOutputs, externalDataLocations, externalExtents, fusedAttentionOps: fused, parameters, weightSizes, weightFingerprints, inputNames: inputs.map((i) => i.name), outputNames, inputs };
}

/**
 * Refuses an external-data file shorter than the tensors the graph reads from it: onnxruntime
 * would otherwise read past its end (garbage weights, or a crash inside WebAssembly).
 */
export function checkExternalExtents(summary: OnnxSummary, location: string, fileBytes: number): void {
  for (const extent of summary.externalExtents) {
    if (extent.location !== location) continue;
    if (!Number.isSafeInteger(extent.offset) || extent.offset < 0 || (!Number.isNaN(extent.length) && (!Number.isSafeInteger(extent.length) || extent.length < 0))) {
      throw new ModelError(`${location}: the graph gives a malformed offset or length for tensor data`);
    }
    const end = extent.offset + (Number.isNaN(extent.length) ? 0 : extent.length);
    if (end > fileBytes) {
      throw new ModelError(`${location} is truncated or incomplete: it has ${fileBytes} bytes, but the graph reads up to byte ${end}; download it again`);
    }
  }
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
