// The pure parts of bench/realModel.ts (the section itself needs Python and a 0.5B model: it runs in
// `npm run bench`, never here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  argmaxOf,
  type ChildResult,
  fastestOf,
  middle,
  parseVmHwmMb,
  parseVmRssMb,
  recipeHash,
  rssBudgetMb,
  stampIsComplete,
  summarizeRuns,
} from '../../bench/realModel';

const STATUS = `Name:\tnode
Umask:\t0022
State:\tR (running)
VmPeak:\t 5000000 kB
VmSize:\t 4900000 kB
VmHWM:\t  2097152 kB
VmRSS:\t   524288 kB
RssAnon:\t  500000 kB
Threads:\t11
`;

test('parseVmHwmMb / parseVmRssMb: kB lines of /proc/self/status in MB (MiB)', () => {
  assert.equal(parseVmHwmMb(STATUS), 2048);
  assert.equal(parseVmRssMb(STATUS), 512);
  // VmHWM is read, not VmPeak (virtual) and not RssAnon
  assert.throws(() => parseVmHwmMb('VmPeak:\t 1 kB\n'), /VmHWM/);
});

test('parseVmHwmMb reads this process (Linux)', { skip: process.platform !== 'linux' }, async () => {
  const { readFileSync } = await import('node:fs');
  const status = readFileSync('/proc/self/status', 'utf8');
  const hwm = parseVmHwmMb(status);
  assert.ok(hwm >= parseVmRssMb(status) && hwm > 10, `VmHWM ${hwm} MB`);
});

test('argmaxOf: within a row at an offset, first index on ties', () => {
  const data = Float32Array.from([9, 9, 1, 5, 5, 2, -1]);
  assert.equal(argmaxOf(data, 2, 4), 1); // [1, 5, 5, 2]
  assert.equal(argmaxOf(data, 0, 2), 0);
  assert.equal(argmaxOf(Float32Array.from([-Infinity, -3]), 0, 2), 1);
});

test('recipeHash equals the Python recipe’s (name, NUL, bytes, NUL per file, then layers=N)', () => {
  const enc = new TextEncoder();
  const files = [
    { name: 'make_synthetic_0p5b.py', bytes: enc.encode('print(1)\n') },
    { name: 'tealeaf_export.py', bytes: enc.encode('x = 2\n') },
  ];
  // hashlib.sha256 over the same bytes (computed with make_synthetic_0p5b.recipe_hash's rule)
  assert.equal(recipeHash(files, 24), 'f42639bee92210f0d17ad56b789902c1331a4daecbb888f8020be932ae0f2a1f');
  assert.notEqual(recipeHash(files, 2), recipeHash(files, 24));
  assert.notEqual(recipeHash([files[0]!, { ...files[1]!, bytes: enc.encode('x = 3\n') }], 24), recipeHash(files, 24));
});

test('stampIsComplete: this recipe, every listed file at its size', () => {
  const sizes: Record<string, number> = { 'onnx/model.onnx': 10, 'onnx/model.onnx_data': 2000 };
  const sizeOf = (file: string) => sizes[file];
  const stamp = { recipe_sha256: 'abc', files: { 'onnx/model.onnx': 10, 'onnx/model.onnx_data': 2000 } };
  assert.equal(stampIsComplete(stamp, 'abc', sizeOf), true);
  assert.equal(stampIsComplete(stamp, 'other', sizeOf), false, 'another recipe');
  assert.equal(stampIsComplete({ ...stamp, files: { ...stamp.files, 'onnx/model_q4.onnx': 5 } }, 'abc', sizeOf), false, 'a missing file');
  assert.equal(stampIsComplete({ ...stamp, files: { 'onnx/model.onnx_data': 1999 } }, 'abc', sizeOf), false, 'a truncated file');
  assert.equal(stampIsComplete({ recipe_sha256: 'abc', files: {} }, 'abc', sizeOf), false, 'no files');
  assert.equal(stampIsComplete(null, 'abc', sizeOf), false);
  assert.equal(stampIsComplete('abc', 'abc', sizeOf), false);
});

