// The parts of a GPU that device-loss tests script, without a GPU: a device that is never lost by
// itself, and a WebGpu whose `lost` flag the test sets (dropping the device clears it), with WASM
// sessions opened where onnxruntime would open WebGPU ones (GPU-only options left out).
import * as ort from 'onnxruntime-web';
import type { OrtSession } from '../../../src/engine/onnx';
import type { GpuDeviceLike, WebGpu } from '../../../src/engine/webgpuDevice';

/** A fake WebGPU whose loss `state.lost` says; `drop()` (a new device) clears it. */
export function fakeWebGpu(state: { lost: boolean }): WebGpu {
  const device: GpuDeviceLike = { lost: new Promise(() => undefined), features: new Set(), destroy: () => undefined };
  return {
    get lost() {
      return state.lost;
    },
    adapter: async () => ({ name: 'fake gpu', features: new Set() }),
    device: async () => device,
    drop: () => void (state.lost = false),
  };
}

/** A WASM session for what was asked of the GPU. */
export function wasmSessionFor(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<OrtSession> {
  const { preferredOutputLocation: _gpuOnly, ...cpu } = options;
  return ort.InferenceSession.create(bytes, { ...cpu, executionProviders: ['wasm'] }) as Promise<OrtSession>;
}
