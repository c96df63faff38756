// Attention probabilities of graphs whose attention is fused into one operator (com.microsoft
// Attention, MultiHeadAttention, GroupQueryAttention; ONNX Attention from opset 23). A fused node
// never materialises its probabilities, so beside each one this builds plain ONNX nodes that
// recompute them from the values the node reads (Q, K after rotary and past concatenation, mask,
// scale): softmax(mask(bias + softcap(scale · Q·Kᵀ))). The model's own nodes and outputs are left
// as they are; the new nodes only read existing values.
//
// Exactness is promised for the inspector's case only: one sequence run from an empty KV cache
// (past inputs of length 0, attention_mask all ones, positions 0..T-1; for GroupQueryAttention
// seqlens_k = T-1 and total_sequence_length = T). Padding, shared past/present buffers and the
// like are either refused with a reason (`why`) or, where the operator's inputs already carry
// them (present_key holds K after past concatenation), followed as far as they go.
import { type Attribute, DataType, float32Tensor, type GraphAddition, int64Tensor, modelOpsets, type NodeSpec, nodeAttributes, nodeDomain, type TensorSpec } from './onnxBuild';
import { fields, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, GRAPH_OUTPUT, GRAPH_VALUE_INFO, MODEL_GRAPH, NODE_INPUT, NODE_OP_TYPE, NODE_OUTPUT, nameOf, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_NAME, text, VALUE_INFO_NAME } from './onnxProto';

export interface FusedLayer {
  /** The fused node's op ('Attention', 'MultiHeadAttention', 'GroupQueryAttention', or standard 'Attention' opset 23) and domain. */
  readonly op: string;
  readonly domain: string;
  /** The fused node's first output name: identifies the node. */
  readonly anchor: string;
  /** Name of the value holding its probabilities, float32, shape [batch, heads, queries, keys]; absent when it cannot be reproduced. */
  readonly probabilities?: string;
  /** One sentence naming the operator and attribute that cannot be reproduced exactly, when probabilities is absent. */
  readonly why?: string;
}

export interface FusedExposure {
  readonly layers: readonly FusedLayer[];
  readonly addition: GraphAddition;
}

const MICROSOFT = 'com.microsoft';
/** The most negative float32: what the fused kernels give masked scores before the softmax. */
const FLOAT32_LOWEST = -3.4028234663852886e38;
/** Slice ends meaning "to the end" (any value past the dimension is clamped). */
const TO_THE_END = Number.MAX_SAFE_INTEGER;
/** The oldest standard opset the built nodes are valid in (Range, Slice with inputs, negative axes). */
const MIN_OPSET = 11;

/** A fused node as read from the main graph: inputs keep their positions ('' where absent). */
interface FusedNode {
  readonly op: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, Attribute>;
}

/** What the graph declares about a value (graph inputs, value_info, initializers, Cast outputs). */
interface ValueFacts {
  readonly elemType?: number;
  readonly rank?: number;
}

class Unsupported extends Error {}

/** Attributes each operator may carry, with the values that change nothing here. */
const HARMLESS: Readonly<Record<string, Readonly<Record<string, readonly (number | string)[] | 'any'>>>> = {
  'com.microsoft:GroupQueryAttention': {
    num_heads: 'any', kv_num_heads: 'any', scale: 'any', softcap: 'any', local_window_size: 'any', do_rotary: 'any', rotary_interleaved: 'any',
    causal: 'any', smooth_softmax: [-1, 0], qk_output: 'any', sliding_window_cache: 'any', k_quant_type: ['NONE'], v_quant_type: ['NONE'], kv_cache_bit_width: 'any',
  },
  'com.microsoft:MultiHeadAttention': { num_heads: 'any', scale: 'any', unidirectional: 'any', mask_filter_value: 'any' },
  'com.microsoft:Attention': {
    num_heads: 'any', scale: 'any', unidirectional: 'any', mask_filter_value: 'any', qkv_hidden_sizes: 'any', do_rotary: [0], past_present_share_buffer: [0],
  },
  ':Attention': { q_num_heads: 'any', kv_num_heads: 'any', scale: 'any', softcap: 'any', is_causal: 'any', qk_matmul_output_mode: 'any', softmax_precision: 'any' },
};

