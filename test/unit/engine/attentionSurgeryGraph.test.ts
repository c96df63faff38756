// Attention surgery's reading of graph structure on small graphs built here (the fixtures of
// attentionSurgery.test.ts show it on real exports): which Softmax is an attention, how a merged
// decoder's If is inlined, which taps make which layers, and what the inspector is told before
// anything runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import {
  type AttentionTap,
  inlineIfBranch,
  openTappedSession,
  planAttentionSurgery,
  requireEveryLayer,
  resolveTaps,
  softmaxAttentions,
  staticAttentionSource,
  type SurgeryPlan,
  type TappedSession,
} from '../../../src/engine/attentionSurgery';
import { ModelError } from '../../../src/engine/errors';
import type { OrtSession } from '../../../src/engine/onnx';
import { DataType, float32Tensor, type NodeSpec } from '../../../src/engine/onnxBuild';
import { fields, GRAPH_NODE, GRAPH_OUTPUT, graphNode, MODEL_GRAPH, NODE_NAME, nameOf, summarizeOnnx } from '../../../src/engine/onnxProto';
import { concat, lengthField, varintField } from '../../../src/engine/protoWrite';
import { declaredValue, graphModel, graphOf, ifNode, modelOf, namedOutput } from './graphModels';

const softmax = (input: string, output: string, axis?: number): NodeSpec => ({ op: 'Softmax', inputs: [input], outputs: [output], ...(axis === undefined ? {} : { attributes: { axis: { int: axis } } }) });
const op = (name: string, inputs: readonly string[], output: string): NodeSpec => ({ op: name, inputs, outputs: [output] });

/** The Softmax outputs softmaxAttentions takes for attention in a model of `nodes` (constants: `w`, `c`). */
function attentionsOf(nodes: readonly NodeSpec[], opset = 17): string[] {
  const model = graphModel(nodes, [float32Tensor('w', [1], [1, 1]), float32Tensor('c', [0.5])], opset, [declaredValue('q', DataType.FLOAT, 4), declaredValue('k', DataType.FLOAT, 4)]);
  const graph = [...fields(model)].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
  const graphNodes = [...fields(graph)].filter((f) => f.number === GRAPH_NODE).map(graphNode);
  return softmaxAttentions(graphNodes, new Set(['w', 'c']), opset).map((n) => n.outputs[0] ?? '');
}

describe('which Softmax is an attention', () => {
  it('one over a product of two activations, through scaling, masking and casts', () => {
    assert.deepEqual(attentionsOf([op('MatMul', ['q', 'k'], 's'), softmax('s', 'p')]), ['p']);
    assert.deepEqual(attentionsOf([op('FusedMatMul', ['q', 'k'], 's'), softmax('s', 'p')]), ['p']);
    assert.deepEqual(attentionsOf([op('MatMul', ['q', 'k'], 's'), op('Div', ['s', 'c'], 'd'), op('Add', ['d', 'q'], 'm'), op('Cast', ['m'], 'f'), softmax('f', 'p')]), ['p']);
    for (const scoreOp of ['Sub', 'Mul', 'Identity', 'Tanh', 'Min', 'Max', 'Clip']) {
      assert.deepEqual(attentionsOf([op('MatMul', ['q', 'k'], 's'), op(scoreOp, ['s', 'c'], 't'), softmax('t', 'p')]), ['p'], scoreOp);
    }
  });

  it('the scores of a Where are its data, never its condition', () => {
    assert.deepEqual(attentionsOf([op('MatMul', ['q', 'k'], 's'), op('Where', ['q', 's', 'c'], 'm'), softmax('m', 'p')]), ['p']);
    assert.deepEqual(attentionsOf([op('MatMul', ['q', 'k'], 's'), op('Where', ['s', 'c', 'q'], 'm'), softmax('m', 'p')]), [], 'the product only decides where');
  });

  it('not over a weight product, another op, or scores eight steps away', () => {
    assert.deepEqual(attentionsOf([op('MatMul', ['q', 'w'], 's'), softmax('s', 'p')]), []);
    assert.deepEqual(attentionsOf([op('MatMul', ['q', 'k'], 's'), op('Relu', ['s'], 'r'), softmax('r', 'p')]), []);
    assert.deepEqual(attentionsOf([softmax('q', 'p')]), [], 'a graph input');
    const chain = (steps: number): NodeSpec[] => [op('MatMul', ['q', 'k'], 'x0'), ...Array.from({ length: steps }, (_, i) => op('Identity', [`x${i}`], `x${i + 1}`)), softmax(`x${steps}`, 'p')];
    assert.deepEqual(attentionsOf(chain(8)), ['p']);
    assert.deepEqual(attentionsOf(chain(9)), []);
  });

  it('only over the last axis: explicit (-1 or 3), or implicit from opset 13 on', () => {
    const graph = (axis?: number): NodeSpec[] => [op('MatMul', ['q', 'k'], 's'), softmax('s', 'p', axis)];
    assert.deepEqual(attentionsOf(graph(), 13), ['p']);
    assert.deepEqual(attentionsOf(graph(), 12), [], 'before opset 13 Softmax flattens from axis 1');
    assert.deepEqual(attentionsOf(graph(-1), 12), ['p']);
    assert.deepEqual(attentionsOf(graph(3), 12), ['p']);
    assert.deepEqual(attentionsOf(graph(1), 17), []);
    assert.deepEqual(attentionsOf(graph(2), 17), []);
  });
});

