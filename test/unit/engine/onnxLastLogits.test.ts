// The LM-head edit on hand-built graphs; on real exports it is checked against PyTorch goldens
// (goldens.test.ts: the edited graph's one row equals the last row of the full logits).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOGIT_ROWS_INPUT, sliceLogitsToLastPosition } from '../../../src/engine/onnxLastLogits';
import { fields, GRAPH_NODE, graphNode, type GraphNode, MODEL_GRAPH, summarizeOnnx, text } from '../../../src/engine/onnxProto';
import { bytesField, message, varintField } from './protobufWriter';

function node(opType: string, inputs: string[], output: string, ...attributes: number[][]): number[] {
  return bytesField(1, message(...inputs.map((i) => bytesField(1, i)), bytesField(2, output), bytesField(4, opType), ...attributes));
}
const initializer = (name: string): number[] => bytesField(5, message(varintField(1, 2), varintField(2, 1), bytesField(8, name)));
const output = (name: string): number[] => bytesField(12, message(bytesField(1, name)));
const graphAttribute = (name: string, graph: Uint8Array): number[] => bytesField(5, message(bytesField(1, name), bytesField(6, graph), varintField(20, 5)));
const model = (...graphParts: number[][]): Uint8Array => message(varintField(1, 8), bytesField(7, message(...graphParts)));

/** A head: hidden → MatMul(W) → Add(bias) → logits, W transposed from a tied embedding. */
function headNodes(prefix: string, logits: string): number[][] {
  return [
    node('Transpose', ['embed'], `${prefix}w_t`),
    node('MatMul', [`${prefix}hidden`, `${prefix}w_t`], `${prefix}scores`),
    node('Add', [`${prefix}scores`, 'bias'], logits),
  ];
}

describe('sliceLogitsToLastPosition', () => {
  it('gathers the last position in front of the head, through elementwise ops and a tied weight', () => {
    const edit = sliceLogitsToLastPosition(model(initializer('embed'), initializer('bias'), node('LayerNorm', ['x'], 'hidden'), ...headNodes('', 'logits'), output('logits')));
    assert.ok(edit);
    assert.deepEqual(edit.sliced, ['hidden']);
    assert.equal(edit.headOp, 'MatMul');
    const summary = summarizeOnnx(edit.bytes);
    assert.equal(summary.opTypes.get('Gather'), 1);
    assert.equal(summary.opTypes.get('MatMul'), 1);
  });

  it('edits both branches of a merged decoder’s If', () => {
    const branch = (prefix: string) => message(node('LayerNorm', ['x'], `${prefix}hidden`), ...headNodes(prefix, `${prefix}logits`), output(`${prefix}logits`), output(`${prefix}present`));
    const edit = sliceLogitsToLastPosition(
      model(initializer('embed'), initializer('bias'), node('If', ['use_cache_branch'], 'logits', graphAttribute('then_branch', branch('a/')), graphAttribute('else_branch', branch('b/'))), output('logits')),
    );
    assert.ok(edit);
    assert.deepEqual(edit.sliced, ['a/hidden', 'b/hidden']);
    assert.equal(summarizeOnnx(edit.bytes).opTypes.get('Gather'), 2);
  });

  it('leaves graphs whose head it does not recognise alone', () => {
    const reshaped = model(initializer('embed'), node('MatMul', ['hidden', 'embed'], 'flat'), node('Reshape', ['flat', 'shape'], 'logits'), output('logits'));
    assert.equal(sliceLogitsToLastPosition(reshaped), undefined, 'a Reshape between head and logits');
    const weightsFirst = model(initializer('embed'), node('MatMul', ['embed', 'embed'], 'logits'), output('logits'));
    assert.equal(sliceLogitsToLastPosition(weightsFirst), undefined, 'no activation input');
    const oneBranch = sliceLogitsToLastPosition(
      model(
        initializer('embed'),
        initializer('bias'),
        node('If', ['c'], 'logits', graphAttribute('then_branch', message(...headNodes('a/', 'a/logits'), output('a/logits'))), graphAttribute('else_branch', message(node('Identity', ['x'], 'b/logits'), output('b/logits')))),
        output('logits'),
      ),
    );
    assert.equal(oneBranch, undefined, 'an If with one branch the edit cannot reach');
  });
});

