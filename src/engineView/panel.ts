// The Tealeaf Engine panel: a webview beside the editor in which the models run for the webview
// backends (tealeaf.engine.backend = webgpu-webview | wasm-webview). It shows the backend in use,
// the models loaded and their memory. It keeps its context while hidden (retainContextWhenHidden:
// a hidden webview would otherwise be destroyed, its models and GPU device with it), at the cost
// of one more renderer process for as long as it is open. Closing it ends the engine in it
// (requests in flight fail with an EngineClosedError); the next request opens it again.
import * as vscode from 'vscode';
import type { WebviewBackend } from '../host/hostBackend';
import { ENGINE_PANEL_TITLE, type EngineWebview, WebviewTransport } from '../host/webviewTransport';
import { engineHtml, makeNonce } from './html';

export const ENGINE_VIEW_TYPE = 'tealeaf.engine';

/** Opens a new engine panel beside the editor, without taking the focus, and its transport. */
export function openEngineTransport(extensionUri: vscode.Uri, backend: WebviewBackend): WebviewTransport {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const panel = vscode.window.createWebviewPanel(
    ENGINE_VIEW_TYPE,
    ENGINE_PANEL_TITLE,
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
    { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [dist] },
  );
  const { webview } = panel;
  webview.html = engineHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'engine.js')).toString(),
    ortBase: `${webview.asWebviewUri(vscode.Uri.joinPath(dist, 'ort')).toString()}/`,
    backend,
    nonce: makeNonce(),
  });
  return new WebviewTransport(asEngineWebview(panel), { backend, platform: process.platform });
}

/** The panel as the transport needs it; its listeners go when the panel does. */
function asEngineWebview(panel: vscode.WebviewPanel): EngineWebview {
  const subscriptions: vscode.Disposable[] = [];
  const onDispose: (() => void)[] = [];
  let disposed = false;
  // One listener that calls the others, then cleans up: a listener disposed while VS Code fires
  // the event would not be called.
  subscriptions.push(
    panel.onDidDispose(() => {
      disposed = true;
      for (const listener of onDispose) listener();
      for (const s of subscriptions) s.dispose();
    }),
  );
  return {
    postMessage: (message) => {
      // A message to a closed panel is dropped: the transport has already reported the exit.
      if (!disposed) void panel.webview.postMessage(message);
    },
    onDidReceiveMessage: (listener) => subscriptions.push(panel.webview.onDidReceiveMessage(listener)),
    onDidDispose: (listener) => onDispose.push(listener),
    dispose: () => panel.dispose(),
  };
}
