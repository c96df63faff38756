// The vscode adapter over a stubbed vscode API: the commands replace the selection in one edit
// (one undo restores it), cancel and a document changed meanwhile leave it unchanged, "beside"
// opens a document instead, and "Translate Selection…" offers the model's pairs. The progress is a
// cancellable notification whose bar adds up to 100 %; an editor that cannot take the edit gets it
// as a workspace edit; what goes wrong is shown at its level (error, warning, information).
import { fakeTranslatorInfo } from '../fakeModelInfo';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { COMMANDS } from '../../../src/commands';
import { throwIfAborted } from '../../../src/engine/errors';
import type { Engine, ModelInfo, TranslateRequest, TranslateResult } from '../../../src/engine/types';
import type { ModelProvider } from '../../../src/models/types';
import { FakeDocument, FakeEditor, install, Position, recorded, reset, Selection } from './vscodeStub';

install();
// Imported after install(): register.ts imports 'vscode' at load time.
const { registerTranslation } = require('../../../src/translate/register') as typeof import('../../../src/translate/register');

const INFO: ModelInfo = fakeTranslatorInfo({ vocabSize: 16 });

const GERMAN: Readonly<Record<string, string>> = {
  'Hello world.': 'Hallo Welt.',
  'Good night.': 'Gute Nacht.',
  // Drops the placeholder; the runs around it are then translated one by one.
  'Open {0} now.': 'Jetzt öffnen.',
  Open: 'Öffne',
  'now.': 'jetzt.',
};
const ENGLISH: Readonly<Record<string, string>> = { 'Hallo Welt.': 'Hello world.' };

function models(
  options: { onTranslate?: (request: TranslateRequest) => void; info?: ModelInfo; loadError?: Error } = {},
): ModelProvider & { requests: TranslateRequest[] } {
  const requests: TranslateRequest[] = [];
  const info = options.info ?? INFO;
  const engine = {
    info,
    async translate(request: TranslateRequest, call?: { signal?: AbortSignal }): Promise<TranslateResult> {
      requests.push(request);
      options.onTranslate?.(request);
      throwIfAborted(call?.signal);
      const table = request.to === 'de' ? GERMAN : ENGLISH;
      return { source: request.text, target: table[request.text] ?? request.text, tokens: [], ms: 1, ...(request.captureAttention ? { attentionId: 41 } : {}) };
    },
  } as unknown as Engine;
  return {
    requests,
    engineFor: async () => {
      if (options.loadError) throw options.loadError;
      return engine;
    },
    readyEngine: () => engine,
    state: () => ({ status: 'ready', info }),
    onDidChangeState: () => ({ dispose() {} }),
  };
}

function register(provider: ModelProvider, log?: { warn(line: string): void }): void {
  const context = { subscriptions: [] as { dispose(): void }[] };
  registerTranslation(context as never, provider, log as never);
  assert.equal(context.subscriptions.length, 4);
}

function editorOn(text: string, start: number, end: number, languageId = 'plaintext'): FakeEditor {
  const document = new FakeDocument(text, languageId);
  return new FakeEditor(document, [new Selection(document.positionAt(start), document.positionAt(end))]);
}