describe('sliceLogitsToLastPosition on a graph onnxruntime runs', () => {
  const floatBytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
  const tensor = (name: string, dims: number[], values: number[]) =>
    bytesField(5, message(...dims.map((d) => varintField(1, d)), varintField(2, 1), bytesField(8, name), bytesField(9, floatBytes(values))));
  /** A float tensor value info with dims given as numbers or symbolic names. */
  const valueInfo = (field: number, name: string, dims: (number | string)[]) => {
    const shape = message(...dims.map((d) => bytesField(1, message(typeof d === 'number' ? varintField(1, d) : bytesField(2, d)))));
    return bytesField(field, message(bytesField(1, name), bytesField(2, message(bytesField(1, message(varintField(1, 1), bytesField(2, shape)))))));
  };
  const attribute = (name: string, int: number) => bytesField(5, message(bytesField(1, name), varintField(3, int), varintField(20, 2)));
  const W = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.9, 1.0, 1.1, 1.2]; // [4, 3]
  const HIDDEN = Array.from({ length: 3 * 4 }, (_, i) => (i % 5) / 4 - 0.5); // [1, 3, 4]
  /** hidden [1, S, 4] → Relu → MatMul(W) → Add(bias) → Cast → Tanh → Mul(scale) → logits [1, S, 3]; a second output before the head. */
  const headModel = () =>
    message(
      varintField(1, 8),
      bytesField(8, message(bytesField(1, ''), varintField(2, 17))),
      bytesField(
        7,
        message(
          node('Relu', ['hidden'], 'act'),
          node('MatMul', ['act', 'W'], 'scores'),
          node('Add', ['scores', 'bias'], 'biased'),
          node('Cast', ['biased'], 'cast', attribute('to', 1)),
          node('Tanh', ['cast'], 'squashed'),
          node('Mul', ['squashed', 'scale'], 'logits'),
          tensor('W', [4, 3], W),
          tensor('bias', [3], [0.5, -0.5, 0.25]),
          tensor('scale', [], [30]),
          valueInfo(11, 'hidden', [1, 'sequence', 4]),
          valueInfo(12, 'act', [1, 'sequence', 4]),
          valueInfo(12, 'logits', [1, 'sequence', 3]),
        ),
      ),
    );

  it('declares an int64 [logit_rows] input, and each row it names equals that row of the full logits', async () => {
    const ort = await import('onnxruntime-web');
    const original = headModel();
    const edit = sliceLogitsToLastPosition(original);
    assert.ok(edit);
    assert.deepEqual(edit.sliced, ['act']);
    const full = await ort.InferenceSession.create(original);
    const sliced = await ort.InferenceSession.create(edit.bytes);
    try {
      assert.deepEqual([...sliced.inputNames].sort(), ['hidden', LOGIT_ROWS_INPUT].sort());
      const rowsInput = sliced.inputMetadata.find((m) => m.name === LOGIT_ROWS_INPUT);
      assert.deepEqual(rowsInput?.isTensor && [rowsInput.type, rowsInput.shape], ['int64', ['logit_rows']]);
      const hidden = new ort.Tensor('float32', Float32Array.from(HIDDEN), [1, 3, 4]);
      const fullLogits = (await full.run({ hidden })).logits as import('onnxruntime-web').Tensor; // [1, 3, 3]
      const rowsOf = async (rows: number[]) => {
        const out = await sliced.run({ hidden, [LOGIT_ROWS_INPUT]: new ort.Tensor('int64', BigInt64Array.from(rows, BigInt), [rows.length]) });
        const logits = out.logits as import('onnxruntime-web').Tensor;
        assert.deepEqual(logits.dims, [1, rows.length, 3]);
        assert.deepEqual([...(out.act as import('onnxruntime-web').Tensor).data], [...HIDDEN.map((v) => Math.max(0, v))], 'the activation keeps every position');
        return [...(logits.data as Float32Array)];
      };
      const all = [...(fullLogits.data as Float32Array)];
      assert.deepEqual(await rowsOf([-1]), all.slice(6, 9));
      assert.deepEqual(await rowsOf([-2, -1]), all.slice(3, 9));
      assert.deepEqual(await rowsOf([0]), all.slice(0, 3));
    } finally {
      await full.release();
      await sliced.release();
    }
  });

  it('finds the head by the output name it is given, behind any of the products it knows', () => {
    for (const op of ['MatMulNBits', 'MatMulInteger', 'FusedMatMul', 'DynamicQuantizeMatMul', 'MatMulBnb4']) {
      const edit = sliceLogitsToLastPosition(model(initializer('W'), node('Div', ['x', 'two'], 'h'), node(op, ['h', 'W'], 'out'), node('Sub', ['out', 'W'], 'scores'), output('scores')), 'scores');
      assert.equal(edit?.headOp, op, op);
      assert.deepEqual(edit?.sliced, ['h']);
    }
    assert.equal(sliceLogitsToLastPosition(model(initializer('W'), node('MatMul', ['h', 'W'], 'scores'), output('scores'))), undefined, 'no `logits` in the graph');
    assert.equal(sliceLogitsToLastPosition(message(varintField(1, 8))), undefined, 'no graph');
    assert.equal(sliceLogitsToLastPosition(model(initializer('W'), node('Gemm', ['h', 'W'], 'logits'), output('logits'))), undefined, 'Gemm is not a head product');
  });

  it('edits the If branch output that is logits, wherever it stands among the outputs', () => {
    const branch = (prefix: string) => message(...headNodes(prefix, `${prefix}logits`), output(`${prefix}present`), output(`${prefix}logits`));
    const ifNode = bytesField(1, message(bytesField(1, 'use_cache_branch'), bytesField(2, 'present'), bytesField(2, 'logits'), bytesField(4, 'If'), graphAttribute('then_branch', branch('a/')), graphAttribute('else_branch', branch('b/'))));
    const edit = sliceLogitsToLastPosition(model(initializer('embed'), initializer('bias'), ifNode, output('present'), output('logits')));
    assert.ok(edit);
    assert.deepEqual(edit.sliced, ['a/hidden', 'b/hidden']);
    const noLogitsOutput = bytesField(1, message(bytesField(1, 'c'), bytesField(2, 'logits'), bytesField(4, 'If'), graphAttribute('then_branch', message(output('x'))), graphAttribute('else_branch', message(output('y')))));
    assert.equal(sliceLogitsToLastPosition(model(noLogitsOutput, output('logits'))), undefined);
  });
});

