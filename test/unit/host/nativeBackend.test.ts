// The native backend (onnxruntime-node) against WebAssembly (onnxruntime-web) on every fixture and
// the default models, in every dtype file each folder has: the same greedy tokens (and beam-4
// translations), prompt and teacher-forced logits within 1e-4, and the inspector's attention (the
// export's outputs or graph surgery, built in memory for either runtime) within 1e-4.
// - Graphs with float16 activations (fp16, q4f16) round differently on the two runtimes: their
//   values may differ by one half-precision step at the scale of the tensor (its largest
//   magnitude), never more.
// - Graphs that quantize activations with one scale per run (DynamicQuantizeLinear: q8, int8,
//   uint8) may round one activation the other way on a longer prompt, which moves logits by up to
//   0.4 on these fixtures: for them the tokens must agree and the logits stay closer to WASM's
//   than WASM's own are to the fp32 file's.
// On the fp32 files the native greedy tokens also equal the PyTorch goldens, which transformers.js
// (itself on onnxruntime-node) reproduces in transformersjs-compat.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { type DecoderModel, openDecoderModel } from '../../../src/engine/decoderModel';
import type { Dtype } from '../../../src/engine/dtype';
import { DecoderGenerator } from '../../../src/engine/generate';
import { listDtypeFiles, type ModelFolder, onnxRoles, readModelFolder } from '../../../src/engine/modelFolder';
import type { Runtime } from '../../../src/engine/onnx';
import { loadSeq2Seq, type MarianRunner } from '../../../src/engine/seq2seq/runner';
import type { Engine, EngineHost } from '../../../src/engine/types';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { loadNativeOrt } from '../../../src/host/nativeOrt';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES, GOLDENS, ROOT } from '../engine/helpers';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const TOLERANCE = 1e-4;
const HALF_ACTIVATIONS: readonly Dtype[] = ['fp16', 'q4f16'];
const PROMPT = 'def fibonacci(n):\n    if n < 2:\n        return n\n    return';
const SOURCE = 'Open the file, then save it under another name.';
const INSPECTED = 'import os\nimport sys\n\nprint(os.path.join(sys.argv[1], "out"))';

const FOLDERS = [
  ...readdirSync(FIXTURES).map((name) => path.join(FIXTURES, name)),
  path.join(ROOT, 'models', 'tealeaf-code'),
  path.join(ROOT, 'models', 'tealeaf-translate'),
].filter((dir) => existsSync(path.join(dir, 'config.json')));

/** One step of float16 at |x| (its unit in the last place): what rounding one activation may move a value by. */
function halfStep(x: number): number {
  const magnitude = Math.abs(x);
  return magnitude < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(magnitude)) - 10);
}

/**
 * The largest difference, and the largest beyond what the file's precision allows: 1e-4, or for
 * float16 activations one half-precision step at the tensor's scale (measured on these files: up
 * to 2^-8 in logits whose largest magnitude is between 4 and 16).
 */
function compare(actual: Float32Array, expected: Float32Array, dtype: Dtype): { max: number; excess: number } {
  assert.equal(actual.length, expected.length, 'value counts differ');
  const scale = expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const allowed = HALF_ACTIVATIONS.includes(dtype) ? Math.max(TOLERANCE, halfStep(scale)) : TOLERANCE;
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  return { max, excess: max - allowed };
}

interface Golden {
  readonly kind?: string;
  readonly prompt_ids?: number[];
  readonly greedy_tokens?: number[];
}

