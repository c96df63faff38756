// The profile summary of the side-by-side bench: self time by category from V8's samples.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CpuProfile, categoryOf, summarizeProfile } from '../../../bench/sideBySide/cpuProfile';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

describe('categoryOf', () => {
  it('names WebAssembly, packages, Node, own code, GC and native; idle and program count nowhere', () => {
    assert.equal(categoryOf(frame('$wasm-function[12]', 'wasm://wasm/abc')), 'wasm');
    assert.equal(categoryOf(frame('Ke', 'file:///r/node_modules/onnxruntime-web/dist/ort.node.min.mjs')), 'js:onnxruntime-web');
    assert.equal(categoryOf(frame('x', 'file:///r/node_modules/@huggingface/tokenizers/dist/t.cjs')), 'js:@huggingface/tokenizers');
    assert.equal(categoryOf(frame('encode', 'node:internal/encoding')), 'js:node');
    assert.equal(categoryOf(frame('forward', 'file:///r/src/engine/decoderModel.ts')), 'js:own');
    assert.equal(categoryOf(frame('(garbage collector)')), 'gc');
    assert.equal(categoryOf(frame('memcpy')), 'native');
    for (const name of ['(idle)', '(program)', '(root)']) assert.equal(categoryOf(frame(name)), undefined);
  });
});

describe('summarizeProfile', () => {
  it('adds each sample’s time to its frame’s category and ranks JavaScript functions', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('$wasm-function[1]', 'wasm://wasm/x') },
        { id: 3, callFrame: frame('run', 'file:///r/src/engine/onnx.ts', 41) },
        { id: 4, callFrame: frame('(idle)') },
        { id: 5, callFrame: frame('glue', 'file:///r/node_modules/onnxruntime-web/dist/ort.mjs', 6) },
      ],
      samples: [2, 2, 3, 4, 5, 3],
      timeDeltas: [1000, 2000, 500, 9000, 250, 1500],
    };
    const summary = summarizeProfile(profile);
    assert.deepEqual(summary.ms, { wasm: 3, 'js:own': 2, 'js:onnxruntime-web': 0.25 });
    assert.equal(summary.totalMs, 5.25);
    assert.deepEqual(summary.topJs, [
      ['run (engine/onnx.ts:42)', 2],
      ['glue (dist/ort.mjs:7)', 0.25],
    ]);
  });
});
