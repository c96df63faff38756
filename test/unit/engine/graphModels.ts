// Small ONNX models built in memory for tests of the graph readers and editors: nodes over
// constants, declared inputs, and If nodes with their branches (onnxBuild writes no graph attributes).
import { type NodeSpec, nodeProto, type TensorSpec, tensorProto } from '../../../src/engine/onnxBuild';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_NAME,
  ATTRIBUTE_TYPE,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_INPUT,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  TENSOR_TYPE_ELEM,
  TENSOR_TYPE_SHAPE,
  TYPE_TENSOR,
  VALUE_INFO_NAME,
  VALUE_INFO_TYPE,
} from '../../../src/engine/onnxProto';
import { concat, lengthField, varintField } from '../../../src/engine/protoWrite';

/** AttributeProto.AttributeType GRAPH */
const ATTRIBUTE_TYPE_GRAPH = 5;

/**
 * A value declaration (name, element type, rank with symbolic dimensions, as an exporter writes
 * batch and sequence axes) in graph field `field`: GRAPH_INPUT, GRAPH_OUTPUT or GRAPH_VALUE_INFO.
 */
export function declaredValue(name: string, elemType: number, rank: number, field = GRAPH_INPUT): Uint8Array {
  const shape = concat(Array.from({ length: rank }, (_, i) => lengthField(1, lengthField(2, `${name}_${i}`))));
  const tensorType = concat([varintField(TENSOR_TYPE_ELEM, elemType), lengthField(TENSOR_TYPE_SHAPE, shape)]);
  return lengthField(field, concat([lengthField(VALUE_INFO_NAME, name), lengthField(VALUE_INFO_TYPE, lengthField(TYPE_TENSOR, tensorType))]));
}

/** GraphProto fields: nodes (already encoded ones as they are), a name, constants, then `extra` fields. */
export function graphOf(nodes: readonly (NodeSpec | Uint8Array)[], initializers: readonly TensorSpec[] = [], extra: readonly Uint8Array[] = []): Uint8Array {
  return concat([
    ...nodes.map((n) => (n instanceof Uint8Array ? lengthField(GRAPH_NODE, n) : lengthField(GRAPH_NODE, nodeProto(n)))),
    lengthField(2, 'test'),
    ...initializers.map((t) => lengthField(GRAPH_INITIALIZER, tensorProto(t))),
    ...extra,
  ]);
}

/** A ModelProto (IR 8) of `graph`, in standard opset `opset` and com.microsoft 1. */
export function modelOf(graph: Uint8Array, opset = 17): Uint8Array {
  const opsets = [lengthField(8, concat([lengthField(1, ''), varintField(2, opset)])), lengthField(8, concat([lengthField(1, 'com.microsoft'), varintField(2, 1)]))];
  return concat([varintField(1, 8), lengthField(MODEL_GRAPH, graph), ...opsets]);
}

/** A model of `nodes` over constant inputs (and `extra` graph fields: declared inputs, more constants). */
export function graphModel(nodes: readonly (NodeSpec | Uint8Array)[], initializers: readonly TensorSpec[] = [], opset = 17, extra: readonly Uint8Array[] = []): Uint8Array {
  return modelOf(graphOf(nodes, initializers, extra), opset);
}

/** An If node (NodeProto bytes) on `condition` with the given branch graphs (GraphProto bytes). */
export function ifNode(condition: string, outputs: readonly string[], branches: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const attributes = Object.entries(branches).map(([name, graph]) =>
    lengthField(NODE_ATTRIBUTE, concat([lengthField(ATTRIBUTE_NAME, name), lengthField(ATTRIBUTE_GRAPH, graph), varintField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_GRAPH)])),
  );
  return concat([lengthField(NODE_INPUT, condition), ...outputs.map((o) => lengthField(NODE_OUTPUT, o)), lengthField(NODE_OP_TYPE, 'If'), ...attributes]);
}

/** A graph output declaration by name only (a branch's outputs). */
export function namedOutput(name: string): Uint8Array {
  return lengthField(GRAPH_OUTPUT, lengthField(VALUE_INFO_NAME, name));
}
