// int8 weights of MatMulInteger stored as uint8, for onnxruntime-node on x86. Its kernel for uint8
// activations × int8 weights sums each pair of neighbouring products in saturating 16 bits
// (PMADDUBSW) on CPUs without VNNI, so a dynamically quantized graph (q8, int8) gives other numbers
// there than on WebAssembly, whose kernel is exact — and on the random-weight fixtures other greedy
// tokens. onnxruntime's own cure (session.x64quantprecision, set in onnx.ts) skips weights that a
// merged decoder reads inside its If branches, which is where Optimum's exports keep them.
//
// The rewrite is exact: MatMulInteger computes (A − a_zero) × (B − b_zero) in int32, and
// (B + 128) − (b_zero + 128) = B − b_zero. A weight whose bytes are flipped (x ^ 0x80 is x + 128
// read as uint8) and whose type byte says UINT8 needs no other change, so the edit is made in place
// in the model's bytes: no copy of a 600 MB graph, no new field lengths (zero points kept as
// int32_data become raw_data of the same length, see inPlaceUnsigned).
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
  NODE_OP_TYPE,
  NODE_OUTPUT,
  nameOf,
  TENSOR_DATA_TYPE,
  TENSOR_NAME,
  TENSOR_RAW_DATA,
  text,
  VALUE_INFO_NAME,
  WIRE_LENGTH_DELIMITED,
} from './onnxProto';

const INT8 = 3;
const UINT8 = 2;
/** MatMulInteger's inputs by position. */
const WEIGHT = 1;
const WEIGHT_ZERO_POINT = 3;

interface Product {
  readonly activation: string;
  readonly weight: string;
  readonly zeroPoint: string;
}

interface GraphFacts {
  /** Initializers by name: each TensorProto's bytes, a view into the model. */
  readonly tensors: Map<string, Uint8Array[]>;
  /** Every node input by name: `op:position`. */
  readonly uses: Map<string, string[]>;
  /** The op that writes each value. */
  readonly producers: Map<string, string>;
  /** Names a graph declares with their type (inputs, outputs, value_info): their type must stay. */
  readonly declared: Set<string>;
  readonly products: Product[];
}

function collect(graph: Uint8Array, facts: GraphFacts): void {
  for (const field of fields(graph)) {
    if (field.number === GRAPH_INITIALIZER && field.bytes) {
      const name = nameOf(field.bytes, TENSOR_NAME);
      facts.tensors.set(name, [...(facts.tensors.get(name) ?? []), field.bytes]);
    } else if ((field.number === GRAPH_INPUT || field.number === GRAPH_OUTPUT || field.number === GRAPH_VALUE_INFO) && field.bytes) {
      facts.declared.add(nameOf(field.bytes, VALUE_INFO_NAME));
    }
    else if (field.number === GRAPH_NODE && field.bytes) collectNode(field.bytes, facts);
  }
}

function collectNode(node: Uint8Array, facts: GraphFacts): void {
  let op = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const part of fields(node)) {
    if (part.number === NODE_OP_TYPE) op = text(part);
    else if (part.number === NODE_INPUT) inputs.push(text(part));
    else if (part.number === NODE_OUTPUT) outputs.push(text(part));
    else if (part.number === NODE_ATTRIBUTE && part.bytes) {
      for (const attribute of fields(part.bytes)) {
        if ((attribute.number === ATTRIBUTE_GRAPH || attribute.number === ATTRIBUTE_GRAPHS) && attribute.bytes) collect(attribute.bytes, facts);
      }
    }
  }
  inputs.forEach((name, position) => {
    if (name !== '') facts.uses.set(name, [...(facts.uses.get(name) ?? []), `${op}:${position}`]);
  });
  for (const name of outputs) facts.producers.set(name, op);
  // Every product is recorded, also one without a weight zero point ('' then): a weight it shares
  // with another product must stay int8 for it.
  const [activation = '', weight = '', , zeroPoint = ''] = inputs;
  if (op === 'MatMulInteger' && weight) facts.products.push({ activation, weight, zeroPoint });
}

