// The LM-head edit on hand-built graphs; on real exports it is checked against PyTorch goldens
// (goldens.test.ts: the edited graph's one row equals the last row of the full logits).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sliceLogitsToLastPosition } from '../../../src/engine/onnxLastLogits';
import { summarizeOnnx } from '../../../src/engine/onnxProto';
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
