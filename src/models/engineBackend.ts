// The setting `tealeaf.engine.backend` → the engine hosts' backend. A change restarts a running
// engine (models load again on their next use, on the new backend), as a change of
// tealeaf.engine.threads does. The webview backends move the main engine into the Tealeaf Engine
// panel; the inspector's own worker has no panel and runs WebAssembly then.
import * as vscode from 'vscode';
import { type HostBackend, workerBackendOf } from '../host/hostBackend';
import type { ManagedEngineHost } from '../host/lifecycle';

export const ENGINE_BACKEND_SETTING = 'tealeaf.engine.backend';

/** The setting's values (package.json) and the backend each one asks the engine host for. */
export const BACKEND_SETTING_VALUES: Readonly<Record<string, HostBackend>> = {
  auto: 'auto',
  'wasm-worker': 'wasm',
  'native-worker': 'native',
  'webgpu-webview': 'webgpu-webview',
  'wasm-webview': 'wasm-webview',
};

/** A value of the setting as a backend; anything else is `auto`, with the reason (pure, unit-tested). */
export function backendPreferenceOf(value: unknown): { readonly backend: HostBackend; readonly unknown?: string } {
  if (typeof value === 'string' && Object.hasOwn(BACKEND_SETTING_VALUES, value)) return { backend: BACKEND_SETTING_VALUES[value] as HostBackend };
  return { backend: 'auto', unknown: String(value) };
}

/**
 * Applies the setting to every engine host. The first is the main one, whose notices the engine
 * lifecycle already logs; the notices of the others (the inspector's worker) are logged here.
 */
export function registerEngineBackend(context: vscode.ExtensionContext, hosts: readonly ManagedEngineHost[], log: vscode.LogOutputChannel): void {
  const configured = (): HostBackend => {
    const { backend, unknown } = backendPreferenceOf(vscode.workspace.getConfiguration().get<string>(ENGINE_BACKEND_SETTING, 'auto'));
    if (unknown !== undefined) log.warn(`${ENGINE_BACKEND_SETTING}: unknown value "${unknown}"; using auto (${Object.keys(BACKEND_SETTING_VALUES).join(', ')})`);
    return backend;
  };
  const apply = (): void => {
    const main = configured();
    for (const [i, host] of hosts.entries()) {
      const backend = i === 0 ? main : workerBackendOf(main);
      // A settings change is also the user's way to start a stopped engine again.
      if (host.hostState.state === 'stopped') void host.setBackend(backend).then(() => host.restart('backend'));
      else void host.setBackend(backend);
    }
  };
  // Before the first load: the first workers start on the configured backend.
  apply();
  for (const other of hosts.slice(1)) {
    context.subscriptions.push(other.onDidChangeLifecycle((event) => event.kind === 'notice' && log[event.level](`inspector worker: ${event.text}`)));
  }
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(ENGINE_BACKEND_SETTING)) apply();
    }),
  );
}
