// The WebGPU backend's pure decisions, in Node with fake adapters and devices: which dtype a
// WebGPU adapter may run (shader-f16), the device the engine asks for, the replay after a device
// loss, and the nodes kept on the CPU for precision.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { withDeviceRecovery } from '../../../src/engine/deviceRecovery';
import { type DtypeFile, dtypeFileName, selectDtypeFile } from '../../../src/engine/dtype';
import { DeviceLostError, GpuFeatureError, SessionError } from '../../../src/engine/errors';
import { cpuPrecisionNodes } from '../../../src/engine/onnxGpuPrecision';
import { adapterName, type GpuAdapterLike, type GpuDeviceLike, isDeviceLostMessage, navigatorWebGpu, SHADER_F16, type WebGpu } from '../../../src/engine/webgpuDevice';
import { FIXTURES } from './helpers';
import { bytesField, message } from './protobufWriter';

const file = (dtype: DtypeFile['dtype']): DtypeFile => ({ dtype, path: dtypeFileName('model', dtype), bytes: 1 });
const withF16 = { name: 'test gpu', features: new Set([SHADER_F16]) };
const withoutF16 = { name: 'google swiftshader', features: new Set(['subgroups']) };

describe('dtype by the adapter’s shader-f16', () => {
  const all = [file('fp32'), file('fp16'), file('q4'), file('q4f16')];

  it('auto on WebGPU takes a half-precision file only where the adapter has shader-f16', () => {
    assert.equal(selectDtypeFile(all, 'auto', 'webgpu', 'M', withF16).file.dtype, 'q4f16');
    assert.equal(selectDtypeFile([file('fp32'), file('fp16')], 'auto', 'webgpu', 'M', withF16).file.dtype, 'fp16');
    const without = selectDtypeFile([file('fp32'), file('fp16')], 'auto', 'webgpu', 'M', withoutF16);
    assert.equal(without.file.dtype, 'fp32');
    assert.equal(without.reason, 'auto: fp32 is the fastest on webgpu that runs here (fp16 needs shader-f16, which google swiftshader lacks)');
    assert.equal(selectDtypeFile(all, 'auto', 'webgpu', 'M', withoutF16).file.dtype, 'q4');
  });

  it('an explicit fp16 or q4f16 without shader-f16 is a GpuFeatureError in one sentence, never another file', () => {
    for (const dtype of ['fp16', 'q4f16'] as const) {
      assert.throws(
        () => selectDtypeFile(all, dtype, 'webgpu', 'M', withoutF16),
        (e: unknown) =>
          e instanceof GpuFeatureError &&
          e instanceof SessionError && // the WASM backend may still open it
          e.message === `onnx/model_${dtype}.onnx cannot run on WebGPU here: ${dtype} needs the GPU's shader-f16 feature, which google swiftshader lacks; choose dtype auto or fp32, or run on WebAssembly`,
      );
      assert.equal(selectDtypeFile(all, dtype, 'webgpu', 'M', withF16).file.dtype, dtype);
    }
  });

  it('a folder with only half-precision files cannot run on such an adapter', () => {
    assert.throws(() => selectDtypeFile([file('fp16')], 'auto', 'webgpu', 'M', withoutF16), (e: unknown) => e instanceof GpuFeatureError && /only half-precision files \(fp16\)/.test(e.message));
  });

  it('WASM and native ignore the adapter; unknown features allow everything', () => {
    assert.equal(selectDtypeFile([file('fp16')], 'fp16', 'wasm', 'M', withoutF16).file.dtype, 'fp16');
    assert.equal(selectDtypeFile([file('fp32'), file('fp16')], 'auto', 'webgpu', 'M').file.dtype, 'fp16');
  });
});

class FakeDevice implements GpuDeviceLike {
  readonly features: ReadonlySet<string>;
  private resolveLost: (info: { reason: string; message: string }) => void = () => undefined;
  readonly lost = new Promise<{ reason?: string; message?: string }>((resolve) => (this.resolveLost = resolve));
  destroyed = false;
  constructor(readonly descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }) {
    this.features = new Set(descriptor.requiredFeatures);
  }
  destroy(): void {
    this.destroyed = true;
    this.resolveLost({ reason: 'destroyed', message: 'Device was destroyed.' });
  }
}

