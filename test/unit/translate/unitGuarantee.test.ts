// One unit through a fake model, each rung of the placeholder guarantee in turn: masks copied
// whole, masks repaired by cross-attention, the runs between placeholders translated one by one
// (translated, never the source handed back), and the source kept only when nothing else holds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAbortError } from '../../../src/engine/errors';
import type { TranslationAttention } from '../../../src/engine/types';
import { joinParts, mask } from '../../../src/translate/placeholders';
import type { PlannedUnit, UnitTranslation } from '../../../src/translate/pipeline';
import { describeReport, placeholderMultiset, translateUnit } from '../../../src/translate/unitGuarantee';
import { handAttention } from './handAttention';

function unit(text: string): PlannedUnit {
  return { text, protected: [], masked: mask(text) };
}

/** A model that knows a fixed set of inputs; it records what it was asked, and refuses the rest. */
function fakeModel(answers: Readonly<Record<string, string | UnitTranslation>>) {
  const asked: string[] = [];
  const translate = async (text: string): Promise<string | UnitTranslation> => {
    asked.push(text);
    const answer = answers[text];
    if (answer === undefined) throw new Error(`the fake model was not expected to translate ${JSON.stringify(text)}`);
    return answer;
  };
  return { asked, translate };
}

async function run(text: string, answers: Readonly<Record<string, string | UnitTranslation>>, signal?: AbortSignal) {
  const model = fakeModel(answers);
  const translated = await translateUnit(unit(text), model.translate, signal);
  return { ...translated, text: joinParts(translated.parts, (t) => t), asked: model.asked };
}