describe('planAttentionSurgery on an unfused graph', () => {
  it('taps each attention, with the attentions upstream of it, and adds them as outputs', () => {
    // Layer 1's queries come from layer 0's probabilities.
    const nodes = [op('MatMul', ['q', 'k'], 's0'), softmax('s0', 'p0'), op('MatMul', ['p0', 'k'], 's1'), softmax('s1', 'p1')];
    const plan = planAttentionSurgery(graphModel(nodes, [], 17, [declaredValue('q', DataType.FLOAT, 4), declaredValue('k', DataType.FLOAT, 4)]));
    assert.equal(plan.source, 'surgery');
    const { taps, bytes } = plan as SurgeryPlan;
    assert.deepEqual(taps, [{ output: 'p0', upstream: [] }, { output: 'p1', upstream: [0] }]);
    assert.deepEqual(summarizeOnnx(bytes).outputNames, ['p0', 'p1']);
  });

  it('a tap’s upstream lists exactly the attentions it depends on, by index', () => {
    // p0 and p1 independent; p2 reads p1 only; p3 reads p0 and p2
    const nodes = [
      op('MatMul', ['q', 'k'], 's0'), softmax('s0', 'p0'),
      op('MatMul', ['q', 'k'], 's1'), softmax('s1', 'p1'),
      op('MatMul', ['p1', 'k'], 's2'), softmax('s2', 'p2'),
      op('Add', ['p0', 'p2'], 'r'), op('MatMul', ['r', 'k'], 's3'), softmax('s3', 'p3'),
    ];
    const plan = planAttentionSurgery(graphModel(nodes, [], 17, [declaredValue('q', DataType.FLOAT, 4), declaredValue('k', DataType.FLOAT, 4)])) as SurgeryPlan;
    assert.deepEqual(plan.taps.map((t) => t.upstream), [[], [], [1], [0, 1, 2]]);
  });

  it('a graph without attention is refused with the reason', () => {
    assert.deepEqual(planAttentionSurgery(graphModel([op('Relu', ['q'], 'r')], [], 17, [declaredValue('q', DataType.FLOAT, 4)])), {
      source: 'none',
      why: 'the graph has no Softmax over keys fed by a query·key product and no fused attention operator, so there is no attention to show',
    });
  });

  it('an initializer that is also a graph input is an activation (a product over it is attention)', () => {
    const model = graphModel([op('MatMul', ['q', 'k'], 's'), softmax('s', 'p')], [float32Tensor('k', [1], [1, 1])], 17, [declaredValue('q', DataType.FLOAT, 4), declaredValue('k', DataType.FLOAT, 4)]);
    assert.equal(planAttentionSurgery(model).source, 'surgery');
    const constant = graphModel([op('MatMul', ['q', 'k'], 's'), softmax('s', 'p')], [float32Tensor('k', [1], [1, 1])], 17, [declaredValue('q', DataType.FLOAT, 4)]);
    assert.equal(planAttentionSurgery(constant).source, 'none');
  });

  it('a Constant node is a constant', () => {
    const constantNode: NodeSpec = { op: 'Constant', inputs: [], outputs: ['k'], attributes: { value: { tensor: float32Tensor('k', [1], [1, 1]) } } };
    const plan = planAttentionSurgery(graphModel([constantNode, op('MatMul', ['q', 'k'], 's'), softmax('s', 'p')], [], 17, [declaredValue('q', DataType.FLOAT, 4)]));
    assert.equal(plan.source, 'none');
  });

  it('fused layers that cannot be reproduced are hidden by their place in the graph; all of them: none, with the reasons', () => {
    const gqa = (output: string, query: string, attributes: NodeSpec['attributes']): NodeSpec => ({
      op: 'GroupQueryAttention', domain: 'com.microsoft', inputs: [query, 'k', 'v', 'pk', 'pv', 'seqlens', 'total'], outputs: [output, `${output}_k`, `${output}_v`],
      attributes: { num_heads: { int: 2 }, kv_num_heads: { int: 1 }, ...attributes },
    });
    const refused = { smooth_softmax: { int: 1 } };
    const partial = planAttentionSurgery(graphModel([gqa('a', 'q', refused), gqa('b', 'a', {}), gqa('c', 'b', refused)]));
    assert.equal(partial.source, 'fused-surgery');
    const plan = partial as SurgeryPlan;
    assert.deepEqual(plan.taps.map((t) => [t.layer, t.upstream]), [[1, []]]);
    assert.deepEqual(plan.hidden?.layers, [0, 2]);
    assert.match(plan.hidden?.why ?? '', /^2 of 3 fused attention layers cannot be reproduced: com\.microsoft GroupQueryAttention with attribute smooth_softmax = 1 cannot be reproduced exactly$/);
    const none = planAttentionSurgery(graphModel([gqa('a', 'q', refused), gqa('b', 'a', { k_quant_type: { string: 'INT8' } })]));
    assert.equal(none.source, 'none');
    assert.match((none as { why: string }).why, /^2 of 2 fused attention layers cannot be reproduced: .*smooth_softmax = 1.*; .*k_quant_type = INT8/);
    // graph order a (shown, depth 0), b (hidden, depth 2), c (hidden, depth 1): hidden layers in layer order
    const unsorted = planAttentionSurgery(graphModel([gqa('a', 'q', {}), gqa('c0', 'a', {}), gqa('b', 'c0', refused), gqa('c', 'a', refused)])) as SurgeryPlan;
    assert.deepEqual(unsorted.hidden?.layers, [1, 2]);
    const shown = planAttentionSurgery(graphModel([gqa('a', 'q', {}), gqa('b', 'a', {})])) as SurgeryPlan;
    assert.equal(shown.hidden, undefined);
    assert.deepEqual(shown.taps.map((t) => [t.layer, t.upstream]), [[0, []], [1, [0]]]);
  });
});

