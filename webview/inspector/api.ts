// The VS Code webview API, typed with the inspector's messages.
import type { PersistedState, WebviewToHost } from '../../src/protocol/inspector';

interface RawApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): RawApi;

export interface HostApi {
  post(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}

/** acquireVsCodeApi may be called once per page: call this once, in main.ts. */
export function hostApi(): HostApi {
  const raw = acquireVsCodeApi();
  return {
    post: (message) => raw.postMessage(message),
    getState: () => raw.getState(),
    setState: (state) => raw.setState(state),
  };
}
