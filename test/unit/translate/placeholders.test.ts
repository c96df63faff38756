// Placeholder masking and the whole text pipeline with fake translators: placeholders come out
// unchanged (even when the "model" drops, duplicates or invents masks), and line structure and
// surrounding whitespace are preserved exactly whatever the model does with spacing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { joinParts, mask, placeholderSpans, unmask, unmaskParts } from '../../../src/translate/placeholders';
import { translateRegions, type UnitTranslator } from '../../../src/translate/pipeline';
import type { TranslatableRegion } from '../../../src/translate/regions';

const PLACEHOLDERS = [
  '%s', '%d', '%1$s', '%2$d', '%5.2f', '%(count)d', '%@', '{0}', '{1}', '{name}', '{user.id}', '{0:.2f}', '{}',
  '${name}', '${user.name}', '{{ title }}', '<b>', '</b>', '<a href="https://x.org/?a=1&b=2">', '<br/>', '&amp;', '&#8230;',
  '`npm test`', '`a < b`', 'https://example.com/docs?page=2', 'mailto:dev@example.org', 'dev@example.org', '<!-- note -->',
];

function prose(text: string): TranslatableRegion[] {
  return [{ start: 0, end: text.length, protected: [], context: { kind: 'prose' } }];
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n += 1;
  return n;
}

/** A "German" word for an English one: letters only, so it can never look like a placeholder. */
function fakeWord(word: string): string {
  return `${[...word].reverse().join('').toLowerCase()}en`;
}

/** Translates word by word, and moves the first token to the end (verb-final German, roughly). */
const reorderingTranslator: UnitTranslator = async (text) => {
  const tokens = text.split(/\s+/).filter((t) => t !== '').map((t) => t.replace(/[A-Za-z]+/g, fakeWord));
  if (tokens.length > 1) tokens.push(tokens.shift() as string);
  return tokens.join(' ');
};

const word = fc.stringMatching(/^[A-Za-z]{1,8}$/);
const fragment = fc
  .tuple(fc.oneof({ weight: 5, arbitrary: word }, { weight: 3, arbitrary: fc.constantFrom(...PLACEHOLDERS) }), fc.constantFrom('', '', '', '.', ',', '!', '?', ':'))
  .map(([f, punctuation]) => f + punctuation);
const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\r\n', ' \n  ', '\n\n');
/** Prose lines with placeholders, odd whitespace and line breaks at both ends. */
const textArb = fc
  .tuple(fc.constantFrom('', ' ', '\n', '\t '), fc.array(fc.tuple(fragment, separator), { minLength: 1, maxLength: 30 }))
  .map(([lead, parts]) => lead + parts.map(([f, s]) => f + s).join(''));

function placeholderCounts(text: string): Map<string, number> {
  return new Map(PLACEHOLDERS.map((p) => [p, count(text, p)]));
}

function lineShape(text: string): { breaks: string[]; lines: { lead: string; trail: string }[] } {
  const breaks = text.match(/\r\n|\n|\r/g) ?? [];
  const lines = text.split(/\r\n|\n|\r/).map((line) => ({ lead: /^\s*/.exec(line)?.[0] ?? '', trail: line.trim() === '' ? '' : /\s*$/.exec(line)?.[0] ?? '' }));
  return { breaks, lines };
}

