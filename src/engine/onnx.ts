// The onnxruntime-web surface the engine uses. The ORT module is injected (Node: 'onnxruntime-web',
// webview: 'onnxruntime-web/webgpu'), so the engine never imports a particular build.
import type * as OrtNamespace from 'onnxruntime-web';
import { InferenceError, ModelError } from './errors';
import { halfToFloat32 } from './float16';
import { ortMessage } from './ortMessage';
import type { Backend } from './types';

export type Ort = typeof OrtNamespace;
export type OrtTensor = OrtNamespace.Tensor;
export type OrtSession = OrtNamespace.InferenceSession;
export type Feeds = Record<string, OrtTensor>;

export interface Runtime {
  readonly ort: Ort;
  readonly backend: Backend;
}

export interface TensorShapeInfo {
  readonly name: string;
  readonly type: string;
  /** Symbolic dims are strings ('batch_size'), fixed dims numbers; empty when unknown. */
  readonly shape: readonly (number | string)[];
}

export interface SessionSource {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly externalData: readonly { readonly path: string; readonly data: Uint8Array }[];
}

export async function createSession(runtime: Runtime, source: SessionSource): Promise<OrtSession> {
  const executionProviders = runtime.backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
  try {
    return await runtime.ort.InferenceSession.create(source.bytes, {
      executionProviders,
      graphOptimizationLevel: 'all',
      externalData: source.externalData.map((d) => ({ path: d.path, data: d.data })),
    });
  } catch (error) {
    throw new ModelError(`${source.path} could not be loaded by onnxruntime-web: ${ortMessage(error)}`);
  }
}

export function inputInfo(session: OrtSession): TensorShapeInfo[] {
  return session.inputMetadata.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'unknown',
    shape: m.isTensor ? m.shape : [],
  }));
}

export async function run(session: OrtSession, feeds: Feeds, outputNames: readonly string[]): Promise<Record<string, OrtTensor>> {
  try {
    return (await session.run(feeds, outputNames)) as Record<string, OrtTensor>;
  } catch (error) {
    throw new InferenceError(`onnxruntime-web run failed: ${(error as Error).message}`);
  }
}

export function int64Tensor(ort: Ort, values: readonly number[], dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** An int64 tensor of ones (attention masks), without a BigInt conversion per element. */
export function onesInt64(ort: Ort, dims: readonly number[]): OrtTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('int64', new BigInt64Array(size).fill(1n), dims);
}

/**
 * Elements [start, end) of a float32 or float16 tensor as float32: float32 data is a view (no copy),
 * float16 data is converted, and only the range asked for (the last row of fp16 logits, not all).
 */
export function floatData(tensor: OrtTensor, start = 0, end = tensor.size): Float32Array {
  if (tensor.type === 'float32') {
    const data = tensor.data as Float32Array;
    return start === 0 && end === data.length ? data : data.subarray(start, end);
  }
  if (tensor.type === 'float16') {
    const data = tensor.data;
    // Where the platform has Float16Array, onnxruntime returns one; its elements are numbers already.
    if (data instanceof Uint16Array) return halfToFloat32(data, start, end);
    return Float32Array.from((data as ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }).subarray(start, end));
  }
  throw new InferenceError(`expected a float32 or float16 output, got ${tensor.type}`);
}

/** A float32 tensor with the values of a float16 one (attention of fp16 graphs); float32 tensors pass through. */
export function asFloat32Tensor(ort: Ort, tensor: OrtTensor): OrtTensor {
  if (tensor.type === 'float32') return tensor;
  return new ort.Tensor('float32', floatData(tensor), tensor.dims);
}
