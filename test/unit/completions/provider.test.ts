// The vscode adapter over a stubbed vscode API: windowing of long documents, the model-not-ready
// path, language deny, cancellation and the suggest-widget case.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, test } from 'node:test';
import type * as vscode from 'vscode';
import type { ModelProvider } from '../../../src/models/types';
import { CompletionService } from '../../../src/completions/service';
import { DEFAULT_SETTINGS } from '../../../src/completions/settings';
import { OracleEngine } from './fakeEngine';
import { configuration, FakeDocument, FakeToken, install, Range } from './vscodeStub';

install();
// Imported after install(): provider.ts imports 'vscode' at load time.
const { TealeafInlineCompletionProvider } = require('../../../src/completions/provider') as typeof import('../../../src/completions/provider');

// Typed text: a frozen copy of a source (see test/fixtures/text/README.md).
const SOURCE = readFileSync(path.join(__dirname, '../../fixtures/text/service.ts.txt'), 'utf8');
const automatic = { triggerKind: 1, selectedCompletionInfo: undefined } as unknown as vscode.InlineCompletionContext;

function setup(document: string, ready = true) {
  const engine = new OracleEngine(document);
  let loads = 0;
  const models = {
    readyEngine: () => (ready ? engine : undefined),
    engineFor: async () => engine,
    state: () => ({ status: 'idle' }),
    onDidChangeState: () => ({ dispose: () => undefined }),
  } as unknown as ModelProvider;
  const service = new CompletionService({ engine: () => models.readyEngine('completion'), settings: () => DEFAULT_SETTINGS });
  const provider = new TealeafInlineCompletionProvider({ models, service, ensureModel: () => loads++, log: () => undefined });
  return { engine, provider, loads: () => loads };
}

async function provide(
  provider: InstanceType<typeof TealeafInlineCompletionProvider>,
  doc: FakeDocument,
  offset: number,
  context = automatic,
  token = new FakeToken(),
) {
  const items = await provider.provideInlineCompletionItems(
    doc as unknown as vscode.TextDocument,
    doc.positionAt(offset) as unknown as vscode.Position,
    context,
    token as unknown as vscode.CancellationToken,
  );
  return items as unknown as { insertText: string; range: Range }[];
}

beforeEach(() => {
  for (const key of Object.keys(configuration)) delete configuration[key];
  configuration.debounceMs = 0;
});

test('deep in a long document: the window starts at a line start and the suggestion is right', async () => {
  const long = Array.from({ length: 40 }, () => SOURCE).join('\n// next copy\n') + '\nconst unique = computeTheUniqueValue(42);\n';
  const { engine, provider } = setup(long);
  // The user is typing the last line: the editor's document ends at the cursor.
  const offset = long.indexOf('computeTheUniqueValue');
  const doc = new FakeDocument(long.slice(0, offset));
  const items = await provide(provider, doc, offset);
  assert.equal(items.length, 1);
  assert.equal(items[0]!.insertText, 'computeTheUniqueValue(42);');
  assert.deepEqual(items[0]!.range.start, doc.positionAt(offset));
  const prompt = engine.requests[0]!.prompt;
  const before = long.slice(0, offset - 1); // without the healed space
  assert.ok(before.endsWith(prompt));
  assert.equal(before[before.length - prompt.length - 1], '\n', 'the prompt starts at a line start');
  assert.ok(prompt.length < 12_000, `the prompt is windowed (${prompt.length} characters)`);
});

test('model not ready: [] and the load is started', async () => {
  const { provider, loads, engine } = setup('let a = 1;\n', false);
  assert.deepEqual(await provide(provider, new FakeDocument('let a = 1;\n'), 4), []);
  assert.equal(loads(), 1);
  assert.equal(engine.requests.length, 0);
});

test('denied language, disabled setting or a non-file document: [] without generating', async () => {
  const text = 'let a = 1;\nlet b = 2;\n';
  const { provider, engine } = setup(text);
  assert.deepEqual(await provide(provider, new FakeDocument(text, 'markdown'), 15), []);
  configuration.languages = { '*': false, python: true };
  assert.deepEqual(await provide(provider, new FakeDocument(text, 'typescript'), 15), []);
  delete configuration.languages;
  configuration.enabled = false;
  assert.deepEqual(await provide(provider, new FakeDocument(text), 15), []);
  delete configuration.enabled;
  assert.deepEqual(await provide(provider, new FakeDocument(text, 'typescript', 'git'), 15), []);
  assert.equal(engine.requests.length, 0);
});

test('a cancelled token during the debounce: [] and no generation', async () => {
  configuration.debounceMs = 50;
  const text = 'let a = 1;\nlet b = 2;\n';
  const { provider, engine } = setup(text);
  const token = new FakeToken();
  const pending = provide(provider, new FakeDocument(text), 15, automatic, token);
  setTimeout(() => token.cancel(), 5);
  assert.deepEqual(await pending, []);
  assert.equal(engine.requests.length, 0);
});

test('with the suggest widget open, the item extends the selected entry over its range', async () => {
  const text = 'const total = values.reduce((a, b) => a + b, 0);\n';
  const { provider } = setup(text);
  const doc = new FakeDocument(text);
  const start = text.indexOf('reduce');
  const cursor = start + 3; // "red|"
  const range = new Range(doc.positionAt(start), doc.positionAt(cursor));
  const context = { triggerKind: 1, selectedCompletionInfo: { range, text: 'reduce' } } as unknown as vscode.InlineCompletionContext;
  const items = await provide(provider, doc, cursor, context);
  assert.equal(items[0]?.insertText, 'reduce((a, b) => a + b, 0);');
  assert.equal(items[0]?.range, range);
});