describe('sliceLogitsToLastPosition: what counts as the head and as a constant', () => {
  /** The graph nodes of a model, and each node's name (NodeProto field 3). */
  const nodesOf = (bytes: Uint8Array): { node: GraphNode; name: string }[] => {
    const graph = [...fields(bytes)].find((f) => f.number === MODEL_GRAPH)?.bytes as Uint8Array;
    return [...fields(graph)]
      .filter((f) => f.number === GRAPH_NODE)
      .map((f) => ({ node: graphNode(f), name: [...fields(f.bytes as Uint8Array)].filter((p) => p.number === 3).map(text).join('') }));
  };
  /** `count` Identity ops from `from` to `to`: v1 … v(count-1) between. */
  const chain = (from: string, to: string, count: number): number[][] =>
    Array.from({ length: count }, (_, i) => node('Identity', [i === 0 ? from : `v${i}`], i === count - 1 ? to : `v${i + 1}`));

  it('a weight computed from constants (a transposed embedding) read first is no activation', () => {
    assert.equal(sliceLogitsToLastPosition(model(initializer('embed'), node('Transpose', ['embed'], 'w_t'), node('MatMul', ['w_t', 'hidden'], 'logits'), output('logits'))), undefined);
  });

  it('a value computed from a constant through 16 ops is constant; through 17 it is taken for an activation', () => {
    const through = (count: number) => sliceLogitsToLastPosition(model(initializer('embed'), initializer('W'), ...chain('embed', 'deep', count), node('MatMul', ['deep', 'W'], 'logits'), output('logits')));
    assert.equal(through(16), undefined);
    assert.deepEqual(through(17)?.sliced, ['deep']);
  });

  it('a product of constants added to the scores is not the head', () => {
    const edit = sliceLogitsToLastPosition(
      model(initializer('a'), initializer('b'), initializer('W'), node('MatMul', ['a', 'b'], 'bias'), node('MatMul', ['hidden', 'W'], 'scores'), node('Add', ['bias', 'scores'], 'logits'), output('logits')),
    );
    assert.deepEqual(edit?.sliced, ['hidden']);
  });

  it('the head is the product nearest to logits, the first one the search reaches', () => {
    const edit = sliceLogitsToLastPosition(
      model(initializer('W'), initializer('V'), node('MatMul', ['h', 'W'], 's1'), node('MatMul', ['g', 'V'], 's2'), node('Add', ['s1', 's2'], 'logits'), output('logits')),
    );
    assert.deepEqual(edit?.sliced, ['h']);
  });

  it('looks through 31 elementwise ops for the head, not 32', () => {
    const behind = (count: number) => sliceLogitsToLastPosition(model(initializer('W'), node('MatMul', ['hidden', 'W'], 'scores'), ...chain('scores', 'logits', count), output('logits')));
    assert.deepEqual(behind(31)?.sliced, ['hidden']);
    assert.equal(behind(32), undefined);
  });

  it('names the Gather node, and replaces the head\'s first input wherever the node lists its fields', () => {
    // The head node writes its name before its inputs.
    const head = bytesField(1, message(bytesField(3, 'lm_head'), bytesField(1, 'hidden'), bytesField(1, 'W'), bytesField(2, 'logits'), bytesField(4, 'MatMul')));
    const edit = sliceLogitsToLastPosition(model(initializer('W'), head, output('logits')));
    assert.ok(edit);
    assert.deepEqual(
      nodesOf(edit.bytes).map(({ node: n, name }) => [name, n.opType, n.inputs, n.outputs]),
      [
        ['tealeaf/last_position', 'Gather', ['hidden', LOGIT_ROWS_INPUT], ['hidden/tealeaf_last_position']],
        ['lm_head', 'MatMul', ['hidden/tealeaf_last_position', 'W'], ['logits']],
      ],
    );
  });

  it('an If with one branch only is left alone', () => {
    const branch = message(...headNodes('a/', 'a/logits'), output('a/logits'));
    const edit = sliceLogitsToLastPosition(model(initializer('embed'), initializer('bias'), node('If', ['c'], 'logits', graphAttribute('then_branch', branch)), output('logits')));
    assert.equal(edit, undefined);
  });
});
