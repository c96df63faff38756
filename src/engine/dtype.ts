// Which ONNX file of a model folder to open: transformers.js names one file per weight type
// (`model.onnx`, `model_fp16.onnx`, `model_q4.onnx`, …), and `auto` picks among those present by a
// rule per backend that `npm run bench` measures (see bench/realModel.ts).
import { GpuFeatureError, ModelError, SessionError } from './errors';
import type { Backend } from './types';
import { type GpuAdapterFacts, SHADER_F16 } from './webgpuDevice';

/** Weight types in transformers.js order, each with the file-name suffix it publishes under. */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

export type Dtype = keyof typeof DTYPE_SUFFIXES;
export type DtypeChoice = Dtype | 'auto';

export const DTYPES = Object.keys(DTYPE_SUFFIXES) as Dtype[];
export const DTYPE_CHOICES: readonly DtypeChoice[] = ['auto', ...DTYPES];

export function isDtypeChoice(value: unknown): value is DtypeChoice {
  return typeof value === 'string' && (DTYPE_CHOICES as readonly string[]).includes(value);
}

/** Parses a user's dtype (setting or CLI flag) or says in one sentence what is allowed. */
export function parseDtype(value: string): DtypeChoice {
  if (isDtypeChoice(value)) return value;
  throw new ModelError(`unknown dtype "${value}": use one of ${DTYPE_CHOICES.join(', ')}`);
}

/**
 * Speed order of the weight types per backend, fastest first: `auto` takes the first one present
 * that fits in memory. On WebAssembly (`npm run bench`, section real-0p5b, a model of
 * Qwen2.5-0.5B's shape on a quiet 2-core machine), q8's MatMulInteger decoded a little faster
 * than fp32's SIMD MatMul (137 against 157 ms/token) and prefilled 1,024 tokens twice as fast
 * (9.0 against 18.3 s) from a quarter of the bytes; int8 and uint8 are the same kernels. fp16 is
 * computed through inserted Casts, and q4's MatMulNBits dequantizes each weight before each
 * product (880 ms/token). On WebGPU the quantized and half-precision files move less memory,
 * which is what bounds decoding there.
 */
export const AUTO_ORDER: Readonly<Record<Backend, readonly Dtype[]>> = {
  wasm: ['q8', 'uint8', 'int8', 'fp32', 'fp16', 'q4', 'bnb4', 'q4f16'],
  webgpu: ['q4f16', 'fp16', 'q4', 'fp32', 'q8', 'uint8', 'int8', 'bnb4'],
  // WebAssembly's order, not native's own (q8 75, q4 83, fp32 127 ms/token in real-0p5b): both
  // CPU backends then open the same file and give the same tokens, which is what the backend's
  // `auto` compares, and native's fastest still comes first. Native has no 4 GiB heap, so no
  // budget applies to it.
  native: ['q8', 'uint8', 'int8', 'fp32', 'fp16', 'q4', 'bnb4', 'q4f16'],
};

/**
 * Largest weights (ONNX file plus external data) `auto` hands to onnxruntime-web's WebAssembly
 * heap. wasm32 addresses 4 GiB. Sessions of 1 GiB or more run unpacked (onnx.ts), so the weights
 * are held about once: measured through the engine's createSession on synthetic fp32 models in
 * 256 MiB tensors (`npm run bench -- real-0p5b-wasm-limit`), 3.5 GiB load (peak RSS 4,237 MB) and
 * 3.9 GiB fail with std::bad_alloc. 3 GiB is the line, leaving the rest for activations and the
 * KV cache of a run. (Packed, 2.75 GiB loaded and 3 GiB failed: the line was 2.5 GiB.)
 */
export const WASM_WEIGHT_BUDGET_BYTES = 3 * 1024 * 1024 * 1024;

/** One ONNX file of a folder with everything that belongs to it. */
export interface DtypeFile {
  readonly dtype: Dtype;
  /** Relative path, e.g. onnx/model_q4.onnx */
  readonly path: string;
  /** ONNX file plus its external data files, in bytes. */
  readonly bytes: number;
}

/** `onnx/{base}{suffix}.onnx` */
export function dtypeFileName(base: string, dtype: Dtype): string {
  return `onnx/${base}${DTYPE_SUFFIXES[dtype]}.onnx`;
}

/** The dtype a file name stands for under one of `bases`, or undefined when it is none of them. */
export function dtypeOfFile(path: string, bases: readonly string[]): Dtype | undefined {
  for (const base of bases) {
    for (const dtype of DTYPES) if (dtypeFileName(base, dtype) === path) return dtype;
  }
  return undefined;
}

/**
 * Dtypes whose graphs compute in half precision (fp16 activations): WebGPU runs their kernels only
 * on an adapter with `shader-f16`; without it onnxruntime would refuse them or move them to the CPU.
 */
