import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { DecoderModel } from '../../../src/engine/decoderModel';
import { ModelError } from '../../../src/engine/errors';
import { createSession } from '../../../src/engine/onnx';
import { summarizeOnnx } from '../../../src/engine/onnxProto';
import { pruneToOutputs } from '../../../src/engine/onnxPrune';
import { decoderGoldens, loadDecoder, maxAbsDiff, modelDir } from './helpers';
import { bytesField, message } from './protobufWriter';

const named = (name: string) => message(bytesField(1, name)); // ValueInfoProto
const tensor = (name: string) => message(bytesField(8, name)); // TensorProto

function node(opType: string, inputs: string[], output: string, subgraph?: Uint8Array): number[] {
  const attribute = subgraph ? [bytesField(5, message(bytesField(1, 'then_branch'), bytesField(6, subgraph)))] : [];
  return bytesField(1, message(...inputs.map((i) => bytesField(1, i)), bytesField(2, output), bytesField(4, opType), ...attribute));
}

// x → A(x, w_used) → a → B → y1;  x → C(x, w_unused) → y2;  x → E → e;  If(x) { reads e } → y3
const graph = message(
  node('OpA', ['x', 'w_used'], 'a'),
  node('OpB', ['a'], 'y1'),
  node('OpC', ['x', 'w_unused'], 'y2'),
  node('OpE', ['x'], 'e'),
  node('If', ['x'], 'y3', message(node('OpInner', ['e'], 'inner'))),
  bytesField(5, tensor('w_used')),
  bytesField(5, tensor('w_unused')),
  bytesField(11, named('x')),
  bytesField(12, named('y1')),
  bytesField(12, named('y2')),
  bytesField(12, named('y3')),
  bytesField(13, named('a')),
  bytesField(13, named('y2')),
);
const model = message([8, 8], bytesField(7, graph), bytesField(2, 'producer'));

describe('pruneToOutputs', () => {
  it('keeps exactly the nodes the kept outputs need, reading through subgraphs', () => {
    const pruned = pruneToOutputs(model, ['y1', 'y3']);
    assert.equal(pruned.totalNodes, 5);
    assert.equal(pruned.keptNodes, 4);
    // OpC feeds only the dropped y2; OpE is needed only through the If's subgraph
    assert.deepEqual([...summarizeOnnx(pruned.bytes).opTypes.keys()].sort(), ['If', 'OpA', 'OpB', 'OpE', 'OpInner']);
    const text = new TextDecoder().decode(pruned.bytes);
    assert.ok(text.includes('w_used') && !text.includes('w_unused'), 'an initializer nothing reads is dropped');
    assert.ok(!text.includes('OpC') && !text.includes('\u0002y2'), 'the dropped output and its node are gone');
    assert.ok(text.includes('producer'), 'other model fields are kept');
  });

  it('refuses an output the model does not have', () => {
    assert.throws(() => pruneToOutputs(model, ['nope']), (e: unknown) => e instanceof ModelError && /nope/.test(e.message));
  });

  it('names every output the model does not have, and refuses a model without a graph', () => {
    assert.throws(() => pruneToOutputs(model, ['y1', 'nope', 'nada']), (e: unknown) => e instanceof ModelError && e.message === 'the ONNX model has no outputs nope, nada');
    assert.throws(() => pruneToOutputs(message(bytesField(2, 'producer')), ['y1']), (e: unknown) => e instanceof ModelError && e.message === 'the ONNX model has no graph');
  });

  it('keeps an initializer that is also a graph input, and the value_info of every output of a kept node', () => {
    // Split(x) → (left, right); only left is kept. w_in is a graph input with a default (an initializer) nothing kept reads.
    const split = bytesField(1, message(bytesField(1, 'x'), bytesField(2, 'left'), bytesField(2, 'right'), bytesField(4, 'Split')));
    const g = message(
      split,
      node('OpD', ['w_in'], 'd'),
      bytesField(5, tensor('w_in')),
      bytesField(11, named('x')),
      bytesField(11, named('w_in')),
      bytesField(12, named('left')),
      bytesField(12, named('d')),
      bytesField(13, named('right')),
    );
    const pruned = Buffer.from(pruneToOutputs(message(bytesField(7, g)), ['left']).bytes);
    assert.equal(pruned.includes(Buffer.from(bytesField(5, tensor('w_in')))), true, 'the input’s initializer');
    assert.equal(pruned.includes(Buffer.from(bytesField(13, named('right')))), true, 'the value_info of the kept Split’s other output');
    assert.equal(pruned.includes(Buffer.from('OpD')), false);
  });

  it('on a real export: the attention-only graph gives the same attention, without the LM head', async () => {
    const file = path.join(modelDir('tiny-llama'), 'onnx', 'model.onnx');
    const bytes = new Uint8Array(readFileSync(file));
    const { model: decoder } = await loadDecoder('tiny-llama');
    const pruned = pruneToOutputs(bytes, decoder.io.attentionNames);
    assert.ok(pruned.keptNodes < pruned.totalNodes);
    const session = await createSession({ ort, backend: 'wasm' }, { path: file, bytes: pruned.bytes, externalData: [] });
    try {
      assert.deepEqual([...session.outputNames].sort(), [...decoder.io.attentionNames].sort());
      const golden = decoderGoldens().find((g) => g.name === 'tiny-llama')!.golden;
      const attentions = await decoder.attentionPass(golden.prompt_ids);
      attentions.forEach((tensor, layer) => assert.ok(maxAbsDiff(tensor.data as Float32Array, golden.attentions[layer]!.flat(2)) < 1e-4));
    } finally {
      await session.release();
      await decoder.dispose();
    }
  });

  it('attention falls back to the full graph when pruning fails', async () => {
    const { folder, model: reference } = await loadDecoder('tiny-llama');
    const file = path.join(modelDir('tiny-llama'), 'onnx', 'model.onnx');
    const session = await createSession({ ort, backend: 'wasm' }, { path: file, bytes: new Uint8Array(readFileSync(file)), externalData: [] });
    const decoder = new DecoderModel({ ort, backend: 'wasm' }, session, folder.config, { attentionSession: () => Promise.reject(new ModelError('cannot prune')) });
    try {
      const golden = decoderGoldens().find((g) => g.name === 'tiny-llama')!.golden;
      const attentions = await decoder.attentionPass(golden.prompt_ids);
      assert.equal(attentions.length, folder.config.layers);
      attentions.forEach((tensor, layer) => assert.ok(maxAbsDiff(tensor.data as Float32Array, golden.attentions[layer]!.flat(2)) < 1e-4));
    } finally {
      await decoder.dispose();
      await reference.dispose();
    }
  });
});
