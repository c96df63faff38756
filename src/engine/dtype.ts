// Which ONNX file of a model folder to open: transformers.js names one file per weight type
// (`model.onnx`, `model_fp16.onnx`, `model_q4.onnx`, …), and `auto` picks among those present by a
// rule per backend that `npm run bench` measures (see bench/realModel.ts).
import { ModelError, SessionError } from './errors';
import type { Backend } from './types';

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
 * that fits in memory. On WebAssembly, fp32 MatMul runs MLAS's SIMD kernels while fp16 is
 * computed through inserted Casts and the quantized kernels (MatMulInteger, MatMulNBits) are
 * several times slower per token; on WebGPU the quantized and half-precision files move less
 * memory, which is what bounds decoding there. `npm run bench` (section real-0p5b) measures it.
 */
export const AUTO_ORDER: Readonly<Record<Backend, readonly Dtype[]>> = {
  wasm: ['fp32', 'q8', 'uint8', 'int8', 'fp16', 'q4', 'bnb4', 'q4f16'],
  webgpu: ['q4f16', 'fp16', 'q4', 'fp32', 'q8', 'uint8', 'int8', 'bnb4'],
  // WASM's order, not native's own speed order (q8 decoded fastest natively in real-0p5b's first
  // run): both CPU backends then open the same file and give the same tokens, which is what the
  // backend's `auto` compares. Native has no 4 GiB heap, so no budget applies to it.
  native: ['fp32', 'q8', 'uint8', 'int8', 'fp16', 'q4', 'bnb4', 'q4f16'],
};

/**
 * Largest weights (ONNX file plus external data) `auto` hands to onnxruntime-web's WebAssembly
 * heap. wasm32 addresses 4 GiB, and building a session prepacks fp32 MatMul weights (about half
 * again): measured on synthetic fp32 models, 2.75 GiB of weights in 256 MiB tensors still load,
 * 2.5 GiB in 512 MiB tensors load and 3 GiB fail with std::bad_alloc. 2.5 GiB is the safe line.
 */
export const WASM_WEIGHT_BUDGET_BYTES = 2.5 * 1024 * 1024 * 1024;

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

export interface DtypeSelection {
  readonly file: DtypeFile;
  /** Why this file: one sentence for the status bar tooltip and the output channel. */
  readonly reason: string;
}

/**
 * Picks the file for a requested dtype among those present (one per dtype, already resolved to the
 * first base name that exists). An explicit dtype must be present; `auto` walks the backend's order.
 */
export function selectDtypeFile(present: readonly DtypeFile[], requested: DtypeChoice, backend: Backend, what: string): DtypeSelection {
  if (present.length === 0) throw new ModelError(`${what} has no ONNX file (${dtypeFileName('model', 'fp32')} or one of its dtype variants)`);
  const available = present.map((f) => f.dtype).join(', ');
  const budget = backend === 'wasm' ? WASM_WEIGHT_BUDGET_BYTES : Number.POSITIVE_INFINITY;
  if (requested !== 'auto') {
    const file = present.find((f) => f.dtype === requested);
    if (!file) throw new ModelError(`${what} has no ${requested} file; it has ${available}`);
    if (file.bytes > budget) {
      // A runtime's limit, not the folder's fault: the native backend may still open it.
      throw new SessionError(
        `${file.path} (${megabytes(file.bytes)}) does not fit in onnxruntime-web's WebAssembly memory (about ${megabytes(budget)} of weights at most): choose a smaller dtype such as q4`,
      );
    }
    return { file, reason: `${requested} was asked for` };
  }
  const byDtype = new Map(present.map((f) => [f.dtype, f]));
  const fitting = AUTO_ORDER[backend].map((d) => byDtype.get(d)).filter((f): f is DtypeFile => f !== undefined && f.bytes <= budget);
  const file = fitting[0];
  if (!file) {
    const smallest = [...present].sort((a, b) => a.bytes - b.bytes)[0] as DtypeFile;
    throw new SessionError(
      `${what}: even its smallest file (${smallest.path}, ${megabytes(smallest.bytes)}) is over the ${megabytes(budget)} that ${backend} can hold`,
    );
  }
  const faster = AUTO_ORDER[backend].slice(0, AUTO_ORDER[backend].indexOf(file.dtype)).filter((d) => byDtype.has(d));
  const why =
    faster.length > 0
      ? `auto: ${file.dtype} is the fastest on ${backend} that fits (${faster.join(', ')} ${faster.length > 1 ? 'are' : 'is'} over ${megabytes(budget)})`
      : backend === 'native'
        ? `auto: ${file.dtype} comes first of the files present (${available}) in WebAssembly's order, which native keeps so that both backends open the same file`
        : `auto: ${file.dtype} is the fastest on ${backend} of the files present (${available})`;
  return { file, reason: why };
}

export function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