test('middle: median with the mean of the middle two; fastestOf skips NaN', () => {
  assert.equal(middle([3, 1, 2]), 2);
  assert.equal(middle([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(middle([])));
  assert.equal(fastestOf({ fp32: 80, q8: 120, q4: 95 }), 'fp32');
  assert.equal(fastestOf({ fp32: Number.NaN, q8: 120, q4: 95 }), 'q4');
  assert.equal(fastestOf({}), undefined);
  assert.equal(rssBudgetMb(1000), 1600);
});

function run(system: ChildResult['system'], dtype: ChildResult['dtype'], round: number, step: number, rss: [number, number], tokens = [1, 2, 3]): ChildResult {
  return {
    system,
    dtype,
    round,
    loadedFile: 'onnx/model.onnx',
    loadMs: 1000,
    prefillMs: 10 * step,
    firstTokenMs: 10 * step,
    stepMs: [step, step + 1, step - 1],
    promptTokens: 1024,
    tokens,
    finishReason: 'length',
    rssLoadMb: rss[0],
    rssPrefillMb: rss[1],
    rssEndMb: rss[1],
    rssNowMb: rss[1],
  };
}

test('summarizeRuns: medians over rounds, max RSS, per-dtype and auto ratios, fastest dtype', () => {
  const runs = [
    run('tealeaf', 'fp32', 0, 100, [2900, 3100]),
    run('ort-node', 'fp32', 0, 50, [2500, 2600]),
    run('ort-node', 'fp32', 1, 60, [2500, 2600]),
    run('tealeaf', 'fp32', 1, 120, [2900, 3000]),
    run('tealeaf', 'q4', 0, 300, [900, 1200], [1, 2, 4]),
    run('ort-node', 'q4', 0, 30, [800, 900]),
  ];
  const s = summarizeRuns(runs, { fp32: 2400, q4: 800 }, 2, 'fp32');
  assert.equal(s.metrics.decode_ms_0p5b_fp32, 110); // per-run medians 100 and 120
  assert.equal(s.metrics.native_decode_ms_0p5b_fp32, 55);
  assert.equal(s.metrics.prefill_ms_0p5b_fp32, 1100);
  assert.equal(s.metrics.peak_rss_mb_0p5b_fp32, 3100);
  assert.equal(s.metrics.load_rss_mb_0p5b_fp32, 2900);
  assert.equal(s.metrics.native_peak_rss_mb_0p5b_fp32, 2600);
  assert.equal(s.metrics.file_mb_0p5b_fp32, 2400);
  assert.equal(s.metrics.rss_budget_mb_0p5b_q4, 1.3 * 800 + 300);
  assert.equal(s.ratios.wasm_vs_native_0p5b_fp32, 0.5); // 50/100 and 60/120
  assert.equal(s.ratios.wasm_vs_native_0p5b_q4, 0.1);
  assert.equal(s.ratios.wasm_vs_native_0p5b, 0.5, 'the ratio of the dtype auto opens');
  assert.equal(s.metrics.fastest_dtype_0p5b_wasm, 0); // fp32
  assert.equal(s.fastest, 'fp32');
  assert.equal(s.ratios.auto_is_fastest_0p5b, 1);
  assert.equal(s.metrics.decode_ms_0p5b_q8, undefined, 'q8 was not measured');
  const same = s.results.find((r) => r.metric === 'same_tokens_as_native' && r.model.endsWith(':q4'));
  assert.equal(same?.value, 2 / 3);
  assert.deepEqual(
    s.table.map((r) => r.dtype),
    ['fp32', 'q4'],
  );
});

test('summarizeRuns: a dtype with only native runs has NaN WASM figures and no auto ratio without auto', () => {
  const s = summarizeRuns([run('ort-node', 'q8', 0, 40, [700, 800])], { q8: 600 }, 2, undefined);
  assert.ok(Number.isNaN(s.metrics.decode_ms_0p5b_q8!));
  assert.equal(s.metrics.native_decode_ms_0p5b_q8, 40);
  assert.equal(s.ratios.wasm_vs_native_0p5b, undefined);
  assert.equal(s.metrics.fastest_dtype_0p5b_wasm, undefined);
});
