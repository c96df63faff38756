// Wide 4-bit matrix products cut into column blocks, for onnxruntime-web's WebAssembly build.
// There MLAS has no n-bit GEMM kernel, so MatMulNBits falls back to dequantizing its whole weight
// into a float32 temporary of K × N before each product: for Qwen2.5's LM head (K 896, N 151,936)
// that is 545 MB, allocated at every pass, and WebAssembly memory never shrinks, so it stays in
// the process's peak for good. Cut into products of at most `maxTempBytes` of temporary each,
// concatenated along the last axis, the graph computes the same numbers (every output column is
// the same dot product over K) with a temporary of one block.
//
// MatMulNBits keeps every per-column tensor row-major with N outermost — B [N, blocks, blob],
// scales [N × blocks] or [N, blocks], zero points [N × packed] and bias [N] — so a block of
// columns is a contiguous byte range of each: external data gets a narrower range of the same
// file (no bytes are copied), inline data a slice.
import {
  DATA_LOCATION_EXTERNAL,
  type ExternalExtent,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  graphNode,
  MODEL_GRAPH,
  NODE_INPUT,
  NODE_NAME,
  nameOf,
  TENSOR_DATA_LOCATION,
  TENSOR_DATA_TYPE,
  TENSOR_DIMS,
  TENSOR_NAME,
  type TensorFields,
  tensorFields,
  text,
} from './onnxProto';
import { externalEntry } from './onnxExternalize';
import { type AttributeValue, nodeAttributes, nodeDomain, nodeProto, tensorProto } from './onnxBuild';
import { concat, lengthField, varintField } from './protoWrite';

/**
 * The largest float32 temporary one product may dequantize into. 16 MiB cuts Qwen2.5-0.5B's LM
 * head into 33 products and its MLP matrices in two, and took its q4 file's peak RSS from 1,380
 * MB (64 MiB) to 1,318 MB, the time per token unchanged.
 */
export const MAX_PRODUCT_TEMP_BYTES = 16 * 1024 * 1024;

/** MatMulNBits inputs by position (com.microsoft's schema). */
const INPUT = { A: 0, B: 1, SCALES: 2, ZERO_POINTS: 3, G_IDX: 4, BIAS: 5 } as const;

export interface SplitProducts {
  readonly bytes: Uint8Array;
  /** Each product cut, by its output, and into how many blocks. */
  readonly split: readonly { readonly output: string; readonly blocks: number }[];
}

/** An initializer the split can cut: inline bytes or a known external extent. */
type Initializer = TensorFields & ({ readonly raw: Uint8Array } | { readonly external: ExternalExtent });

function readInitializer(tensor: Uint8Array): Initializer | undefined {
  const read = tensorFields(tensor);
  // Without an explicit length the extent is unknown here: leave such a tensor alone.
  if (read.external) return Number.isSafeInteger(read.external.offset) && Number.isSafeInteger(read.external.length) ? (read as Initializer) : undefined;
  return read.raw ? (read as Initializer) : undefined;
}

function byteLength(tensor: Initializer): number {
  return tensor.external ? tensor.external.length : (tensor.raw as Uint8Array).length;
}

/** Columns [from, to) of a per-column tensor (N outermost) of a product with `n` columns, as a new initializer. */
function columnBlock(tensor: Initializer, n: number, from: number, to: number, name: string): Uint8Array {
  const rowBytes = byteLength(tensor) / n;
  const first = tensor.dims[0] as number;
  const dims = [(first / n) * (to - from), ...tensor.dims.slice(1)];
  const start = from * rowBytes;
  const end = to * rowBytes;
  if (tensor.raw) return tensorProto({ name, dataType: tensor.dataType, dims, raw: tensor.raw.subarray(start, end) });
  const external = tensor.external as ExternalExtent;
  return concat([
    ...dims.map((d) => varintField(TENSOR_DIMS, d)),
    varintField(TENSOR_DATA_TYPE, tensor.dataType),
    lengthField(TENSOR_NAME, name),
    externalEntry('location', external.location),
    externalEntry('offset', String(external.offset + start)),
    externalEntry('length', String(end - start)),
    varintField(TENSOR_DATA_LOCATION, DATA_LOCATION_EXTERNAL),
  ]);
}

/** Whether each per-column tensor divides evenly into N rows, so that a block of columns is a byte range. */
function perColumn(tensor: Initializer | undefined, n: number): tensor is Initializer {
  const first = tensor?.dims[0];
  return tensor !== undefined && first !== undefined && first % n === 0 && byteLength(tensor) % n === 0;
}

interface Plan {
  readonly node: Field;
  readonly output: string;
  readonly blocks: number;
  readonly replacement: Uint8Array[];
  readonly retired: readonly string[];
}

