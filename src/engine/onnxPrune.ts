// Graph pruning on the ONNX protobuf: a copy of a model that computes only some of its outputs.
// onnxruntime runs every node of a graph whatever the caller fetches, so the inspector, which needs
// only attentions.{i}, would otherwise pay for the LM head ([tokens, hidden] × [hidden, vocab]) and
// the last layer's MLP. Kept fields are copied byte for byte; nothing is decoded beyond names.
import { ModelError } from './errors';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_GRAPHS,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_INPUT,
  NODE_OUTPUT,
  TENSOR_NAME,
  text,
  VALUE_INFO_NAME,
} from './onnxProto';
import { concat, lengthField } from './protoWrite';

interface NodeEntry {
  readonly field: Field;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface PruneResult {
  readonly bytes: Uint8Array;
  readonly keptNodes: number;
  readonly totalNodes: number;
}

function nameOf(message: Uint8Array, nameField: number): string {
  for (const field of fields(message)) if (field.number === nameField) return text(field);
  return '';
}

/**
 * Every value name a subgraph (If/Loop/Scan bodies) reads. A node with a subgraph may read values
 * of the outer graph implicitly, so all of them count as inputs of the node — over-counting names
 * local to the subgraph keeps a few nodes too many at worst, never too few.
 */
function subgraphReads(graph: Uint8Array, into: string[]): void {
  for (const field of fields(graph)) {
    if (field.number === GRAPH_NODE && field.bytes) into.push(...nodeEntry(field).inputs);
  }
}

function nodeEntry(field: Field): NodeEntry {
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const part of fields(field.bytes!)) {
    if (part.number === NODE_INPUT) inputs.push(text(part));
    else if (part.number === NODE_OUTPUT) outputs.push(text(part));
    else if (part.number === NODE_ATTRIBUTE && part.bytes) {
      for (const attribute of fields(part.bytes)) {
        if ((attribute.number === ATTRIBUTE_GRAPH || attribute.number === ATTRIBUTE_GRAPHS) && attribute.bytes) {
          subgraphReads(attribute.bytes, inputs);
        }
      }
    }
  }
  return { field, inputs: inputs.filter((name) => name !== ''), outputs };
}

/**
 * The model with only the nodes that `keepOutputs` depend on, and only those outputs. Graph inputs
 * stay as they are (feeding an input nothing reads is allowed); initializers and value_info
 * entries nothing reads any more are dropped, unless they are also graph inputs.
 */
export function pruneToOutputs(model: Uint8Array, keepOutputs: readonly string[]): PruneResult {
  const modelFields = [...fields(model)];
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH && f.bytes);
  if (!graphField?.bytes) throw new ModelError('the ONNX model has no graph');
  const graph = graphField.bytes;
  const graphFields = [...fields(graph)];

  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes).map(nodeEntry);
  const outputNames = new Set(graphFields.filter((f) => f.number === GRAPH_OUTPUT && f.bytes).map((f) => nameOf(f.bytes!, VALUE_INFO_NAME)));
  const missing = keepOutputs.filter((name) => !outputNames.has(name));
  if (missing.length > 0) throw new ModelError(`the ONNX model has no outputs ${missing.join(', ')}`);
  const inputNames = new Set(graphFields.filter((f) => f.number === GRAPH_INPUT && f.bytes).map((f) => nameOf(f.bytes!, VALUE_INFO_NAME)));

  // Walk back from the kept outputs to every node they depend on.
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => node.outputs.forEach((name) => producer.set(name, i)));
  const kept = new Set<number>();
  const live = new Set<string>();
  const pending = [...keepOutputs];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (live.has(name)) continue;
    live.add(name);
    const index = producer.get(name);
    if (index === undefined || kept.has(index)) continue;
    kept.add(index);
    const node = nodes[index]!;
    node.outputs.forEach((output) => live.add(output));
    pending.push(...node.inputs);
  }

  const keptNodeFields = new Set(nodes.filter((_, i) => kept.has(i)).map((n) => n.field.start));
  const keepOutput = new Set(keepOutputs);
  const parts: Uint8Array[] = [];
  for (const field of graphFields) {
    const bytes = field.bytes;
    let keep = true;
    if (field.number === GRAPH_NODE && bytes) keep = keptNodeFields.has(field.start);
    else if (field.number === GRAPH_OUTPUT && bytes) keep = keepOutput.has(nameOf(bytes, VALUE_INFO_NAME));
    else if (field.number === GRAPH_INITIALIZER && bytes) {
      const name = nameOf(bytes, TENSOR_NAME);
      keep = live.has(name) || inputNames.has(name);
    } else if (field.number === GRAPH_VALUE_INFO && bytes) keep = live.has(nameOf(bytes, VALUE_INFO_NAME));
    if (keep) parts.push(graph.subarray(field.start, field.end));
  }
  const newGraph = lengthField(MODEL_GRAPH, concat(parts));
  const modelParts = modelFields.map((f) => (f === graphField ? newGraph : model.subarray(f.start, f.end)));
  return { bytes: concat(modelParts), keptNodes: kept.size, totalNodes: nodes.length };
}
