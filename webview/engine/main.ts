// The Tealeaf Engine webview (src/engineView/panel.ts opens it): serves the engine protocol
// (src/protocol/engine.ts) with the same EngineService as the engine worker, over LocalEngine on
// onnxruntime-web's WebGPU build (its asyncify WebAssembly also runs the wasm execution provider).
// WebGPU when asked for (webgpu-webview) and navigator.gpu gives an adapter; otherwise WebAssembly
// in one thread (a webview is not cross-origin isolated, so no SharedArrayBuffer).
import * as ort from 'onnxruntime-web/webgpu';
import { EngineService } from '../../src/host/engineService';
import { isClientMessage } from '../../src/protocol/engine';
import { type GpuReport, isFileReply } from '../../src/protocol/engineView';
import { errorText } from '../../src/util/unknown';
import { createPageEngineHost } from './engineHost';
import { FileClient } from './fileClient';
import { showBackend, showError, showModels } from './view';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

/** The part of WebGPU the page asks about (the DOM library has no WebGPU types). */
interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly device?: string; readonly description?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

async function probeGpu(): Promise<GpuReport> {
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return { available: false, why: 'navigator.gpu is undefined' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, why: 'navigator.gpu.requestAdapter() gave no adapter' };
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter((part) => part).join(' ') || 'unnamed adapter';
    return { available: true, adapter: name, shaderF16: adapter.features.has('shader-f16') };
  } catch (error) {
    return { available: false, why: `requestAdapter() failed: ${errorText(error)}` };
  }
}

async function main(): Promise<void> {
  const vscode = acquireVsCodeApi();
  const asked = document.body.dataset['backend'] === 'webgpu-webview' ? 'webgpu-webview' : 'wasm-webview';
  ort.env.wasm.wasmPaths = document.body.dataset['ortBase'] ?? './';
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';

  const gpu: GpuReport = asked === 'webgpu-webview' ? await probeGpu() : { available: false, why: 'wasm-webview was asked for' };
  const backend = gpu.available ? 'webgpu' : 'wasm';
  const reason =
    asked === 'wasm-webview'
      ? 'wasm-webview was asked for: WebAssembly (one thread) in the Tealeaf Engine panel'
      : gpu.available
        ? `webgpu-webview was asked for: WebGPU in the Tealeaf Engine panel (${gpu.adapter})`
        : `webgpu-webview was asked for, but the webview has no WebGPU adapter (${gpu.why}); running on WebAssembly (one thread) in the Tealeaf Engine panel`;
  showBackend(gpu.available ? `WebGPU: ${gpu.adapter}${gpu.shaderF16 ? ' (shader-f16)' : ''}` : `WebAssembly, one thread${asked === 'webgpu-webview' ? ` (no WebGPU: ${gpu.why})` : ''}`);
  showModels([]);

  const files = new FileClient((request) => vscode.postMessage(request));
  const service = new EngineService(
    createPageEngineHost({
      ort,
      backend,
      reason,
      files: (dir, onBytes) => files.folder(dir, onBytes),
      notice: (level, text) => vscode.postMessage({ kind: 'notice', level, text }),
      onChange: showModels,
    }),
    // Typed arrays in the message (attention, pooled thumbnails) cross to the extension host as binary.
    (message) => vscode.postMessage(message),
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = event.data;
    if (isFileReply(message)) files.handle(message);
    else if (isClientMessage(message)) service.handle(message);
  });
  vscode.postMessage({ kind: 'ready', gpu });
}

main().catch((error: unknown) => showError(`The engine page failed to start: ${errorText(error)}`));
