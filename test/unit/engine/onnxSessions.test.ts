// The onnxruntime surface of src/engine/onnx.ts: the options createSession hands each backend
// (read through Runtime.openSession), its errors and run()'s, and the small tensor helpers.
// sessionOptions.test.ts covers WebAssembly's prepacking threshold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { InferenceError, SessionError } from '../../../src/engine/errors';
import {
  asFloat32Tensor,
  createSession,
  floatData,
  gpuFacts,
  inputInfo,
  int64Tensor,
  onesInt64,
  type Ort,
  type OrtSession,
  type OutputPlacement,
  run,
  type Runtime,
  runtimeName,
  type SessionSource,
} from '../../../src/engine/onnx';
import { floatToHalf } from '../../../src/engine/float16';
import type { WebGpu } from '../../../src/engine/webgpuDevice';
import { graphModel } from './graphModels';

type Options = ort.InferenceSession.SessionOptions;

/** A graph whose rotary angles (Cos of Mul of the positions) the WebGPU session keeps on the CPU. */
const ROTARY = graphModel([
  { op: 'Mul', inputs: ['positions', 'frequencies'], outputs: ['angles'], name: 'rotary/mul' },
  { op: 'Cos', inputs: ['angles'], outputs: ['cos'], name: 'rotary/cos' },
  { op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'mlp/relu' },
]);
const PLAIN = graphModel([{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'mlp/relu' }]);

const gpu = (device: unknown): WebGpu => ({ device: async () => device, adapter: async () => ({ features: ['shader-f16'] }) }) as unknown as WebGpu;

async function optionsFor(runtime: Omit<Runtime, 'ort' | 'openSession'>, source: Partial<SessionSource> = {}, placement?: OutputPlacement): Promise<{ options: Options; bytes: Uint8Array }> {
  let given: { options: Options; bytes: Uint8Array } | undefined;
  await createSession(
    {
      ...runtime,
      ort: ort as unknown as Ort,
      openSession: async (bytes, options) => {
        given = { bytes, options };
        return {} as OrtSession;
      },
    },
    { path: 'onnx/model.onnx', bytes: PLAIN, externalData: [], ...source },
    placement,
  );
  assert.ok(given);
  return given;
}

describe('createSession', () => {
  const data = { path: 'model.onnx_data', data: new Uint8Array([1, 2, 3, 4]) };

  it('WebAssembly: the wasm provider, every optimization, the external data as given, the cache on the CPU', async () => {
    const { options } = await optionsFor({ backend: 'wasm' }, { externalData: [data] }, { onGpu: ['present.0.key'] });
    assert.deepEqual(options, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', externalData: [{ path: 'model.onnx_data', data: data.data }] });
  });

  it('WebGPU: its device, the rotary nodes forced onto the CPU, WebAssembly for the rest, the cache kept on the GPU', async () => {
    const device = { label: 'device' };
    const { options } = await optionsFor({ backend: 'webgpu', gpu: gpu(device) }, { bytes: ROTARY }, { onGpu: ['present.0.key', 'present.0.value'] });
    const [webgpu, fallback] = options.executionProviders ?? [];
    assert.equal(fallback, 'wasm');
    const provider = webgpu as { name: string; device?: unknown; forceCpuNodeNames?: string[] };
    assert.equal(provider.name, 'webgpu');
    assert.equal(provider.device, device);
    assert.deepEqual([...(provider.forceCpuNodeNames ?? [])].sort(), ['rotary/cos', 'rotary/mul']);
    assert.deepEqual(options.preferredOutputLocation, { 'present.0.key': 'gpu-buffer', 'present.0.value': 'gpu-buffer' });
    const bare = await optionsFor({ backend: 'webgpu' }, { bytes: PLAIN });
    assert.deepEqual(bare.options.executionProviders, [{ name: 'webgpu' }, 'wasm'], 'no device of its own, no node to force');
    assert.equal(bare.options.preferredOutputLocation, undefined);
  });

  it('native: the CPU provider, fatal logs only, exact int8 products, threads when given, external data read from its folder or given whole', async () => {
    const { options } = await optionsFor({ backend: 'native', threads: 2 }, { externalData: [data], externalDataFolder: '/models/m/onnx' });
    assert.deepEqual(options, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 4,
      intraOpNumThreads: 2,
      extra: { 'session.x64quantprecision': '1', 'session.model_external_initializers_file_folder_path': '/models/m/onnx' },
    });
    const inMemory = await optionsFor({ backend: 'native' }, { externalData: [data] });
    assert.equal(inMemory.options.intraOpNumThreads, undefined);
    assert.deepEqual(inMemory.options.extra, { 'session.x64quantprecision': '1' });
    assert.deepEqual(inMemory.options.externalData, [{ path: 'model.onnx_data', data: data.data }]);
    const none = await optionsFor({ backend: 'native' }, { externalDataFolder: '/models/m/onnx' });
    assert.equal(none.options.externalData, undefined);
    assert.deepEqual(none.options.extra, { 'session.x64quantprecision': '1' }, 'no folder option without external data');
  });

  it('hands the graph over as it is when it has nothing to cut', async () => {
    for (const backend of ['wasm', 'webgpu', 'native'] as const) assert.equal((await optionsFor({ backend }, { bytes: PLAIN })).bytes, PLAIN, backend);
  });

  it('a graph onnxruntime refuses is a SessionError naming the file and the runtime', async () => {
    for (const [backend, name] of [['wasm', 'onnxruntime-web'], ['native', 'onnxruntime-node']] as const) {
      const runtime: Runtime = { ort: ort as unknown as Ort, backend, openSession: async () => Promise.reject(new Error('Load model failed: bad graph')) };
      await assert.rejects(createSession(runtime, { path: 'onnx/model_q4.onnx', bytes: PLAIN, externalData: [] }), (e: unknown) =>
        e instanceof SessionError && e.message.startsWith(`onnx/model_q4.onnx could not be loaded by ${name}: `) && /bad graph/.test(e.message),
      );
      assert.equal(runtimeName(backend), name);
    }
  });
});

