// The setting tealeaf.engine.backend as the worker's backend: each contributed value maps to one
// backend, package.json contributes exactly those values with `auto` the default, and anything else
// (a typo, a value of a later version) is `auto` with the value named. registerEngineBackend applies
// it to the engine hosts: the main one gets the backend, the inspector's worker its worker form
// (a webview backend runs WebAssembly there); a change of the setting applies again and starts a
// stopped engine; the inspector worker's notices go to the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { HostBackend } from '../../../src/host/hostBackend';
import type { EngineLifecycleEvent, ManagedEngineHost } from '../../../src/host/lifecycle';
import { installVscodeStub } from '../vscodeModule';

/** The setting's value as the stubbed configuration returns it (undefined: the default). */
let settingValue: unknown;
const configurationListeners: ((event: { affectsConfiguration(section: string): boolean }) => void)[] = [];
installVscodeStub({
  workspace: {
    getConfiguration: () => ({ get: (_key: string, fallback: unknown) => settingValue ?? fallback }),
    onDidChangeConfiguration: (listener: (typeof configurationListeners)[number]) => {
      configurationListeners.push(listener);
      return { dispose: () => configurationListeners.splice(configurationListeners.indexOf(listener), 1) };
    },
  },
});
const { BACKEND_SETTING_VALUES, backendPreferenceOf, ENGINE_BACKEND_SETTING, registerEngineBackend } =
  require('../../../src/models/engineBackend') as typeof import('../../../src/models/engineBackend');

type Log = Parameters<typeof registerEngineBackend>[2];
type Context = Parameters<typeof registerEngineBackend>[0];

/** A host that records what it is asked; `stopped` makes its state 'stopped'. */
function fakeHost(stopped = false) {
  const calls: string[] = [];
  const listeners: ((event: EngineLifecycleEvent) => void)[] = [];
  const host = {
    hostState: stopped ? { state: 'stopped', reason: 'crashed three times' } : { state: 'running' },
    setBackend: (backend: HostBackend) => {
      calls.push(`setBackend ${backend}`);
      return Promise.resolve();
    },
    restart: (cause: string) => {
      calls.push(`restart ${cause}`);
      return Promise.resolve();
    },
    onDidChangeLifecycle: (listener: (event: EngineLifecycleEvent) => void) => {
      listeners.push(listener);
      return { dispose: () => undefined };
    },
  } as unknown as ManagedEngineHost;
  return { host, calls, emit: (event: EngineLifecycleEvent) => listeners.forEach((l) => l(event)) };
}

function fakeLog() {
  const lines: string[] = [];
  const at = (level: string) => (text: string) => lines.push(`${level}: ${text}`);
  return { log: { info: at('info'), warn: at('warn'), error: at('error') } as unknown as Log, lines };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function register(hosts: readonly ManagedEngineHost[], log: Log): () => void {
  const subscriptions: { dispose(): unknown }[] = [];
  registerEngineBackend({ subscriptions } as unknown as Context, hosts, log);
  return () => subscriptions.forEach((s) => s.dispose());
}

const changed = (section: string) => configurationListeners.forEach((l) => l({ affectsConfiguration: (s) => s === section }));

describe('tealeaf.engine.backend', () => {
  it('maps each value to a backend', () => {
    assert.deepEqual(backendPreferenceOf('auto'), { backend: 'auto' });
    assert.deepEqual(backendPreferenceOf('wasm-worker'), { backend: 'wasm' });
    assert.deepEqual(backendPreferenceOf('native-worker'), { backend: 'native' });
    assert.deepEqual(backendPreferenceOf('webgpu'), { backend: 'auto', unknown: 'webgpu' });
    assert.deepEqual(backendPreferenceOf('constructor'), { backend: 'auto', unknown: 'constructor' });
  });

  it('is contributed with exactly those values, auto by default', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { enum: string[]; default: string; enumDescriptions: string[] }> } };
    };
    const setting = manifest.contributes.configuration.properties[ENGINE_BACKEND_SETTING];
    assert.ok(setting);
    assert.deepEqual(setting.enum, Object.keys(BACKEND_SETTING_VALUES));
    assert.equal(setting.enumDescriptions.length, setting.enum.length);
    assert.equal(setting.default, 'auto');
  });

  describe('registerEngineBackend', () => {
    it('gives the main host the configured backend and the inspector worker its worker form', () => {
      settingValue = 'webgpu-webview';
      const main = fakeHost();
      const inspector = fakeHost();
      const dispose = register([main.host, inspector.host], fakeLog().log);
      assert.deepEqual(main.calls, ['setBackend webgpu-webview']);
      assert.deepEqual(inspector.calls, ['setBackend wasm']);
      dispose();
    });

    it('applies a change of the setting, and only of that setting; a running engine is not restarted by it', async () => {
      settingValue = 'wasm-worker';
      const main = fakeHost();
      const inspector = fakeHost();
      const dispose = register([main.host, inspector.host], fakeLog().log);
      settingValue = 'native-worker';
      changed('tealeaf.engine.threads');
      assert.deepEqual(main.calls, ['setBackend wasm']);
      changed(ENGINE_BACKEND_SETTING);
      await settle(); // a restart would follow setBackend on a later turn
      assert.deepEqual(main.calls, ['setBackend wasm', 'setBackend native']);
      assert.deepEqual(inspector.calls, ['setBackend wasm', 'setBackend native']);
      dispose();
    });

    it('starts a stopped engine again on the new backend', async () => {
      settingValue = 'auto';
      const main = fakeHost(true);
      const dispose = register([main.host], fakeLog().log);
      await settle();
      assert.deepEqual(main.calls, ['setBackend auto', 'restart backend']);
      dispose();
    });

    it('uses auto for an unknown value and says so in the log', () => {
      settingValue = 'webgpu';
      const main = fakeHost();
      const { log, lines } = fakeLog();
      const dispose = register([main.host], log);
      assert.deepEqual(main.calls, ['setBackend auto']);
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /^warn: tealeaf\.engine\.backend: unknown value "webgpu"; using auto \(auto, wasm-worker, native-worker, webgpu-webview, wasm-webview\)$/);
      dispose();
    });

    it("logs the inspector worker's notices at their level, and nothing else of its lifecycle", () => {
      settingValue = undefined;
      const main = fakeHost();
      const inspector = fakeHost();
      const { log, lines } = fakeLog();
      const dispose = register([main.host, inspector.host], log);
      inspector.emit({ kind: 'notice', level: 'warn', text: 'the native addon did not load' });
      inspector.emit({ kind: 'started', cause: 'first-use', threads: 2 });
      main.emit({ kind: 'notice', level: 'info', text: 'logged by the engine lifecycle instead' });
      assert.deepEqual(lines, ['warn: inspector worker: the native addon did not load']);
      dispose();
    });
  });
});
