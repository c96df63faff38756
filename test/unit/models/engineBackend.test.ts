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
import type { ManagedEngineHost } from '../../../src/host/lifecycle';
import { installVscodeStub } from '../vscodeModule';
import { fakeEngineHost, fakeLog } from './fakeEngineHost';

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
      const main = fakeEngineHost();
      const inspector = fakeEngineHost();
      const dispose = register([main.host, inspector.host], fakeLog<Log>().log);
      assert.deepEqual(main.calls, ['setBackend webgpu-webview']);
      assert.deepEqual(inspector.calls, ['setBackend wasm']);
      dispose();
    });

    it('applies a change of the setting, and only of that setting; a running engine is not restarted by it', async () => {
      settingValue = 'wasm-worker';
      const main = fakeEngineHost();
      const inspector = fakeEngineHost();
      const dispose = register([main.host, inspector.host], fakeLog<Log>().log);
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
      const main = fakeEngineHost(true);
      const dispose = register([main.host], fakeLog<Log>().log);
      await settle();
      assert.deepEqual(main.calls, ['setBackend auto', 'restart backend']);
      dispose();
    });

    it('uses auto for an unknown value and says so in the log', () => {
      settingValue = 'webgpu';
      const main = fakeEngineHost();
      const { log, lines } = fakeLog<Log>();
      const dispose = register([main.host], log);
      assert.deepEqual(main.calls, ['setBackend auto']);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]?.level, 'warn');
      assert.match(lines[0]?.text ?? '', /^tealeaf\.engine\.backend: unknown value "webgpu"; using auto \(auto, wasm-worker, native-worker, webgpu-webview, wasm-webview\)$/);
      dispose();
    });

    it("logs the inspector worker's notices at their level, and nothing else of its lifecycle", () => {
      settingValue = undefined;
      const main = fakeEngineHost();
      const inspector = fakeEngineHost();
      const { log, lines } = fakeLog<Log>();
      const dispose = register([main.host, inspector.host], log);
      inspector.emit({ kind: 'notice', level: 'warn', text: 'the native addon did not load' });
      inspector.emit({ kind: 'started', cause: 'first-use', threads: 2 });
      main.emit({ kind: 'notice', level: 'info', text: 'logged by the engine lifecycle instead' });
      assert.deepEqual(lines, [{ level: 'warn', text: 'inspector worker: the native addon did not load' }]);
      dispose();
    });
  });
});
