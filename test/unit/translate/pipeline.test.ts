// The text pipeline's own contract, with fake translators: regions may come in any order but must
// lie inside the text without overlapping, a sentence is translated once only when its text and
// its protected spans are both the same, and the translation that ends a triple-quoted string
// cannot end in a quote that would merge with the closing delimiter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan, translateRegions, type UnitTranslator } from '../../../src/translate/pipeline';
import type { RegionContext, TranslatableRegion } from '../../../src/translate/regions';
import type { Span } from '../../../src/translate/spans';

function region(start: number, end: number, protectedSpans: readonly Span[] = [], context: RegionContext = { kind: 'prose' }): TranslatableRegion {
  return { start, end, protected: protectedSpans, context };
}

/** Upper-cases the words; masks ({0}, {1}, …) come back as they went. Records what it was asked. */
function shouting(): UnitTranslator & { asked: string[] } {
  const asked: string[] = [];
  const translate = async (text: string) => {
    asked.push(text);
    return text.toUpperCase();
  };
  return Object.assign(translate, { asked });
}

describe('translation pipeline: regions', () => {
  it('translates regions given in any order, each in its place', async () => {
    const source = 'one. | two. | three.';
    const regions = [region(14, 20), region(0, 4), region(7, 11)];
    assert.equal(await translateRegions(source, regions, async (t) => t.toUpperCase()), 'ONE. | TWO. | THREE.');
  });

  it('accepts regions that touch and an empty region', async () => {
    const source = 'Hello world.';
    assert.equal(await translateRegions(source, [region(0, 6), region(6, 12)], async (t) => t.toUpperCase()), 'HELLO WORLD.');
    const translate = shouting();
    assert.equal(await translateRegions(source, [region(4, 4)], translate), source);
    assert.deepEqual(translate.asked, []);
  });

  it('refuses regions that overlap, leave the text or end before they start', () => {
    const source = 'Hello world.';
    assert.throws(() => plan(source, [region(0, 6), region(4, 12)]), {
      name: 'RangeError',
      message: 'translation regions overlap or leave the text: [4, 12)',
    });
    assert.throws(() => plan(source, [region(6, 13)]), { name: 'RangeError', message: 'translation regions overlap or leave the text: [6, 13)' });
    assert.throws(() => plan(source, [region(6, 3)]), { name: 'RangeError', message: 'translation regions overlap or leave the text: [6, 3)' });
  });
});

describe('translation pipeline: one translation per distinct unit', () => {
  it('translates a repeated sentence once and writes it everywhere', async () => {
    const source = 'Hello world.\nHello world.';
    const translate = shouting();
    assert.equal(await translateRegions(source, [region(0, 12), region(13, 25)], translate), 'HELLO WORLD.\nHELLO WORLD.');
    assert.deepEqual(translate.asked, ['Hello world.']);
  });

  it('translates the same sentence apart when different parts of it are protected', async () => {
    const source = 'Hello world.\nHello world.';
    const translate = shouting();
    const out = await translateRegions(source, [region(0, 12, [{ start: 0, end: 5 }]), region(13, 25, [{ start: 19, end: 24 }])], translate);
    assert.deepEqual(translate.asked, ['{0} world.', 'Hello {0}.']);
    assert.equal(out, 'Hello WORLD.\nHELLO world.');
  });

  it('does not mistake one list of protected spans for another that reads the same without separators', async () => {
    // Spans 0:1 and 120:130 against 0:11 and 20:130: both lists run together as "0:1120:130".
    const sentence = 'abcdefghij'.repeat(14);
    const source = `${sentence}\n${sentence}`;
    const second = sentence.length + 1;
    const translate = shouting();
    const out = await translateRegions(
      source,
      [
        region(0, sentence.length, [{ start: 0, end: 1 }, { start: 120, end: 130 }]),
        region(second, source.length, [{ start: second, end: second + 11 }, { start: second + 20, end: second + 130 }]),
      ],
      translate,
    );
    assert.equal(translate.asked.length, 2);
    assert.equal(
      out,
      `a${sentence.slice(1, 120).toUpperCase()}${sentence.slice(120, 130)}${sentence.slice(130).toUpperCase()}\n` +
        `${sentence.slice(0, 11)}${sentence.slice(11, 20).toUpperCase()}${sentence.slice(20, 130)}${sentence.slice(130).toUpperCase()}`,
    );
  });
});

describe('translation pipeline: the end of a triple-quoted string', () => {
  const docstring: RegionContext = { kind: 'string', quote: '"""', raw: false };

  it('escapes a quote that ends the last sentence, and only there', async () => {
    const source = 'One. Two.';
    const translations: Readonly<Record<string, string>> = { 'One.': 'Eins "a"', 'Two.': 'Zwei "b"' };
    const out = await translateRegions(source, [region(0, source.length, [], docstring)], async (t) => translations[t] ?? t);
    assert.equal(out, String.raw`Eins "a" Zwei "b\"`);
  });
});
