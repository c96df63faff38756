// Building ONNX messages for graph edits that add nodes (attention surgery): NodeProto with typed
// attributes, small initializers, graph outputs, and appending all of them to a model's main graph.
// Existing fields are copied byte for byte; only what is new is encoded.
import { ModelError } from './errors';
import {
  ATTRIBUTE_INT,
  ATTRIBUTE_NAME,
  ATTRIBUTE_TYPE,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_DOMAIN,
  NODE_INPUT,
  NODE_NAME,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  TENSOR_DATA_TYPE,
  TENSOR_DIMS,
  TENSOR_NAME,
  TENSOR_RAW_DATA,
  text,
  VALUE_INFO_NAME,
  WIRE_32BIT,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './onnxProto';
import { concat, lengthField, varint } from './protoWrite';

/** TensorProto.DataType values the edits use. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;

const ATTRIBUTE_FLOAT = 2;
const ATTRIBUTE_STRING = 4;
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_FLOATS = 7;
const ATTRIBUTE_INTS = 8;
/** AttributeProto.AttributeType */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;
const MODEL_OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;

export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly tensor: TensorSpec };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** '' (the default) is the standard ONNX domain; contrib ops use 'com.microsoft'. */
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface TensorSpec {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Little-endian element bytes. */
  readonly raw: Uint8Array;
}

export interface OutputSpec {
  readonly name: string;
  /** TensorProto.DataType of the output; omitted, onnxruntime infers it. */
  readonly elemType?: number;
}

/** A signed 64-bit varint (protobuf int64: negative values take ten bytes, two's complement). */
function signedVarint(value: number): number[] {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
  if (value >= 0) return varint(value);
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function key(number: number, wire: number): number[] {
  return varint(number * 8 + wire);
}

function intField(number: number, value: number): Uint8Array {
  return Uint8Array.from([...key(number, WIRE_VARINT), ...signedVarint(value)]);
}

function floatField(number: number, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return concat([Uint8Array.from(key(number, WIRE_32BIT)), bytes]);
}

/** An AttributeProto's payload. */
export function attributeProto(name: string, value: AttributeValue): Uint8Array {
  const parts: Uint8Array[] = [lengthField(ATTRIBUTE_NAME, name)];
  if ('int' in value) parts.push(intField(ATTRIBUTE_INT, value.int), intField(ATTRIBUTE_TYPE, AttributeType.INT));
  else if ('float' in value) parts.push(floatField(ATTRIBUTE_FLOAT, value.float), intField(ATTRIBUTE_TYPE, AttributeType.FLOAT));
  else if ('ints' in value) {
    parts.push(lengthField(ATTRIBUTE_INTS, Uint8Array.from(value.ints.flatMap(signedVarint))), intField(ATTRIBUTE_TYPE, AttributeType.INTS));
  } else if ('floats' in value) {
    const packed = new Uint8Array(4 * value.floats.length);
    value.floats.forEach((f, i) => new DataView(packed.buffer).setFloat32(4 * i, f, true));
    parts.push(lengthField(ATTRIBUTE_FLOATS, packed), intField(ATTRIBUTE_TYPE, AttributeType.FLOATS));
  } else if ('string' in value) parts.push(lengthField(ATTRIBUTE_STRING, value.string), intField(ATTRIBUTE_TYPE, AttributeType.STRING));
  else parts.push(lengthField(ATTRIBUTE_TENSOR, tensorProto(value.tensor)), intField(ATTRIBUTE_TYPE, AttributeType.TENSOR));
  return concat(parts);
}

/** A NodeProto's payload. */
export function nodeProto(spec: NodeSpec): Uint8Array {
  const parts: Uint8Array[] = [
    ...spec.inputs.map((name) => lengthField(NODE_INPUT, name)),
    ...spec.outputs.map((name) => lengthField(NODE_OUTPUT, name)),
  ];
  if (spec.name) parts.push(lengthField(NODE_NAME, spec.name));
  parts.push(lengthField(NODE_OP_TYPE, spec.op));
  for (const [name, value] of Object.entries(spec.attributes ?? {})) parts.push(lengthField(NODE_ATTRIBUTE, attributeProto(name, value)));
  if (spec.domain) parts.push(lengthField(NODE_DOMAIN, spec.domain));
  return concat(parts);
}

/** A TensorProto's payload with raw little-endian data. */
export function tensorProto(spec: TensorSpec): Uint8Array {
  return concat([
    ...spec.dims.map((d) => intField(TENSOR_DIMS, d)),
    intField(TENSOR_DATA_TYPE, spec.dataType),
    lengthField(TENSOR_NAME, spec.name),
    lengthField(TENSOR_RAW_DATA, spec.raw),
  ]);
}

/** An int64 tensor (shapes, axes, indices); `dims` defaults to a vector. */
export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorSpec {
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dataType: DataType.INT64, dims, raw };
}