describe('placeholder spans', () => {
  it('finds each placeholder family whole', () => {
    for (const p of PLACEHOLDERS) {
      const text = `Before ${p} after.`;
      const spans = placeholderSpans(text);
      assert.equal(spans.length, 1, `${p}: ${JSON.stringify(spans)}`);
      assert.equal(text.slice(spans[0]?.start, spans[0]?.end), p);
    }
  });

  it('leaves plain prose, percentages and braces with spaces alone', () => {
    for (const text of ['Done: 100% sure.', 'Use {see below} here.', 'a < b and c > d', '50% off today', 'Save the file.']) {
      assert.deepEqual(placeholderSpans(text), [], text);
    }
  });

  it('keeps sentence punctuation out of a URL but a parenthesis the URL opened in it', () => {
    const text = 'See https://en.wikipedia.org/wiki/Foo_(bar). Or https://example.com/x, then.';
    const found = placeholderSpans(text).map((s) => text.slice(s.start, s.end));
    assert.deepEqual(found, ['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://example.com/x']);
  });

  it('finds the long and rare forms of each family exactly', () => {
    const cases: [string, string[]][] = [
      ['Run ``a `b` c`` now', ['``a `b` c``']],
      ['Visit www.example.com/docs today', ['www.example.com/docs']],
      ['Write to dev@mail.example.org.', ['dev@mail.example.org']],
      ['Dots &#x2026; here', ['&#x2026;']],
      ['Call ${f({ab})} now', ['${f({ab})}']],
      ['Ratio %(value).25f and %(n).2f', ['%(value).25f', '%(n).2f']],
      ['Item %12$s is %10d wide, %.10f', ['%12$s', '%10d', '%.10f']],
      ['Copy %1 to %12 now', ['%1', '%12']],
    ];
    for (const [text, expected] of cases) {
      assert.deepEqual(placeholderSpans(text).map((s) => text.slice(s.start, s.end)), expected, text);
    }
  });

  it('gives back all the punctuation that ends a URL, and a parenthesis only to a URL that opened one', () => {
    const cases: [string, string[]][] = [
      ['See https://example.com/x!?', ['https://example.com/x']],
      ['See (https://example.com/x).', ['https://example.com/x']],
      ['See https://example.com/Foo_(bar.', ['https://example.com/Foo_(bar']],
    ];
    for (const [text, expected] of cases) {
      assert.deepEqual(placeholderSpans(text).map((s) => text.slice(s.start, s.end)), expected, text);
    }
  });
});