/** Inputs (by position) whose presence the recomputation cannot follow. */
const REFUSED_INPUTS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  'com.microsoft:GroupQueryAttention': { 11: 'head_sink', 12: 'k_scale', 13: 'v_scale', 14: 'q_norm_weight', 15: 'k_norm_weight' },
  'com.microsoft:MultiHeadAttention': { 8: 'past_sequence_length', 9: 'cache_indirection' },
  'com.microsoft:Attention': { 6: 'past_sequence_length' },
  ':Attention': { 6: 'nonpad_kv_seqlen' },
};

/** The fused attention layers of a model, in graph order, and the nodes that expose their probabilities. */
export function exposeFusedAttention(model: Uint8Array): FusedExposure {
  const graph = mainGraph(model);
  const fused = fusedNodes(graph);
  const facts = valueFacts(graph);
  const opset = modelOpsets(model).get('') ?? 0;
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  const layers = fused.map((node, index): FusedLayer => {
    const base = { op: node.op, domain: node.domain, anchor: node.outputs[0] ?? '' };
    const emitter = new Emitter(`tealeaf_fused_attention/${index}`, opset);
    try {
      if (opset < MIN_OPSET) throw new Unsupported(`${describe(node)} is in a graph of opset ${opset}; exposing its attention needs opset ${MIN_OPSET} or later`);
      refuseUnknown(node);
      const probabilities = probabilitiesOf(node, emitter, facts);
      nodes.push(...emitter.nodes);
      initializers.push(...emitter.initializers);
      return { ...base, probabilities };
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      return { ...base, why: error.message };
    }
  });
  return { layers, addition: { nodes, initializers } };
}

function describe(node: FusedNode): string {
  return node.domain ? `${node.domain} ${node.op}` : `ONNX ${node.op}`;
}

function refuseUnknown(node: FusedNode): void {
  const key = `${node.domain}:${node.op}`;
  const harmless = HARMLESS[key] ?? {};
  for (const [name, attribute] of node.attributes) {
    const allowed = harmless[name];
    const value = attribute.int ?? attribute.float ?? attribute.string;
    if (allowed === 'any' || (allowed !== undefined && value !== undefined && allowed.includes(value))) continue;
    throw new Unsupported(`${describe(node)} with attribute ${name}${value === undefined ? '' : ` = ${value}`} cannot be reproduced exactly`);
  }
  for (const [position, name] of Object.entries(REFUSED_INPUTS[key] ?? {})) {
    if (node.inputs[Number(position)]) throw new Unsupported(`${describe(node)} with input ${name} cannot be reproduced exactly`);
  }
}

function probabilitiesOf(node: FusedNode, emitter: Emitter, facts: ReadonlyMap<string, ValueFacts>): string {
  if (node.domain === MICROSOFT && node.op === 'GroupQueryAttention') return groupQueryAttention(node, emitter);
  if (node.domain === MICROSOFT && node.op === 'MultiHeadAttention') return multiHeadAttention(node, emitter, facts);
  if (node.domain === MICROSOFT && node.op === 'Attention') return contribAttention(node, emitter, facts);
  return onnxAttention(node, emitter, facts);
}

// ---- Reading the graph ------------------------------------------------------------------------

function mainGraph(model: Uint8Array): Uint8Array {
  for (const field of fields(model)) if (field.number === MODEL_GRAPH && field.bytes) return field.bytes;
  return new Uint8Array(0);
}

const FUSED_OPS = new Set([`${MICROSOFT}:Attention`, `${MICROSOFT}:MultiHeadAttention`, `${MICROSOFT}:GroupQueryAttention`, ':Attention']);