describe('planAttentionSurgery on a merged decoder', () => {
  // If(use_cache_branch): then (with past) has no attention to tap, else (no past) has one
  const attention = graphOf([op('MatMul', ['x', 'x'], 's'), softmax('s', 'p')], [], [namedOutput('p')]);
  const plain = graphOf([op('Identity', ['x'], 'p')], [], [namedOutput('p')]);
  const merged = modelOf(
    graphOf([ifNode('use_cache_branch', ['probs'], { then_branch: plain, else_branch: attention })], [], [declaredValue('x', DataType.FLOAT, 4), declaredValue('use_cache_branch', DataType.BOOL, 0), declaredValue('probs', DataType.FLOAT, 4, GRAPH_OUTPUT)]),
  );

  it('with useCacheBranch, taps the no-past branch', () => {
    const plan = planAttentionSurgery(merged, { useCacheBranch: true });
    assert.equal(plan.source, 'surgery');
    assert.deepEqual((plan as SurgeryPlan).taps, [{ output: 'p', upstream: [] }]);
    assert.equal(planAttentionSurgery(merged).source, 'none', 'without it, the If hides the branch');
  });

  it('openTappedSession inlines the no-past branch of a graph fed use_cache_branch, and probes its taps', async () => {
    const probe = {
      feeds: async () => ({ x: new ort.Tensor('float32', new Float32Array(3 * 3), [1, 1, 3, 3]), use_cache_branch: new ort.Tensor('bool', Uint8Array.from([0]), []) }),
      queries: 3,
      heads: 1,
      kinds: { self: 3 },
      layers: { self: 1 },
    };
    const tapped = await openTappedSession({ ort, backend: 'wasm' }, { path: 'decoder_model_merged.onnx', bytes: merged, externalData: [], summary: summarizeOnnx(merged) }, probe);
    try {
      assert.deepEqual([tapped.source, tapped.names], ['surgery', { self: ['p'] }]);
    } finally {
      await tapped.session.release();
    }
  });
});