describe('mask / unmask', () => {
  it('round-trips with moved masks and restores the glue of tags to words', () => {
    const masked = mask('Click <b>here</b> to open %1$s files, {name}!');
    assert.equal(masked.text, 'Click {0}here{1} to open {2} files, {3}!');
    assert.equal(
      unmask('Klicken Sie {0} hier {1}, um {2} Dateien zu öffnen, {3} !', masked),
      'Klicken Sie <b>hier</b>, um %1$s Dateien zu öffnen, {name}!',
    );
  });

  it('refuses a dropped, duplicated or invented mask', () => {
    const masked = mask('Hello %s and %d.');
    assert.equal(unmask('Hallo {0}.', masked), undefined);
    assert.equal(unmask('Hallo {0} und {0}.', masked), undefined);
    assert.equal(unmask('Hallo {0} und {2}.', masked), undefined);
    assert.equal(unmask('Hallo {1} und {0}.', masked), 'Hallo %d und %s.');
  });

  it('marks a placeholder glued only to text, not to the start or end of the text', () => {
    const masked = mask('%s and x%s');
    assert.deepEqual([masked.gluedBefore, masked.gluedAfter], [[false, true], [false, false]]);
  });

  it('puts back placeholders numbered with more than one digit', () => {
    const masked = mask(Array.from({ length: 11 }, (_, i) => `%${i + 1}`).join(' '));
    const translation = Array.from({ length: 11 }, (_, i) => `{${10 - i}}`).join(' ');
    assert.equal(unmask(translation, masked), Array.from({ length: 11 }, (_, i) => `%${11 - i}`).join(' '));
  });

  it('glues a longer tag to the word it wraps, in the translation too', () => {
    const masked = mask('Click <span class="k">here</span> now'); // "Click {0}here{1} now"
    assert.equal(unmask('Klicken Sie {0} hier {1} jetzt', masked), 'Klicken Sie <span class="k">hier</span> jetzt');
  });

  it('takes out only the spaces between a glued placeholder and the bracket before it or the punctuation after it', () => {
    const inBrackets = mask('Size (%s)');
    assert.equal(unmask('Größe ( {0})', inBrackets), 'Größe (%s)');
    assert.equal(unmask('Größe (  {0})', inBrackets), 'Größe (%s)');
    assert.equal(unmask('Größe ( ca. {0})', inBrackets), 'Größe ( ca. %s)');
    const exclaimed = mask('Open %s!');
    assert.equal(unmask('Öffne {0}  !', exclaimed), 'Öffne %s!');
    assert.equal(unmask('Öffne {0} jetzt !', exclaimed), 'Öffne %s jetzt !');
  });

  it('keeps the space the translation puts next to a placeholder the source did not glue, or glued to a word', () => {
    assert.equal(unmask('Größe ( {0} )', mask('Size ( %s )')), 'Größe ( %s )');
    assert.equal(unmask('Summe: {0}', mask('Total:%s')), 'Summe: %s');
  });

  it('returns the parts without empty model text, and joins them escaping the last one as the end of the region', () => {
    const parts = unmaskParts('{0} und {1}', mask('%s and %d'));
    assert.deepEqual(parts, [
      { kind: 'verbatim', text: '%s' },
      { kind: 'translated', text: ' und ' },
      { kind: 'verbatim', text: '%d' },
    ]);
    const ends = unmaskParts('Hallo {0} und Tschüss', mask('Hello %s and bye'));
    const mark = (text: string, atEnd: boolean) => (atEnd ? `${text}|` : text.toUpperCase());
    assert.equal(joinParts(ends, mark, true), 'HALLO %s und Tschüss|');
    assert.equal(joinParts(ends, mark), 'HALLO %s UND TSCHÜSS');
  });

  it('escapes only the model text, never the placeholders', () => {
    const masked = mask('Open <a href="x">it</a> now');
    assert.equal(unmask('Öffne "{0}es{1}" jetzt', masked, (t) => t.replace(/"/g, '\\"')), 'Öffne \\"<a href="x">es</a>\\" jetzt');
  });
});

describe('pipeline properties (fake translators)', () => {
  it('the identity translator returns the text unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(textArb, async (text) => {
        assert.equal(await translateRegions(text, prose(text), async (t) => t), text);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every placeholder through a reordering translator', async () => {
    await fc.assert(
      fc.asyncProperty(textArb, async (text) => {
        const out = await translateRegions(text, prose(text), reorderingTranslator);
        assert.deepEqual(placeholderCounts(out), placeholderCounts(text));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every placeholder when the model drops, duplicates or invents masks, or returns nothing', async () => {
    const mangle = (text: string, how: number): string => {
      switch (how) {
        case 0:
          return text.replace(/\{\d+\}/, ''); // drop the first mask
        case 1:
          return text.replace(/(\{\d+\})/, '$1 $1'); // duplicate it
        case 2:
          return `${text} {42}`; // invent one
        case 3:
          return ''; // nothing at all
        case 4:
          return `\n  ${text.replace(/ /g, '\n')}  \n`; // newlines and padding
        default:
          return text.replace(/[A-Za-z]+/g, fakeWord);
      }
    };
    await fc.assert(
      fc.asyncProperty(textArb, fc.func(fc.integer({ min: 0, max: 5 })), async (text, choose) => {
        const out = await translateRegions(text, prose(text), async (t) => mangle(t, choose(t)));
        assert.deepEqual(placeholderCounts(out), placeholderCounts(text));
        assert.deepEqual(lineShape(out), lineShape(text));
      }),
      { numRuns: 300 },
    );
  });

  it('preserves line breaks and each line\'s leading and trailing whitespace whatever the spacing of the output', async () => {
    const padding = fc.constantFrom('', ' ', '  ', '\n', ' \r\n ', '\t');
    await fc.assert(
      fc.asyncProperty(textArb, padding, padding, async (text, before, after) => {
        const out = await translateRegions(text, prose(text), async (t) => before + (await reorderingTranslator(t, undefined)) + after);
        assert.deepEqual(lineShape(out), lineShape(text));
      }),
      { numRuns: 300 },
    );
  });

  it('translates each distinct sentence once', async () => {
    const seen: string[] = [];
    const text = 'Save the file. Save the file.\nSave the file.';
    const out = await translateRegions(text, prose(text), async (t) => {
      seen.push(t);
      return 'Datei speichern.';
    });
    assert.deepEqual(seen, ['Save the file.']);
    assert.equal(out, 'Datei speichern. Datei speichern.\nDatei speichern.');
  });
});