/** TensorProto.int32_data, where small integer types keep their values when not as raw bytes. */
const TENSOR_INT32_DATA = 5;

/**
 * How to store an int8 tensor as uint8 in place, where that keeps every length: raw bytes are
 * flipped; values in int32_data (zero points, usually a single 0) are rewritten as raw_data when
 * each takes one byte there (0 to 127, packed), since "key, length, n bytes" then has the same
 * length under either field number. Undefined for anything else.
 */
function inPlaceUnsigned(tensor: Uint8Array): (() => void) | undefined {
  let dataType: Field | undefined;
  let values: Field | undefined;
  for (const field of fields(tensor)) {
    if (field.number === TENSOR_DATA_TYPE) dataType = field;
    else if (field.number === TENSOR_RAW_DATA || field.number === TENSOR_INT32_DATA) values = field;
  }
  // The type is rewritten in its one value byte: a data_type written in more bytes is left alone.
  if (dataType?.value !== INT8 || dataType.end - dataType.start !== 2 || !values?.bytes) return undefined;
  const { bytes, number, start } = values;
  const packedSmall = number === TENSOR_INT32_DATA && tensor[start] === TENSOR_INT32_DATA * 8 + WIRE_LENGTH_DELIMITED && bytes.every((b) => b < 0x80);
  if (number !== TENSOR_RAW_DATA && !packedSmall) return undefined;
  const typeAt = dataType.end - 1; // after the key, the value's one byte
  return () => {
    tensor[typeAt] = UINT8;
    if (packedSmall) tensor[start] = TENSOR_RAW_DATA * 8 + WIRE_LENGTH_DELIMITED;
    // x ^ 0x80 is x + 128 read as uint8, for int8 bytes and for single-byte varints of 0 to 127.
    for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] as number) ^ 0x80;
  };
}

/**
 * Rewrites, in `model` itself, every int8 weight (and its zero point) that only MatMulInteger
 * products of uint8 activations read, as uint8. Left alone: weights another op also reads, weights
 * a caller may feed (graph inputs) or whose type the graph declares (outputs, value_info), weights
 * with external data or values that would change length, and names defined twice across
 * subgraphs. Returns the names rewritten.
 */
export function unsignedIntegerWeights(model: Uint8Array): string[] {
  const facts: GraphFacts = { tensors: new Map(), uses: new Map(), producers: new Map(), declared: new Set(), products: [] };
  for (const field of fields(model)) if (field.number === MODEL_GRAPH && field.bytes) collect(field.bytes, facts);

  const convertible = (name: string, position: number): boolean => {
    const tensors = facts.tensors.get(name);
    return (
      tensors?.length === 1 &&
      !facts.declared.has(name) &&
      inPlaceUnsigned(tensors[0] as Uint8Array) !== undefined &&
      (facts.uses.get(name) ?? []).every((use) => use === `MatMulInteger:${position}`)
    );
  };
  const chosen = new Set<string>();
  for (const p of facts.products) {
    if (facts.producers.get(p.activation) === 'DynamicQuantizeLinear' && convertible(p.weight, WEIGHT) && convertible(p.zeroPoint, WEIGHT_ZERO_POINT)) {
      chosen.add(p.weight);
      chosen.add(p.zeroPoint);
    }
  }
  // A weight or zero point shared by two products is converted only if both its partners are.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of facts.products) {
      const ok = facts.producers.get(p.activation) === 'DynamicQuantizeLinear' && chosen.has(p.weight) && chosen.has(p.zeroPoint);
      if (!ok && (chosen.has(p.weight) || chosen.has(p.zeroPoint))) {
        chosen.delete(p.weight);
        chosen.delete(p.zeroPoint);
        changed = true;
      }
    }
  }
  for (const name of chosen) (inPlaceUnsigned(facts.tensors.get(name)?.[0] as Uint8Array) as () => void)();
  return [...chosen];
}