describe('run', () => {
  it('passes the feeds and names through, and wraps a failure as an InferenceError', async () => {
    const asked: unknown[] = [];
    const session = { run: async (feeds: unknown, names: unknown) => (asked.push(feeds, names), { y: 1 }) } as unknown as OrtSession;
    assert.deepEqual(await run(session, {}, ['y']), { y: 1 });
    assert.deepEqual(asked, [{}, ['y']]);
    const failing = { run: async () => Promise.reject(new Error('input x is missing')) } as unknown as OrtSession;
    await assert.rejects(run(failing, {}, ['y']), (e: unknown) => e instanceof InferenceError && e.message === 'onnxruntime run failed: input x is missing');
  });
});

describe('tensor helpers', () => {
  it('int64 tensors of values and of ones', () => {
    const t = int64Tensor(ort as unknown as Ort, [3, -1, 2 ** 40], [1, 3]);
    assert.deepEqual([t.type, t.dims, [...(t.data as BigInt64Array)]], ['int64', [1, 3], [3n, -1n, 2n ** 40n]]);
    const ones = onesInt64(ort as unknown as Ort, [2, 3]);
    assert.deepEqual([ones.dims, [...(ones.data as BigInt64Array)]], [[2, 3], [1n, 1n, 1n, 1n, 1n, 1n]]);
  });

  it('floatData: float32 as a view (the whole array itself), float16 converted over the range asked, others refused', () => {
    const values = Float32Array.from([1, 2, 3, 4]);
    const f32 = new ort.Tensor('float32', values, [4]);
    assert.equal(floatData(f32), values);
    const part = floatData(f32, 1, 3);
    assert.deepEqual([...part], [2, 3]);
    assert.equal(part.buffer, values.buffer, 'a view, not a copy');
    const f16 = new ort.Tensor('float16', Uint16Array.from([1, -2.5, 3, 0.5], floatToHalf), [4]);
    assert.deepEqual([...floatData(f16)], [1, -2.5, 3, 0.5]);
    assert.deepEqual([...floatData(f16, 2, 4)], [3, 0.5]);
    assert.throws(() => floatData(new ort.Tensor('int32', Int32Array.from([1]), [1])), (e: unknown) => e instanceof InferenceError && e.message === 'expected a float32 or float16 output, got int32');
  });

  it('asFloat32Tensor: a float32 tensor itself, a float16 one converted with its dims', () => {
    const f32 = new ort.Tensor('float32', Float32Array.from([1]), [1, 1]);
    assert.equal(asFloat32Tensor(ort as unknown as Ort, f32), f32);
    const converted = asFloat32Tensor(ort as unknown as Ort, new ort.Tensor('float16', Uint16Array.from([0.25, 8], floatToHalf), [1, 2]));
    assert.deepEqual([converted.type, converted.dims, [...(converted.data as Float32Array)]], ['float32', [1, 2], [0.25, 8]]);
  });

  it('inputInfo: name, type and shape of each input; non-tensors unknown', () => {
    const session = {
      inputMetadata: [
        { name: 'input_ids', isTensor: true, type: 'int64', shape: ['batch', 'sequence'] },
        { name: 'state', isTensor: false },
      ],
    } as unknown as OrtSession;
    assert.deepEqual(inputInfo(session), [
      { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'state', type: 'unknown', shape: [] },
    ]);
  });

  it('gpuFacts: the adapter’s facts on WebGPU with a device owner, else none', async () => {
    const owner = gpu({});
    assert.deepEqual(await gpuFacts({ ort: ort as unknown as Ort, backend: 'webgpu', gpu: owner }), { features: ['shader-f16'] });
    assert.equal(await gpuFacts({ ort: ort as unknown as Ort, backend: 'wasm', gpu: owner }), undefined);
    assert.equal(await gpuFacts({ ort: ort as unknown as Ort, backend: 'webgpu' }), undefined);
  });
});