describe('inlineIfBranch', () => {
  /** then: y = Identity(x), with a weight of 2 elements; else: y = Neg(x), with one of 3; the If's output is `out`. */
  const branch = (opType: string, weight = 0): Uint8Array =>
    graphOf([op(opType, ['x'], 'branch_y')], weight > 0 ? [float32Tensor(`${opType}_w`, new Array<number>(weight).fill(1))] : [], [namedOutput('branch_y')]);
  const model = (condition = 'use_cache_branch', branches = { then_branch: branch('Identity', 2), else_branch: branch('Neg', 3) }): Uint8Array =>
    modelOf(graphOf([ifNode(condition, ['out'], branches), op('Relu', ['out'], 'z')], [], [declaredValue('x', DataType.FLOAT, 1), declaredValue(condition, DataType.BOOL, 0)]));

  it('moves the chosen branch into the main graph, where its output keeps the If’s name', () => {
    for (const [value, kept, dropped] of [[false, 'Neg', 'Identity'], [true, 'Identity', 'Neg']] as const) {
      const summary = summarizeOnnx(inlineIfBranch(model(), 'use_cache_branch', value));
      assert.equal(summary.opTypes.get('If'), undefined);
      assert.equal(summary.opTypes.get(kept), 1 + (kept === 'Identity' ? 1 : 0), `${value}: the branch's node and the renaming Identity`);
      assert.equal(summary.opTypes.get(dropped), dropped === 'Identity' ? 1 : undefined);
      assert.deepEqual(summary.weightSizes, [value ? 2 : 3], 'the chosen branch’s weight only');
    }
  });

  it('runs in onnxruntime and computes the branch', async () => {
    const session = await ort.InferenceSession.create(addOutput(inlineIfBranch(model(), 'use_cache_branch', false), 'z'));
    try {
      const result = await session.run({ x: new ort.Tensor('float32', Float32Array.from([2, -3]), [2]), use_cache_branch: new ort.Tensor('bool', Uint8Array.from([1]), []) });
      assert.deepEqual([...((result.z as ort.Tensor).data as Float32Array)], [0, 3]);
    } finally {
      await session.release();
    }
  });

  it('names each renaming Identity after the If output it gives its name', () => {
    const inlined = inlineIfBranch(model(), 'use_cache_branch', false);
    const graph = [...fields(inlined)].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
    const named = [...fields(graph)].filter((f) => f.number === GRAPH_NODE).map((f) => [graphNode(f).opType, nameOf(f.bytes as Uint8Array, NODE_NAME)]);
    assert.deepEqual(named, [['Neg', ''], ['Identity', 'tealeaf/inline/out'], ['Relu', '']]);
  });

  it('inlines only If nodes on the condition, not other nodes reading it', () => {
    const cast = op('Cast', ['use_cache_branch'], 'flag');
    const withCast = modelOf(graphOf([cast, ifNode('use_cache_branch', ['out'], { then_branch: branch('Identity', 2), else_branch: branch('Neg', 3) }), op('Relu', ['out'], 'z')], [], [declaredValue('x', DataType.FLOAT, 1), declaredValue('use_cache_branch', DataType.BOOL, 0)]));
    const summary = summarizeOnnx(inlineIfBranch(withCast, 'use_cache_branch', false));
    assert.deepEqual([summary.opTypes.get('Cast'), summary.opTypes.get('If'), summary.opTypes.get('Neg')], [1, undefined, 1]);
  });

  it('finds a branch by its attribute name wherever the name sits in the attribute', () => {
    // AttributeProto with its type (field 20) before its name (1) and graph (6)
    const attribute = (name: string, graph: Uint8Array) => lengthField(5, concat([varintField(20, 5), lengthField(1, name), lengthField(6, graph)]));
    const reordered = concat([lengthField(1, 'use_cache_branch'), lengthField(2, 'out'), lengthField(4, 'If'), attribute('then_branch', branch('Identity', 2)), attribute('else_branch', branch('Neg', 3))]);
    const flat = modelOf(graphOf([reordered, op('Relu', ['out'], 'z')], [], [declaredValue('x', DataType.FLOAT, 1), declaredValue('use_cache_branch', DataType.BOOL, 0)]));
    assert.deepEqual(summarizeOnnx(inlineIfBranch(flat, 'use_cache_branch', false)).weightSizes, [3]);
  });

  it('leaves an If on another condition alone; says what is missing', () => {
    const other = model('other_flag');
    assert.equal(inlineIfBranch(other, 'use_cache_branch', false), other);
    assert.throws(() => inlineIfBranch(model('use_cache_branch', { then_branch: branch('Identity') } as never), 'use_cache_branch', false), (e: unknown) => e instanceof ModelError && e.message === 'the If on use_cache_branch has no else_branch');
    const twoOutputs = graphOf([op('Identity', ['x'], 'a'), op('Identity', ['x'], 'b')], [], [namedOutput('a'), namedOutput('b')]);
    assert.throws(() => inlineIfBranch(model('use_cache_branch', { then_branch: branch('Identity'), else_branch: twoOutputs }), 'use_cache_branch', false), (e: unknown) => e instanceof ModelError && e.message === 'the If on use_cache_branch has 1 outputs and its else_branch 2');
    assert.throws(() => inlineIfBranch(Uint8Array.from([0x08, 0x08]), 'use_cache_branch', false), /^ModelError: the ONNX model has no graph$/);
  });
});