export const HALF_PRECISION_DTYPES: readonly Dtype[] = ['fp16', 'q4f16'];

/**
 * Why `dtype` cannot run on this backend and adapter, or undefined when it can. Only WebGPU
 * without `shader-f16` refuses anything (its half-precision files); `gpu` undefined: not known, allowed.
 */
export function dtypeUnsupported(dtype: Dtype, backend: Backend, gpu: GpuAdapterFacts | undefined): string | undefined {
  if (backend !== 'webgpu' || !gpu || gpu.features.has(SHADER_F16) || !HALF_PRECISION_DTYPES.includes(dtype)) return undefined;
  return `${dtype} needs the GPU's ${SHADER_F16} feature, which ${gpu.name} lacks`;
}

export interface DtypeSelection {
  readonly file: DtypeFile;
  /** Why this file: one sentence for the status bar tooltip and the output channel. */
  readonly reason: string;
}

/**
 * Picks the file for a requested dtype among those present (one per dtype, already resolved to the
 * first base name that exists). An explicit dtype must be present; `auto` walks the backend's order.
 * On WebGPU, `gpu` (the adapter's features) rules out half-precision files without `shader-f16`:
 * `auto` skips them (fp32 or a quantized file instead), and asking for one is a GpuFeatureError,
 * never a silent swap to another file (the user asked for that file's memory and speed).
 */
export function selectDtypeFile(present: readonly DtypeFile[], requested: DtypeChoice, backend: Backend, what: string, gpu?: GpuAdapterFacts): DtypeSelection {
  if (present.length === 0) throw new ModelError(`${what} has no ONNX file (${dtypeFileName('model', 'fp32')} or one of its dtype variants)`);
  const available = present.map((f) => f.dtype).join(', ');
  const budget = backend === 'wasm' ? WASM_WEIGHT_BUDGET_BYTES : Number.POSITIVE_INFINITY;
  if (requested !== 'auto') {
    const file = present.find((f) => f.dtype === requested);
    if (!file) throw new ModelError(`${what} has no ${requested} file; it has ${available}`);
    const unsupported = dtypeUnsupported(requested, backend, gpu);
    if (unsupported) {
      throw new GpuFeatureError(`${file.path} cannot run on WebGPU here: ${unsupported}; choose dtype auto or fp32, or run on WebAssembly`);
    }
    if (file.bytes > budget) {
      // A runtime's limit, not the folder's fault: the native backend may still open it.
      throw new SessionError(
        `${file.path} (${megabytes(file.bytes)}) does not fit in onnxruntime-web's WebAssembly memory (about ${megabytes(budget)} of weights at most): choose a smaller dtype such as q4`,
      );
    }
    return { file, reason: `${requested} was asked for` };
  }
  const byDtype = new Map(present.map((f) => [f.dtype, f]));
  const runnable = AUTO_ORDER[backend].filter((d) => dtypeUnsupported(d, backend, gpu) === undefined);
  const fitting = runnable.map((d) => byDtype.get(d)).filter((f): f is DtypeFile => f !== undefined && f.bytes <= budget);
  const file = fitting[0];
  if (!present.some((f) => runnable.includes(f.dtype))) {
    throw new GpuFeatureError(`${what} has only half-precision files (${available}): ${dtypeUnsupported('fp16', backend, gpu)}; run it on WebAssembly`);
  }
  if (!file) {
    const smallest = [...present].sort((a, b) => a.bytes - b.bytes)[0] as DtypeFile;
    throw new SessionError(
      `${what}: even its smallest file (${smallest.path}, ${megabytes(smallest.bytes)}) is over the ${megabytes(budget)} that ${backend} can hold`,
    );
  }
  const faster = runnable.slice(0, runnable.indexOf(file.dtype)).filter((d) => byDtype.has(d));
  const skipped = AUTO_ORDER[backend].filter((d) => byDtype.has(d) && !runnable.includes(d));
  const why =
    skipped.length > 0
      ? `auto: ${file.dtype} is the fastest on ${backend} that runs here (${skipped.join(', ')} ${skipped.length > 1 ? 'need' : 'needs'} ${SHADER_F16}, which ${gpu?.name ?? 'the adapter'} lacks)`
      : faster.length > 0
        ? `auto: ${file.dtype} is the fastest on ${backend} that fits (${faster.join(', ')} ${faster.length > 1 ? 'are' : 'is'} over ${megabytes(budget)})`
        : backend === 'native'
          ? `auto: ${file.dtype} comes first of the files present (${available}) in WebAssembly's order, which native keeps so that both backends open the same file`
          : `auto: ${file.dtype} is the fastest on ${backend} of the files present (${available})`;
  return { file, reason: why };
}

export function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
