// Attention of exports that do not output it: a plan for an in-memory copy of the graph, used by
// the inspector only, whose extra outputs ("taps") are each layer's probabilities
// [batch, heads, queries, keys]. Unfused graphs expose the Softmax over keys of each attention
// (mask Add, Where, Cast and scaling around it included); fused attention ops get the
// probabilities recomputed beside them (onnxFusedAttention.ts). The user's files are never
// written, and the sessions that generate text never run these copies.
//
// Which tap is which layer comes from the graph's structure: layer i's attention has exactly i
// attentions of the same kind upstream of it. The kind (self or cross) and the shape are checked
// on a probe run once the copy is open (resolveTaps).
import { ModelError } from './errors';
import { createSession, type Feeds, type OrtSession, type OrtTensor, run, type Runtime, type SessionSource } from './onnx';
import { addToGraph, modelOpsets, nodeAttributes, nodeProto } from './onnxBuild';
import { exposeFusedAttention, type FusedLayer } from './onnxFusedAttention';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_NAME,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  type GraphNode,
  graphNode,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_INPUT,
  nameOf,
  text,
  TENSOR_NAME,
  VALUE_INFO_NAME,
} from './onnxProto';
import { pruneToOutputs } from './onnxPrune';
import { concat, lengthField } from './protoWrite';

export type AttentionSource = 'outputs' | 'surgery' | 'fused-surgery' | 'none';

/** One candidate attention in the edited graph. */
export interface AttentionTap {
  /** The graph output that carries its probabilities. */
  readonly output: string;
  /** Indices (into the plan's taps) of the taps upstream of this one. */
  readonly upstream: readonly number[];
  /**
   * Its layer, where the graph says it without a probe: a fused node's is the number of fused
   * nodes upstream of it, those whose attention cannot be reproduced included.
   */
  readonly layer?: number;
}

/** Layers whose attention the plan cannot show, and why (one sentence). */
export interface HiddenLayers {
  readonly layers: readonly number[];
  readonly why: string;
}

export interface SurgeryPlan {
  readonly source: 'surgery' | 'fused-surgery';
  /** The edited model (main graph only; external data as the original's). */
  readonly bytes: Uint8Array;
  /** In graph order. */
  readonly taps: readonly AttentionTap[];
  /** Fused layers that cannot be reproduced exactly: the others are shown without them. */
  readonly hidden?: HiddenLayers;
}

export type AttentionPlan = SurgeryPlan | { readonly source: 'none'; readonly why: string };

/** Ops that may sit between the scores' MatMul and the Softmax (scale, mask, casts, softcapping). */
const SCORE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'Cast', 'Identity', 'Tanh', 'Min', 'Max', 'Clip']);
const SCORE_PRODUCTS = new Set(['MatMul', 'FusedMatMul']);
const MAX_SCORE_DEPTH = 8;

interface MainGraph {
  readonly bytes: Uint8Array;
  readonly fields: readonly Field[];
  readonly nodes: readonly GraphNode[];
  readonly constants: ReadonlySet<string>;
}

function mainGraph(model: Uint8Array): { modelFields: Field[]; graphField: Field; graph: MainGraph } {
  const modelFields = [...fields(model)];
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH && f.bytes);
  if (!graphField?.bytes) throw new ModelError('the ONNX model has no graph');
  const graphFields = [...fields(graphField.bytes)];
  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE && f.bytes).map(graphNode);
  const constants = new Set(graphFields.filter((f) => f.number === GRAPH_INITIALIZER && f.bytes).map((f) => nameOf(f.bytes as Uint8Array, TENSOR_NAME)));
  for (const node of nodes) if (node.opType === 'Constant') node.outputs.forEach((o) => constants.add(o));
  return { modelFields, graphField, graph: { bytes: graphField.bytes, fields: graphFields, nodes, constants } };
}

/**
 * The model with each `If` on the boolean graph input `condition` replaced by the branch that
 * `value` selects: Optimum's merged decoders keep their no-past and with-past graphs in the two
 * branches of `If(use_cache_branch)`, and the inspector always runs the no-past one. The branch's
 * nodes and initializers move into the main graph; Identity nodes give its outputs the If's
 * output names. Returns the model unchanged when it has no such If.
 */