function fusedNodes(graph: Uint8Array): FusedNode[] {
  const found: FusedNode[] = [];
  for (const field of fields(graph)) {
    if (field.number !== GRAPH_NODE || !field.bytes) continue;
    const domain = nodeDomain(field.bytes);
    const op = nameOf(field.bytes, NODE_OP_TYPE);
    if (!FUSED_OPS.has(`${domain}:${op}`)) continue;
    const inputs: string[] = [];
    const outputs: string[] = [];
    for (const part of fields(field.bytes)) {
      if (part.number === NODE_INPUT) inputs.push(text(part));
      else if (part.number === NODE_OUTPUT) outputs.push(text(part));
    }
    found.push({ op, domain, inputs, outputs, attributes: nodeAttributes(field.bytes) });
  }
  return found;
}

const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;

function declaredFacts(valueInfo: Uint8Array): ValueFacts {
  for (const typeField of fields(valueInfo)) {
    if (typeField.number !== VALUE_INFO_TYPE || !typeField.bytes) continue;
    for (const tensorField of fields(typeField.bytes)) {
      if (tensorField.number !== TYPE_TENSOR || !tensorField.bytes) continue;
      let elemType: number | undefined;
      let rank: number | undefined;
      for (const part of fields(tensorField.bytes)) {
        if (part.number === TENSOR_TYPE_ELEM) elemType = part.value;
        else if (part.number === TENSOR_TYPE_SHAPE && part.bytes) rank = [...fields(part.bytes)].filter((d) => d.number === SHAPE_DIM).length;
      }
      return { ...(elemType === undefined ? {} : { elemType }), ...(rank === undefined ? {} : { rank }) };
    }
  }
  return {};
}

function initializerFacts(tensor: Uint8Array): ValueFacts {
  let rank = 0;
  let elemType: number | undefined;
  for (const part of fields(tensor)) {
    if (part.number === TENSOR_DIMS) rank += part.bytes ? part.bytes.filter((b) => (b & 0x80) === 0).length : 1;
    else if (part.number === TENSOR_DATA_TYPE) elemType = part.value;
  }
  return { rank, ...(elemType === undefined ? {} : { elemType }) };
}

/**
 * Element type and rank of the values the graph declares, and of Cast outputs (a mask is often
 * cast right before the fused node): masks are read by rank and, for ONNX Attention, by type.
 */
function valueFacts(graph: Uint8Array): ReadonlyMap<string, ValueFacts> {
  const facts = new Map<string, ValueFacts>();
  const casts: { input: string; output: string; to?: number }[] = [];
  for (const field of fields(graph)) {
    if (!field.bytes) continue;
    if (field.number === GRAPH_INPUT || field.number === GRAPH_VALUE_INFO || field.number === GRAPH_OUTPUT) {
      facts.set(nameOf(field.bytes, VALUE_INFO_NAME), declaredFacts(field.bytes));
    } else if (field.number === GRAPH_INITIALIZER) {
      facts.set(nameOf(field.bytes, TENSOR_NAME), initializerFacts(field.bytes));
    } else if (field.number === GRAPH_NODE && nameOf(field.bytes, NODE_OP_TYPE) === 'Cast') {
      const input = [...fields(field.bytes)].find((p) => p.number === NODE_INPUT);
      const output = [...fields(field.bytes)].find((p) => p.number === NODE_OUTPUT);
      const to = nodeAttributes(field.bytes).get('to')?.int;
      if (input && output) casts.push({ input: text(input), output: text(output), ...(to === undefined ? {} : { to }) });
    }
  }
  for (const cast of casts) {
    const rank = facts.get(cast.input)?.rank;
    const known = facts.get(cast.output) ?? {};
    facts.set(cast.output, { ...known, ...(rank === undefined ? {} : { rank }), ...(cast.to === undefined ? {} : { elemType: cast.to }) });
  }
  return facts;
}

// ---- Emitting plain ONNX nodes ----------------------------------------------------------------

/** Appends nodes and constants under one name prefix, in the model's standard opset. */
class Emitter {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  private count = 0;

  constructor(
    private readonly prefix: string,
    private readonly opset: number,
  ) {}

  private fresh(what: string): string {
    return `${this.prefix}/${what}_${this.count++}`;
  }

  node(op: string, inputs: readonly string[], attributes?: NodeSpec['attributes']): string {
    const output = this.fresh(op);
    this.nodes.push({ op, inputs, outputs: [output], name: output, ...(attributes ? { attributes } : {}) });
    return output;
  }

