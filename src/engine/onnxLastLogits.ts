// Graph surgery for prefill: a copy of a decoder whose LM head reads only the positions asked for.
// Exports without `num_logits_to_keep` compute [batch, sequence, vocab] logits for every prompt
// token, although generation reads one row: at 1,024 tokens and Qwen's 151,936-word vocabulary
// that is 620 MB of float32 and a matrix product 1,024 times larger than needed. Inserting
// Gather(axis 1, rows) on the head's activation input makes the head compute only those rows;
// `rows` is a new graph input (LOGIT_ROWS_INPUT: [-1] for the last position, [-k-1 … -1] for a
// speculative verify pass over k drafts). Everything the head reads besides that input (a dynamic
// quantization scale, a bias) is untouched, so each row equals that row of the original graph.
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_INT,
  ATTRIBUTE_NAME,
  ATTRIBUTE_TYPE,
  ATTRIBUTE_TYPE_INT,
  DIM_PARAM,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  type GraphNode,
  graphNode,
  INT64,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_INPUT,
  NODE_NAME,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  nameOf,
  SHAPE_DIM,
  TENSOR_NAME,
  TENSOR_TYPE_ELEM,
  TENSOR_TYPE_SHAPE,
  TYPE_TENSOR,
  VALUE_INFO_NAME,
  VALUE_INFO_TYPE,
} from './onnxProto';
import { concat, lengthField, varintField } from './protoWrite';

/**
 * The edited graph's int64 input [rows]: which positions of the new tokens get logits, counted
 * from the end (-1 is the last). onnxruntime-web cannot feed an initializer, so it has no default.
 */
export const LOGIT_ROWS_INPUT = 'tealeaf_logit_rows';

/** Ops that can be the LM head's matrix product; their first input is the activation. */
const HEAD_PRODUCTS = new Set(['MatMul', 'MatMulNBits', 'MatMulBnb4', 'MatMulInteger', 'FusedMatMul', 'DynamicQuantizeMatMul']);
/** Elementwise ops that may sit between the head's product and `logits` (bias, casts, scales, softcapping). */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Cast', 'Identity', 'Tanh']);

export interface LastLogitsEdit {
  readonly bytes: Uint8Array;
  /** The head's activation input that now passes through the Gather (per branch for an If). */
  readonly sliced: readonly string[];
  /** The op of the head's matrix product (MatMul, MatMulNBits, …). */
  readonly headOp: string;
}

interface GraphEdit {
  readonly graph: Uint8Array;
  readonly sliced: readonly string[];
  readonly headOp: string;
}

/**
 * The model with its LM head cut to the rows named by LOGIT_ROWS_INPUT, or undefined when the head
 * is not a recognisable matrix product reached from `logitsName` through elementwise ops (the
 * caller then keeps the full graph). Optimum's merged decoders compute logits inside both branches
 * of an If (`use_cache_branch`): each branch is edited the same way and reads the main graph's
 * input from the outer scope. The caller must still check the edited graph's logits shape on a probe.
 */
export function sliceLogitsToLastPosition(model: Uint8Array, logitsName = 'logits'): LastLogitsEdit | undefined {
  const modelFields = [...fields(model)];
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH && f.bytes);
  if (!graphField?.bytes) return undefined;
  const edit = sliceGraph(graphField.bytes, logitsName, new Set());
  if (!edit) return undefined;
  // [rows] int64, its length named so that onnxruntime reports a symbolic dimension.
  const dim = lengthField(SHAPE_DIM, lengthField(DIM_PARAM, 'logit_rows'));
  const tensorType = concat([varintField(TENSOR_TYPE_ELEM, INT64), lengthField(TENSOR_TYPE_SHAPE, dim)]);
  const rowsInput = concat([lengthField(VALUE_INFO_NAME, LOGIT_ROWS_INPUT), lengthField(VALUE_INFO_TYPE, lengthField(TYPE_TENSOR, tensorType))]);
  const newGraph = lengthField(MODEL_GRAPH, concat([edit.graph, lengthField(GRAPH_INPUT, rowsInput)]));
  const bytes = concat(modelFields.map((f) => (f === graphField ? newGraph : model.subarray(f.start, f.end))));
  return { bytes, sliced: edit.sliced, headOp: edit.headOp };
}

