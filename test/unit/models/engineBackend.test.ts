// The setting tealeaf.engine.backend as the worker's backend: each contributed value maps to one
// backend, package.json contributes exactly those values with `auto` the default, and anything else
// (a typo, a value of a later version) is `auto` with the value named.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { installVscodeStub } from '../vscodeModule';

// engineBackend imports vscode; backendPreferenceOf never touches it.
installVscodeStub({});
const { BACKEND_SETTING_VALUES, backendPreferenceOf, ENGINE_BACKEND_SETTING } = require('../../../src/models/engineBackend') as typeof import('../../../src/models/engineBackend');

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
});
