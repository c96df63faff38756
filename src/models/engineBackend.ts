// The setting `tealeaf.engine.backend` → the engine worker's backend. A change restarts the worker
// (models load again on their next use, on the new backend), as a change of tealeaf.engine.threads does.
import * as vscode from 'vscode';
import type { BackendPreference } from '../host/backendSelection';
import type { ManagedEngineHost } from '../host/lifecycle';

export const ENGINE_BACKEND_SETTING = 'tealeaf.engine.backend';

/** The setting's values (package.json) and the backend each one asks the worker for. */
export const BACKEND_SETTING_VALUES: Readonly<Record<string, BackendPreference>> = {
  auto: 'auto',
  'wasm-worker': 'wasm',
  'native-worker': 'native',
};

/** A value of the setting as a backend; anything else is `auto`, with the reason (pure, unit-tested). */
export function backendPreferenceOf(value: unknown): { readonly backend: BackendPreference; readonly unknown?: string } {
  if (typeof value === 'string' && Object.hasOwn(BACKEND_SETTING_VALUES, value)) return { backend: BACKEND_SETTING_VALUES[value] as BackendPreference };
  return { backend: 'auto', unknown: String(value) };
}

export function registerEngineBackend(context: vscode.ExtensionContext, host: ManagedEngineHost, log: vscode.LogOutputChannel): void {
  const configured = (): BackendPreference => {
    const { backend, unknown } = backendPreferenceOf(vscode.workspace.getConfiguration().get<string>(ENGINE_BACKEND_SETTING, 'auto'));
    if (unknown !== undefined) log.warn(`${ENGINE_BACKEND_SETTING}: unknown value "${unknown}"; using auto (${Object.keys(BACKEND_SETTING_VALUES).join(', ')})`);
    return backend;
  };
  // Before the first load: the first worker starts on the configured backend.
  void host.setBackend(configured());
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(ENGINE_BACKEND_SETTING)) return;
      // A settings change is also the user's way to start a stopped engine again.
      if (host.hostState.state === 'stopped') void host.setBackend(configured()).then(() => host.restart('backend'));
      else void host.setBackend(configured());
    }),
  );
}