describe('translation commands (vscode adapter)', () => {
  beforeEach(reset);

  it('registers the three editor commands and the cross-attention command', () => {
    register(models());
    assert.deepEqual([...recorded.commands.keys()].sort(), [COMMANDS.translate, COMMANDS.translateToEnglish, COMMANDS.translateToGerman].sort());
    assert.deepEqual([...recorded.plainCommands.keys()], [COMMANDS.showTranslationAttention]);
  });

  it('shows the cross-attention of the last translated sentence in the inspector', async () => {
    const provider = models();
    register(provider);
    await recorded.plainCommands.get(COMMANDS.showTranslationAttention)?.();
    assert.equal(recorded.executed.length, 0, 'nothing to show before a translation');
    assert.match(recorded.messages.at(-1)?.text ?? '', /translate a selection first/);
    const editor = editorOn('Hello world.', 0, 12);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor as never);
    assert.ok(provider.requests.every((r) => r.captureAttention === true), 'translations keep their attention');
    await recorded.plainCommands.get(COMMANDS.showTranslationAttention)?.();
    assert.deepEqual(recorded.executed.at(-1), { id: 'tealeaf.inspectTranslation', args: [41] });
  });

  it('"to German" replaces the selection in one edit with the configured beams', async () => {
    const provider = models();
    register(provider);
    recorded.configuration['tealeaf.translate.beams'] = 2;
    const text = 'Intro\nHello world. Good night.\nOutro';
    const editor = editorOn(text, 6, 30);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.equal(editor.document.text, 'Intro\nHallo Welt. Gute Nacht.\nOutro');
    assert.equal(editor.edits.length, 1, 'one edit, so one undo restores the original');
    assert.deepEqual(editor.edits[0], [{ start: 6, end: 30, text: 'Hallo Welt. Gute Nacht.' }]);
    assert.deepEqual(editor.editOptions, [{ undoStopBefore: true, undoStopAfter: true }], 'an undo stop on either side: one undo step of its own');
    assert.deepEqual(provider.requests.map((r) => [r.from, r.to, r.beams]), [['en', 'de', 2], ['en', 'de', 2]]);
    assert.equal(recorded.messages.length, 0);
    assert.ok((recorded.progress.at(-1)?.message ?? '').includes('100'));
  });

  it('cancel on the progress notification leaves the document unchanged', async () => {
    register(models());
    recorded.cancelAfterReports = 2; // "loading", then the first sentence
    const text = 'Hello world. Good night.';
    const editor = editorOn(text, 0, text.length);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.equal(editor.document.text, text);
    assert.equal(editor.edits.length, 0);
    assert.deepEqual(recorded.messages, []);
  });

  it('a document edited during the translation is left alone, with a warning', async () => {
    let editor: FakeEditor | undefined;
    register(models({ onTranslate: () => editor?.document.apply([{ start: 0, end: 0, text: 'x' }]) }));
    editor = editorOn('Hello world.', 0, 12);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.equal(editor.document.text, 'xHello world.');
    assert.equal(editor.edits.length, 0);
    assert.deepEqual(recorded.messages, [{ level: 'warning', text: 'Tealeaf: the document changed during the translation; nothing was replaced.' }]);
  });

  it('shows a cancellable notification whose bar advances by each sentence\'s share, up to 100 %', async () => {
    register(models());
    const text = 'Hello world. Good night.';
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editorOn(text, 0, text.length));
    assert.deepEqual(recorded.progressOptions, [{ location: 15, title: 'Tealeaf: translating English → German', cancellable: true }]);
    const first = (12 / 23) * 100; // "Hello world." is 12 of the 23 characters
    assert.deepEqual(recorded.progress, [
      { increment: 0, message: 'loading the translation model…' },
      { increment: first, message: '52 %' },
      { increment: 100 - first, message: '100 %' },
    ]);
    assert.equal(recorded.cancelListeners, 0, 'the cancel button is no longer listened to');
  });

  it('an editor that refuses the edit or was closed gets the translation as one workspace edit', async () => {
    register(models());
    for (const failure of ['refused', 'closed'] as const) {
      recorded.workspaceEdits.length = 0;
      const editor = editorOn('Intro\nHello world.', 6, 18);
      editor.editFailure = failure;
      await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
      assert.equal(editor.document.text, 'Intro\nHallo Welt.', failure);
      assert.deepEqual(recorded.workspaceEdits, [[{ start: 6, end: 18, text: 'Hallo Welt.' }]], failure);
    }
    assert.deepEqual(recorded.messages, []);
  });

  it('a document edited while the editor refused the edit is left alone, with a warning', async () => {
    register(models());
    const editor = editorOn('Hello world.', 0, 12);
    editor.editFailure = 'refused';
    editor.onEdit = () => editor.document.apply([{ start: 12, end: 12, text: '!' }]);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.equal(editor.document.text, 'Hello world.!');
    assert.deepEqual(recorded.workspaceEdits, []);
    assert.match(recorded.messages[0]?.text ?? '', /changed during the translation/);
  });

  it('output "beside" opens the translation in a new document and keeps the source', async () => {
    register(models());
    recorded.configuration['tealeaf.translate.output'] = 'beside';
    const editor = editorOn('Hello world.', 0, 12, 'markdown');
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.equal(editor.document.text, 'Hello world.');
    assert.deepEqual(recorded.opened, [{ content: 'Hallo Welt.', language: 'markdown' }]);
    assert.equal(recorded.shownBeside, 1);
    assert.deepEqual(recorded.shownOptions, [{ viewColumn: -2, preview: false }], 'a tab of its own, not a preview the next file replaces');
  });

  it('output "beside" puts the translations of several selections one paragraph apart', async () => {
    register(models());
    recorded.configuration['tealeaf.translate.output'] = 'beside';
    const document = new FakeDocument('Hello world.\nGood night.');
    const editor = new FakeEditor(document, [
      new Selection(new Position(0, 0), new Position(0, 12)),
      new Selection(new Position(1, 0), new Position(1, 11)),
    ]);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.deepEqual(recorded.opened, [{ content: 'Hallo Welt.\n\nGute Nacht.', language: 'plaintext' }]);
  });

  it('"to English" translates from German', async () => {
    const provider = models();
    register(provider);
    const editor = editorOn('Hallo Welt.', 0, 11);
    await recorded.commands.get(COMMANDS.translateToEnglish)?.(editor);
    assert.equal(editor.document.text, 'Hello world.');
    assert.deepEqual(provider.requests.map((r) => [r.from, r.to]), [['de', 'en']]);
  });

  it('in code translates only comments and strings, unless the codeAware setting is off', async () => {
    const provider = models();
    register(provider);
    const code = 'const label = "Hello world."; // Good night.';
    const aware = editorOn(code, 0, code.length, 'typescript');
    await recorded.commands.get(COMMANDS.translateToGerman)?.(aware);
    assert.equal(aware.document.text, 'const label = "Hallo Welt."; // Gute Nacht.');
    provider.requests.length = 0;
    recorded.configuration['tealeaf.translate.codeAware'] = false;
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editorOn(code, 0, code.length, 'typescript'));
    assert.deepEqual(provider.requests.map((r) => r.text), [code], 'the whole line goes to the model as prose');
  });

  it('a direction the model does not translate is an error message', async () => {
    register(models({ info: fakeTranslatorInfo({ name: 'opus-mt-en-de', translationPairs: [{ from: 'en', to: 'de' }] }) }));
    const editor = editorOn('Hallo Welt.', 0, 11);
    await recorded.commands.get(COMMANDS.translateToEnglish)?.(editor);
    assert.equal(editor.document.text, 'Hallo Welt.');
    assert.deepEqual(recorded.messages, [
      { level: 'error', text: 'Tealeaf: opus-mt-en-de does not translate German → English (it translates English → German).' },
    ]);
  });

  it('logs each sentence whose placeholders were repaired', async () => {
    const lines: string[] = [];
    register(models(), { warn: (line) => lines.push(line) });
    const editor = editorOn('Open {name} now.', 0, 16);
    await recorded.commands.get(COMMANDS.translateToGerman)?.(editor);
    assert.equal(editor.document.text, 'Öffne {name} jetzt.');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^translation: placeholders repaired in "Open \{name\} now\.": .* → "Öffne \{name\} jetzt\."$/);
  });

  it('"Translate Selection…" offers the model\'s directions and uses the chosen one', async () => {
    const provider = models();
    register(provider);
    recorded.quickPickChoice = 1;
    const editor = editorOn('Hallo Welt.', 0, 11);
    await recorded.commands.get(COMMANDS.translate)?.(editor);
    assert.deepEqual(recorded.quickPickLabels, ['English → German', 'German → English']);
    assert.deepEqual(recorded.quickPickDescriptions, ['en → de', 'de → en']);
    assert.deepEqual(recorded.quickPickOptions, [{ title: 'Tealeaf: Translate Selection', placeHolder: 'Translate from … to …' }]);
    assert.deepEqual(recorded.progressOptions[0], { location: 10, title: 'Tealeaf: loading the translation model' }, 'loading shows in the status bar');
    assert.equal(editor.document.text, 'Hello world.');
    recorded.quickPickChoice = undefined;
    await recorded.commands.get(COMMANDS.translate)?.(editor);
    assert.equal(provider.requests.length, 1, 'Escape translates nothing');
  });

  it('"Translate Selection…" says why it offers nothing when the model fails to load or declares no languages', async () => {
    register(models({ loadError: new Error('/models/x: config.json is missing') }));
    const editor = editorOn('Hallo Welt.', 0, 11);
    await recorded.commands.get(COMMANDS.translate)?.(editor);
    assert.deepEqual(recorded.messages, [{ level: 'error', text: 'Tealeaf: the translation model could not be loaded: /models/x: config.json is missing' }]);
    reset();
    register(models({ info: fakeTranslatorInfo({ languages: [] }) }));
    await recorded.commands.get(COMMANDS.translate)?.(editor);
    assert.deepEqual(recorded.messages, [{ level: 'error', text: 'Tealeaf: the translation model declares no languages.' }]);
    assert.deepEqual(recorded.quickPickOptions, [], 'no empty quick pick');
    assert.equal(editor.document.text, 'Hallo Welt.');
  });

  it('an empty selection asks for one', async () => {
    register(models());
    const document = new FakeDocument('Hello world.');
    const editor = new FakeEditor(document, [new Selection(new Position(0, 3), new Position(0, 3))]);
    await recorded.commands.get(COMMANDS.translateToEnglish)?.(editor);
    assert.deepEqual(recorded.messages, [{ level: 'info', text: 'Tealeaf: select the text to translate first.' }]);
  });
});