describe('translateUnit: the placeholder guarantee', () => {
  it('puts back masks the model copied (moved, broken braces) and reports nothing', async () => {
    const out = await run('Open %s in {0} now', { 'Open {0} in {1} now': 'In { 1 } jetzt {0 öffnen' });
    assert.equal(out.text, 'In {0} jetzt %s öffnen');
    assert.equal(out.report, undefined);
    assert.deepEqual(out.asked, ['Open {0} in {1} now']);
  });

  it('repairs a dropped mask from the cross-attention, without translating anything again', async () => {
    const source = 'Could not open %s: {0}';
    const masked = 'Could not open {0}: {1}';
    const output = '{0} konnte nicht geöffnet werden:';
    const fetched: string[] = [];
    const crossAttention = async (): Promise<TranslationAttention> => {
      fetched.push(output);
      return handAttention(masked, output, [['{0}:'], ['Could'], ['not'], ['open'], ['{1}', '{0}:']]);
    };
    const out = await run(source, { [masked]: { target: output, crossAttention } });
    assert.equal(out.text, '%s konnte nicht geöffnet werden: {0}');
    assert.deepEqual(out.asked, [masked]);
    assert.deepEqual(fetched, [output]);
    assert.deepEqual(out.report, {
      source,
      result: '%s konnte nicht geöffnet werden: {0}',
      repairs: [{ placeholder: '{0}', action: 'restored' }],
      strayRemoved: [],
    });
  });

  it('fetches no attention when the masks came through', async () => {
    let fetched = 0;
    const crossAttention = async (): Promise<TranslationAttention | undefined> => {
      fetched += 1;
      return undefined;
    };
    const out = await run('Open %s now', { 'Open {0} now': { target: '{0} jetzt öffnen', crossAttention } });
    assert.equal(out.text, '%s jetzt öffnen');
    assert.equal(fetched, 0, 'an attention fetch runs the decoder again');
  });

  it('keeps every space of the source around the runs it translates one by one', async () => {
    const out = await run('Open %s  now', { 'Open {0}  now': 'Öffne jetzt', Open: 'Öffne', now: 'jetzt' });
    assert.equal(out.text, 'Öffne %s  jetzt');
  });

  it('without attention, translates the runs between the placeholders one by one: the words are the model’s, not the source’s', async () => {
    const out = await run('Open %s in {0} now.', {
      'Open {0} in {1} now.': 'Öffne {0} jetzt.', // {1} dropped, and no attention to repair it
      Open: 'Öffne',
      in: 'in',
      'now.': 'jetzt.',
    });
    assert.equal(out.text, 'Öffne %s in {0} jetzt.');
    assert.deepEqual(out.asked, ['Open {0} in {1} now.', 'Open', 'in', 'now.']);
    assert.equal(out.report?.fallback, 'between-placeholders');
    assert.equal(out.report?.result, 'Öffne %s in {0} jetzt.');
    assert.deepEqual(
      out.parts.map((p) => p.kind),
      ['translated', 'verbatim', 'verbatim', 'verbatim', 'translated', 'verbatim', 'verbatim', 'verbatim', 'translated'],
    );
  });

  it('falls back between the placeholders when the attention is missing or belongs to another translation', async () => {
    for (const crossAttention of [async () => undefined, async () => handAttention('Something else {0}', 'Etwas anderes', [['Something'], ['else']])]) {
      const out = await run('Delete %s files', { 'Delete {0} files': { target: 'Dateien löschen', crossAttention }, Delete: 'Lösche', files: 'Dateien' });
      assert.equal(out.text, 'Lösche %s Dateien');
      assert.equal(out.report?.fallback, 'between-placeholders');
    }
  });

  it('keeps runs without letters as they are, and a run the model returns empty as its source', async () => {
    const out = await run('{0}: 42 %s Save', { '{0}: 42 {1} Save': '{0}: 42', Save: '  ' });
    assert.equal(out.text, '{0}: 42 %s Save');
    assert.deepEqual(out.asked, ['{0}: 42 {1} Save', 'Save']);
    assert.equal(out.report?.fallback, 'between-placeholders');
  });

  it('removes placeholder-like text the model wrote by itself, with the space before it', async () => {
    const out = await run('Save the file.', { 'Save the file.': 'Datei %s speichern {7}.' });
    assert.equal(out.text, 'Datei speichern.');
    assert.deepEqual(out.report, { source: 'Save the file.', result: 'Datei speichern.', repairs: [], strayRemoved: ['{7}', '%s'] });
    const leading = await run('Save the file.', { 'Save the file.': '%d Datei speichern.' });
    assert.equal(leading.text, 'Datei speichern.', 'a stray placeholder at the start takes the space after it');
    assert.equal((await run('Save the file.', { 'Save the file.': '%dDatei speichern.' })).text, 'Datei speichern.', 'and no letter when no space follows');
    assert.equal((await run('Save the file.', { 'Save the file.': 'Datei%s speichern.' })).text, 'Dateispeichern.', 'glued to a word before it, it takes the space after it');
  });

  it('keeps the source only when even the runs between placeholders would change its placeholders', async () => {
    // "Hallo$" glued to "{name}" makes "${name}": another placeholder than the source's.
    const out = await run('Hello{name}', { 'Hello{0}': 'Hallo', Hello: 'Hallo$' });
    assert.equal(out.text, 'Hello{name}');
    assert.deepEqual(out.parts, [{ kind: 'verbatim', text: 'Hello{name}' }]);
    assert.deepEqual(out.report, { source: 'Hello{name}', result: 'Hello{name}', repairs: [], strayRemoved: [], fallback: 'source-kept' });
  });

  it('keeps the source, without a report, when the model writes nothing but whitespace', async () => {
    const out = await run('Open %s now', { 'Open {0} now': ' \n ' });
    assert.deepEqual(out.parts, [{ kind: 'verbatim', text: 'Open %s now' }]);
    assert.equal(out.report, undefined);
  });

  it('writes a multi-line answer on one line', async () => {
    const out = await run('Open %s now', { 'Open {0} now': '{0}\n  jetzt\r\n öffnen ' });
    assert.equal(out.text, '%s jetzt öffnen');
  });

  it('checks the signal before each run between the placeholders', async () => {
    const controller = new AbortController();
    const model = fakeModel({ 'Open {0} now': 'Öffne jetzt', Open: 'Öffne', now: 'jetzt' });
    const translate = async (text: string) => {
      const answer = await model.translate(text);
      if (text === 'Open') controller.abort();
      return answer;
    };
    await assert.rejects(translateUnit(unit('Open %s now'), translate, controller.signal), (e: unknown) => isAbortError(e));
    assert.deepEqual(model.asked, ['Open {0} now', 'Open']);
  });
});

describe('placeholderMultiset', () => {
  it('lists the placeholders of a text sorted, repeats included', () => {
    assert.deepEqual(placeholderMultiset('{1} and %s, then {1} and %d'), ['%d', '%s', '{1}', '{1}']);
    assert.deepEqual(placeholderMultiset('No placeholders here.'), []);
  });
});

describe('describeReport', () => {
  it('names each repair, each stray placeholder removed and the fallback, in one line', () => {
    const line = describeReport({
      source: 'Open %s in {0}',
      result: 'Öffne %s in {0}',
      repairs: [
        { placeholder: '%s', action: 'restored' },
        { placeholder: '{0}', action: 'removed-duplicate' },
        { placeholder: '{5}', action: 'removed-invented' },
      ],
      strayRemoved: ['%d'],
      fallback: 'between-placeholders',
    });
    assert.equal(
      line,
      'placeholders repaired in "Open %s in {0}": %s put back (the model dropped it); {0} removed a second copy; {5} removed (not in the source); ' +
        '%d removed (written by the model, not in the source); translated the text between the placeholders one run at a time → "Öffne %s in {0}"',
    );
    assert.equal(
      describeReport({ source: 'a{x}', result: 'a{x}', repairs: [], strayRemoved: [], fallback: 'source-kept' }),
      'placeholders repaired in "a{x}": kept the source text (its placeholders could not be guaranteed otherwise) → "a{x}"',
    );
  });
});