function goldenOf(dir: string): Golden | undefined {
  const file = path.join(GOLDENS, `${path.basename(dir)}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Golden) : undefined;
}

describe('native backend (onnxruntime-node) against WebAssembly', () => {
  let native: Runtime;
  const wasm: Runtime = { ort, backend: 'wasm' };
  let host: EngineHost;
  before(async () => {
    const loaded = await loadNativeOrt();
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
    native = { ort: loaded.ort, backend: 'native', threads: 1, openSession: loaded.openSession };
    host = createInProcessHost({ threads: 1 });
  });
  after(async () => host.dispose());

  it('covers every fixture and both default models', () => {
    const names = FOLDERS.map((d) => path.basename(d));
    for (const want of ['tiny-gpt2', 'tiny-llama', 'tiny-bloom', 'tiny-marian', 'hub-qwen2.5-coder', 'tealeaf-code', 'tealeaf-translate']) {
      assert.ok(names.includes(want), `missing ${want}; found ${names.join(', ')}`);
    }
  });

  it('auto probes an engine opened for the inspector alone with an attention pass', async () => {
    const inspector = createInProcessHost({ threads: 1 });
    try {
      const engine = await inspector.load(path.join(FIXTURES, 'hub-qwen2.5-coder'), { backend: 'auto', purpose: 'inspector' });
      assert.match(engine.info.backendReason ?? '', /^auto: .* (same|other) attention peaks/);
      assert.equal((await engine.attention({ text: INSPECTED })).attention.layerData.length, engine.info.layers);
    } finally {
      await inspector.dispose();
    }
  });

  for (const dir of FOLDERS) {
    describe(path.basename(dir), () => {
      let folder: ModelFolder;
      let dtypes: Dtype[] = [];
      before(async () => {
        folder = await readModelFolder(await NodeModelFiles.open(dir));
        dtypes = (await listDtypeFiles(folder.files, onnxRoles(folder.config.kind))).map((d) => d.dtype);
      });

      it('gives the same tokens, logits and attention in every dtype file', async () => {
        assert.ok(dtypes.length > 0);
        for (const dtype of dtypes) {
          if (folder.config.kind === 'decoder') await checkDecoder(dir, folder, dtype);
          else await checkSeq2Seq(dir, folder, dtype);
        }
      });
    });
  }

  // The goldens' greedy tokens are the fp32 weights' (the other dtypes are held to WASM's tokens).
  describe('native greedy tokens against the PyTorch goldens (fp32)', () => {
    for (const name of ['hub-gpt2', 'hub-qwen2.5-coder', 'hub-smollm2', 'tiny-bloom', 'tiny-gpt2', 'tiny-llama', 'tealeaf-code']) {
      it(name, async () => {
        const dir = FOLDERS.find((d) => path.basename(d) === name);
        assert.ok(dir, `no folder ${name}`);
        const golden = goldenOf(dir);
        assert.ok(golden?.prompt_ids && golden.greedy_tokens, `${name}: no golden prompt and greedy tokens`);
        const folder = await readModelFolder(await NodeModelFiles.open(dir));
        const model = await openDecoderModel(folder, native, { dtype: 'fp32' });
        try {
          const generator = new DecoderGenerator(model, folder.tokenizer);
          const out = await generator.generate({ promptIds: golden.prompt_ids, maxNewTokens: golden.greedy_tokens.length, eosTokenIds: [], useKvCache: true, reusePrefix: false, captureAttention: false });
          assert.deepEqual(out.tokens, golden.greedy_tokens);
        } finally {
          await model.dispose();
        }
      });
    }
  });

  async function pair(dir: string, dtype: Dtype): Promise<[Engine, Engine]> {
    const onWasm = await host.load(dir, { dtype, backend: 'wasm' });
    const onNative = await host.load(dir, { dtype, backend: 'native' });
    assert.equal(onNative.info.backend, 'native');
    assert.equal(onWasm.info.backend, 'wasm');
    return [onWasm, onNative];
  }

  async function checkDecoder(dir: string, folder: ModelFolder, dtype: Dtype): Promise<void> {
    const what = `${path.basename(dir)} ${dtype}`;
    const golden = goldenOf(dir);
    const ids = golden?.prompt_ids ?? folder.tokenizer.encode(PROMPT, { addSpecialTokens: false });
    const models = [await openDecoderModel(folder, wasm, { dtype, logits: 'all' }), await openDecoderModel(folder, native, { dtype, logits: 'all' })];
    const promptLogits = async (m: DecoderModel) => (await m.forward(m.emptyCache(), ids, { allLogits: true })).allLogits as Float32Array;
    try {
      const [a, b] = [await promptLogits(models[0]!), await promptLogits(models[1]!)];
      const { max, excess } = compare(b, a, dtype);
      if (models[0]!.source?.perRunQuantization) {
        const fp32 = await openDecoderModel(folder, wasm, { dtype: 'fp32', logits: 'all' });
        const ownError = compare(a, await promptLogits(fp32), 'fp32').max;
        await fp32.dispose();
        assert.ok(max <= ownError, `${what}: prompt logits differ by ${max}, more than the file's own ${ownError} from fp32`);
      } else {
        assert.ok(excess <= 0, `${what}: prompt logits differ by ${max}`);
      }
    } finally {
      await Promise.all(models.map((m) => m.dispose()));
    }

    const [onWasm, onNative] = await pair(dir, dtype);
    try {
      const request = { prompt: PROMPT, maxNewTokens: 24, reusePrefix: false };
      assert.deepEqual((await onNative.generate(request)).tokens, (await onWasm.generate(request)).tokens, `${what}: greedy tokens`);
      assert.equal(onNative.info.attentionSource, onWasm.info.attentionSource);
      if (onWasm.info.attentionSource === 'none') return;
      const [x, y] = [await onWasm.attention({ text: INSPECTED }), await onNative.attention({ text: INSPECTED })];
      assert.equal(y.attention.layerData.length, x.attention.layerData.length);
      x.attention.layerData.forEach((layer, l) => {
        const { max, excess } = compare(y.attention.layerData[l] as Float32Array, layer, dtype);
        assert.ok(excess <= 0, `${what}: attention of layer ${l} differs by ${max}`);
      });
    } finally {
      await Promise.all([onWasm.dispose(), onNative.dispose()]);
    }
  }

  async function checkSeq2Seq(dir: string, folder: ModelFolder, dtype: Dtype): Promise<void> {
    const what = `${path.basename(dir)} ${dtype}`;
    const [onWasm, onNative] = await pair(dir, dtype);
    const direction = onWasm.info.translationPairs?.[0] ?? { from: 'en', to: 'de' };
    let reference: readonly number[];
    try {
      for (const beams of [1, 4]) {
        const request = { text: SOURCE, ...direction, beams };
        const expected = (await onWasm.translate(request)).tokens;
        assert.deepEqual((await onNative.translate(request)).tokens, expected, `${what}: tokens with ${beams} beam(s)`);
        if (beams === 1) reference = expected;
      }
    } finally {
      await Promise.all([onWasm.dispose(), onNative.dispose()]);
    }

    // Teacher-forced along WASM's greedy translation: each step's logits.
    const runners = [(await loadSeq2Seq(folder, wasm, dtype)) as MarianRunner, (await loadSeq2Seq(folder, native, dtype)) as MarianRunner];
    try {
      const prepared = runners[0]!.prepareSource(SOURCE, direction.from, direction.to);
      const steps = await Promise.all(
        runners.map(async ({ model }) => {
          let state = model.start(await model.encode(prepared.ids));
          const logits: Float32Array[] = [];
          for (const token of [runners[0]!.settings.decoderStartTokenId, ...reference!.slice(0, -1)]) {
            const out = await model.step(state, [token]);
            state = out.state;
            logits.push(out.logits);
          }
          return logits;
        }),
      );
      assert.ok((steps[0] as Float32Array[]).length > 0);
      (steps[0] as Float32Array[]).forEach((expected, step) => {
        const { max, excess } = compare((steps[1] as Float32Array[])[step] as Float32Array, expected, dtype);
        assert.ok(excess <= 0, `${what}: logits of step ${step} differ by ${max}`);
      });
    } finally {
      await Promise.all(runners.map((r) => r.dispose()));
    }
  }
});
