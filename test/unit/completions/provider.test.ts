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
import { fakeTokenize, OracleEngine } from './fakeEngine';
import { configuration, FakeDocument, FakeToken, install, Range, stub } from './vscodeStub';

install();
// Imported after install(): provider.ts imports 'vscode' at load time.
const { TealeafInlineCompletionProvider } = require('../../../src/completions/provider') as typeof import('../../../src/completions/provider');

// Typed text: a frozen copy of a source (see test/fixtures/text/README.md).
const SOURCE = readFileSync(path.join(__dirname, '../../fixtures/text/service.ts.txt'), 'utf8');
const automatic = { triggerKind: 1, selectedCompletionInfo: undefined } as unknown as vscode.InlineCompletionContext;

function setup(document: string, ready = true) {
  const engine = new OracleEngine(document);
  let loads = 0;
  const logged: string[] = [];
  const models = {
    readyEngine: () => (ready ? engine : undefined),
    engineFor: async () => engine,
    state: () => ({ status: 'idle' }),
    onDidChangeState: () => ({ dispose: () => undefined }),
  } as unknown as ModelProvider;
  const service = new CompletionService({ engine: () => models.readyEngine('completion'), settings: () => DEFAULT_SETTINGS });
  const provider = new TealeafInlineCompletionProvider({ models, service, ensureModel: () => loads++, log: (message) => logged.push(message) });
  return { engine, provider, loads: () => loads, logged };
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
  stub.window.visibleTextEditors = [];
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

test('the window is the budget’s worth of text before the cursor: the prompt gets it all, and no more is tokenized', async () => {
  const long = Array.from({ length: 40 }, () => SOURCE).join('\n// next copy\n') + '\nconst unique = computeTheUniqueValue(42);\n';
  const { engine, provider } = setup(long);
  const tokenized: number[] = [];
  const tokenize = engine.tokenize.bind(engine);
  engine.tokenize = (text) => {
    tokenized.push(text.length);
    return tokenize(text);
  };
  const offset = long.indexOf('computeTheUniqueValue');
  await provide(provider, new FakeDocument(long.slice(0, offset)), offset);
  // contextTokens 1024 (the default): 6 characters a token, 6,144 characters at most.
  assert.ok(Math.max(...tokenized) <= 6144, `tokenized ${Math.max(...tokenized)} characters of a ${long.length}-character document`);
  const promptTokens = fakeTokenize(engine.requests[0]!.prompt).length;
  assert.ok(promptTokens > 700 && promptTokens <= 1024, `${promptTokens} prompt tokens for a budget of 1024`);
});

test('the window starts at the first line start inside it, or mid-line when the cursor’s line is longer than the window', async () => {
  // contextTokens 100: a window of 600 characters. Lines of 50 characters in few tokens (no cut).
  configuration.contextTokens = 100;
  const line = (i: number) => `${String.fromCharCode(97 + (i % 26)).repeat(20)} ${'q'.repeat(20)}${String(i).padStart(6, '0')}\n`;
  const text = Array.from({ length: 30 }, (_, i) => line(i)).join('') + 'tail';
  assert.equal(line(0).length, 48);
  const promptAt = async (doc: string, offset: number) => {
    const { engine, provider } = setup(doc);
    await provide(provider, new FakeDocument(doc), offset);
    return engine.requests[0]!.prompt;
  };
  // 600 characters before the end of "tail" fall mid-line: the window starts at the next line.
  const end = text.length;
  const firstLine = text.indexOf('\n', end - 600) + 1;
  assert.equal(await promptAt(text, end), text.slice(firstLine, end));
  // 600 characters before the cursor fall on a line start: that line is the first one.
  const cursor = 48 * 17 + 600; // 600 characters after the start of line 17
  assert.equal(text[cursor - 601], '\n');
  assert.equal(await promptAt(text, cursor), text.slice(cursor - 600, cursor));
  // One line of 1,000 characters: the window is its last 600.
  const oneLine = 'w'.repeat(19) + (' ' + 'w'.repeat(19)).repeat(49) + 'z';
  assert.equal(await promptAt(oneLine, oneLine.length), oneLine.slice(-600));
});

test('text after the cursor is not suggested again', async () => {
  const final = 'const total = sum(values) + 1;\nnext();\n';
  const { provider } = setup(final);
  // The user typed "sum(" and the editor closed the parenthesis: ") + 1;" already follows the cursor.
  const current = 'const total = sum() + 1;\nnext();\n';
  const items = await provide(provider, new FakeDocument(current), current.indexOf(')'));
  assert.equal(items[0]?.insertText, 'values');
});

test('the editor’s tab width, from the editor showing the document, decides where a block closes', async () => {
  configuration.multiline = true;
  // A tab is two columns in that editor: "  }" closes the block that "\tif" opened.
  const text = 'function f() {\n\tif (x) {\n\t\tgo();\n  }\n}\n';
  const cursor = text.indexOf('if (x)');
  const suggest = async (tabSizes: (number | string)[]) => {
    const { provider } = setup(text);
    const doc = new FakeDocument(text.slice(0, cursor));
    // Other editors (other documents) come first; the last one shows this document.
    stub.window.visibleTextEditors = tabSizes.map((tabSize, i) => ({
      document: i === tabSizes.length - 1 ? doc : new FakeDocument('other'),
      options: { tabSize },
    }));
    return (await provide(provider, doc, cursor))[0]?.insertText;
  };
  assert.equal(await suggest([8, 2]), 'if (x) {\n\t\tgo();\n  }');
  // Unknown ("auto" before the editor settled): 4 columns, and "  }" is a dedent.
  assert.equal(await suggest([2, 'auto']), 'if (x) {\n\t\tgo();');
});

test('a failure inside the provider gives [] and logs its stack', async () => {
  const { provider, logged } = setup('let a = 1;\n');
  const doc = new FakeDocument('let a = 1;\n');
  const error = new Error('document closed');
  doc.getText = () => {
    throw error;
  };
  assert.deepEqual(await provide(provider, doc, 4), []);
  assert.deepEqual(logged, [`inline completion failed: ${error.stack}`]);
});

test('the provider lets go of the cancellation token when it returns', async () => {
  const text = 'let a = 1;\nlet b = 2;\n';
  const { provider } = setup(text);
  const token = new FakeToken();
  let listening = 0;
  const subscribe = token.onCancellationRequested;
  token.onCancellationRequested = (listener) => {
    listening++;
    subscribe(listener);
    return { dispose: () => void listening-- };
  };
  await provide(provider, new FakeDocument(text), 15, automatic, token);
  assert.equal(listening, 0);
});