/** A float32 tensor; `dims` defaults to a scalar for one value. */
export function float32Tensor(name: string, values: readonly number[], dims: readonly number[] = values.length === 1 ? [] : [values.length]): TensorSpec {
  const raw = new Uint8Array(4 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return { name, dataType: DataType.FLOAT, dims, raw };
}

function valueInfoProto(output: OutputSpec): Uint8Array {
  const parts = [lengthField(VALUE_INFO_NAME, output.name)];
  if (output.elemType !== undefined) {
    const tensorType = intField(TENSOR_TYPE_ELEM, output.elemType);
    parts.push(lengthField(VALUE_INFO_TYPE, lengthField(TYPE_TENSOR, tensorType)));
  }
  return concat(parts);
}

export interface GraphAddition {
  readonly nodes?: readonly NodeSpec[];
  readonly initializers?: readonly TensorSpec[];
  readonly outputs?: readonly OutputSpec[];
  /** Opset imports the new nodes need (domain → minimum version), added when the model lacks them. */
  readonly opsets?: Readonly<Record<string, number>>;
}

/**
 * The model with nodes, initializers and outputs appended to its main graph. New nodes go after
 * the existing ones, so they may read any value of the graph (the graph stays topologically
 * sorted); existing outputs keep their order, new ones follow.
 */
export function addToGraph(model: Uint8Array, addition: GraphAddition): Uint8Array {
  const modelFields = [...fields(model)];
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH && f.bytes);
  if (!graphField?.bytes) throw new ModelError('the ONNX model has no graph');
  const graph = graphField.bytes;
  const graphFields = [...fields(graph)];
  const lastNode = graphFields.reduce((last, f, i) => (f.number === GRAPH_NODE ? i : last), -1);
  const lastOutput = graphFields.reduce((last, f, i) => (f.number === GRAPH_OUTPUT ? i : last), -1);
  const parts: Uint8Array[] = (addition.initializers ?? []).map((t) => lengthField(GRAPH_INITIALIZER, tensorProto(t)));
  graphFields.forEach((field, i) => {
    parts.push(graph.subarray(field.start, field.end));
    if (i === lastNode) parts.push(...(addition.nodes ?? []).map((n) => lengthField(GRAPH_NODE, nodeProto(n))));
    if (i === lastOutput) parts.push(...(addition.outputs ?? []).map((o) => lengthField(GRAPH_OUTPUT, valueInfoProto(o))));
  });
  if (lastNode < 0) parts.push(...(addition.nodes ?? []).map((n) => lengthField(GRAPH_NODE, nodeProto(n))));
  if (lastOutput < 0) parts.push(...(addition.outputs ?? []).map((o) => lengthField(GRAPH_OUTPUT, valueInfoProto(o))));
  const newGraph = lengthField(MODEL_GRAPH, concat(parts));
  const opsets = modelOpsets(model);
  const newOpsets = Object.entries(addition.opsets ?? {})
    .filter(([domain]) => !opsets.has(domain))
    .map(([domain, version]) => lengthField(MODEL_OPSET_IMPORT, concat([lengthField(OPSET_DOMAIN, domain), intField(OPSET_VERSION, version)])));
  return concat([...modelFields.map((f) => (f === graphField ? newGraph : model.subarray(f.start, f.end))), ...newOpsets]);
}

