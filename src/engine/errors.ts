// Named errors: callers branch on the class, users read the message.

/** The model folder is missing something, is malformed, or is unsafe to load. One clear line. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}

/**
 * A runtime cannot open a graph that passed Tealeaf's own checks (onnxruntime refused it, or its
 * weights are over what onnxruntime-web's memory holds): another runtime may still accept it (the
 * native backend falls back to WebAssembly, and back).
 */
export class SessionError extends ModelError {}

/** The caller aborted (AbortSignal / CancellationToken). Not a failure. */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  constructor(message = 'Aborted') {
    super(message);
  }
}

/** The request does not fit the model (e.g. translate() on a decoder-only model). */
export class UnsupportedError extends Error {
  override readonly name = 'UnsupportedError';
}

/** Inference itself failed (onnxruntime error); message keeps ORT's text. */
export class InferenceError extends Error {
  override readonly name = 'InferenceError';
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/**
 * The GPU adapter lacks a feature the chosen file needs (an fp16 graph on an adapter without
 * `shader-f16`). A SessionError: WebAssembly, or the fp32 file, still runs the model.
 */
export class GpuFeatureError extends SessionError {}

/**
 * The GPU device was lost (driver reset, a hidden webview's device destroyed, another tab's crash)
 * twice in one request: the engine reopened its sessions on a new device and replayed the request
 * once, and lost that device too. A host catches it by name to fall back to WebAssembly.
 */
export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
}