  ints(values: readonly number[]): string {
    const name = this.fresh('ints');
    this.initializers.push(int64Tensor(name, values));
    return name;
  }

  scalarInt(value: number): string {
    const name = this.fresh('int');
    this.initializers.push(int64Tensor(name, [value], []));
    return name;
  }

  float(value: number): string {
    const name = this.fresh('float');
    this.initializers.push(float32Tensor(name, [value]));
    return name;
  }

  toFloat(value: string): string {
    return this.node('Cast', [value], { to: { int: DataType.FLOAT } });
  }

  unsqueeze(value: string, axes: readonly number[]): string {
    return this.opset >= 13 ? this.node('Unsqueeze', [value, this.ints(axes)]) : this.node('Unsqueeze', [value], { axes: { ints: axes } });
  }

  /** value[start:end] along one axis; start and end are int64 names of shape [1]. */
  slice(value: string, axis: number, start: string, end: string): string {
    return this.node('Slice', [value, start, end, this.ints([axis])]);
  }

  /** Dimension `axis` of `value` as an int64 vector of one element. */
  dim(value: string, axis: number): string {
    return this.node('Gather', [this.node('Shape', [value]), this.ints([axis])], { axis: { int: 0 } });
  }

  /** Dimension `axis` of `value` as an int64 scalar (for Range). */
  dimScalar(value: string, axis: number): string {
    return this.node('Gather', [this.node('Shape', [value]), this.scalarInt(axis)], { axis: { int: 0 } });
  }

  concat(values: readonly string[], axis = 0): string {
    return this.node('Concat', values, { axis: { int: axis } });
  }
}

// ---- The shared recomputation -----------------------------------------------------------------

interface ProbabilityInputs {
  /** [batch, heads, queries, head_size] float32, after rotary */
  readonly q: string;
  /** [batch, kv_heads, keys, head_size] float32, after rotary and past concatenation */
  readonly k: string;
  /** The operator's scale attribute; 0 or absent means 1/sqrt(head_size). */
  readonly scale?: number;
  readonly softcap?: number;
  readonly causal: boolean;
  /** Keys a query sees, itself included (GroupQueryAttention local_window_size, as onnxruntime counts it); absent: all. */
  readonly window?: number;
  /** Added to the scores: [batch or 1, heads or 1, queries, keys] (any float type). */
  readonly bias?: string;
  /** Keys allowed per batch: [batch, keys], non-zero where allowed. */
  readonly keyMask?: string;
  /** Boolean mask broadcastable to [batch, heads, queries, keys], true where allowed. */
  readonly allowed?: string;
}

