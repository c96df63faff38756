// The inspector's controller (src/inspector/index.ts) behind a vscode stub, on the tiny-llama
// fixture: a newer inspection replaces an older one that finishes later (its document and its
// error are dropped), errors reach the panel and the user, and follow-selection inspects once per
// pause in the selection's movement, after the debounce, for the selection where it stopped.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { changeSelection, FakeDocument, FakeEditor, install, recorded, Selection } from './inspectorVscodeStub';

import { ModelError } from '../../src/engine/errors';
import type { CallOptions, AttentionRequest, AttentionResult, Engine, EngineHost } from '../../src/engine/types';
import { createInProcessHost } from '../../src/host/inProcessHost';
import { FOLLOW_SELECTION_DEBOUNCE_MS } from '../../src/inspector/config';
import type { InspectorApi } from '../../src/inspector/index';
import type { ModelProvider, ModelRole } from '../../src/models/types';
import type { InspectorDocument } from '../../src/protocol/inspector';
import { modelDir } from './engine/helpers';

install();
// Imported after install(): the inspector imports 'vscode' at load time.
const { registerInspector } = require('../../src/inspector/index') as typeof import('../../src/inspector/index');

const SOURCE = 'def area(width, height):\n    return width * height\n\nprint(area(3, 4))\n';
const FIRST = 'def area(width, height):';
const SECOND = 'return width * height';
const THIRD = 'print(area(3, 4))';

/** The real engine, with a hand on its attention requests: one held until released, or failed. */
class ControlledEngine {
  readonly requested: string[] = [];
  private readonly held = new Map<string, Promise<void>>();
  private readonly failing = new Map<string, Error>();

  constructor(private readonly engine: Engine) {}

  /** The next request for `text` waits until the returned function is called. */
  hold(text: string): () => void {
    let release = () => {};
    this.held.set(text, new Promise<void>((resolve) => (release = resolve)));
    return release;
  }

  /** The next request for `text` fails with `error`. */
  fail(text: string, error: Error): void {
    this.failing.set(text, error);
  }

  get proxy(): Engine {
    const engine = this.engine;
    return {
      info: engine.info,
      tokenize: (text) => engine.tokenize(text),
      attention: async (request: AttentionRequest, options?: CallOptions): Promise<AttentionResult> => {
        this.requested.push(request.text);
        const gate = this.held.get(request.text);
        this.held.delete(request.text);
        await gate;
        const error = this.failing.get(request.text);
        this.failing.delete(request.text);
        if (error) throw error;
        return engine.attention(request, options);
      },
      generate: (request, options) => engine.generate(request, options),
      generationAttention: (id) => engine.generationAttention(id),
      translate: (request, options) => engine.translate(request, options),
      translationAttention: (id) => engine.translationAttention(id),
      dispose: async () => {},
    };
  }
}

function models(engine: () => Promise<Engine>): ModelProvider {
  return {
    engineFor: (_role: ModelRole) => engine(),
    readyEngine: () => undefined,
    state: () => ({ status: 'idle' }),
    onDidChangeState: () => ({ dispose: () => {} }),
  };
}

/** The documents the panel posted since the last reset. */
function documents(): InspectorDocument[] {
  return recorded.posted.filter((m) => m.type === 'document').map((m) => m.doc as InspectorDocument);
}

/** The inspected text as the document's first section labels it, token by token. */
function labelledText(doc: InspectorDocument, inspected: string): string {
  return (doc.sections[0]?.queryTokens ?? []).map((t) => inspected.slice(t.start, t.end)).join('');
}