function planSplit(node: Field, initializers: ReadonlyMap<string, Initializer>, maxTempBytes: number): Plan | undefined {
  const bytes = node.bytes as Uint8Array;
  const { opType, inputs, outputs } = graphNode(node);
  if (opType !== 'MatMulNBits' || nodeDomain(bytes) !== 'com.microsoft') return undefined;
  // By position, '' where an optional input is absent (graphNode drops those).
  const named = [...fields(bytes)].filter((f) => f.number === NODE_INPUT).map(text);
  const attributes = nodeAttributes(bytes);
  // Its attributes are all ints (K, N, bits, block_size, accuracy_level); anything else is not a form this edit knows.
  if ([...attributes.values()].some((value) => value.int === undefined)) return undefined;
  const k = attributes.get('K')?.int;
  const n = attributes.get('N')?.int;
  const output = outputs[0];
  if (k === undefined || n === undefined || output === undefined || inputs.length === 0) return undefined;
  const blocks = Math.ceil((4 * k * n) / maxTempBytes);
  // g_idx reorders K, not N, but it is rare enough that leaving such a product whole is the safe choice.
  if (blocks < 2 || (named[INPUT.G_IDX] ?? '') !== '') return undefined;
  const perColumnInputs = [INPUT.B, INPUT.SCALES, INPUT.ZERO_POINTS, INPUT.BIAS].filter((i) => (named[i] ?? '') !== '');
  const tensors = perColumnInputs.map((i) => initializers.get(named[i] as string));
  if (!tensors.every((t) => perColumn(t, n))) return undefined;

  const width = Math.ceil(n / blocks);
  const nodeName = [...fields(bytes)].find((f) => f.number === NODE_NAME);
  const base = nodeName ? text(nodeName) : output;
  const replacement: Uint8Array[] = [];
  const parts: string[] = [];
  for (let from = 0, b = 0; from < n; from += width, b++) {
    const to = Math.min(n, from + width);
    const suffix = `/tealeaf_columns_${b}`;
    const blockInputs = [...named];
    perColumnInputs.forEach((position, t) => {
      const tensor = tensors[t] as Initializer;
      // Per product as well: two products may read one weight.
      const name = `${tensor.name}${suffix}/${output}`;
      blockInputs[position] = name;
      replacement.push(lengthField(GRAPH_INITIALIZER, columnBlock(tensor, n, from, to, name)));
    });
    const part = `${output}${suffix}`;
    parts.push(part);
    const blockAttributes: Record<string, AttributeValue> = {};
    for (const [name, value] of attributes) blockAttributes[name] = { int: name === 'N' ? to - from : (value.int as number) };
    replacement.push(lengthField(GRAPH_NODE, nodeProto({ op: 'MatMulNBits', domain: 'com.microsoft', name: `${base}${suffix}`, inputs: blockInputs, outputs: [part], attributes: blockAttributes })));
  }
  replacement.push(lengthField(GRAPH_NODE, nodeProto({ op: 'Concat', name: `${base}/tealeaf_concat`, inputs: parts, outputs: [output], attributes: { axis: { int: -1 } } })));
  return { node, output, blocks: parts.length, replacement, retired: tensors.map((t) => (t as Initializer).name) };
}

/**
 * The model with every MatMulNBits of its main graph whose dequantized weight passes
 * `maxTempBytes` cut into column blocks; undefined when there is none. Products whose per-column
 * tensors are not initializers (or not laid out by column) are left whole.
 */
export function splitWideProducts(model: Uint8Array, maxTempBytes = MAX_PRODUCT_TEMP_BYTES): SplitProducts | undefined {
  const modelFields = [...fields(model)];
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH && f.bytes);
  if (!graphField?.bytes) return undefined;
  const graphFields = [...fields(graphField.bytes)];
  const candidates = graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes && graphNode(f).opType === 'MatMulNBits');
  if (candidates.length === 0) return undefined;
  const initializers = new Map<string, Initializer>();
  for (const f of graphFields) {
    if (f.number !== GRAPH_INITIALIZER || !f.bytes) continue;
    const tensor = readInitializer(f.bytes);
    if (tensor) initializers.set(tensor.name, tensor);
  }
  const plans = new Map<Field, Plan>();
  for (const f of candidates) {
    const plan = planSplit(f, initializers, maxTempBytes);
    if (plan) plans.set(f, plan);
  }
  if (plans.size === 0) return undefined;
  // A weight another node also reads stays (the blocks are new initializers beside it).
  const stillRead = new Set(graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes && !plans.has(f)).flatMap((f) => graphNode(f).inputs));
  const retired = new Set([...plans.values()].flatMap((p) => p.retired).filter((name) => !stillRead.has(name)));
  const graph = graphField.bytes;
  const parts: Uint8Array[] = [];
  for (const f of graphFields) {
    const plan = plans.get(f);
    if (plan) parts.push(...plan.replacement);
    else if (!(f.number === GRAPH_INITIALIZER && f.bytes && retired.has(nameOf(f.bytes, TENSOR_NAME)))) parts.push(graph.subarray(f.start, f.end));
  }
  const newGraph = lengthField(MODEL_GRAPH, concat(parts));
  return {
    bytes: concat(modelFields.map((f) => (f === graphField ? newGraph : model.subarray(f.start, f.end)))),
    split: [...plans.values()].map((p) => ({ output: p.output, blocks: p.blocks })),
  };
}
