// Where an engine host runs its models: in the engine process (WebAssembly, native, or `auto`'s
// choice between them: backendSelection.ts) or in the Tealeaf Engine webview (WebGPU with a
// WebAssembly fallback, or WebAssembly alone). The setting tealeaf.engine.backend names one.
import type { BackendPreference } from './backendSelection';

export type WebviewBackend = 'webgpu-webview' | 'wasm-webview';
export type HostBackend = BackendPreference | WebviewBackend;

export function isWebviewBackend(backend: HostBackend): backend is WebviewBackend {
  return backend === 'webgpu-webview' || backend === 'wasm-webview';
}

/**
 * What a worker runs when asked for a webview backend (the inspector's own worker, which has no
 * panel): WebAssembly, the webview's fallback too.
 */
export function workerBackendOf(backend: HostBackend): BackendPreference {
  return isWebviewBackend(backend) ? 'wasm' : backend;
}
