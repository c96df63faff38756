// Graph surgery for prefill: a copy of a decoder whose LM head reads only the last position.
// Exports without `num_logits_to_keep` compute [batch, sequence, vocab] logits for every prompt
// token, although generation reads one row: at 1,024 tokens and Qwen's 151,936-word vocabulary
// that is 620 MB of float32 and a matrix product 1,024 times larger than needed. Inserting
// Gather(axis 1, [-1]) on the head's activation input makes the head compute one row; everything
// the head reads besides that input (a dynamic quantization scale, a bias) is untouched, so the
// row equals the last row of the original graph bit for bit.
import {
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  MODEL_GRAPH,
  NODE_INPUT,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  TENSOR_NAME,
  text,
} from './onnxProto';
import { concat, lengthField, varintField } from './protoWrite';

/** Ops that can be the LM head's matrix product; their first input is the activation. */
const HEAD_PRODUCTS = new Set(['MatMul', 'MatMulNBits', 'MatMulInteger', 'FusedMatMul', 'DynamicQuantizeMatMul']);
/** Elementwise ops that may sit between the head's product and `logits` (bias, casts, scales, softcapping). */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Cast', 'Identity', 'Tanh']);

const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_RAW_DATA = 9;
const INT64 = 7;
const NODE_NAME = 3;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_I = 3;
const ATTRIBUTE_TYPE = 20;
const ATTRIBUTE_TYPE_INT = 2;

interface GraphNode {
  readonly field: Field;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

function readNode(field: Field): GraphNode {
  let opType = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const part of fields(field.bytes as Uint8Array)) {
    if (part.number === NODE_OP_TYPE) opType = text(part);
    else if (part.number === NODE_INPUT) inputs.push(text(part));
    else if (part.number === NODE_OUTPUT) outputs.push(text(part));
  }
  return { field, opType, inputs, outputs };
}

export interface LastLogitsEdit {
  readonly bytes: Uint8Array;
  /** The head's activation input that now passes through the Gather. */
  readonly sliced: string;
  /** The op of the head's matrix product (MatMul, MatMulNBits, …). */
  readonly headOp: string;
}

/**
 * The model with its LM head cut to the last position, or undefined when the head is not a
 * recognisable matrix product reached from `logitsName` through elementwise ops (the caller then
 * keeps the full graph). The caller must still check the edited graph's logits shape on a probe.
 */
export function sliceLogitsToLastPosition(model: Uint8Array, logitsName = 'logits'): LastLogitsEdit | undefined {
  const modelFields = [...fields(model)];
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH && f.bytes);
  if (!graphField?.bytes) return undefined;
  const graphFields = [...fields(graphField.bytes)];
  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes).map(readNode);
  const initializers = new Set(
    graphFields.filter((f) => f.number === GRAPH_INITIALIZER && f.bytes).map((f) => {
      for (const part of fields(f.bytes as Uint8Array)) if (part.number === TENSOR_NAME) return text(part);
      return '';
    }),
  );
  const producer = new Map<string, GraphNode>();
  for (const node of nodes) for (const output of node.outputs) producer.set(output, node);

  // A value is constant when it is an initializer or computed only from constants (a transposed
  // tied embedding, a cast weight): such inputs are weights, not the activation.
  const constant = new Map<string, boolean>();
  const isConstant = (name: string, depth = 0): boolean => {
    if (initializers.has(name)) return true;
    const known = constant.get(name);
    if (known !== undefined) return known;
    const node = producer.get(name);
    const result = node !== undefined && depth < 16 && node.inputs.filter((i) => i !== '').every((i) => isConstant(i, depth + 1));
    constant.set(name, result);
    return result;
  };

  // Breadth-first from logits through elementwise ops to the nearest matrix product.
  let head: GraphNode | undefined;
  const queue = [logitsName];
  const seen = new Set<string>();
  while (queue.length > 0 && head === undefined && seen.size < 32) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = producer.get(name);
    if (!node) continue;
    if (HEAD_PRODUCTS.has(node.opType)) head = node;
    else if (ELEMENTWISE.has(node.opType)) queue.push(...node.inputs.filter((i) => i !== '' && !isConstant(i)));
  }
  const activation = head?.inputs[0];
  if (!head || !activation || isConstant(activation)) return undefined;

  const sliced = `${activation}/tealeaf_last_position`;
  const indices = 'tealeaf_last_position_index';
  const minusOne = new Uint8Array(8).fill(0xff); // int64 -1, little-endian two's complement
  const indexTensor = concat([varintField(TENSOR_DIMS, 1), varintField(TENSOR_DATA_TYPE, INT64), lengthField(TENSOR_NAME, indices), lengthField(TENSOR_RAW_DATA, minusOne)]);
  const axis = concat([lengthField(ATTRIBUTE_NAME, 'axis'), varintField(ATTRIBUTE_I, 1), varintField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT)]);
  const gather = concat([
    lengthField(NODE_INPUT, activation),
    lengthField(NODE_INPUT, indices),
    lengthField(NODE_OUTPUT, sliced),
    lengthField(NODE_NAME, 'tealeaf/last_position'),
    lengthField(NODE_OP_TYPE, 'Gather'),
    lengthField(NODE_ATTRIBUTE, axis),
  ]);
  // The head node again, reading the gathered row instead of every position.
  const headParts = [...fields(head.field.bytes as Uint8Array)].map((part, index, all) => {
    const isFirstInput = part.number === NODE_INPUT && all.findIndex((p) => p.number === NODE_INPUT) === index;
    return isFirstInput ? lengthField(NODE_INPUT, sliced) : (head.field.bytes as Uint8Array).subarray(part.start, part.end);
  });
  const newHead = lengthField(GRAPH_NODE, concat(headParts));

  const graph = graphField.bytes;
  const parts: Uint8Array[] = [lengthField(GRAPH_INITIALIZER, indexTensor)];
  for (const field of graphFields) {
    if (field === head.field) parts.push(lengthField(GRAPH_NODE, gather), newHead);
    else parts.push(graph.subarray(field.start, field.end));
  }
  const newGraph = lengthField(MODEL_GRAPH, concat(parts));
  const bytes = concat(modelFields.map((f) => (f === graphField ? newGraph : model.subarray(f.start, f.end))));
  return { bytes, sliced: activation, headOp: head.opType };
}
