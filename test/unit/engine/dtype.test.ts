import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTO_ORDER, type DtypeFile, dtypeFileName, dtypeOfFile, parseDtype, selectDtypeFile, WASM_WEIGHT_BUDGET_BYTES } from '../../../src/engine/dtype';
import { ModelError, SessionError } from '../../../src/engine/errors';

const MB = 1024 * 1024;
const file = (dtype: DtypeFile['dtype'], bytes: number): DtypeFile => ({ dtype, path: dtypeFileName('model', dtype), bytes });

describe('dtype files', () => {
  it('names files as transformers.js does', () => {
    assert.equal(dtypeFileName('model', 'fp32'), 'onnx/model.onnx');
    assert.equal(dtypeFileName('model', 'q8'), 'onnx/model_quantized.onnx');
    assert.equal(dtypeFileName('decoder_model_merged', 'q4f16'), 'onnx/decoder_model_merged_q4f16.onnx');
    assert.equal(dtypeFileName('encoder_model', 'fp16'), 'onnx/encoder_model_fp16.onnx');
    assert.equal(dtypeOfFile('onnx/model_uint8.onnx', ['model']), 'uint8');
    assert.equal(dtypeOfFile('onnx/model_q4.onnx', ['decoder_model_merged']), undefined);
  });

  it('refuses an unknown dtype in one sentence that lists the known ones', () => {
    assert.equal(parseDtype('q4'), 'q4');
    assert.throws(() => parseDtype('int4'), (e: unknown) => e instanceof ModelError && /unknown dtype "int4": use one of auto, fp32, fp16, q8/.test(e.message));
  });

  it('takes an explicit dtype when present and says what is there when not', () => {
    const present = [file('fp32', 100 * MB), file('q4', 30 * MB)];
    assert.equal(selectDtypeFile(present, 'q4', 'wasm', 'M').file.dtype, 'q4');
    assert.throws(() => selectDtypeFile(present, 'fp16', 'wasm', 'M'), /M has no fp16 file; it has fp32, q4/);
    assert.throws(() => selectDtypeFile([], 'auto', 'wasm', 'M'), /M has no ONNX file/);
  });

  it('auto picks the first of the backend order that is present, and says why', () => {
    const present = [file('q4', 30 * MB), file('fp16', 50 * MB), file('q8', 28 * MB), file('fp32', 100 * MB)];
    const wasm = selectDtypeFile(present, 'auto', 'wasm', 'M');
    assert.equal(wasm.file.dtype, AUTO_ORDER.wasm[0]);
    assert.equal(wasm.reason, 'auto: q8 is the fastest on wasm of the files present (q4, fp16, q8, fp32)');
    assert.equal(selectDtypeFile(present, 'auto', 'webgpu', 'M').file.dtype, 'fp16');
    assert.equal(selectDtypeFile([file('q4', 1), file('fp32', 1)], 'auto', 'wasm', 'M').file.dtype, 'fp32');
    assert.equal(selectDtypeFile([file('q4', 1), file('fp16', 1)], 'auto', 'wasm', 'M').file.dtype, 'fp16');
  });

  it('auto skips files over the WebAssembly budget and names them', () => {
    const big = [file('fp32', WASM_WEIGHT_BUDGET_BYTES + 1), file('q4', 400 * MB)];
    const chosen = selectDtypeFile(big, 'auto', 'wasm', 'M');
    assert.equal(chosen.file.dtype, 'q4');
    assert.match(chosen.reason, /fp32 is over 3072 MB/);
    assert.throws(() => selectDtypeFile([file('fp32', WASM_WEIGHT_BUDGET_BYTES + 1)], 'auto', 'wasm', 'M'), /even its smallest file/);
  });

  it('native keeps WebAssembly\'s order, so both open the same file, and has no memory budget', () => {
    assert.deepEqual(AUTO_ORDER.native, AUTO_ORDER.wasm);
    const chosen = selectDtypeFile([file('q4', 400 * MB), file('fp32', WASM_WEIGHT_BUDGET_BYTES + 1)], 'auto', 'native', 'M');
    assert.equal(chosen.file.dtype, 'fp32');
    assert.match(chosen.reason, /^auto: fp32 comes first of the files present \(q4, fp32\) in WebAssembly's order, which native keeps so that both backends open the same file$/);
    // Over WebAssembly's memory is the runtime's limit (a SessionError), which auto hands to native.
    for (const requested of ['auto', 'fp32'] as const) {
      assert.throws(() => selectDtypeFile([file('fp32', WASM_WEIGHT_BUDGET_BYTES + 1)], requested, 'wasm', 'M'), (e: unknown) => e instanceof SessionError);
    }
  });
});

describe('dtype choice, exact words and the budget line', () => {
  const MB_OVER = WASM_WEIGHT_BUDGET_BYTES + MB;

  it('says what an empty folder lacks, naming the fp32 file', () => {
    assert.throws(
      () => selectDtypeFile([], 'fp32', 'wasm', 'M'),
      (e: unknown) => e instanceof ModelError && e.message === 'M has no ONNX file (onnx/model.onnx or one of its dtype variants)',
    );
  });

  it('loads a file of exactly the budget, asked for or by auto', () => {
    // The budget is the largest size that still loads: "at most", so equal is in.
    const atBudget = [file('fp32', WASM_WEIGHT_BUDGET_BYTES), file('q4', 400 * MB)];
    assert.equal(selectDtypeFile(atBudget, 'fp32', 'wasm', 'M').file.dtype, 'fp32');
    const auto = selectDtypeFile(atBudget, 'auto', 'wasm', 'M');
    assert.equal(auto.file.dtype, 'fp32');
    assert.equal(auto.reason, 'auto: fp32 is the fastest on wasm of the files present (fp32, q4)');
  });

  it('gives the reason for an explicit dtype and the size that does not fit', () => {
    assert.equal(selectDtypeFile([file('fp32', 100 * MB), file('q4', 30 * MB)], 'q4', 'wasm', 'M').reason, 'q4 was asked for');
    assert.throws(
      () => selectDtypeFile([file('fp32', MB_OVER)], 'fp32', 'wasm', 'M'),
      (e: unknown) =>
        e instanceof SessionError &&
        e.message === "onnx/model.onnx (3073 MB) does not fit in onnxruntime-web's WebAssembly memory (about 3072 MB of weights at most): choose a smaller dtype such as q4",
    );
  });

  it('names every faster file over the budget, with the verb for one or several', () => {
    const two = selectDtypeFile([file('fp32', MB_OVER), file('q8', MB_OVER), file('int8', MB_OVER), file('fp16', 700 * MB)], 'auto', 'wasm', 'M');
    assert.equal(two.file.dtype, 'fp16');
    assert.equal(two.reason, 'auto: fp16 is the fastest on wasm that fits (q8, int8, fp32 are over 3072 MB)');
    const one = selectDtypeFile([file('fp32', MB_OVER), file('q4', 400 * MB)], 'auto', 'wasm', 'M');
    assert.equal(one.reason, 'auto: q4 is the fastest on wasm that fits (fp32 is over 3072 MB)');
  });

  it('names every half-precision file a GPU without shader-f16 skips, with the verb for several', () => {
    const gpu = { name: 'google swiftshader', features: new Set(['subgroups']) };
    const chosen = selectDtypeFile([file('fp32', MB), file('fp16', MB), file('q4f16', MB)], 'auto', 'webgpu', 'M', gpu);
    assert.equal(chosen.file.dtype, 'fp32');
    assert.equal(chosen.reason, 'auto: fp32 is the fastest on webgpu that runs here (q4f16, fp16 need shader-f16, which google swiftshader lacks)');
    const one = selectDtypeFile([file('q4', MB), file('q4f16', MB)], 'auto', 'webgpu', 'M', gpu);
    assert.equal(one.reason, 'auto: q4 is the fastest on webgpu that runs here (q4f16 needs shader-f16, which google swiftshader lacks)');
  });
});
