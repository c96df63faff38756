// Inline weights left on disk: the rewritten graph, with the file itself mounted as its external
// data, computes exactly what the original file computes.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { EXTERNAL_TENSOR_MIN_BYTES, readOnnxFile } from '../../../src/engine/modelFolder';
import { externalizeInitializers } from '../../../src/engine/onnxExternalize';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { summarizeOnnx } from '../../../src/engine/onnxProto';
import { LazyFileBytes } from '../../../src/host/lazyFileBytes';
import { bareSessionLogits, FIXTURES } from './helpers';

describe('externalizeInitializers', () => {
  it('leaves the weights in the file and computes the same logits', async () => {
    const file = path.join(FIXTURES, 'hub-qwen2.5-coder', 'onnx', 'model_q4.onnx');
    const original = new Uint8Array(readFileSync(file));
    const read = async (offset: number, length: number) => original.slice(offset, offset + length);
    const externalized = await externalizeInitializers(read, original.length, 'model_q4.onnx', 4096);
    assert.ok(externalized && externalized.externalized > 3, 'the large initializers moved out');
    assert.ok(externalized.bytes.length < original.length / 2, `${externalized.bytes.length} bytes of graph left`);
    const summary = summarizeOnnx(externalized.bytes);
    assert.deepEqual(summary.externalDataLocations, ['model_q4.onnx']);
    for (const extent of summary.externalExtents) assert.ok(extent.offset + extent.length <= statSync(file).size);

    const lazy = new LazyFileBytes(file);
    const reference = await ort.InferenceSession.create(original);
    const rewritten = await ort.InferenceSession.create(externalized.bytes, { externalData: [{ path: 'model_q4.onnx', data: lazy }] });
    lazy.close();
    const ids = [5, 17, 300, 42, 8];
    assert.deepEqual(await bareSessionLogits(rewritten, ids), await bareSessionLogits(reference, ids));
  });

  it('is how a large file is read: only tensors under 4 KiB stay in the graph, and the session computes the same logits', async () => {
    const files = await NodeModelFiles.open(path.join(FIXTURES, 'hub-qwen2.5-coder'));
    const onnx = await readOnnxFile(files, 'onnx/model_q4.onnx', 0);
    const original = new Uint8Array(readFileSync(path.join(FIXTURES, 'hub-qwen2.5-coder', 'onnx', 'model_q4.onnx')));
    assert.equal(EXTERNAL_TENSOR_MIN_BYTES, 4096);
    const smallest = Math.min(...onnx.summary.externalExtents.map((e) => e.length));
    assert.ok(smallest >= 4096 && smallest < 1 << 20, `the smallest tensor moved out has ${smallest} bytes`);
    assert.ok(onnx.bytes.length < original.length / 3, `${onnx.bytes.length} bytes of graph left of ${original.length}`);
    const data = onnx.externalData[0]?.data as LazyFileBytes;
    const rewritten = await ort.InferenceSession.create(onnx.bytes, { externalData: [{ path: 'model_q4.onnx', data }] });
    data.close();
    const ids = [9, 99, 499];
    assert.deepEqual(await bareSessionLogits(rewritten, ids), await bareSessionLogits(await ort.InferenceSession.create(original), ids));
  });

  it('returns nothing when no initializer is large enough', async () => {
    const file = path.join(FIXTURES, 'tiny-gpt2', 'onnx', 'model.onnx');
    const original = new Uint8Array(readFileSync(file));
    assert.equal(await externalizeInitializers(async (o, l) => original.slice(o, o + l), original.length, 'model.onnx'), undefined);
  });
});
