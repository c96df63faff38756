// Graph pruning on the ONNX protobuf: a copy of a model that computes only some of its outputs.
// onnxruntime runs every node of a graph whatever the caller fetches, so the inspector, which needs
// only attentions.{i}, would otherwise pay for the LM head ([tokens, hidden] × [hidden, vocab]) and
// the last layer's MLP. Kept fields are copied byte for byte; nothing is decoded beyond names.
import { ModelError } from './errors';
import {
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  graphNode,
  MODEL_GRAPH,
  nameOf,
  TENSOR_NAME,
  VALUE_INFO_NAME,
} from './onnxProto';
import { concat, lengthField } from './protoWrite';

export interface PruneResult {
  readonly bytes: Uint8Array;
  readonly keptNodes: number;
  readonly totalNodes: number;
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

  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes).map(graphNode);
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