/** The model with `name` declared as a graph output (float). */
function addOutput(model: Uint8Array, name: string): Uint8Array {
  const graph = [...fields(model)].find((f) => f.number === MODEL_GRAPH)?.bytes ?? new Uint8Array(0);
  return modelOf(Uint8Array.from([...graph, ...declaredValue(name, DataType.FLOAT, 1, GRAPH_OUTPUT)]));
}

describe('resolveTaps', () => {
  const tap = (output: string, upstream: number[], layer?: number): AttentionTap => ({ output, upstream, ...(layer === undefined ? {} : { layer }) });
  const plan = (taps: AttentionTap[], hidden?: number[]): SurgeryPlan => ({ source: 'fused-surgery', bytes: new Uint8Array(0), taps, ...(hidden ? { hidden: { layers: hidden, why: 'w' } } : {}) });
  const probe = { queries: 3, heads: 4, kinds: { self: 3 }, layers: { self: 2 } };

  it('accepts only [1, heads, queries, keys of the kind]', () => {
    const taps = plan([tap('a', []), tap('x', []), tap('y', []), tap('z', []), tap('b', [0])]);
    const dims = [[1, 4, 3, 3], [2, 4, 3, 3], [1, 4, 2, 3], [1, 4, 3, 3, 1], [1, 4, 3, 3]];
    assert.deepEqual(resolveTaps(taps, dims, probe), { self: ['a', 'b'] });
  });

  it('a tap’s own layer wins over counting upstream; hidden layers need none', () => {
    assert.deepEqual(resolveTaps(plan([tap('b', [], 1)], [0]), [[1, 4, 3, 3]], probe), { self: [undefined, 'b'] });
    assert.throws(() => resolveTaps(plan([tap('b', [], 1)]), [[1, 4, 3, 3]], probe), /^ModelError: found 1 self-attention probabilities of shape \[1, 4, queries, keys\] for 2 layers$/);
  });

  it('refuses a tap of another head count or another key length', () => {
    assert.throws(() => resolveTaps(plan([tap('a', []), tap('b', [0])]), [[1, 4, 3, 3], [1, 5, 3, 3]], probe), /^ModelError: found 1 self-attention probabilities of shape \[1, 4, queries, keys\] for 2 layers$/);
    assert.throws(() => resolveTaps(plan([tap('a', []), tap('b', [0])]), [[1, 4, 3, 3], [1, 4, 3, 7]], probe), /^ModelError: found 1 self-attention probabilities of shape \[1, 4, queries, keys\] for 2 layers$/);
  });

  it('a tap’s layer counts only the upstream taps of its own kind', () => {
    const two = { queries: 3, heads: 4, kinds: { self: 3, cross: 5 }, layers: { self: 2, cross: 2 } };
    // self0, cross0 (after self0), self1 (after both), cross1 (after all three)
    const taps = plan([tap('s0', []), tap('c0', [0]), tap('s1', [0, 1]), tap('c1', [0, 1, 2])]);
    assert.deepEqual(resolveTaps(taps, [[1, 4, 3, 3], [1, 4, 3, 5], [1, 4, 3, 3], [1, 4, 3, 5]], two), { self: ['s0', 's1'], cross: ['c0', 'c1'] });
  });

  it('two taps at the same depth are refused; missing layers are counted without the hidden ones', () => {
    assert.throws(
      () => resolveTaps(plan([tap('a', []), tap('b', [])]), [[1, 4, 3, 3], [1, 4, 3, 3]], probe),
      (e: unknown) => e instanceof ModelError && e.message === 'two self-attention probabilities sit at the same depth of the graph (layer 0), so their layers cannot be told apart',
    );
    assert.throws(() => resolveTaps(plan([], [1]), [], probe), /^ModelError: found 0 self-attention probabilities of shape \[1, 4, queries, keys\] for 1 layers$/);
  });

  it('a layer past the model’s is refused', () => {
    assert.throws(() => resolveTaps(plan([tap('a', []), tap('b', [0]), tap('c', [0, 1])]), [[1, 4, 3, 3], [1, 4, 3, 3], [1, 4, 3, 3]], probe), /^ModelError: found a self-attention probability at layer 2 of a model with 2 layers$/);
    assert.throws(() => resolveTaps(plan([tap('a', [], 2)]), [[1, 4, 3, 3]], probe), /at layer 2 of a model with 2 layers/);
  });
});

