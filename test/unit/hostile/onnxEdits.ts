// Byte-level edits that turn a valid ONNX file into a hostile one: external-data locations, renamed
// values, impossible dimensions, nested subgraphs. Fields that are not edited are copied verbatim.
import {
  DIM_VALUE,
  ENTRY_KEY,
  ENTRY_VALUE,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  MODEL_GRAPH,
  NODE_INPUT,
  SHAPE_DIM,
  TENSOR_DIMS,
  TENSOR_EXTERNAL_DATA,
  TENSOR_TYPE_ELEM,
  TENSOR_TYPE_SHAPE,
  text,
  TYPE_TENSOR,
  VALUE_INFO_NAME,
  VALUE_INFO_TYPE,
} from '../../../src/engine/onnxProto';
import { concat, lengthField, varintField } from '../../../src/engine/protoWrite';
import { graphOf, ifNode, modelOf, namedOutput } from '../engine/graphModels';

/** A message with each field replaced by what `edit` returns (undefined keeps it as it is). */
function rebuild(message: Uint8Array, edit: (field: Field) => Uint8Array | undefined): Uint8Array {
  return concat([...fields(message)].map((field) => edit(field) ?? message.subarray(field.start, field.end)));
}

/** The model with its main graph's fields edited. */
export function editGraph(model: Uint8Array, edit: (field: Field) => Uint8Array | undefined): Uint8Array {
  return rebuild(model, (field) => (field.number === MODEL_GRAPH && field.bytes ? lengthField(MODEL_GRAPH, rebuild(field.bytes, edit)) : undefined));
}

/** Every external-data tensor's `location` set to `location`. */
export function withExternalLocation(model: Uint8Array, location: string): Uint8Array {
  return editGraph(model, (field) => {
    if (field.number !== GRAPH_INITIALIZER || !field.bytes) return undefined;
    const tensor = rebuild(field.bytes, (part) => {
      if (part.number !== TENSOR_EXTERNAL_DATA || !part.bytes) return undefined;
      const isLocation = [...fields(part.bytes)].some((entry) => entry.number === ENTRY_KEY && text(entry) === 'location');
      return isLocation ? lengthField(TENSOR_EXTERNAL_DATA, concat([lengthField(ENTRY_KEY, 'location'), lengthField(ENTRY_VALUE, location)])) : undefined;
    });
    return lengthField(GRAPH_INITIALIZER, tensor);
  });
}

/** The graph input `from` renamed to `to`, in the input list and in every node of the main graph that reads it. */
export function withRenamedInput(model: Uint8Array, from: string, to: string): Uint8Array {
  const rename = (field: Field): Uint8Array | undefined => (field.number === NODE_INPUT && text(field) === from ? lengthField(NODE_INPUT, to) : undefined);
  return editGraph(model, (field) => {
    if (!field.bytes) return undefined;
    if (field.number === GRAPH_INPUT) {
      return lengthField(GRAPH_INPUT, rebuild(field.bytes, (part) => (part.number === VALUE_INFO_NAME && text(part) === from ? lengthField(VALUE_INFO_NAME, to) : undefined)));
    }
    return field.number === GRAPH_NODE ? lengthField(GRAPH_NODE, rebuild(field.bytes, rename)) : undefined;
  });
}

/** The first initializer's dims replaced by `dims` (its data left as it was). */
export function withInitializerDims(model: Uint8Array, dims: readonly number[]): Uint8Array {
  let done = false;
  return editGraph(model, (field) => {
    if (done || field.number !== GRAPH_INITIALIZER || !field.bytes) return undefined;
    done = true;
    const kept = [...fields(field.bytes)].filter((part) => part.number !== TENSOR_DIMS).map((part) => field.bytes!.subarray(part.start, part.end));
    return lengthField(GRAPH_INITIALIZER, concat([...dims.map((d) => varintField(TENSOR_DIMS, d)), ...kept]));
  });
}

/** The graph input `name` declared as an int64 tensor of the fixed shape `dims`. */
export function withInputShape(model: Uint8Array, name: string, dims: readonly number[]): Uint8Array {
  const shape = concat(dims.map((d) => lengthField(SHAPE_DIM, varintField(DIM_VALUE, d))));
  const type = lengthField(TYPE_TENSOR, concat([varintField(TENSOR_TYPE_ELEM, 7), lengthField(TENSOR_TYPE_SHAPE, shape)]));
  return editGraph(model, (field) => {
    if (field.number !== GRAPH_INPUT || !field.bytes) return undefined;
    const parts = [...fields(field.bytes)];
    if (!parts.some((part) => part.number === VALUE_INFO_NAME && text(part) === name)) return undefined;
    return lengthField(GRAPH_INPUT, concat([lengthField(VALUE_INFO_NAME, name), lengthField(VALUE_INFO_TYPE, type)]));
  });
}

/**
 * A model whose graph holds an If whose branch holds an If … `depth` levels deep: a few bytes per
 * level, and a reader that recurses without a bound runs out of stack long before the end.
 */
export function nestedSubgraphs(depth: number): Uint8Array {
  const output = namedOutput('y');
  let graph = graphOf([], [], [output]);
  for (let i = 0; i < depth; i++) graph = graphOf([ifNode('c', ['y'], { then_branch: graph })], [], [output]);
  return modelOf(graph);
}