export function inlineIfBranch(model: Uint8Array, condition: string, value: boolean): Uint8Array {
  const { modelFields, graphField, graph } = mainGraph(model);
  const ifs = graph.nodes.filter((n) => n.opType === 'If' && nodeInputs(n)[0] === condition);
  if (ifs.length === 0) return model;
  const wanted = value ? 'then_branch' : 'else_branch';
  const replacements = new Map<number, Uint8Array[]>();
  const initializers: Uint8Array[] = [];
  for (const node of ifs) {
    const branch = branchGraph(node, wanted);
    if (!branch) throw new ModelError(`the If on ${condition} has no ${wanted}`);
    const branchFields = [...fields(branch)];
    const outputs = branchFields.filter((f) => f.number === GRAPH_OUTPUT && f.bytes).map((f) => nameOf(f.bytes as Uint8Array, VALUE_INFO_NAME));
    if (outputs.length !== node.outputs.length) throw new ModelError(`the If on ${condition} has ${node.outputs.length} outputs and its ${wanted} ${outputs.length}`);
    initializers.push(...branchFields.filter((f) => f.number === GRAPH_INITIALIZER).map((f) => branch.subarray(f.start, f.end)));
    const bodyNodes = branchFields.filter((f) => f.number === GRAPH_NODE).map((f) => branch.subarray(f.start, f.end));
    const renames = node.outputs.map((name, i) => lengthField(GRAPH_NODE, nodeProto({ op: 'Identity', inputs: [outputs[i] as string], outputs: [name], name: `tealeaf/inline/${name}` })));
    replacements.set(node.field.start, [...bodyNodes, ...renames]);
  }
  const parts: Uint8Array[] = [];
  for (const field of graph.fields) {
    const replacement = field.number === GRAPH_NODE ? replacements.get(field.start) : undefined;
    if (replacement) parts.push(...replacement);
    else parts.push(graph.bytes.subarray(field.start, field.end));
  }
  const newGraph = lengthField(MODEL_GRAPH, concat([...initializers, ...parts]));
  return concat(modelFields.map((f) => (f === graphField ? newGraph : model.subarray(f.start, f.end))));
}

/** A node's own inputs in order (graphNode also lists what its subgraphs read). */
function nodeInputs(node: GraphNode): string[] {
  const inputs: string[] = [];
  for (const part of fields(node.field.bytes as Uint8Array)) if (part.number === NODE_INPUT) inputs.push(text(part));
  return inputs;
}

function branchGraph(node: GraphNode, name: string): Uint8Array | undefined {
  for (const part of fields(node.field.bytes as Uint8Array)) {
    if (part.number !== NODE_ATTRIBUTE || !part.bytes) continue;
    const attributeFields = [...fields(part.bytes)];
    const attributeName = attributeFields.find((f) => f.number === ATTRIBUTE_NAME);
    const graph = attributeFields.find((f) => f.number === ATTRIBUTE_GRAPH && f.bytes);
    if (attributeName && text(attributeName) === name && graph?.bytes) return graph.bytes;
  }
  return undefined;
}

/**
 * Softmax nodes over the last axis whose scores come, through scaling, masking and casts, from a
 * MatMul of two activations (Q·Kᵀ): the attention probabilities of an unfused graph.
 */
export function softmaxAttentions(nodes: readonly GraphNode[], constants: ReadonlySet<string>, opset: number): GraphNode[] {
  const producer = new Map<string, GraphNode>();
  for (const node of nodes) for (const output of node.outputs) producer.set(output, node);
  const fromScores = (name: string, depth: number): boolean => {
    const node = producer.get(name);
    if (!node || depth > MAX_SCORE_DEPTH) return false;
    const inputs = nodeInputs(node).filter((i) => i !== '' && !constants.has(i));
    if (SCORE_PRODUCTS.has(node.opType)) return inputs.length === 2;
    if (!SCORE_OPS.has(node.opType)) return false;
    // Where(condition, x, y): the condition is a mask, not scores.
    const data = node.opType === 'Where' ? nodeInputs(node).slice(1).filter((i) => !constants.has(i)) : inputs;
    return data.some((i) => fromScores(i, depth + 1));
  };
  return nodes.filter((node) => {
    if (node.opType !== 'Softmax') return false;
    const axis = nodeAttributes(node.field.bytes as Uint8Array).get('axis')?.int;
    // Before opset 13 Softmax flattens from `axis` (default 1): only an explicit last axis is per row.
    const lastAxis = axis === undefined ? opset >= 13 : axis === -1 || axis === 3;
    return lastAxis && fromScores(nodeInputs(node)[0] ?? '', 0);
  });
}

/** For each anchor value, the anchors upstream of it (one pass in the graph's topological order). */
function upstreamAnchors(nodes: readonly GraphNode[], anchors: readonly string[]): number[][] {
  const index = new Map(anchors.map((name, i) => [name, i]));
  const reach = new Map<string, bigint>(); // value → bitmask of anchors it depends on
  const result: number[][] = anchors.map(() => []);
  for (const node of nodes) {
    let mask = 0n;
    for (const input of node.inputs) mask |= reach.get(input) ?? 0n;
    for (const output of node.outputs) {
      const i = index.get(output);
      if (i !== undefined) result[i] = bits(mask);
      reach.set(output, i === undefined ? mask : mask | (1n << BigInt(i)));
    }
  }
  return result;
}