describe('what the inspector is told before anything runs', () => {
  const summary = (outputNames: string[], fusedAttentionOps: string[], softmaxOutputs: string[]) => ({ outputNames, fusedAttentionOps, softmaxOutputs });
  it('outputs first, then fused operators, then Softmax taps, else none with the reason', () => {
    assert.deepEqual(staticAttentionSource(summary(['logits', 'attentions.0'], ['Attention'], ['p']), /^attentions\.\d+$/), { attentionSource: 'outputs' });
    assert.deepEqual(staticAttentionSource(summary(['logits', 'attentions_0'], ['Attention'], ['p']), /^attentions\.\d+$/), { attentionSource: 'fused-surgery' });
    assert.deepEqual(staticAttentionSource(summary(['logits'], [], ['p']), /^attentions\.\d+$/), { attentionSource: 'surgery' });
    assert.deepEqual(staticAttentionSource(summary(['logits'], [], []), /^attentions\.\d+$/), {
      attentionSource: 'none',
      attentionWhy: 'the graph has no Softmax and no fused attention operator, so there is no attention to show',
    });
  });
});

describe('requireEveryLayer', () => {
  const session = (): OrtSession & { released: number } => {
    const fake = { released: 0, release: async () => void fake.released++ };
    return fake as unknown as OrtSession & { released: number };
  };
  it('returns a session that shows every layer; releases one that hides some, and throws why', async () => {
    const whole = session();
    const tapped: TappedSession<'self'> = { session: whole, source: 'surgery', names: { self: ['a', 'b'] } };
    assert.deepEqual(await requireEveryLayer(tapped), { session: whole, source: 'surgery', names: { self: ['a', 'b'] } });
    assert.equal(whole.released, 0);
    const partial = session();
    await assert.rejects(
      requireEveryLayer({ session: partial, source: 'fused-surgery', names: { self: [undefined, 'b'] }, hidden: { layers: [0], why: '1 of 2 fused attention layers cannot be reproduced: x' } }),
      (e: unknown) => e instanceof ModelError && e.message === '1 of 2 fused attention layers cannot be reproduced: x',
    );
    assert.equal(partial.released, 1);
  });
});
