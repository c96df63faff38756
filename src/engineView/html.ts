// The Tealeaf Engine webview's HTML and its Content Security Policy. Pure: the extension passes
// webview URIs (panel.ts); a headless-Chromium page can pass http URLs and get the same policy.
import { makeNonce } from '../inspector/html';
import type { WebviewBackend } from '../host/hostBackend';

export { makeNonce };

export interface EngineHtmlOptions {
  /** webview.cspSource (or a test server's origin). */
  readonly cspSource: string;
  /** dist/webview/engine.js as the page may load it. */
  readonly scriptUri: string;
  /** dist/webview/ort/ (ending in '/'): onnxruntime-web's WebAssembly, fetched by the page. */
  readonly ortBase: string;
  readonly backend: WebviewBackend;
  /** Fresh per page load. */
  readonly nonce: string;
}

/**
 * default-src 'none' blocks everything not listed. Scripts only with the nonce, plus
 * 'wasm-unsafe-eval' to compile onnxruntime's WebAssembly; connect-src only the extension's own
 * files (onnxruntime fetches its .wasm): model bytes arrive by postMessage, never over the network.
 */
export function engineCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    `style-src 'nonce-${nonce}'`,
    `connect-src ${cspSource}`,
  ].join('; ');
}

export function engineHtml(o: EngineHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(engineCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${escapeAttr(o.nonce)}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; } td, th { text-align: left; padding: 2px 1em 2px 0; font-weight: normal; }
th { color: var(--vscode-descriptionForeground); }
.warn { color: var(--vscode-editorWarning-foreground); }
</style>
<title>Tealeaf Engine</title>
</head>
<body data-backend="${escapeAttr(o.backend)}" data-ort-base="${escapeAttr(o.ortBase)}">
<h2>Tealeaf Engine</h2>
<p id="backend">Starting…</p>
<table id="models" aria-label="Models loaded"></table>
<p id="memory"></p>
<p id="error" class="warn"></p>
<script type="module" nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

function escapeAttr(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
