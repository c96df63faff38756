// The onnxruntime surface the engine uses. The ORT module is injected (the worker and the CLI pass
// 'onnxruntime-web' or 'onnxruntime-node'), so the engine never imports a particular build. Both
// packages export onnxruntime-common's API, so one type describes them.
import type * as OrtNamespace from 'onnxruntime-web';
import { InferenceError, SessionError } from './errors';
import { halfToFloat32 } from './float16';
import { cpuPrecisionNodes } from './onnxGpuPrecision';
import { splitWideProducts } from './onnxSplitProducts';
import { unsignedIntegerWeights } from './onnxUnsignedWeights';
import { ortMessage } from './ortMessage';
import type { Backend } from './types';
import type { GpuAdapterFacts, GpuDeviceLike, WebGpu } from './webgpuDevice';

export type Ort = typeof OrtNamespace;
export type OrtTensor = OrtNamespace.Tensor;
export type OrtSession = OrtNamespace.InferenceSession;
export type Feeds = Record<string, OrtTensor>;

export interface Runtime {
  readonly ort: Ort;
  readonly backend: Backend;
  /**
   * Intra-op threads of each native session (onnxruntime-node; WASM's count is process-wide,
   * set on `ort.env.wasm`); undefined lets onnxruntime choose.
   */
  readonly threads?: number;
  /**
   * Opens a session without onnxruntime-common's backend registry, where the registry would pick
   * another runtime's backend (native: see src/host/nativeOrt.ts); default `ort.InferenceSession.create`.
   */
  readonly openSession?: (bytes: Uint8Array, options: OrtNamespace.InferenceSession.SessionOptions) => Promise<OrtSession>;
  /**
   * The adapter and device of the `webgpu` backend (webgpuDevice.ts). Without it, onnxruntime
   * opens a device of its own, which a device loss leaves unusable for the rest of the page.
   */
  readonly gpu?: WebGpu;
}

/** The adapter's facts where the backend is WebGPU and they are known (the dtype choice reads them). */
export async function gpuFacts(runtime: Runtime): Promise<GpuAdapterFacts | undefined> {
  return runtime.backend === 'webgpu' && runtime.gpu ? runtime.gpu.adapter() : undefined;
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
  /**
   * The folder on disk the external-data locations are relative to, where there is one (Node).
   * A native session reads its weights from there itself (mapped, never copied through
   * JavaScript); the locations were validated before (modelFolder.ts).
   */
  readonly externalDataFolder?: string;
}

/**
 * The session option that tells onnxruntime where the external data of a graph given as bytes
 * lies (kOrtSessionOptionsModelExternalInitializersFileFolderPath).
 */
const EXTERNAL_DATA_FOLDER_OPTION = 'session.model_external_initializers_file_folder_path';

/**
 * The session option (kOrtSessionOptionsAvx2PrecisionMode) that has onnxruntime store int8
 * weights as uint8 on x86 CPUs whose uint8 × int8 kernel sums pairs of products in saturating
 * 16 bits (AVX2 and AVX-512 without VNNI): there a q8 graph's logits moved up to twice as far
 * from the fp32 file's as WebAssembly's exact kernel puts them (1.08 against 0.45 on the
 * Qwen-layout fixture, on an AVX2 EPYC). Elsewhere onnxruntime ignores it.
 */
const EXACT_INT8_PRODUCTS_OPTION = 'session.x64quantprecision';

/** Where a session's outputs go: by default all to the CPU; on WebGPU, these names stay on the GPU. */
export interface OutputPlacement {
  /** Outputs the next run feeds back (present.*): kept as GPU buffers, never read by JavaScript. */
  readonly onGpu?: readonly string[];
}

function webgpuProvider(device: GpuDeviceLike | undefined, model: Uint8Array): OrtNamespace.InferenceSession.ExecutionProviderConfig {
  const cpu = cpuPrecisionNodes(model);
  // The device option is typed by the DOM's GPUDevice, which this code does not compile against.
  return {
    name: 'webgpu',
    ...(device ? { device } : {}),
    ...(cpu.length > 0 ? { forceCpuNodeNames: cpu } : {}),
  } as OrtNamespace.InferenceSession.WebGpuExecutionProviderOption;
}