function bits(mask: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; mask > 0n; i++, mask >>= 1n) if (mask & 1n) out.push(i);
  return out;
}

/**
 * How the inspector can see this graph's attention. `useCacheBranch`: the graph is a merged
 * decoder whose no-past branch is inlined first.
 */
export function planAttentionSurgery(model: Uint8Array, options: { readonly useCacheBranch?: boolean } = {}): AttentionPlan {
  const flat = options.useCacheBranch ? inlineIfBranch(model, 'use_cache_branch', false) : model;
  const { graph } = mainGraph(flat);
  const inputs = new Set(graph.fields.filter((f) => f.number === GRAPH_INPUT && f.bytes).map((f) => nameOf(f.bytes as Uint8Array, VALUE_INFO_NAME)));
  const constants = new Set([...graph.constants].filter((c) => !inputs.has(c)));
  const fused = exposeFusedAttention(flat);
  if (fused.layers.length > 0) {
    // A fused node's layer is the number of fused nodes upstream of it, shown or not.
    const depth = upstreamAnchors(graph.nodes, fused.layers.map((l) => l.anchor)).map((u) => u.length);
    const shownIndices = fused.layers.flatMap((l, i) => (l.probabilities !== undefined ? [i] : []));
    const unreproducible = [...new Set(fused.layers.flatMap((l) => (l.why ? [l.why] : [])))];
    const hiddenCount = fused.layers.length - shownIndices.length;
    const why = `${hiddenCount} of ${fused.layers.length} fused attention layers cannot be reproduced: ${unreproducible.join('; ')}`;
    if (shownIndices.length === 0) return { source: 'none', why };
    const shown = shownIndices.map((i) => fused.layers[i] as FusedLayer);
    const upstream = upstreamAnchors(graph.nodes, shown.map((l) => l.anchor));
    const bytes = addToGraph(flat, { ...fused.addition, outputs: shown.map((l) => ({ name: l.probabilities as string })) });
    const taps = shown.map((l, i) => ({ output: l.probabilities as string, upstream: upstream[i] ?? [], layer: depth[shownIndices[i] as number] as number }));
    if (hiddenCount === 0) return { source: 'fused-surgery', bytes, taps };
    const hiddenLayers = fused.layers.flatMap((l, i) => (l.probabilities === undefined ? [depth[i] as number] : [])).sort((a, b) => a - b);
    return { source: 'fused-surgery', bytes, taps, hidden: { layers: hiddenLayers, why } };
  }
  const softmaxes = softmaxAttentions(graph.nodes, constants, modelOpsets(flat).get('') ?? 0);
  if (softmaxes.length === 0) {
    return { source: 'none', why: 'the graph has no Softmax over keys fed by a query·key product and no fused attention operator, so there is no attention to show' };
  }
  const anchors = softmaxes.map((n) => n.outputs[0] as string);
  const upstream = upstreamAnchors(graph.nodes, anchors);
  const bytes = addToGraph(flat, { outputs: anchors.map((name) => ({ name })) });
  return { source: 'surgery', bytes, taps: anchors.map((output, i) => ({ output, upstream: upstream[i] ?? [] })) };
}

/** A tap's probe result: its output's dims on the probe run. */
export type TapDims = readonly number[];

/** Output names by layer; a layer the plan hides (HiddenLayers) has none. */
export type TapNames = readonly (string | undefined)[];

/**
 * The taps that are attentions of the expected shape, grouped by kind and ordered by layer.
 * `kinds` maps a kind ('self', 'cross') to the key length it has on the probe; every accepted tap
 * must be [1, heads, queries, keys of its kind] with `heads` the model's. Layer i of a kind has
 * exactly i accepted taps of that kind upstream (or the layer the tap names); every layer not
 * hidden by the plan must have its tap; anything else is refused with a reason.
 */
