// Which backends run in the Tealeaf Engine webview, and what a worker runs in their place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HostBackend, isWebviewBackend, workerBackendOf } from '../../../src/host/hostBackend';

describe('host backends', () => {
  it('the two webview backends run in the panel; a worker runs WebAssembly for them and its own otherwise', () => {
    const all: HostBackend[] = ['wasm', 'native', 'auto', 'webgpu-webview', 'wasm-webview'];
    assert.deepEqual(all.filter(isWebviewBackend), ['webgpu-webview', 'wasm-webview']);
    assert.deepEqual(all.map(workerBackendOf), ['wasm', 'native', 'auto', 'wasm', 'wasm']);
  });
});
