// The inspector webview's HTML and its Content Security Policy (scripts by nonce, WASM, no remote origin). Pure: the extension
// passes webview URIs, the headless-Chromium tests pass http URLs of a local server, and both get
// exactly the same page and policy.

export interface InspectorHtmlOptions {
  /** webview.cspSource (or the test server's origin). */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** Fresh per page load; see makeNonce. */
  readonly nonce: string;
}

/**
 * default-src 'none' blocks everything not listed: no connect-src (the page never fetches; data
 * arrives by postMessage), no remote origins, scripts only with the nonce. Styles and images only
 * from the extension's own files. The inspector runs no WASM, so no 'wasm-unsafe-eval'.
 */
export function inspectorCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

export function inspectorHtml(o: InspectorHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(inspectorCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>Tealeaf: Attention</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="placeholder">Select code and run “Tealeaf: Inspect Attention”.</p></main>
<script type="module" nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

/** 32 random alphanumerics: unguessable per load (crypto.getRandomValues in Node 20 and browsers). */
export function makeNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function escapeAttr(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
