// translateDocument, the command line's whole-text translation: unsupported directions refused with
// the model's own, code-aware extraction by language id, each distinct sentence sent once with
// the pair and beam size, progress per sentence, tokens in order, and placeholder repairs reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsupportedError } from '../../../src/engine/errors';
import type { TranslateRequest, TranslateResult } from '../../../src/engine/types';
import { translateDocument } from '../../../src/translate/document';
import type { TranslationEngine } from '../../../src/translate/engineTranslator';
import { fakeTranslatorInfo } from '../fakeModelInfo';

const DICTIONARY: Readonly<Record<string, string>> = {
  'Hello world.': 'Hallo Welt.',
  'Good morning.': 'Guten Morgen.',
  'Save the file.': 'Datei speichern.',
  'Open {0} now.': 'Jetzt öffnen.', // drops its placeholder: the unit is repaired
};

/** Looks sentences up (upper-cases unknown ones); each answer's tokens are its request's number. */
function dictionaryEngine(): TranslationEngine & { readonly requests: TranslateRequest[] } {
  const requests: TranslateRequest[] = [];
  return {
    info: fakeTranslatorInfo({ name: 'fake-mt', languages: ['en', 'de'] }),
    requests,
    async translate(request: TranslateRequest): Promise<TranslateResult> {
      requests.push(request);
      return { source: request.text, target: DICTIONARY[request.text] ?? request.text.toUpperCase(), tokens: [requests.length, requests.length], ms: 1 };
    },
  };
}

describe('translateDocument', () => {
  it('refuses a direction the model does not translate, naming those it does', async () => {
    const engine = dictionaryEngine();
    await assert.rejects(translateDocument(engine, 'Hello world.', { pair: { from: 'en', to: 'fr' }, beams: 1 }), (error: unknown) => {
      assert.ok(error instanceof UnsupportedError);
      assert.equal(error.message, 'fake-mt does not translate English → French (it translates English → German, German → English)');
      return true;
    });
    const none = { ...engine, info: fakeTranslatorInfo({ name: 'mute', languages: [] }) };
    await assert.rejects(translateDocument(none, 'x', { pair: { from: 'en', to: 'de' }, beams: 1 }), {
      message: 'mute does not translate English → German',
    });
    assert.equal(engine.requests.length, 0);
  });

  it('translates plain text sentence by sentence, each distinct one once, keeping the layout', async () => {
    const engine = dictionaryEngine();
    const progress: string[] = [];
    const result = await translateDocument(engine, 'Hello world.  Good morning.\n\nHello world.\n', {
      pair: { from: 'en', to: 'de' },
      beams: 3,
      onProgress: (p) => progress.push(`${p.doneUnits}/${p.totalUnits} ${p.doneChars}/${p.totalChars}`),
    });
    assert.equal(result.target, 'Hallo Welt.  Guten Morgen.\n\nHallo Welt.\n');
    assert.equal(result.units, 2);
    assert.deepEqual(engine.requests.map((r) => [r.text, r.from, r.to, r.beams]), [
      ['Hello world.', 'en', 'de', 3],
      ['Good morning.', 'en', 'de', 3],
    ]);
    assert.deepEqual(result.tokens, [1, 1, 2, 2]);
    assert.deepEqual(progress, ['1/2 12/25', '2/2 25/25']);
    assert.deepEqual(result.repairs, []);
    assert.ok(result.ms >= 0);
  });

  it('in code, translates comments and strings only unless told to translate all', async () => {
    const code = 'const label = "Save the file."; // Good morning.\n';
    const aware = await translateDocument(dictionaryEngine(), code, { pair: { from: 'en', to: 'de' }, beams: 1, languageId: 'typescript' });
    assert.equal(aware.target, 'const label = "Datei speichern."; // Guten Morgen.\n');
    const asPlainText = await translateDocument(dictionaryEngine(), code, { pair: { from: 'en', to: 'de' }, beams: 1 });
    assert.equal(asPlainText.target, code.toUpperCase());
    const all = await translateDocument(dictionaryEngine(), code, { pair: { from: 'en', to: 'de' }, beams: 1, languageId: 'typescript', codeAware: false });
    assert.equal(all.target, asPlainText.target);
  });

  it('reports each repaired unit, both in its result and as it happens, and keeps the placeholder', async () => {
    const told: string[] = [];
    const result = await translateDocument(dictionaryEngine(), 'Open {name} now.', {
      pair: { from: 'en', to: 'de' },
      beams: 1,
      onRepair: (report) => told.push(report.source),
    });
    assert.match(result.target, /\{name\}/);
    assert.equal(result.repairs.length, 1);
    assert.equal(result.repairs[0]?.source, 'Open {name} now.');
    assert.deepEqual(told, ['Open {name} now.']);
  });

  it('stops when its signal fires, before the next sentence', async () => {
    const engine = dictionaryEngine();
    const controller = new AbortController();
    await assert.rejects(
      translateDocument(engine, 'Hello world. Good morning.', {
        pair: { from: 'en', to: 'de' },
        beams: 1,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      { name: 'AbortError' },
    );
    assert.equal(engine.requests.length, 1);
  });
});
