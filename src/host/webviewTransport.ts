// The Tealeaf Engine webview as a transport (transport.ts). The page (webview/engine/) serves the
// engine protocol with an EngineService over LocalEngine on onnxruntime-web (WebGPU, or
// WebAssembly in one thread); this side posts its requests, answers its file reads
// (modelFileServer.ts) and tells the client when the panel goes away. No vscode: the panel is
// behind EngineWebview (src/engineView/panel.ts makes one), so tests drive a fake.
import type { ClientMessage, HostNotice } from '../protocol/engine';
import { type GpuReport, isFileRequest, isPageReady } from '../protocol/engineView';
import type { WebviewBackend } from './hostBackend';
import { ModelFileServer } from './modelFileServer';
import type { EngineTransport, TransportExit } from './transport';

/** The panel as the transport needs it. */
export interface EngineWebview {
  /** Posts to the page; typed arrays in the message travel as binary. */
  postMessage(message: unknown): void;
  onDidReceiveMessage(listener: (message: unknown) => void): void;
  /** Fires once, when the panel is closed (by the user, or by dispose()). */
  onDidDispose(listener: () => void): void;
  dispose(): void;
}

export const ENGINE_PANEL_TITLE = 'Tealeaf Engine';
const PANEL = `the ${ENGINE_PANEL_TITLE} panel`;

/**
 * What the log says about the page's backend once it is ready: WebGPU's adapter, or why it runs
 * on WebAssembly (with how to turn WebGPU on where that is the reason). Pure; unit-tested.
 */
export function gpuNotice(backend: WebviewBackend, gpu: GpuReport, platform: NodeJS.Platform): HostNotice {
  if (backend === 'wasm-webview') {
    return { kind: 'notice', level: 'info', text: `wasm-webview: models run on WebAssembly (one thread) in ${PANEL}` };
  }
  if (gpu.available) {
    return { kind: 'notice', level: 'info', text: `webgpu-webview: models run on WebGPU in ${PANEL} (adapter: ${gpu.adapter}${gpu.shaderF16 ? ', shader-f16' : ', no shader-f16: fp16 files are not used'})` };
  }
  const linux = platform === 'linux' ? ' On Linux, WebGPU is off unless VS Code starts with `--enable-unsafe-webgpu --enable-features=Vulkan` (and a GPU driver with Vulkan).' : '';
  return {
    kind: 'notice',
    level: 'warn',
    text: `webgpu-webview: the webview reports no WebGPU adapter (${gpu.why}); models run on WebAssembly (one thread) in ${PANEL}.${linux}`,
  };
}

export interface WebviewTransportOptions {
  readonly backend: WebviewBackend;
  /** process.platform: the fallback notice says how to enable WebGPU on Linux. */
  readonly platform: NodeJS.Platform;
}

export class WebviewTransport implements EngineTransport {
  readonly label = PANEL;
  private readonly files = new ModelFileServer();
  /** Messages posted before the page listens: VS Code does not queue them for a page still loading. */
  private queue: ClientMessage[] | undefined = [];
  private messageListener: ((message: unknown) => void) | undefined;
  private exitListener: ((exit: TransportExit) => void) | undefined;
  private exit: TransportExit | undefined;
  /** How the host ended it, when it did (terminate()). */
  private ending: TransportExit | undefined;
  private gone: Promise<void>;

  constructor(
    private readonly view: EngineWebview,
    private readonly options: WebviewTransportOptions,
  ) {
    let resolveGone: () => void = () => undefined;
    this.gone = new Promise((resolve) => (resolveGone = resolve));
    view.onDidReceiveMessage((message) => this.receive(message));
    view.onDidDispose(() => {
      this.ended(this.ending ?? { reason: `${PANEL} was closed`, closedByUser: true });
      resolveGone();
    });
  }

  post(message: ClientMessage): void {
    if (this.exit) return; // the client sees the exit and fails what it sent
    if (message.kind === 'request' && message.method === 'load') {
      this.files.allow(message.params.modelDir);
      if (message.params.options.draftModel) this.files.allow(message.params.options.draftModel);
    }
    if (this.queue) this.queue.push(message);
    else this.view.postMessage(message);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.messageListener = listener;
  }

  onExit(listener: (exit: TransportExit) => void): void {
    this.exitListener = listener;
    if (this.exit) listener(this.exit);
  }

  async terminate(code: number): Promise<void> {
    this.ending ??= code === 0 ? { reason: `${PANEL} was closed by Tealeaf` } : { reason: `${PANEL} was ended with code ${code}` };
    this.view.dispose();
    await this.gone;
  }

  private receive(message: unknown): void {
    if (isFileRequest(message)) {
      void this.files.answer(message).then((reply) => {
        if (!this.exit) this.view.postMessage(reply);
      });
      return;
    }
    if (isPageReady(message)) {
      if (!this.queue) {
        // The page loaded again (a reload from the developer tools): its engines are gone.
        this.ending = { reason: `${PANEL} reloaded and lost its models` };
        this.view.dispose();
        return;
      }
      this.messageListener?.(gpuNotice(this.options.backend, message.gpu, this.options.platform));
      const queued = this.queue;
      this.queue = undefined;
      for (const m of queued) this.view.postMessage(m);
      return;
    }
    this.messageListener?.(message);
  }

  private ended(exit: TransportExit): void {
    if (this.exit) return;
    this.exit = exit;
    this.queue = undefined;
    this.exitListener?.(exit);
  }
}