export function resolveTaps<K extends string>(
  plan: SurgeryPlan,
  dims: readonly TapDims[],
  probe: { readonly queries: number; readonly heads: number; readonly kinds: Readonly<Record<K, number>>; readonly layers: Readonly<Record<K, number>> },
): Record<K, TapNames> {
  const kindOf = (d: TapDims): K | undefined => {
    if (d.length !== 4 || d[0] !== 1 || d[1] !== probe.heads || d[2] !== probe.queries) return undefined;
    return (Object.keys(probe.kinds) as K[]).find((k) => probe.kinds[k] === d[3]);
  };
  const kinds = dims.map(kindOf);
  const hidden = new Set(plan.hidden?.layers ?? []);
  const result = {} as Record<K, TapNames>;
  for (const kind of Object.keys(probe.kinds) as K[]) {
    const accepted = plan.taps.map((_, i) => i).filter((i) => kinds[i] === kind);
    const expected = probe.layers[kind];
    const layers: (string | undefined)[] = Array.from({ length: expected }, () => undefined);
    for (const i of accepted) {
      const tap = plan.taps[i] as AttentionTap;
      const layer = tap.layer ?? tap.upstream.filter((u) => kinds[u] === kind).length;
      if (layer >= expected) throw new ModelError(`found a ${kind}-attention probability at layer ${layer} of a model with ${expected} layers`);
      if (layers[layer] !== undefined) throw new ModelError(`two ${kind}-attention probabilities sit at the same depth of the graph (layer ${layer}), so their layers cannot be told apart`);
      layers[layer] = tap.output;
    }
    if (layers.some((name, layer) => name === undefined && !hidden.has(layer))) {
      throw new ModelError(`found ${accepted.length} ${kind}-attention probabilities of shape [1, ${probe.heads}, queries, keys] for ${expected - hidden.size} layers`);
    }
    result[kind] = layers;
  }
  return result;
}

/** How the inspector will see a graph's attention, read from its summary before anything runs (the probe confirms it). */
export function staticAttentionSource(
  summary: { readonly outputNames: readonly string[]; readonly fusedAttentionOps: readonly string[]; readonly softmaxOutputs: readonly string[] },
  attentionOutput: RegExp,
): { readonly attentionSource: AttentionSource; readonly attentionWhy?: string } {
  if (summary.outputNames.some((n) => attentionOutput.test(n))) return { attentionSource: 'outputs' };
  if (summary.fusedAttentionOps.length > 0) return { attentionSource: 'fused-surgery' };
  if (summary.softmaxOutputs.length > 0) return { attentionSource: 'surgery' };
  return { attentionSource: 'none', attentionWhy: 'the graph has no Softmax and no fused attention operator, so there is no attention to show' };
}

/** What a probe run looks like: its feeds, and the shapes attention taps have on it. */
export interface TapProbe<K extends string> {
  readonly feeds: () => Promise<Feeds>;
  /** Query positions fed. */
  readonly queries: number;
  readonly heads: number;
  /** Key length of each kind of attention on the probe (self: the queries; cross: the source). */
  readonly kinds: Readonly<Record<K, number>>;
  /** Layers of each kind the model declares. */
  readonly layers: Readonly<Record<K, number>>;
}

export interface TappedSession<K extends string> {
  readonly session: OrtSession;
  readonly source: SurgeryPlan['source'];
  /** Output names by kind and layer (none for a hidden layer). */
  readonly names: Readonly<Record<K, TapNames>>;
  /** Layers whose attention cannot be shown, and why. */
  readonly hidden?: HiddenLayers;
}

/** A tapped session with every layer's attention (what a translation's views need). */
export interface CompleteTappedSession<K extends string> extends Omit<TappedSession<K>, 'names' | 'hidden'> {
  readonly names: Readonly<Record<K, readonly string[]>>;
}

/** The session, if no layer is hidden; otherwise it is released and the reason thrown. */
export async function requireEveryLayer<K extends string>(tapped: TappedSession<K>): Promise<CompleteTappedSession<K>> {
  if (tapped.hidden) {
    await tapped.session.release();
    throw new ModelError(tapped.hidden.why);
  }
  return { session: tapped.session, source: tapped.source, names: tapped.names as Readonly<Record<K, readonly string[]>> };
}

/**
 * Opens the inspector's copy of a graph: planned (attention taps), cut down to the taps and
 * `keepOutputs`, and checked on a probe run. Throws a ModelError with the reason when the graph
 * has no attention to show or the taps do not make the declared layers.
 */
export async function openTappedSession<K extends string>(
  runtime: Runtime,
  onnx: SessionSource & { readonly summary: { readonly inputNames: readonly string[] } },
  probe: TapProbe<K>,
  keepOutputs: readonly string[] = [],
): Promise<TappedSession<K>> {
  const plan = planAttentionSurgery(onnx.bytes, { useCacheBranch: onnx.summary.inputNames.includes('use_cache_branch') });
  if (plan.source === 'none') throw new ModelError(plan.why);
  const outputs = plan.taps.map((t) => t.output);
  const session = await createSession(runtime, { ...onnx, bytes: pruneToOutputs(plan.bytes, [...keepOutputs, ...outputs]).bytes });
  try {
    const probed = await run(session, await probe.feeds(), outputs);
    const dims = outputs.map((name) => (probed[name] as OrtTensor).dims);
    return { session, source: plan.source, names: resolveTaps(plan, dims, probe), ...(plan.hidden ? { hidden: plan.hidden } : {}) };
  } catch (error) {
    await session.release();
    throw error;
  }
}
