// The "Tealeaf: Attention" webview panel: its HTML, the message pump to the webview, and the
// answers to the webview's requests for the current session.
import * as vscode from 'vscode';
import {
  assertNever,
  isWebviewToHost,
  type HostToWebview,
  type WebviewToHost,
} from '../protocol/inspector';
import { inspectorHtml, makeNonce } from './html';
import type { InspectorSession } from './session';
import { errorText } from '../util/unknown';
import { sanitizeFileName } from './util';

export const INSPECTOR_VIEW_TYPE = 'tealeaf.attention';
export const INSPECTOR_TITLE = 'Tealeaf: Attention';

/** How long a command waits for the webview's first paint before giving up on the measurement. */
const FIRST_PAINT_TIMEOUT_MS = 30_000;

export interface PanelEvents {
  /** A query token is hovered or clicked (weights over key tokens), or the shading is cleared. */
  highlight(session: InspectorSession, message: Extract<WebviewToHost, { type: 'highlight' }>): void;
  /** The panel closed. */
  disposed(): void;
}

export class InspectorPanel implements vscode.Disposable {
  private session: InspectorSession | undefined;
  private ready = false;
  private readonly queue: HostToWebview[] = [];
  private readonly paintWaiters = new Map<number, (at: number) => void>();
  private readonly disposables: vscode.Disposable[] = [];

  /** Creates a panel beside the active editor (the side column). */
  static create(extensionUri: vscode.Uri, events: PanelEvents): InspectorPanel {
    const panel = vscode.window.createWebviewPanel(
      INSPECTOR_VIEW_TYPE,
      INSPECTOR_TITLE,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      InspectorPanel.webviewOptions(extensionUri),
    );
    return new InspectorPanel(panel, extensionUri, events);
  }

  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // The panel keeps its canvases and fetched layers while hidden behind another tab.
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    };
  }

  /** Adopts a panel (new, or restored by the serializer after a reload). */
  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly events: PanelEvents,
  ) {
    const webview = panel.webview;
    webview.options = InspectorPanel.webviewOptions(extensionUri);
    const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    webview.html = inspectorHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'inspector.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'inspector.css')).toString(),
      nonce: makeNonce(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidDispose(() => this.disposeResources()),
    );
  }

  get current(): InspectorSession | undefined {
    return this.session;
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  status(state: 'loading' | 'error' | 'empty', message: string): void {
    this.post({ type: 'status', state, message });
  }

  /** Shows a session; resolves with the webview's first-paint time (Date.now()), or undefined. */
  show(session: InspectorSession): Promise<number | undefined> {
    this.session = session;
    const painted = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.paintWaiters.delete(session.docId);
        resolve(undefined);
      }, FIRST_PAINT_TIMEOUT_MS);
      this.paintWaiters.set(session.docId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
    this.post({ type: 'document', doc: session.document });
    // The statistics are computed once the heatmaps are on screen: on two cores, computing them
    // while the webview paints would slow the paint down.
    void painted.then(() => {
      for (const section of session.allSections()) {
        if (!section.summary.statsPending || this.session !== session) continue;
        const sectionId = section.summary.id;
        section.stats().then(
          (stats) => {
            if (this.session === session) this.post({ type: 'stats', docId: session.docId, sectionId, stats });
          },
          // the tensors follow the document from the engine's worker, and may never come (it stopped)
          (error: unknown) => {
            if (this.session === session) this.status('error', `The attention did not arrive from the engine: ${errorText(error)}`);
          },
        );
      }
    });
    return painted;
  }

  post(message: HostToWebview): void {
    // Messages posted before the page's script listens would be lost: hold them until 'ready'.
    if (!this.ready) {
      // only the latest document matters; blocks of older documents are stale anyway
      if (message.type === 'document' || message.type === 'status') {
        for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.type === message.type) this.queue.splice(i, 1);
      }
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    if (!isWebviewToHost(raw)) return; // a page we did not write, or a newer protocol: ignore
    const message: WebviewToHost = raw;
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        const pending = this.queue.splice(0);
        for (const m of pending) void this.panel.webview.postMessage(m);
        return;
      }
      case 'firstPaint': {
        const waiter = this.paintWaiters.get(message.docId);
        this.paintWaiters.delete(message.docId);
        // The host's own clock: the receipt time includes the message's trip back, so the
        // measured command → first paint is an upper bound.
        waiter?.(Date.now());
        return;
      }
      case 'requestBlock':
        void this.answerBlock(message);
        return;
      case 'highlight':
        if (this.session && message.docId === this.session.docId) this.events.highlight(this.session, message);
        return;
      case 'exportPng':
        void this.savePng(message.fileName, message.dataUrl);
        return;
      case 'exportJson':
        void this.saveJson(message);
        return;
      default:
        assertNever(message);
    }
  }

  private async answerBlock(message: Extract<WebviewToHost, { type: 'requestBlock' }>): Promise<void> {
    const session = this.session;
    if (!session || session.docId !== message.docId) return; // stale: a newer document replaced it
    try {
      const matrices = await session.section(message.sectionId).quantized(message.scope);
      if (this.session !== session) return;
      this.post({ type: 'block', requestId: message.requestId, docId: message.docId, sectionId: message.sectionId, scope: message.scope, matrices });
    } catch (error) {
      this.post({ type: 'blockError', requestId: message.requestId, docId: message.docId, message: errorText(error) });
    }
  }

  private async savePng(fileName: string, dataUrl: string): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      defaultUri: defaultExportUri(sanitizeFileName(fileName, '.png')),
      filters: { 'PNG image': ['png'] },
    });
    if (!target) return;
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`Tealeaf: saved ${vscode.workspace.asRelativePath(target)}`);
  }

  private async saveJson(message: Extract<WebviewToHost, { type: 'exportJson' }>): Promise<void> {
    const session = this.session;
    if (!session || session.docId !== message.docId) return;
    try {
      const exported = await session.exportJson(message.sectionId, message.scope);
      const target = await vscode.window.showSaveDialog({
        defaultUri: defaultExportUri('tealeaf-attention.json'),
        filters: { JSON: ['json'] },
      });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, Buffer.from(`${JSON.stringify(exported)}\n`, 'utf8'));
      void vscode.window.showInformationMessage(`Tealeaf: saved ${vscode.workspace.asRelativePath(target)}`);
    } catch (error) {
      void vscode.window.showErrorMessage(`Tealeaf: export failed: ${errorText(error)}`);
    }
  }

  dispose(): void {
    this.panel.dispose(); // fires onDidDispose → disposeResources
  }

  private disposeResources(): void {
    for (const waiter of this.paintWaiters.values()) waiter(Number.NaN);
    this.paintWaiters.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.session = undefined;
    this.events.disposed();
  }
}

function defaultExportUri(name: string): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, name) : undefined;
}
