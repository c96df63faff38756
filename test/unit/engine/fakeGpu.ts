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

/** onnxruntime-web's message when a run finds the WebGPU device lost. */
export const DEVICE_LOST_MESSAGE =
  "failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Failed to execute 'mapAsync' on 'GPUBuffer': The Device was lost before mapping was resolved.";

/** What a test scripts of the sessions it opens; each hook may throw to fail that step. */
export interface SessionHooks {
  /** Before a session opens (throw to refuse it). */
  readonly beforeOpen?: () => void;
  /** Before each run, with the output names it fetches (throw to fail the run). */
  readonly beforeRun?: (fetches: unknown) => void;
  readonly onRelease?: () => void;
}

/** A Runtime's openSession over WASM sessions whose opening, runs and release the hooks see. */
export function scriptedOpenSession(hooks: SessionHooks): (bytes: Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<OrtSession> {
  return async (bytes, options) => {
    hooks.beforeOpen?.();
    const session = await wasmSessionFor(bytes, options);
    return new Proxy(session, {
      get(target, property) {
        if (property === 'run') {
          return async (...args: Parameters<OrtSession['run']>) => {
            hooks.beforeRun?.(args[1]);
            return target.run(...args);
          };
        }
        if (property === 'release') {
          return async () => {
            hooks.onRelease?.();
            return target.release();
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}
