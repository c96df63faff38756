// Entry of the inspector webview (bundled by scripts/build-webview.mjs into dist/webview/inspector.js).
// Controls come from @vscode-elements/elements, imported one by one so only those are bundled.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import { isHostToWebview } from '../../src/protocol/inspector';
import { hostApi } from './api';
import { App } from './app';

const api = hostApi();
const root = document.getElementById('app');
if (root) {
  const app = new App(api, root);
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    // Only the host's messages: anything else (or a malformed one) is ignored.
    if (isHostToWebview(event.data)) app.receive(event.data);
  });
  api.post({ type: 'ready' });
}