/** The model's opset imports: domain ('' for standard ONNX, 'ai.onnx' counted as '') → version. */
export function modelOpsets(model: Uint8Array): ReadonlyMap<string, number> {
  const opsets = new Map<string, number>();
  for (const field of fields(model)) {
    if (field.number !== MODEL_OPSET_IMPORT || !field.bytes) continue;
    let domain = '';
    let version = 0;
    for (const part of fields(field.bytes)) {
      if (part.number === OPSET_DOMAIN) domain = text(part);
      else if (part.number === OPSET_VERSION && part.wire === WIRE_VARINT) version = part.value ?? 0;
    }
    opsets.set(domain === 'ai.onnx' ? '' : domain, version);
  }
  return opsets;
}

/** A decoded attribute: ints and floats as numbers; strings as text; tensors and graphs as bytes. */
export interface Attribute {
  readonly int?: number;
  readonly float?: number;
  readonly ints?: readonly number[];
  readonly floats?: readonly number[];
  readonly string?: string;
  readonly tensor?: Uint8Array;
}

/**
 * A varint field's value as a signed int64, decoded exactly from its bytes (protobuf stores
 * negatives as ten-byte two's complement, which a float reading of the varint would round).
 */
function signedValue(message: Uint8Array, field: Field): number {
  let pos = field.start;
  while (((message[pos] as number) & 0x80) !== 0) pos++; // the key
  return packedSigned(message.subarray(pos + 1, field.end))[0] as number;
}

function packedSigned(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let value = 0n;
  let shift = 0n;
  for (const byte of bytes) {
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) {
      out.push(Number(BigInt.asIntN(64, value)));
      value = 0n;
      shift = 0n;
    }
  }
  return out;
}

/** A node's attributes by name (subgraph attributes are left out: graphNode reads those). */
export function nodeAttributes(nodeBytes: Uint8Array): ReadonlyMap<string, Attribute> {
  const attributes = new Map<string, Attribute>();
  for (const part of fields(nodeBytes)) {
    if (part.number !== NODE_ATTRIBUTE || !part.bytes) continue;
    let name = '';
    const attribute: { -readonly [K in keyof Attribute]: Attribute[K] } = {};
    const ints: number[] = [];
    const floats: number[] = [];
    for (const f of fields(part.bytes)) {
      if (f.number === ATTRIBUTE_NAME) name = text(f);
      else if (f.number === ATTRIBUTE_INT && f.wire === WIRE_VARINT) attribute.int = signedValue(part.bytes, f);
      else if (f.number === ATTRIBUTE_FLOAT && f.wire === WIRE_32BIT) attribute.float = new DataView(part.bytes.buffer, part.bytes.byteOffset + f.end - 4, 4).getFloat32(0, true);
      else if (f.number === ATTRIBUTE_STRING) attribute.string = text(f);
      else if (f.number === ATTRIBUTE_TENSOR && f.bytes) attribute.tensor = f.bytes;
      else if (f.number === ATTRIBUTE_INTS) {
        if (f.wire === WIRE_VARINT) ints.push(signedValue(part.bytes, f));
        else if (f.wire === WIRE_LENGTH_DELIMITED && f.bytes) ints.push(...packedSigned(f.bytes));
      } else if (f.number === ATTRIBUTE_FLOATS) {
        if (f.wire === WIRE_32BIT) floats.push(new DataView(part.bytes.buffer, part.bytes.byteOffset + f.end - 4, 4).getFloat32(0, true));
        else if (f.wire === WIRE_LENGTH_DELIMITED && f.bytes) {
          const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.length);
          for (let i = 0; i + 4 <= f.bytes.length; i += 4) floats.push(view.getFloat32(i, true));
        }
      }
    }
    if (ints.length > 0) attribute.ints = ints;
    if (floats.length > 0) attribute.floats = floats;
    attributes.set(name, attribute);
  }
  return attributes;
}

/** A node's domain ('' for standard ONNX). */
export function nodeDomain(nodeBytes: Uint8Array): string {
  for (const part of fields(nodeBytes)) if (part.number === NODE_DOMAIN) return text(part) === 'ai.onnx' ? '' : text(part);
  return '';
}
