// ModelManager (src/models/modelManager.ts) against a stub of the vscode API and fake engine hosts:
// which folder, dtype and draft model each role loads (Workspace Trust included), that a folder is
// loaded once and a failed load is tried again, the state each role reports through loads,
// failures, crashes, Retry and reloads, what a settings change or a trust grant does (and what an
// unrelated change does not), the thread setting, the log lines of a load, and the memory menu.
// inspectorEngine.test.ts covers which engine the inspector gets.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type * as vscode from 'vscode';
import type { Engine, LoadOptions, ModelInfo } from '../../../src/engine/types';
import type { EngineHostState, EngineLifecycleEvent, ManagedEngineHost, StartCause } from '../../../src/host/lifecycle';
import type { EngineMemory } from '../../../src/protocol/engine';
import type { ModelState, ModelStateChange } from '../../../src/models/types';
import { EventEmitter, installVscodeStub } from '../vscodeModule';
import { fakeLog } from './fakeEngineHost';

/** A setting's values per scope, as `inspect` reports them. */
interface Scoped {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

const settings = new Map<string, Scoped>();
const workspace: { isTrusted: boolean; workspaceFolders: { uri: { fsPath: string } }[] | undefined } = { isTrusted: true, workspaceFolders: undefined };
const warnings: string[] = [];
let configurationListeners: ((event: { affectsConfiguration(section: string): boolean }) => void)[] = [];
let trustListeners: (() => void)[] = [];

/** The value VS Code would return: the most specific scope's, as trust allows it here (tests set global values only when untrusted matters). */
function effective(key: string): unknown {
  const s = settings.get(key);
  return s?.workspaceFolderValue ?? s?.workspaceValue ?? s?.globalValue;
}

installVscodeStub({
  EventEmitter,
  workspace: {
    get isTrusted() {
      return workspace.isTrusted;
    },
    get workspaceFolders() {
      return workspace.workspaceFolders;
    },
    getConfiguration: () => ({
      get: <T>(key: string, fallback?: T) => (effective(key) ?? fallback) as T,
      inspect: (key: string) => settings.get(key) ?? {},
    }),
    onDidChangeConfiguration: (listener: (typeof configurationListeners)[number]) => {
      configurationListeners.push(listener);
      return { dispose: () => (configurationListeners = configurationListeners.filter((l) => l !== listener)) };
    },
    onDidGrantWorkspaceTrust: (listener: () => void) => {
      trustListeners.push(listener);
      return { dispose: () => (trustListeners = trustListeners.filter((l) => l !== listener)) };
    },
  },
  window: {
    showWarningMessage: (message: string) => {
      warnings.push(message);
      return Promise.resolve(undefined);
    },
  },
});
const { ModelManager } = require('../../../src/models/modelManager') as typeof import('../../../src/models/modelManager');

/** Settings changed: every listener hears which keys changed. */
function changeSettings(...keys: string[]): void {
  for (const l of configurationListeners) l({ affectsConfiguration: (section) => keys.includes(section) });
}

interface FakeEngine extends Engine {
  disposed: number;
}

function fakeEngine(dir: string, options: LoadOptions, extra: Partial<ModelInfo> = {}): FakeEngine {
  const engine = {
    disposed: 0,
    info: { name: dir, onnxFiles: ['onnx/model.onnx'], dtype: options.dtype === 'auto' || !options.dtype ? 'fp32' : options.dtype, dtypeReason: 'auto: fp32 is the fastest', attentionSource: 'outputs', kind: 'decoder', ...extra } as unknown as ModelInfo,
    dispose: async () => {
      engine.disposed++;
    },
  };
  return engine as unknown as FakeEngine;
}

interface Load {
  readonly dir: string;
  readonly options: LoadOptions;
}

/** A main engine host that records what it is asked; `fail` makes loads of a folder reject. */
function fakeHost() {
  const loads: Load[] = [];
  const calls: string[] = [];
  const engines: FakeEngine[] = [];
  const listeners: ((event: EngineLifecycleEvent) => void)[] = [];
  const fail = new Map<string, unknown>();
  const state: { hostState: EngineHostState; memory: () => Promise<EngineMemory | undefined>; extra: Partial<ModelInfo>; gate: Promise<void> } = {
    hostState: { state: 'running' },
    memory: async () => undefined,
    extra: {},
    /** Loads finish once it resolves. */
    gate: Promise.resolve(),
  };
  const host = {
    get hostState() {
      return state.hostState;
    },
    currentBackend: 'wasm',
    onDidChangeLifecycle: (listener: (event: EngineLifecycleEvent) => void) => {
      listeners.push(listener);
      return { dispose: () => undefined };
    },
    setThreads: async (threads: number | undefined) => void calls.push(`setThreads ${threads}`),
    setBackend: async () => undefined,
    restart: async (cause: StartCause) => void calls.push(`restart ${cause}`),
    dispose: async () => void calls.push('dispose'),
    memory: () => state.memory(),
    load: async (dir: string, options: LoadOptions = {}) => {
      loads.push({ dir, options });
      await state.gate;
      if (fail.has(dir)) throw fail.get(dir);
      const engine = fakeEngine(dir, options, state.extra);
      engines.push(engine);
      return engine;
    },
  };
  return { host: host as unknown as ManagedEngineHost, loads, calls, engines, fail, state, emit: (event: EngineLifecycleEvent) => listeners.forEach((l) => l(event)) };
}

function fakeInspectorHost() {
  const calls: string[] = [];
  const state: { memory: () => Promise<EngineMemory | undefined> } = { memory: async () => undefined };
  return {
    calls,
    state,
    host: {
      setThreads: async (threads: number | undefined) => void calls.push(`setThreads ${threads}`),
      stop: async (reason: string) => void calls.push(`stop ${reason}`),
      dispose: async () => void calls.push('dispose'),
      memory: () => state.memory(),
      load: async (dir: string, options: LoadOptions = {}) => fakeEngine(dir, options),
    },
  };
}

/** Lets the promise callbacks of a load run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const ROLES = ['completion', 'inspector', 'translation'] as const;

function statesOf(models: InstanceType<typeof ModelManager>): ModelState[] {
  return ROLES.map((role) => models.state(role));
}

beforeEach(() => {
  settings.clear();
  workspace.isTrusted = true;
  workspace.workspaceFolders = undefined;
  warnings.length = 0;
  configurationListeners = [];
  trustListeners = [];
});

describe('ModelManager: which model each role loads', () => {
  it('loads the bundled models by default, the inspector on the completion model', () => {
    const models = new ModelManager(fakeHost().host, '/ext');
    assert.deepEqual(
      ROLES.map((role) => models.modelDir(role)),
      ['/ext/models/tealeaf-code', '/ext/models/tealeaf-code', '/ext/models/tealeaf-translate'],
    );
  });

  it("resolves a trusted workspace's folder against the first workspace folder, and the inspector has its own setting", () => {
    workspace.workspaceFolders = [{ uri: { fsPath: '/repo' } }, { uri: { fsPath: '/other' } }];
    settings.set('tealeaf.completion.model', { globalValue: '/global/code', workspaceValue: 'models/mine' });
    settings.set('tealeaf.translate.model', { globalValue: '~/models/de-en' });
    const models = new ModelManager(fakeHost().host, '/ext');
    assert.equal(models.modelDir('completion'), '/repo/models/mine');
    assert.equal(models.modelDir('inspector'), '/repo/models/mine', 'no setting of its own: the completion model');
    assert.equal(models.modelDir('translation'), `${process.env.HOME}/models/de-en`);
    settings.set('tealeaf.inspector.model', { workspaceFolderValue: '/abs/inspect' });
    assert.equal(models.modelDir('inspector'), '/abs/inspect');
    assert.deepEqual(warnings, []);
  });

  it('resolves a relative folder against the working directory in a workspace without folders', () => {
    workspace.workspaceFolders = [];
    settings.set('tealeaf.completion.model', { globalValue: 'models/mine' });
    settings.set('tealeaf.completion.speculation', { globalValue: 'draft-model' });
    settings.set('tealeaf.completion.draftModel', { globalValue: 'drafts/tiny' });
    const models = new ModelManager(fakeHost().host, '/ext');
    assert.equal(models.modelDir('completion'), `${process.cwd()}/models/mine`);
    assert.equal(models.draftModelFor('completion'), `${process.cwd()}/drafts/tiny`);
  });

  it('ignores a workspace folder setting in an untrusted workspace, says so once per value, and uses the global one', () => {
    workspace.isTrusted = false;
    settings.set('tealeaf.completion.model', { globalValue: '/global/code', workspaceValue: 'models/evil' });
    const models = new ModelManager(fakeHost().host, '/ext');
    assert.equal(models.modelDir('completion'), '/global/code');
    assert.equal(models.modelDir('completion'), '/global/code');
    assert.deepEqual(warnings, ['Tealeaf: the workspace setting tealeaf.completion.model (models/evil) is ignored until you trust this workspace; using /global/code.']);
  });

  it('loads the dtype a role names; the inspector on the completion model follows its dtype unless it names one', async () => {
    settings.set('tealeaf.completion.dtype', { globalValue: 'q8' });
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    assert.equal(models.dtype('completion'), 'q8');
    assert.equal(models.dtype('inspector'), 'q8');
    assert.equal(models.dtype('translation'), 'auto');
    settings.set('tealeaf.inspector.dtype', { globalValue: 'fp16' });
    assert.equal(models.dtype('inspector'), 'fp16');
    settings.delete('tealeaf.inspector.dtype');
    settings.set('tealeaf.inspector.model', { globalValue: '/other' });
    assert.equal(models.dtype('inspector'), 'auto', 'another folder: its own auto');
    await models.engineFor('completion');
    assert.deepEqual(h.loads, [{ dir: '/ext/models/tealeaf-code', options: { dtype: 'q8' } }]);
  });

  it('an unknown dtype fails the role with the setting named, and leaves nothing ready', async () => {
    settings.set('tealeaf.translate.dtype', { globalValue: 'fp12' });
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    await assert.rejects(models.engineFor('translation'), (error: Error) => error.name === 'ModelError' && error.message.startsWith('tealeaf.translate.dtype: '));
    const state = models.state('translation');
    assert.equal(state.status, 'error');
    assert.match(state.status === 'error' ? state.message : '', /^tealeaf\.translate\.dtype: .*fp12/);
    assert.equal(models.readyEngine('translation'), undefined);
    assert.deepEqual(h.loads, []);
  });

  it('loads the draft model beside the completion model only when speculation is draft-model', async () => {
    settings.set('tealeaf.completion.draftModel', { globalValue: '/drafts/tiny' });
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    assert.equal(models.draftModelFor('completion'), undefined, 'prompt lookup needs no draft model');
    settings.set('tealeaf.completion.speculation', { globalValue: 'draft-model' });
    assert.equal(models.draftModelFor('completion'), '/drafts/tiny');
    assert.equal(models.draftModelFor('translation'), undefined, 'another folder');
    await models.engineFor('completion');
    assert.deepEqual(h.loads, [{ dir: '/ext/models/tealeaf-code', options: { dtype: 'auto', draftModel: '/drafts/tiny' } }]);
    settings.delete('tealeaf.completion.draftModel');
    assert.equal(models.draftModelFor('completion'), undefined, 'none set');
  });

  it("ignores an untrusted workspace's draft model, and says so once", () => {
    workspace.isTrusted = false;
    settings.set('tealeaf.completion.speculation', { globalValue: 'draft-model' });
    settings.set('tealeaf.completion.draftModel', { workspaceValue: '/evil/draft' });
    const models = new ModelManager(fakeHost().host, '/ext');
    assert.equal(models.draftModelFor('completion'), undefined);
    assert.equal(models.draftModelFor('completion'), undefined);
    assert.deepEqual(warnings, ['Tealeaf: the workspace setting tealeaf.completion.draftModel (/evil/draft) is ignored until you trust this workspace.']);
  });
});

describe('ModelManager: loads and states', () => {
  it('logs one line for a load without a draft model or a reason it cannot speculate', async () => {
    const log = fakeLog<vscode.LogOutputChannel>();
    const models = new ModelManager(fakeHost().host, '/ext', log.log);
    await models.engineFor('translation');
    assert.deepEqual(log.lines.map((l) => l.text), ['translation: loaded onnx/model.onnx of /ext/models/tealeaf-translate (fp32) — auto: fp32 is the fastest']);
  });

  it('logs every ONNX file of an encoder-decoder load', async () => {
    const h = fakeHost();
    h.state.extra = { onnxFiles: ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'] };
    const log = fakeLog<vscode.LogOutputChannel>();
    const models = new ModelManager(h.host, '/ext', log.log);
    await models.engineFor('translation');
    assert.deepEqual(log.lines.map((l) => l.text), [
      'translation: loaded onnx/encoder_model.onnx + onnx/decoder_model_merged.onnx of /ext/models/tealeaf-translate (fp32) — auto: fp32 is the fastest',
    ]);
  });

  it('another draft model is another engine for the completion folder', async () => {
    settings.set('tealeaf.completion.speculation', { globalValue: 'draft-model' });
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    await models.engineFor('completion');
    for (const draft of ['/drafts/tiny', '/drafts/small']) {
      settings.set('tealeaf.completion.draftModel', { globalValue: draft });
      assert.equal(models.readyEngine('completion'), undefined, `the engine loaded before ${draft} is not the one asked for`);
      await models.engineFor('completion');
    }
    assert.deepEqual(h.loads.map((l) => l.options.draftModel), [undefined, '/drafts/tiny', '/drafts/small']);
  });

  it('loads a folder once for every role on it, reports loading then ready, and logs what it loaded', async () => {
    const h = fakeHost();
    h.state.extra = { draftModel: '/drafts/tiny', speculationUnavailable: 'q8 files decode one token per pass' };
    const log = fakeLog<vscode.LogOutputChannel>();
    const models = new ModelManager(h.host, '/ext', log.log);
    const changes: ModelStateChange[] = [];
    models.onDidChangeState((change) => changes.push(change));
    const first = models.engineFor('completion');
    assert.deepEqual(models.state('completion'), { status: 'loading', modelDir: '/ext/models/tealeaf-code' });
    const engine = await first;
    assert.equal(await models.engineFor('completion'), engine);
    assert.equal(h.loads.length, 1);
    assert.deepEqual(changes.map((c) => [c.role, c.state.status]), [
      ['completion', 'loading'],
      ['completion', 'ready'],
    ]);
    assert.equal(models.readyEngine('completion'), engine);
    assert.equal(models.readyEngine('translation'), undefined);
    assert.deepEqual(log.lines, [
      { level: 'info', text: 'completion: loaded onnx/model.onnx of /ext/models/tealeaf-code (fp32) — auto: fp32 is the fastest' },
      { level: 'info', text: 'completion: /drafts/tiny drafts for speculative decoding' },
      { level: 'info', text: 'completion: q8 files decode one token per pass' },
    ]);
  });

  it('a failed load puts its message in the state, and the next use tries again', async () => {
    const h = fakeHost();
    h.fail.set('/ext/models/tealeaf-translate', 'no config.json');
    const models = new ModelManager(h.host, '/ext');
    await assert.rejects(models.engineFor('translation'), (error: Error) => error.name === 'ModelError' && error.message === 'no config.json');
    assert.deepEqual(models.state('translation'), { status: 'error', message: 'no config.json' });
    await settle();
    h.fail.delete('/ext/models/tealeaf-translate');
    await models.engineFor('translation');
    assert.equal(h.loads.length, 2);
    assert.equal(models.state('translation').status, 'ready');
  });

  it('serves nothing from a stopped engine, and an explicit use starts it again', async () => {
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    await models.engineFor('completion');
    h.state.hostState = { state: 'stopped', reason: 'crashed three times' };
    assert.equal(models.readyEngine('completion'), undefined);
    assert.ok(!h.calls.includes('restart retry'));
    await models.engineFor('completion');
    assert.ok(h.calls.includes('restart retry'));
  });

  it('after a crash that stops the engine every role reports why; Retry brings each back to what its engine says', async () => {
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    await models.engineFor('completion');
    h.emit({ kind: 'crashed', reason: 'out of memory', crashesInWindow: 1, restarting: true, interrupted: [] });
    assert.equal(models.state('completion').status, 'ready', 'a crash it restarts from changes nothing');
    h.state.hostState = { state: 'stopped', reason: 'the engine crashed 3 times in a minute' };
    h.emit({ kind: 'crashed', reason: 'out of memory', crashesInWindow: 3, restarting: false, interrupted: [] });
    assert.deepEqual(statesOf(models), Array(3).fill({ status: 'error', message: 'the engine crashed 3 times in a minute' }));
    h.state.hostState = { state: 'running' };
    h.emit({ kind: 'started', cause: 'crash', threads: undefined });
    assert.equal(models.state('completion').status, 'error', 'only a retry clears the stop');
    let open = () => undefined as void;
    h.state.gate = new Promise((resolve) => (open = resolve));
    const translation = models.engineFor('translation');
    h.emit({ kind: 'started', cause: 'retry', threads: undefined });
    assert.deepEqual(
      statesOf(models).map((s) => s.status),
      ['ready', 'ready', 'loading'],
      'the inspector shares the completion engine here (no inspector host); a load started since goes on',
    );
    open();
    await translation;
    assert.equal(models.state('translation').status, 'ready');
  });

  it('takes the crash reason when the host does not say it stopped', () => {
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    h.emit({ kind: 'crashed', reason: 'segfault', crashesInWindow: 3, restarting: false, interrupted: [] });
    assert.deepEqual(models.state('translation'), { status: 'error', message: 'segfault' });
  });

  it('a reload shows what the ready engines say now, and leaves other roles alone', async () => {
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    const engine = await models.engineFor('completion');
    (engine as { info: ModelInfo }).info = { ...engine.info, backend: 'native' } as ModelInfo;
    h.emit({ kind: 'modelReloaded', modelDir: '/ext/models/tealeaf-code', ms: 5 });
    const state = models.state('completion');
    assert.equal(state.status === 'ready' ? state.info.backend : undefined, 'native');
    assert.deepEqual(models.state('translation'), { status: 'idle' });
    assert.deepEqual(models.state('inspector'), { status: 'idle' }, 'not used yet, though it would share the reloaded engine');
  });
});

describe('ModelManager: settings', () => {
  it('a change of a model, dtype or speculation setting forgets every engine (disposed, idle) and loads again on next use', async () => {
    for (const setting of ['tealeaf.completion.model', 'tealeaf.translate.dtype', 'tealeaf.completion.speculation', 'tealeaf.completion.draftModel', 'tealeaf.inspector.model']) {
      configurationListeners = [];
      const h = fakeHost();
      const models = new ModelManager(h.host, '/ext');
      await models.engineFor('completion');
      changeSettings(setting);
      await settle();
      assert.deepEqual(h.engines.map((e) => e.disposed), [1], setting);
      assert.deepEqual(statesOf(models), Array(3).fill({ status: 'idle' }), setting);
      assert.equal(models.readyEngine('completion'), undefined, setting);
      await models.engineFor('completion');
      assert.equal(h.loads.length, 2, setting);
    }
  });

  it('an unrelated change keeps the engines, and does not start a stopped one', async () => {
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    const engine = await models.engineFor('completion');
    h.state.hostState = { state: 'stopped', reason: 'crashed' };
    changeSettings('editor.fontSize', 'tealeaf.completion.maxTokens');
    await settle();
    h.state.hostState = { state: 'running' };
    assert.equal(models.readyEngine('completion'), engine);
    assert.deepEqual(h.engines[0]?.disposed, 0);
    assert.deepEqual(h.calls, ['setThreads undefined']);
  });

  it('a change of a model setting starts a stopped engine again', () => {
    const h = fakeHost();
    new ModelManager(h.host, '/ext');
    h.state.hostState = { state: 'stopped', reason: 'crashed' };
    changeSettings('tealeaf.completion.model');
    assert.deepEqual(h.calls, ['setThreads undefined', 'restart retry']);
  });

  it('threads: a whole number above 0 is passed to both hosts at the start and on a change, which keeps the engines', async () => {
    settings.set('tealeaf.engine.threads', { globalValue: 3 });
    const h = fakeHost();
    const inspector = fakeInspectorHost();
    const models = new ModelManager(h.host, '/ext', undefined, inspector.host);
    const engine = await models.engineFor('completion');
    for (const value of [0, 2.5, -1, 1]) {
      settings.set('tealeaf.engine.threads', { globalValue: value });
      changeSettings('tealeaf.engine.threads');
    }
    await settle();
    assert.deepEqual(h.calls, ['setThreads 3', 'setThreads undefined', 'setThreads undefined', 'setThreads undefined', 'setThreads 1']);
    assert.deepEqual(inspector.calls, h.calls);
    assert.equal(models.readyEngine('completion'), engine);
  });

  it('granting trust forgets the engines, so that the workspace folder setting loads', async () => {
    workspace.isTrusted = false;
    settings.set('tealeaf.completion.model', { workspaceValue: '/ws/model' });
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    await models.engineFor('completion');
    workspace.isTrusted = true;
    for (const l of trustListeners) l();
    await settle();
    assert.deepEqual(h.engines.map((e) => e.disposed), [1]);
    assert.deepEqual(models.state('completion'), { status: 'idle' });
    await models.engineFor('completion');
    assert.deepEqual(h.loads.map((l) => l.dir), ['/ext/models/tealeaf-code', '/ws/model']);
  });

  it('stops listening when disposed, and disposes both hosts', async () => {
    const h = fakeHost();
    const inspector = fakeInspectorHost();
    const models = new ModelManager(h.host, '/ext', undefined, inspector.host);
    models.dispose();
    assert.deepEqual([configurationListeners.length, trustListeners.length], [0, 0]);
    assert.equal(h.calls.at(-1), 'dispose');
    assert.equal(inspector.calls.at(-1), 'dispose');
  });
});

describe('ModelManager: memory and the inspector worker', () => {
  const memory = (rssMb: number): EngineMemory => ({ rssBytes: rssMb * 2 ** 20, wasmHeapBytes: 0, arrayBufferBytes: 0 });

  it('reports what each running engine holds, and leaves out one that fails or has none', async () => {
    const h = fakeHost();
    const inspector = fakeInspectorHost();
    const models = new ModelManager(h.host, '/ext', undefined, inspector.host);
    h.state.memory = async () => memory(300);
    inspector.state.memory = async () => memory(400);
    assert.deepEqual(await models.engineMemory(), { main: memory(300), inspector: memory(400) });
    inspector.state.memory = async () => {
      throw new Error('gone');
    };
    h.state.memory = async () => undefined;
    assert.deepEqual(await models.engineMemory(), {});
  });

  it('gives a busy engine a second to answer', async () => {
    const h = fakeHost();
    const models = new ModelManager(h.host, '/ext');
    h.state.memory = () => new Promise(() => undefined);
    const started = Date.now();
    assert.deepEqual(await models.engineMemory(), {});
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 5_000, `waited ${waited} ms`);
  });

  it("releasing the inspector stops its worker, saying why", async () => {
    const inspector = fakeInspectorHost();
    const models = new ModelManager(fakeHost().host, '/ext', undefined, inspector.host);
    await models.releaseInspector();
    assert.deepEqual(inspector.calls, ['setThreads undefined', 'stop the inspector panel closed']);
  });
});