/** One graph (the main one or an If branch) edited; `outerConstants` are initializers of enclosing graphs. */
function sliceGraph(graph: Uint8Array, logitsName: string, outerConstants: ReadonlySet<string>): GraphEdit | undefined {
  const graphFields = [...fields(graph)];
  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes).map(graphNode);
  const initializers = new Set([
    ...outerConstants,
    ...graphFields.filter((f) => f.number === GRAPH_INITIALIZER && f.bytes).map((f) => nameOf(f.bytes as Uint8Array, TENSOR_NAME)),
  ]);
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

  // Breadth-first from logits through elementwise ops to the nearest matrix product, or an If.
  let head: GraphNode | undefined;
  const queue = [logitsName];
  const seen = new Set<string>();
  while (queue.length > 0 && head === undefined && seen.size < 32) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = producer.get(name);
    if (!node) continue;
    if (node.opType === 'If') return sliceIfBranches(graph, graphFields, node, node.outputs.indexOf(name), initializers);
    if (HEAD_PRODUCTS.has(node.opType)) head = node;
    else if (ELEMENTWISE.has(node.opType)) queue.push(...node.inputs.filter((i) => i !== '' && !isConstant(i)));
  }
  const activation = head?.inputs[0];
  if (!head || !activation || isConstant(activation)) return undefined;

  const sliced = `${activation}/tealeaf_last_position`;
  const axis = concat([lengthField(ATTRIBUTE_NAME, 'axis'), varintField(ATTRIBUTE_INT, 1), varintField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT)]);
  const gather = concat([
    lengthField(NODE_INPUT, activation),
    lengthField(NODE_INPUT, LOGIT_ROWS_INPUT),
    lengthField(NODE_OUTPUT, sliced),
    lengthField(NODE_NAME, 'tealeaf/last_position'),
    lengthField(NODE_OP_TYPE, 'Gather'),
    lengthField(NODE_ATTRIBUTE, axis),
  ]);
  // The head node again, reading the gathered row instead of every position.
  const headBytes = head.field.bytes as Uint8Array;
  const firstInput = [...fields(headBytes)].findIndex((p) => p.number === NODE_INPUT);
  const headParts = [...fields(headBytes)].map((part, index) => (index === firstInput ? lengthField(NODE_INPUT, sliced) : headBytes.subarray(part.start, part.end)));
  const newHead = lengthField(GRAPH_NODE, concat(headParts));

  const parts: Uint8Array[] = [];
  for (const field of graphFields) {
    if (field === head.field) parts.push(lengthField(GRAPH_NODE, gather), newHead);
    else parts.push(graph.subarray(field.start, field.end));
  }
  return { graph: concat(parts), sliced: [activation], headOp: head.opType };
}

/** Edits both branches of the If that produces logits (its output `index`); undefined unless both can be. */
function sliceIfBranches(graph: Uint8Array, graphFields: readonly Field[], node: GraphNode, index: number, constants: ReadonlySet<string>): GraphEdit | undefined {
  const nodeBytes = node.field.bytes as Uint8Array;
  const sliced: string[] = [];
  let headOp = '';
  let branches = 0;
  const nodeParts: Uint8Array[] = [];
  for (const part of fields(nodeBytes)) {
    if (part.number !== NODE_ATTRIBUTE || !part.bytes) {
      nodeParts.push(nodeBytes.subarray(part.start, part.end));
      continue;
    }
    const attributeFields = [...fields(part.bytes)];
    const branch = attributeFields.find((f) => f.number === ATTRIBUTE_GRAPH && f.bytes);
    if (!branch?.bytes) {
      nodeParts.push(nodeBytes.subarray(part.start, part.end));
      continue;
    }
    const outputs = [...fields(branch.bytes)].filter((f) => f.number === GRAPH_OUTPUT && f.bytes).map((f) => nameOf(f.bytes as Uint8Array, VALUE_INFO_NAME));
    const logits = outputs[index];
    const edit = logits === undefined ? undefined : sliceGraph(branch.bytes, logits, constants);
    if (!edit) return undefined;
    branches++;
    sliced.push(...edit.sliced);
    headOp = edit.headOp;
    const attribute = concat(attributeFields.map((f) => (f === branch ? lengthField(ATTRIBUTE_GRAPH, edit.graph) : part.bytes!.subarray(f.start, f.end))));
    nodeParts.push(lengthField(NODE_ATTRIBUTE, attribute));
  }
  if (branches !== 2) return undefined;
  const newNode = lengthField(GRAPH_NODE, concat(nodeParts));
  const parts = graphFields.map((field) => (field === node.field ? newNode : graph.subarray(field.start, field.end)));
  return { graph: concat(parts), sliced, headOp };
}
