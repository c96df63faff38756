// The vscode adapter over a stubbed vscode API: the commands replace the selection in one edit
// (one undo restores it), cancel and a document changed meanwhile leave it unchanged, "beside"
// opens a document instead, and "Translate Selection…" offers the model's pairs.
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

const GERMAN: Readonly<Record<string, string>> = { 'Hello world.': 'Hallo Welt.', 'Good night.': 'Gute Nacht.' };
const ENGLISH: Readonly<Record<string, string>> = { 'Hallo Welt.': 'Hello world.' };

function models(options: { onTranslate?: (request: TranslateRequest) => void } = {}): ModelProvider & { requests: TranslateRequest[] } {
  const requests: TranslateRequest[] = [];
  const engine = {
    info: INFO,
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
    engineFor: async () => engine,
    readyEngine: () => engine,
    state: () => ({ status: 'ready', info: INFO }),
    onDidChangeState: () => ({ dispose() {} }),
  };
}

function register(provider: ModelProvider): void {
  const context = { subscriptions: [] as { dispose(): void }[] };
  registerTranslation(context as never, provider);
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
  });

  it('"Translate Selection…" offers the model\'s directions and uses the chosen one', async () => {
    const provider = models();
    register(provider);
    recorded.quickPickChoice = 1;
    const editor = editorOn('Hallo Welt.', 0, 11);
    await recorded.commands.get(COMMANDS.translate)?.(editor);
    assert.deepEqual(recorded.quickPickLabels, ['English → German', 'German → English']);
    assert.equal(editor.document.text, 'Hello world.');
    recorded.quickPickChoice = undefined;
    await recorded.commands.get(COMMANDS.translate)?.(editor);
    assert.equal(provider.requests.length, 1, 'Escape translates nothing');
  });

  it('an empty selection asks for one', async () => {
    register(models());
    const document = new FakeDocument('Hello world.');
    const editor = new FakeEditor(document, [new Selection(new Position(0, 3), new Position(0, 3))]);
    await recorded.commands.get(COMMANDS.translateToEnglish)?.(editor);
    assert.deepEqual(recorded.messages, [{ level: 'info', text: 'Tealeaf: select the text to translate first.' }]);
  });
});