/**
 * Weights from this size on run unpacked on WebAssembly. onnxruntime packs every constant MatMul
 * weight into its GEMM layout while it builds the session, a second copy next to the first, and
 * the heap keeps both peaks: for the 2.4 GB fp32 0.5B model that was 3.5 GB instead of 2.7 GB,
 * against a prefill of 128 tokens about 8% slower unpacked and decoding as fast. Smaller models
 * keep the packing (their memory is small, their prefill is what a keystroke waits for).
 */
export const UNPACKED_WEIGHTS_FROM_BYTES = 1024 * 1024 * 1024;

function weightBytes(source: SessionSource): number {
  return source.externalData.reduce((sum, d) => sum + d.data.byteLength, source.bytes.byteLength);
}

function sessionOptions(runtime: Runtime, source: SessionSource, device: GpuDeviceLike | undefined, placement: OutputPlacement): OrtNamespace.InferenceSession.SessionOptions {
  if (runtime.backend !== 'native') {
    const onGpu = runtime.backend === 'webgpu' ? (placement.onGpu ?? []) : [];
    const unpacked = runtime.backend === 'wasm' && weightBytes(source) >= UNPACKED_WEIGHTS_FROM_BYTES;
    return {
      // Nodes the WebGPU EP lacks run on the CPU (WASM) within the same session.
      executionProviders: runtime.backend === 'webgpu' ? [webgpuProvider(device, source.bytes), 'wasm'] : ['wasm'],
      graphOptimizationLevel: 'all',
      externalData: source.externalData.map((d) => ({ path: d.path, data: d.data })),
      // Only the cache: logits and attention are read on the CPU at once, so a GPU copy would cost a
      // second download per output and a tensor to dispose.
      ...(onGpu.length > 0 ? { preferredOutputLocation: Object.fromEntries(onGpu.map((name) => [name, 'gpu-buffer' as const])) } : {}),
      ...(unpacked ? { extra: { session: { disable_prepacking: '1' } } } : {}),
    };
  }
  const fromFolder = source.externalData.length > 0 && source.externalDataFolder !== undefined;
  // Without a folder the addon reads a typed array's own bytes: lazily read data is read whole here.
  const inMemory = source.externalData.length > 0 && !fromFolder;
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // Fatal only: a failed run already throws with onnxruntime's message, which the native
    // logger would otherwise print to the process's stderr as well.
    logSeverityLevel: 4,
    ...(runtime.threads !== undefined ? { intraOpNumThreads: runtime.threads } : {}),
    ...(inMemory ? { externalData: source.externalData.map((d) => ({ path: d.path, data: d.data.subarray(0, d.data.byteLength) })) } : {}),
    extra: { [EXACT_INT8_PRODUCTS_OPTION]: '1', ...(fromFolder ? { [EXTERNAL_DATA_FOLDER_OPTION]: source.externalDataFolder } : {}) },
  };
}

/** The package that runs a backend, for messages. */
export function runtimeName(backend: Backend): string {
  return backend === 'native' ? 'onnxruntime-node' : 'onnxruntime-web';
}

export async function createSession(runtime: Runtime, source: SessionSource, placement: OutputPlacement = {}): Promise<OrtSession> {
  try {
    const device = runtime.backend === 'webgpu' ? await runtime.gpu?.device() : undefined;
    const options = sessionOptions(runtime, source, device, placement);
    // WebAssembly's MatMulNBits dequantizes its whole weight before each product: wide ones are cut.
    const bytes = runtime.backend === 'wasm' ? (splitWideProducts(source.bytes)?.bytes ?? source.bytes) : source.bytes;
    // onnxruntime-node's uint8 × int8 kernel saturates on x86 without VNNI; uint8 weights are exact
    // everywhere, and the edit (in place, exact) also holds for any later session of these bytes.
    if (runtime.backend === 'native') unsignedIntegerWeights(source.bytes);
    return await (runtime.openSession ? runtime.openSession(bytes, options) : runtime.ort.InferenceSession.create(bytes, options));
  } catch (error) {
    throw new SessionError(`${source.path} could not be loaded by ${runtimeName(runtime.backend)}: ${ortMessage(error)}`);
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
    throw new InferenceError(`onnxruntime run failed: ${(error as Error).message}`);
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