function statuses(state: string): string[] {
  return recorded.posted.filter((m) => m.type === 'status' && m.state === state).map((m) => String(m.message));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what()}`);
    await sleep(20);
  }
}

describe('inspector controller', () => {
  let host: EngineHost;
  let controlled: ControlledEngine;
  let loadEngine: () => Promise<Engine>;
  let inspector: InspectorApi;
  const doc = new FakeDocument(SOURCE);
  const editor = new FakeEditor(doc, doc.select(FIRST));

  before(async () => {
    host = createInProcessHost({ threads: 1 });
    controlled = new ControlledEngine(await host.load(modelDir('tiny-llama')));
    loadEngine = async () => controlled.proxy;
    recorded.configuration['tealeaf.inspector.contextTokens'] = 0; // the inspected text is the selection
    recorded.activeTextEditor = editor;
    const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: { scheme: 'file', path: '/ext', toString: () => 'file:///ext' } };
    inspector = registerInspector(context as never, { models: models(() => loadEngine()) });
  });
  after(async () => host.dispose());
  beforeEach(() => {
    recorded.posted.length = 0;
    recorded.errors.length = 0;
    controlled.requested.length = 0;
    recorded.configuration['tealeaf.inspector.followSelection'] = false;
    loadEngine = async () => controlled.proxy;
  });

  it('shows the tokens of the selection', async () => {
    editor.selection = doc.select(SECOND);
    const outcome = await inspector.inspectSelection();
    const [shown] = documents();
    assert.ok(shown && outcome);
    assert.equal(outcome.docId, shown.docId);
    assert.equal(labelledText(shown, SECOND), SECOND);
    assert.equal(outcome.tokens, shown.sections[0]?.queryTokens.length);
  });

  it('a newer inspection replaces an older one that finishes after it', async () => {
    const release = controlled.hold(FIRST);
    editor.selection = doc.select(FIRST);
    const older = inspector.inspectSelection();
    await until(() => controlled.requested.includes(FIRST), () => 'the first request to reach the engine');
    editor.selection = doc.select(THIRD);
    const newer = await inspector.inspectSelection();
    release();
    assert.equal(await older, undefined, 'the older inspection reports nothing');
    const shown = documents();
    assert.equal(shown.length, 1, 'only the newer document is posted');
    assert.equal(labelledText(shown[0]!, THIRD), THIRD);
    assert.equal(newer?.docId, shown[0]!.docId);
  });

  it('the error of an older inspection is not shown once a newer one runs', async () => {
    const release = controlled.hold(FIRST);
    controlled.fail(FIRST, new ModelError('the older request failed'));
    editor.selection = doc.select(FIRST);
    const older = inspector.inspectSelection();
    await until(() => controlled.requested.includes(FIRST), () => 'the first request to reach the engine');
    editor.selection = doc.select(SECOND);
    await inspector.inspectSelection();
    release();
    assert.equal(await older, undefined);
    assert.deepEqual(statuses('error'), []);
    assert.deepEqual(recorded.errors, []);
  });

  it('an engine error reaches the panel and the user, in one line each', async () => {
    const text = 'print(area(3, 4))\n';
    const other = new FakeDocument(`x = 1\n${text}`, '/work/other.py');
    controlled.fail('x = 1', new ModelError('tiny-llama shows no attention: a test said so'));
    recorded.activeTextEditor = new FakeEditor(other, other.select('x = 1'));
    try {
      assert.equal(await inspector.inspectSelection(), undefined);
    } finally {
      recorded.activeTextEditor = editor;
    }
    assert.deepEqual(statuses('error'), ['tiny-llama shows no attention: a test said so']);
    assert.deepEqual(recorded.errors, ['Tealeaf: tiny-llama shows no attention: a test said so']);
    assert.deepEqual(documents(), []);
  });

  it('a model that does not load is an error in the panel too', async () => {
    loadEngine = async () => {
      throw new ModelError('model folder /nowhere does not exist');
    };
    editor.selection = doc.select(SECOND);
    assert.equal(await inspector.inspectSelection(), undefined);
    assert.deepEqual(statuses('error'), ['model folder /nowhere does not exist']);
    assert.deepEqual(recorded.errors, ['Tealeaf: model folder /nowhere does not exist']);
  });

  it('an empty selection inspects the cursor’s line', async () => {
    const line = doc.select(SECOND);
    editor.selection = new Selection(line.end, line.end);
    await inspector.inspectSelection();
    const [shown] = documents();
    assert.ok(shown);
    assert.equal(labelledText(shown, `    ${SECOND}`), `    ${SECOND}`);
  });

  it('follow-selection: a selection moving in steps is inspected once, after the debounce, where it stopped', async () => {
    await inspector.inspectSelection(); // the panel is open
    recorded.posted.length = 0;
    controlled.requested.length = 0;
    recorded.configuration['tealeaf.inspector.followSelection'] = true;
    const started = Date.now();
    let lastChange = started;
    for (const part of ['def', 'def area', 'def area(width', FIRST]) {
      await sleep(20);
      lastChange = Date.now();
      changeSelection(editor, doc.select(part));
    }
    // A timer never fires early: nothing may start before the debounce has passed since the last change.
    await sleep(Math.max(0, FOLLOW_SELECTION_DEBOUNCE_MS - 150 - (Date.now() - lastChange)));
    assert.deepEqual(controlled.requested, [], `an inspection started ${Date.now() - started} ms after the first change`);
    await until(() => documents().length === 1, () => `the followed selection to be shown (engine asked for ${JSON.stringify(controlled.requested)}, posted ${recorded.posted.map((m) => m.type).join(', ')})`);
    assert.ok(Date.now() - lastChange >= FOLLOW_SELECTION_DEBOUNCE_MS, `shown ${Date.now() - lastChange} ms after the last change`);
    assert.deepEqual(controlled.requested, [FIRST]);
    assert.equal(labelledText(documents()[0]!, FIRST), FIRST);
    await sleep(FOLLOW_SELECTION_DEBOUNCE_MS + 100);
    assert.equal(documents().length, 1, 'one inspection for one pause');
  });

  it('follow-selection off: moving the selection inspects nothing', async () => {
    await inspector.inspectSelection();
    recorded.posted.length = 0;
    controlled.requested.length = 0;
    changeSelection(editor, doc.select(THIRD));
    await sleep(FOLLOW_SELECTION_DEBOUNCE_MS + 200);
    assert.deepEqual(controlled.requested, []);
    assert.deepEqual(documents(), []);
  });
});
