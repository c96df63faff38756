// Which engine the inspector gets: always the model opened for its attention only in the
// inspector's own engine, which releaseInspector() stops to give its memory back; never the
// completion engine, whose heap would keep what a whole-file inspection grew it to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttentionSource } from '../../../src/engine/attentionSurgery';
import type { Engine, LoadOptions, ModelKind } from '../../../src/engine/types';
import { EventEmitter, installVscodeStub } from '../vscodeModule';

const settings = new Map<string, unknown>();
installVscodeStub({
  EventEmitter,
  workspace: {
    isTrusted: true,
    workspaceFolders: undefined,
    getConfiguration: () => ({
      get: <T>(key: string, fallback?: T) => (settings.has(key) ? settings.get(key) : fallback) as T,
      inspect: (key: string) => (settings.has(key) ? { globalValue: settings.get(key) } : {}),
    }),
    onDidChangeConfiguration: () => ({ dispose: () => undefined }),
    onDidGrantWorkspaceTrust: () => ({ dispose: () => undefined }),
  },
  window: { showWarningMessage: () => undefined },
});
const { ModelManager } = require('../../../src/models/modelManager') as typeof import('../../../src/models/modelManager');

interface Load {
  readonly dir: string;
  readonly options: LoadOptions;
}

function fakeEngine(dir: string, attentionSource: AttentionSource, kind: ModelKind): Engine {
  return { info: { name: dir, attentionSource, kind, onnxFiles: ['onnx/model.onnx'], dtype: 'fp32', dtypeReason: '' } } as unknown as Engine;
}

function hosts(source: AttentionSource, currentBackend: 'wasm' | 'wasm-webview' = 'wasm', kind: ModelKind = 'decoder') {
  const mainLoads: Load[] = [];
  const inspectorLoads: Load[] = [];
  let stops = 0;
  const main = {
    currentBackend,
    hostState: { state: 'running' as const },
    onDidChangeLifecycle: () => ({ dispose: () => undefined }),
    setThreads: async () => undefined,
    setBackend: async () => undefined,
    restart: async () => undefined,
    dispose: async () => undefined,
    load: async (dir: string, options: LoadOptions = {}) => (mainLoads.push({ dir, options }), fakeEngine(dir, source, kind)),
  };
  const inspector = {
    setThreads: async () => undefined,
    dispose: async () => undefined,
    stop: async () => void stops++,
    load: async (dir: string, options: LoadOptions = {}) => (inspectorLoads.push({ dir, options }), fakeEngine(dir, source, kind)),
  };
  return { main, inspector, mainLoads, inspectorLoads, stops: () => stops };
}

describe('the inspector engine', () => {
  it('is its own engine even when the completion model has its own attention outputs, and ready as itself', async () => {
    settings.clear();
    const h = hosts('outputs');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    const completion = await models.engineFor('completion');
    assert.equal(models.readyEngine('inspector'), undefined, 'not the completion engine while its own has not loaded');
    const inspector = await models.engineFor('inspector');
    assert.notEqual(inspector, completion);
    assert.equal(h.mainLoads.length, 1);
    assert.deepEqual(h.inspectorLoads, [{ dir: '/ext/models/tealeaf-code', options: { dtype: 'auto', purpose: 'inspector' } }]);
    assert.equal(models.readyEngine('inspector'), inspector);
    assert.equal(models.readyEngine('completion'), completion);
  });

  it('opens for attention only in its own worker when the attention needs graph surgery; releasing stops that worker', async () => {
    settings.clear();
    const h = hosts('surgery');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    const completion = await models.engineFor('completion');
    const inspector = await models.engineFor('inspector');
    assert.notEqual(inspector, completion);
    assert.deepEqual(h.inspectorLoads, [{ dir: '/ext/models/tealeaf-code', options: { dtype: 'auto', purpose: 'inspector' } }]);
    assert.equal(await models.engineFor('inspector'), inspector, 'loaded once');
    await models.releaseInspector();
    assert.equal(h.stops(), 1);
  });

  it('loads its own model setting in its own worker', async () => {
    settings.clear();
    settings.set('tealeaf.inspector.model', '/models/other');
    const h = hosts('outputs');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    await models.engineFor('inspector');
    assert.deepEqual(h.mainLoads, []);
    assert.deepEqual(h.inspectorLoads.map((l) => [l.dir, l.options.purpose]), [['/models/other', 'inspector']]);
  });

  it('in the Tealeaf Engine panel (a webview backend) shares the completion engine when it shows attention itself', async () => {
    settings.clear();
    const h = hosts('outputs', 'wasm-webview');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    const completion = await models.engineFor('completion');
    assert.equal(await models.engineFor('inspector'), completion);
    assert.equal(models.readyEngine('inspector'), completion);
    assert.equal(h.mainLoads.length, 1);
    assert.deepEqual(h.inspectorLoads, []);
  });

  it('in the panel, a model of its own opens for the inspector, not as a completion engine', async () => {
    settings.clear();
    settings.set('tealeaf.inspector.model', '/models/other');
    const h = hosts('outputs', 'wasm-webview');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    await models.engineFor('inspector');
    assert.deepEqual(h.mainLoads, [{ dir: '/models/other', options: { dtype: 'auto', purpose: 'inspector' } }]);
    assert.deepEqual(h.inspectorLoads, []);
  });

  it('in the panel, opens a graph-surgery export for its attention in the panel too, not in a process', async () => {
    settings.clear();
    const h = hosts('surgery', 'wasm-webview');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    const completion = await models.engineFor('completion');
    const inspector = await models.engineFor('inspector');
    assert.notEqual(inspector, completion);
    assert.deepEqual(h.mainLoads.map((l) => l.options.purpose), [undefined, 'inspector']);
    assert.deepEqual(h.inspectorLoads, []);
    assert.equal(models.readyEngine('inspector'), inspector);
  });
  it('in the panel, shares the completion engine of an encoder-decoder model, whatever its attention source', async () => {
    settings.clear();
    const h = hosts('surgery', 'wasm-webview', 'encoder-decoder');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    const completion = await models.engineFor('completion');
    assert.equal(await models.engineFor('inspector'), completion);
    assert.equal(h.mainLoads.length, 1);
    assert.deepEqual(h.inspectorLoads, []);
  });

  it('opens again in the panel once the backend becomes a webview one, not reusing the engine of its own worker', async () => {
    settings.clear();
    const h = hosts('surgery');
    const models = new ModelManager(h.main, '/ext', undefined, h.inspector);
    const inWorker = await models.engineFor('inspector');
    assert.equal(h.inspectorLoads.length, 1);
    h.main.currentBackend = 'wasm-webview';
    const inPanel = await models.engineFor('inspector');
    assert.notEqual(inPanel, inWorker);
    assert.deepEqual(h.mainLoads.map((l) => l.options.purpose), [undefined, 'inspector'], 'the completion engine, then its own');
    assert.equal(h.inspectorLoads.length, 1);
    assert.equal(models.readyEngine('inspector'), inPanel);
  });
});
