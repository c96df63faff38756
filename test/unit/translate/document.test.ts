// translateDocument, the command line's whole-text translation: unsupported directions refused with
// the model's own, code-aware extraction by language id, each distinct sentence sent once with
// the pair and beam size, progress per sentence, tokens in order, and placeholder repairs reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsupportedError } from '../../../src/engine/errors';
import type { CallOptions, TranslateRequest, TranslateResult, TranslationAttention } from '../../../src/engine/types';
import { translateDocument } from '../../../src/translate/document';
import { engineTranslator, type TranslationEngine } from '../../../src/translate/engineTranslator';
import type { UnitTranslation } from '../../../src/translate/pipeline';
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
    const before = performance.now();
    const result = await translateDocument(engine, 'Hello world.  Good morning.\n\nHello world.\n', {
      pair: { from: 'en', to: 'de' },
      beams: 3,
      onProgress: (p) => progress.push(`${p.doneUnits}/${p.totalUnits} ${p.doneChars}/${p.totalChars}`),
    });
    const elapsed = performance.now() - before;
    assert.equal(result.target, 'Hallo Welt.  Guten Morgen.\n\nHallo Welt.\n');
    assert.equal(result.units, 2);
    assert.deepEqual(engine.requests.map((r) => [r.text, r.from, r.to, r.beams]), [
      ['Hello world.', 'en', 'de', 3],
      ['Good morning.', 'en', 'de', 3],
    ]);
    assert.deepEqual(result.tokens, [1, 1, 2, 2]);
    assert.deepEqual(progress, ['1/2 12/25', '2/2 25/25']);
    assert.deepEqual(result.repairs, []);
    // The time it took: no more than the call's own.
    assert.ok(result.ms >= 0 && result.ms <= elapsed, `${result.ms} ms of ${elapsed}`);
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

describe('engineTranslator', () => {
  /** Answers every text with attention id 7 and records the options of each call and the attention asked for. */
  function attentiveEngine(captured: TranslationAttention): TranslationEngine & { readonly calls: (CallOptions | undefined)[]; readonly asked: number[] } {
    const calls: (CallOptions | undefined)[] = [];
    const asked: number[] = [];
    return {
      info: fakeTranslatorInfo({ languages: ['en', 'de'] }),
      calls,
      asked,
      async translate(request: TranslateRequest, options?: CallOptions): Promise<TranslateResult> {
        calls.push(options);
        return { source: request.text, target: request.text.toUpperCase(), tokens: [1], ms: 1, attentionId: 7 };
      },
      async translationAttention(id: number): Promise<TranslationAttention | undefined> {
        asked.push(id);
        return captured;
      },
    };
  }

  it('hands each unit’s signal to the engine, so that a cancel reaches the model', async () => {
    const engine = attentiveEngine({ id: 7 } as TranslationAttention);
    const translator = engineTranslator(engine, { pair: { from: 'en', to: 'de' }, beams: 1 });
    const controller = new AbortController();
    await translator('Hello.', controller.signal);
    await translator('Hello.', undefined);
    assert.equal(engine.calls[0]?.signal, controller.signal);
    assert.equal(engine.calls[1]?.signal, undefined);
  });

  it('fetches a unit’s cross-attention from the engine by its translation’s id, only when asked', async () => {
    const captured = { id: 7 } as TranslationAttention;
    const engine = attentiveEngine(captured);
    const told: number[] = [];
    const translator = engineTranslator(engine, { pair: { from: 'en', to: 'de' }, beams: 1, onAttention: (id) => told.push(id) });
    const unit = (await translator('Hello.', undefined)) as UnitTranslation;
    assert.equal(unit.target, 'HELLO.');
    assert.deepEqual(told, [7]);
    assert.deepEqual(engine.asked, []);
    assert.equal(await unit.crossAttention?.(), captured);
    assert.deepEqual(engine.asked, [7]);
  });
});