/** softmax(mask(bias + softcap(scale · Q·Kᵀ))): [batch, heads, queries, keys] float32 */
function probabilities(e: Emitter, input: ProbabilityInputs): string {
  const k = expandKvHeads(e, input.q, input.k); // [batch, heads, keys, head_size]
  const kT = e.node('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } }); // [batch, heads, head_size, keys]
  let scores = e.node('Mul', [e.node('MatMul', [input.q, kT]), scaleOf(e, input.q, input.scale)]); // [batch, heads, queries, keys]
  if (input.softcap !== undefined && input.softcap > 0) {
    const cap = e.float(input.softcap);
    scores = e.node('Mul', [e.node('Tanh', [e.node('Div', [scores, cap])]), cap]); // [batch, heads, queries, keys]
  }
  if (input.bias) scores = e.node('Add', [scores, e.toFloat(input.bias)]); // [batch, heads, queries, keys]
  const allowed = allowedScores(e, scores, input);
  if (allowed) scores = e.node('Where', [allowed, scores, e.float(FLOAT32_LOWEST)]); // [batch, heads, queries, keys]
  return e.node('Softmax', [scores], { axis: { int: 3 } }); // [batch, heads, queries, keys]
}

/** The scale as a float32 scalar: the attribute, or 1/sqrt(head_size) computed as the kernels do (in float32). */
function scaleOf(e: Emitter, q: string, scale: number | undefined): string {
  if (scale !== undefined && scale !== 0) return e.float(scale);
  const headSize = e.toFloat(e.dimScalar(q, 3)); // [] float32
  return e.node('Div', [e.float(1), e.node('Sqrt', [headSize])]); // [] float32
}

/** K with each of its heads repeated for the query heads that share it: [batch, heads, keys, head_size]. */
function expandKvHeads(e: Emitter, q: string, k: string): string {
  const heads = e.dim(q, 1); // [1]
  const group = e.node('Div', [heads, e.dim(k, 1)]); // [1] query heads per KV head
  const grouped = e.node('Expand', [e.unsqueeze(k, [2]), e.concat([e.ints([1, 1]), group, e.ints([1, 1])])]); // [batch, kv_heads, group, keys, head_size]
  return e.node('Reshape', [grouped, e.concat([e.ints([0]), heads, e.ints([-1]), e.dim(k, 3)])]); // [batch, heads, keys, head_size]
}

/**
 * Where scores may be non-zero: causal (query i of S sees keys up to T - S + i, its own position),
 * the local window, and the key mask. Absent when nothing is masked.
 */
function allowedScores(e: Emitter, scores: string, input: ProbabilityInputs): string | undefined {
  const parts: string[] = [];
  if (input.causal || input.window !== undefined) {
    const keys = e.dimScalar(scores, 3); // []
    const queries = e.dimScalar(scores, 2); // []
    const queryPositions = e.unsqueeze(e.node('Range', [e.node('Sub', [keys, queries]), keys, e.scalarInt(1)]), [1]); // [queries, 1]
    const keyPositions = e.unsqueeze(e.node('Range', [e.scalarInt(0), keys, e.scalarInt(1)]), [0]); // [1, keys]
    if (input.causal) parts.push(e.node('Not', [e.node('Greater', [keyPositions, queryPositions])])); // [queries, keys]
    if (input.window !== undefined) {
      const oldest = e.node('Sub', [queryPositions, e.scalarInt(input.window - 1)]); // [queries, 1]
      parts.push(e.node('Not', [e.node('Less', [keyPositions, oldest])])); // [queries, keys]
    }
  }
  if (input.keyMask) {
    const mask = e.node('Cast', [input.keyMask], { to: { int: DataType.INT64 } }); // [batch, keys]
    const valid = e.node('Not', [e.node('Equal', [mask, e.scalarInt(0)])]); // [batch, keys]
    parts.push(e.unsqueeze(valid, [1, 2])); // [batch, 1, 1, keys]
  }
  if (input.allowed) parts.push(input.allowed);
  return parts.reduce<string | undefined>((all, part) => (all ? e.node('And', [all, part]) : part), undefined);
}

// ---- Layouts and rotary -----------------------------------------------------------------------

/** [batch, seq, heads·head_size] → [batch, heads, seq, head_size] float32 */
function splitHeads(e: Emitter, value: string, heads: number): string {
  const split = e.node('Reshape', [value, e.ints([0, 0, heads, -1])]); // [batch, seq, heads, head_size]
  return e.toFloat(e.node('Transpose', [split], { perm: { ints: [0, 2, 1, 3] } })); // [batch, heads, seq, head_size]
}

/**
 * Rotary embedding of x [batch, heads, seq, head_size] at rows of cos/sin caches [max_positions,
 * rotary_dim/2]: the first rotary_dim channels rotate (halves, or interleaved pairs), the rest pass.
 * `positions` is [seq] or [batch, seq].
 */
function rotary(e: Emitter, x: string, cosCache: string, sinCache: string, positions: string, interleaved: boolean): string {
  const rows = (cache: string) => {
    const gathered = e.toFloat(e.node('Gather', [cache, positions], { axis: { int: 0 } })); // [seq, half] or [batch, seq, half]
    return e.node('Reshape', [gathered, e.concat([e.ints([-1, 1]), e.dim(positions, -1), e.dim(cache, 1)])]); // [batch or 1, 1, seq, half]
  };
  const cos = rows(cosCache);
  const sin = rows(sinCache);
  const half = e.dim(cosCache, 1); // [1]
  const rotaryDim = e.node('Mul', [half, e.ints([2])]); // [1]
  const rest = e.slice(x, 3, rotaryDim, e.ints([TO_THE_END])); // [batch, heads, seq, head_size - rotary_dim]
  if (!interleaved) {
    const x1 = e.slice(x, 3, e.ints([0]), half); // [batch, heads, seq, half]
    const x2 = e.slice(x, 3, half, rotaryDim); // [batch, heads, seq, half]
    const [r1, r2] = rotatePair(e, x1, x2, cos, sin);
    return e.concat([r1, r2, rest], 3); // [batch, heads, seq, head_size]
  }
  const pairs = e.node('Reshape', [e.slice(x, 3, e.ints([0]), rotaryDim), e.ints([0, 0, 0, -1, 2])]); // [batch, heads, seq, half, 2]
  const x1 = e.slice(pairs, 4, e.ints([0]), e.ints([1])); // [batch, heads, seq, half, 1]
  const x2 = e.slice(pairs, 4, e.ints([1]), e.ints([2])); // [batch, heads, seq, half, 1]
  const [r1, r2] = rotatePair(e, x1, x2, e.unsqueeze(cos, [4]), e.unsqueeze(sin, [4]));
  const rotated = e.node('Reshape', [e.concat([r1, r2], 4), e.ints([0, 0, 0, -1])]); // [batch, heads, seq, rotary_dim]
  return e.concat([rotated, rest], 3); // [batch, heads, seq, head_size]
}

/** (x1·cos − x2·sin, x2·cos + x1·sin) */
function rotatePair(e: Emitter, x1: string, x2: string, cos: string, sin: string): [string, string] {
  const first = e.node('Sub', [e.node('Mul', [x1, cos]), e.node('Mul', [x2, sin])]);
  const second = e.node('Add', [e.node('Mul', [x2, cos]), e.node('Mul', [x1, sin])]);
  return [first, second];
}

function intAttribute(node: FusedNode, name: string, fallback: number): number {
  return node.attributes.get(name)?.int ?? fallback;
}

function requiredInt(node: FusedNode, name: string): number {
  const value = node.attributes.get(name)?.int;
  if (value === undefined || value <= 0) throw new Unsupported(`${describe(node)} has no positive attribute ${name}`);
  return value;
}

function present(node: FusedNode, index: number, what: string): string {
  const output = node.outputs[index];
  if (!output) throw new Unsupported(`${describe(node)} without its ${what} output cannot be reproduced exactly`);
  return output;
}

/** A 2-D [batch, keys] key mask; other mask layouts (lengths, 3-D, 4-D) are refused. */
function keyMaskOf(node: FusedNode, index: number, what: string, facts: ReadonlyMap<string, ValueFacts>): string | undefined {
  const mask = node.inputs[index];
  if (!mask) return undefined;
  const rank = facts.get(mask)?.rank;
  if (rank !== 2) throw new Unsupported(`${describe(node)} with a ${rank === undefined ? 'mask of unknown rank' : `${rank}-D mask`} as ${what} cannot be reproduced exactly`);
  return mask;
}

// ---- The operators ----------------------------------------------------------------------------

/**
 * com.microsoft GroupQueryAttention: query [batch, seq, heads·head_size] or packed QKV (no key
 * input); present_key [batch, kv_heads, total, head_size] holds K after rotary; Q gets rotary here
 * (do_rotary) at positions total - seq .. total - 1, or position_ids when given.
 */
function groupQueryAttention(node: FusedNode, e: Emitter): string {
  const heads = requiredInt(node, 'num_heads');
  const kvHeads = requiredInt(node, 'kv_num_heads');
  const query = node.inputs[0] ?? '';
  const packed = !node.inputs[1];
  const qkv = packed ? e.node('Reshape', [query, e.ints([0, 0, heads + 2 * kvHeads, -1])]) : undefined; // [batch, seq, heads + 2·kv_heads, head_size]
  const q = qkv
    ? e.toFloat(e.node('Transpose', [e.slice(qkv, 2, e.ints([0]), e.ints([heads]))], { perm: { ints: [0, 2, 1, 3] } }))
    : splitHeads(e, query, heads); // [batch, heads, seq, head_size]
  const k = e.toFloat(present(node, 1, 'present_key')); // [batch, kv_heads, total, head_size]
  const rotated = intAttribute(node, 'do_rotary', 0) === 1 ? rotaryQuery(node, e, q, k) : q;
  const window = intAttribute(node, 'local_window_size', -1);
  // -1 is no window; onnxruntime refuses 0 and other negatives (older kernels ran them some other way).
  if (window === 0 || window < -1) throw new Unsupported(`${describe(node)} with attribute local_window_size = ${window} cannot be reproduced exactly`);
  return probabilities(e, {
    q: rotated,
    k,
    scale: node.attributes.get('scale')?.float,
    softcap: node.attributes.get('softcap')?.float,
    causal: intAttribute(node, 'causal', 1) === 1,
    ...(window > 0 ? { window } : {}),
    ...(node.inputs[10] ? { bias: node.inputs[10] } : {}),
  });
}

function rotaryQuery(node: FusedNode, e: Emitter, q: string, k: string): string {
  const cosCache = node.inputs[7];
  const sinCache = node.inputs[8];
  if (!cosCache || !sinCache) throw new Unsupported(`${describe(node)} with do_rotary = 1 and no cos_cache/sin_cache cannot be reproduced`);
  const total = e.dimScalar(k, 2); // []
  const positions = node.inputs[9] || e.node('Range', [e.node('Sub', [total, e.dimScalar(q, 2)]), total, e.scalarInt(1)]); // [seq] or [batch, seq]
  return rotary(e, q, cosCache, sinCache, positions, intAttribute(node, 'rotary_interleaved', 0) === 1);
}

/**
 * com.microsoft MultiHeadAttention: query [batch, seq, hidden] (+ bias[0:hidden]) or packed QKV
 * [batch, seq, heads, 3, head_size]; K from present_key (after past concatenation), or from a 3-D
 * key input (+ bias[hidden:2·hidden]) when the node has no present output.
 */
function multiHeadAttention(node: FusedNode, e: Emitter, facts: ReadonlyMap<string, ValueFacts>): string {
  const heads = requiredInt(node, 'num_heads');
  const [query = '', key, , bias] = node.inputs;
  let q: string;
  let k: string | undefined = node.outputs[1] ? e.toFloat(node.outputs[1]) : undefined; // [batch, heads, total, head_size]
  if (!key) {
    if (bias) throw new Unsupported(`${describe(node)} with packed QKV and a bias cannot be reproduced exactly`);
    const qkv = e.toFloat(e.node('Transpose', [query], { perm: { ints: [0, 2, 3, 1, 4] } })); // [batch, heads, 3, seq, head_size]
    const part = (i: number) => e.node('Gather', [qkv, e.scalarInt(i)], { axis: { int: 2 } }); // [batch, heads, seq, head_size]
    q = part(0);
    k ??= part(1);
  } else {
    const hidden = e.dim(query, 2); // [1]
    const biasPart = (start: string, end: string) => (bias ? e.slice(bias, 0, start, end) : undefined); // [hidden]
    const withBias = (value: string, part: string | undefined) => (part ? e.node('Add', [value, part]) : value);
    q = splitHeads(e, withBias(query, biasPart(e.ints([0]), hidden)), heads);
    if (!k) {
      if (node.inputs[6]) throw new Unsupported(`${describe(node)} with past_key but no present_key output cannot be reproduced exactly`);
      if (facts.get(key)?.rank !== 3) throw new Unsupported(`${describe(node)} without a present_key output and with a key of rank other than 3 cannot be reproduced exactly`);
      k = splitHeads(e, withBias(key, biasPart(hidden, e.node('Mul', [hidden, e.ints([2])]))), heads);
    }
  }
  const keyMask = keyMaskOf(node, 4, 'key_padding_mask', facts);
  return probabilities(e, {
    q,
    k,
    scale: node.attributes.get('scale')?.float,
    causal: intAttribute(node, 'unidirectional', 0) === 1,
    ...(node.inputs[5] ? { bias: node.inputs[5] } : {}),
    ...(keyMask ? { keyMask } : {}),
  });
}

/**
 * com.microsoft Attention: QKV = input·weights + bias, split by qkv_hidden_sizes (or in thirds);
 * K from present[0] (after past concatenation, [2, batch, heads, total, head_size]) when the node
 * has a present output.
 */
function contribAttention(node: FusedNode, e: Emitter, facts: ReadonlyMap<string, ValueFacts>): string {
  const heads = requiredInt(node, 'num_heads');
  const [input = '', weights = '', bias] = node.inputs;
  const projected = e.node('MatMul', [input, weights]); // [batch, seq, q_hidden + k_hidden + v_hidden]
  const qkv = bias ? e.node('Add', [projected, bias]) : projected;
  const sizes = node.attributes.get('qkv_hidden_sizes')?.ints;
  // K is as wide as Q (their dot products need one head size); only V's width may differ.
  const qHidden = sizes ? e.ints([sizes[0] ?? 0]) : e.node('Div', [e.dim(weights, 1), e.ints([3])]); // [1]
  const q = splitHeads(e, e.slice(qkv, 2, e.ints([0]), qHidden), heads); // [batch, heads, seq, head_size]
  if (node.inputs[4] && !node.outputs[1]) throw new Unsupported(`${describe(node)} with past but no present output cannot be reproduced exactly`);
  const k = node.outputs[1]
    ? e.toFloat(e.node('Gather', [node.outputs[1], e.scalarInt(0)], { axis: { int: 0 } }))
    : splitHeads(e, e.slice(qkv, 2, qHidden, e.node('Mul', [qHidden, e.ints([2])])), heads); // [batch, heads, total, head_size]
  const keyMask = keyMaskOf(node, 3, 'mask_index', facts);
  return probabilities(e, {
    q,
    k,
    scale: node.attributes.get('scale')?.float,
    causal: intAttribute(node, 'unidirectional', 0) === 1,
    ...(node.inputs[5] ? { bias: node.inputs[5] } : {}),
    ...(keyMask ? { keyMask } : {}),
  });
}

/**
 * ONNX Attention (opset 23): Q/K 4-D [batch, heads, seq, head_size], or 3-D [batch, seq,
 * heads·head_size] when q_num_heads/kv_num_heads are given; K from present_key when the node has
 * that output; attn_mask boolean (true attends) or added to the scores; is_causal bottom-right
 * aligned, as the specification says.
 */
function onnxAttention(node: FusedNode, e: Emitter, facts: ReadonlyMap<string, ValueFacts>): string {
  const [query = '', key = '', , mask] = node.inputs;
  const qHeads = node.attributes.get('q_num_heads')?.int;
  const kvHeads = node.attributes.get('kv_num_heads')?.int;
  const q = qHeads ? splitHeads(e, query, qHeads) : e.toFloat(query); // [batch, heads, seq, head_size]
  if (node.inputs[4] && !node.outputs[1]) throw new Unsupported(`${describe(node)} with past_key but no present_key output cannot be reproduced exactly`);
  const k = node.outputs[1] ? e.toFloat(node.outputs[1]) : kvHeads ? splitHeads(e, key, kvHeads) : e.toFloat(key); // [batch, kv_heads, total, head_size]
  const maskType = mask ? facts.get(mask)?.elemType : undefined;
  if (mask && maskType === undefined) throw new Unsupported(`${describe(node)} with an attn_mask of unknown element type cannot be reproduced exactly`);
  const booleanMask = maskType === DataType.BOOL;
  return probabilities(e, {
    q,
    k,
    scale: node.attributes.get('scale')?.float,
    softcap: node.attributes.get('softcap')?.float,
    causal: intAttribute(node, 'is_causal', 0) === 1,
    ...(mask && booleanMask ? { allowed: mask } : {}),
    ...(mask && !booleanMask ? { bias: mask } : {}),
  });
}