function fakeGpu(features: string[]): { gpu: { requestAdapter(): Promise<GpuAdapterLike> }; devices: FakeDevice[]; adapters: () => number } {
  const devices: FakeDevice[] = [];
  let adapters = 0;
  return {
    devices,
    adapters: () => adapters,
    gpu: {
      requestAdapter: async () => {
        adapters++;
        return {
          features: new Set(features),
          limits: { maxBufferSize: 4096, maxStorageBufferBindingSize: 2048, maxTextureDimension2D: 1 },
          info: { vendor: 'acme', architecture: 'rdna' },
          requestDevice: async (descriptor) => {
            const device = new FakeDevice(descriptor);
            devices.push(device);
            return device;
          },
        };
      },
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('the engine’s GPU device', () => {
  it('asks for shader-f16 and subgroups where the adapter has them, and its large limits', async () => {
    const fake = fakeGpu([SHADER_F16, 'subgroups', 'timestamp-query']);
    const webgpu = navigatorWebGpu(fake.gpu);
    assert.deepEqual(await webgpu.adapter(), { name: 'acme rdna', features: new Set([SHADER_F16, 'subgroups', 'timestamp-query']) });
    await webgpu.device();
    assert.deepEqual(fake.devices[0]?.descriptor, { requiredFeatures: [SHADER_F16, 'subgroups'], requiredLimits: { maxBufferSize: 4096, maxStorageBufferBindingSize: 2048 } });
  });

  it('keeps one device until it is lost, then opens a new one on a fresh adapter', async () => {
    const fake = fakeGpu([]);
    const webgpu = navigatorWebGpu(fake.gpu);
    const first = await webgpu.device();
    assert.equal(await webgpu.device(), first);
    assert.equal(webgpu.lost, false);
    first.destroy();
    await tick();
    assert.equal(webgpu.lost, true);
    const second = await webgpu.device();
    assert.notEqual(second, first);
    assert.equal(webgpu.lost, false);
    assert.equal(fake.adapters(), 2);
    webgpu.drop();
    await tick();
    assert.equal((second as FakeDevice).destroyed, true, 'drop() destroys the device it held');
    assert.equal(webgpu.lost, false, 'a dropped device is not a lost one');
  });

  it('asks only for the optional features the adapter has, and raises every limit onnxruntime raises', async () => {
    const limits = {
      maxBufferSize: 1,
      maxStorageBufferBindingSize: 2,
      maxComputeWorkgroupStorageSize: 3,
      maxComputeInvocationsPerWorkgroup: 4,
      maxComputeWorkgroupSizeX: 5,
      maxComputeWorkgroupSizeY: 6,
      maxComputeWorkgroupSizeZ: 7,
      maxComputeWorkgroupsPerDimension: 8,
      maxTextureDimension2D: 9,
    };
    const options: unknown[] = [];
    const devices: FakeDevice[] = [];
    const webgpu = navigatorWebGpu({
      requestAdapter: async (o) => {
        options.push(o);
        return { features: new Set<string>(), limits, requestDevice: async (d) => (devices.push(new FakeDevice(d)), devices[devices.length - 1] as FakeDevice) };
      },
    });
    assert.equal(webgpu.lost, false, 'no device handed out yet, none lost');
    await webgpu.device();
    assert.deepEqual(options, [{ powerPreference: 'high-performance' }]);
    const { maxTextureDimension2D: _, ...raised } = limits;
    assert.deepEqual(devices[0]?.descriptor, { requiredFeatures: [], requiredLimits: raised });
  });

  it('names the adapter by its vendor and architecture, skipping missing or empty parts', () => {
    assert.equal(adapterName({ info: { vendor: 'acme', architecture: 'rdna' } }), 'acme rdna');
    assert.equal(adapterName({ info: { vendor: 'acme' } }), 'acme');
    assert.equal(adapterName({ info: { vendor: 'acme', architecture: '' } }), 'acme');
    assert.equal(adapterName({ info: { architecture: 'rdna' } }), 'rdna');
    assert.equal(adapterName({}), 'the GPU adapter');
  });

  it('without an adapter, the device is refused in one sentence', async () => {
    await assert.rejects(
      navigatorWebGpu({ requestAdapter: async () => null }).device(),
      (e: unknown) => e instanceof Error && e.message === 'WebGPU has no adapter here (a VM or a software-only GPU, or WebGPU disabled)',
    );
  });

  it('without navigator.gpu, the adapter is refused in one sentence', async () => {
    await assert.rejects(navigatorWebGpu(undefined).adapter(), /WebGPU is not available here/);
  });

  it('reads onnxruntime’s device-lost failures', () => {
    assert.equal(isDeviceLostMessage("Failed to execute 'mapAsync' on 'GPUBuffer': The Device was lost before mapping was resolved."), true);
    assert.equal(isDeviceLostMessage('Device was destroyed.'), true);
    assert.equal(isDeviceLostMessage('Dawn: device lost (reason: unknown)'), true);
    assert.equal(isDeviceLostMessage('The GPUDevice used by this session was lost.'), true);
    assert.equal(isDeviceLostMessage('Got invalid dimensions for input: past_key_values.0.key'), false);
  });
});

/** A WebGpu whose loss the test sets. */
function flagGpu(): WebGpu & { lostNow: boolean } {
  return {
    lostNow: false,
    get lost() {
      return this.lostNow;
    },
    adapter: async () => withF16,
    device: async () => new FakeDevice({ requiredFeatures: [], requiredLimits: {} }),
    drop() {
      this.lostNow = false;
    },
  };
}

describe('replay after a device loss', () => {
  it('one loss: reopened once, the request runs again and succeeds', async () => {
    const gpu = flagGpu();
    let reopened = 0;
    const attempts: number[] = [];
    const result = await withDeviceRecovery(
      gpu,
      async () => {
        reopened++;
        gpu.drop();
      },
      async (attempt) => {
        attempts.push(attempt);
        if (attempt === 0) throw new Error('onnxruntime run failed: The Device was lost before mapping was resolved.');
        return 'tokens';
      },
    );
    assert.equal(result, 'tokens');
    assert.deepEqual(attempts, [0, 1]);
    assert.equal(reopened, 1);
  });

  it('a second loss in the same request is a DeviceLostError (and the engine is reopened for the host)', async () => {
    const gpu = flagGpu();
    let reopened = 0;
    await assert.rejects(
      withDeviceRecovery(
        gpu,
        async () => void reopened++,
        async () => {
          gpu.lostNow = true; // the device's lost promise resolved: the error text does not matter
          throw new Error('failed to call OrtRun()');
        },
      ),
      (e: unknown) => e instanceof DeviceLostError && e.name === 'DeviceLostError' && /lost twice/.test(e.message),
    );
    assert.equal(reopened, 2);
  });

  it('a replay that fails for another reason passes that failure through, not a DeviceLostError', async () => {
    const gpu = flagGpu();
    let reopened = 0;
    const failure = new RangeError('bad request');
    await assert.rejects(
      withDeviceRecovery(
        gpu,
        async () => void (reopened++, gpu.drop()),
        async (attempt) => {
          if (attempt === 0) throw new Error('Device was destroyed.');
          throw failure;
        },
      ),
      (e: unknown) => e === failure,
    );
    assert.equal(reopened, 1);
  });

  it('a device lost between requests is replaced before the request, without a replay', async () => {
    const gpu = flagGpu();
    gpu.lostNow = true;
    let reopened = 0;
    const attempts: number[] = [];
    await withDeviceRecovery(gpu, async () => void (reopened++, gpu.drop()), async (attempt) => void attempts.push(attempt));
    assert.equal(reopened, 1);
    assert.deepEqual(attempts, [0]);
  });

  it('other failures pass through untouched; no GPU, no recovery', async () => {
    const gpu = flagGpu();
    await assert.rejects(
      withDeviceRecovery(gpu, async () => assert.fail('reopened'), async () => {
        throw new RangeError('bad request');
      }),
      RangeError,
    );
    assert.equal(await withDeviceRecovery(undefined, async () => assert.fail('reopened'), async (attempt) => attempt), 0);
  });
});

describe('nodes kept on the CPU for precision', () => {
  it('the rotary Sin/Cos and what they are computed from, nothing else', () => {
    const llama = cpuPrecisionNodes(new Uint8Array(readFileSync(path.join(FIXTURES, 'tiny-llama', 'onnx', 'model.onnx'))));
    assert.ok(llama.includes('node_sin') && llama.includes('node_cos'), llama.join());
    assert.ok(llama.includes('node_matmul'), 'the angles’ position × frequency product');
    assert.ok(llama.length <= 12, `a short chain, not the model: ${llama.join()}`);
    assert.deepEqual(cpuPrecisionNodes(new Uint8Array(readFileSync(path.join(FIXTURES, 'hub-gpt2', 'onnx', 'model.onnx')))), [], 'gpt2 has learned positions');
  });

  it('unnamed nodes in the chain are left out (they cannot be forced); named ones are listed once', () => {
    // NodeProto: input 1, output 2, name 3, op_type 4
    const node = (name: string, opType: string, inputs: string[], output: string) =>
      bytesField(1, message(...inputs.map((i) => bytesField(1, i)), bytesField(2, output), ...(name ? [bytesField(3, name)] : []), bytesField(4, opType)));
    // positions → (unnamed Mul) → angles → Sin, Cos
    const model = message(bytesField(7, message(node('', 'Mul', ['positions', 'inv_freq'], 'angles'), node('sin', 'Sin', ['angles'], 's'), node('', 'Cos', ['angles'], 'c'))));
    assert.deepEqual(cpuPrecisionNodes(model), ['sin']);
  });
});
