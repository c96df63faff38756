// Segmentation: pieces always concatenate back to the input; units are trimmed single lines;
// sentence boundaries respect abbreviations, ordinals, placeholders and URLs; overlong sentences
// are cut at clause punctuation or whitespace, never inside a protected span.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { segment, type Piece } from '../../../src/translate/segment';
import { covers } from '../../../src/translate/spans';

const units = (pieces: readonly Piece[]): string[] => pieces.flatMap((p) => (p.kind === 'unit' ? [p.text] : []));
const join = (pieces: readonly Piece[]): string => pieces.map((p) => p.text).join('');

const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('a', 'B', ' ', '.', '!', '\n', '\r', '\t', '%', 's', '{', '}', '0', '<', '>', '`', 'ü', '😀', '\u0301'), maxLength: 200 }),
);

describe('segment', () => {
  it('pieces concatenate back to the input, units are non-empty trimmed lines', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 8, max: 120 }), (text, maxUnitChars) => {
        const pieces = segment(text, [], { maxUnitChars });
        assert.equal(join(pieces), text);
        for (const piece of pieces) {
          if (piece.kind !== 'unit') continue;
          assert.ok(piece.text.length > 0);
          assert.ok(!/^\s/.test(piece.text) || covers(piece.protected, 0), JSON.stringify(piece.text));
          assert.ok(!/\s$/.test(piece.text) || covers(piece.protected, piece.text.length - 1), JSON.stringify(piece.text));
          for (const m of piece.text.matchAll(/[\r\n]/g)) assert.ok(covers(piece.protected, m.index), JSON.stringify(piece.text));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('splits sentences but not after abbreviations, initials or ordinals', () => {
    assert.deepEqual(units(segment('Hello world. This is Dr. Smith, e.g. a doctor! Is it? Yes.')), [
      'Hello world.',
      'This is Dr. Smith, e.g. a doctor!',
      'Is it?',
      'Yes.',
    ]);
    assert.deepEqual(units(segment('Am 1. Januar kommt er, z.B. mit J. Müller. Dann geht er.')), [
      'Am 1. Januar kommt er, z.B. mit J. Müller.',
      'Dann geht er.',
    ]);
    assert.deepEqual(units(segment('version 1.2.3 is out. see https://example.com/a.b. Next one.')), [
      'version 1.2.3 is out. see https://example.com/a.b.',
      'Next one.',
    ]);
  });

  it('keeps line structure and whitespace as kept pieces', () => {
    const pieces = segment('  First line.  \r\n\n\tSecond line.');
    assert.deepEqual(pieces, [
      { kind: 'keep', text: '  ' },
      { kind: 'unit', text: 'First line.', protected: [] },
      { kind: 'keep', text: '  \r\n\n\t' },
      { kind: 'unit', text: 'Second line.', protected: [] },
    ]);
  });

  it('does not translate symbol-only runs', () => {
    assert.deepEqual(units(segment('--- 42 %s {0} ---\n* * *')), []);
  });

  it('cuts an overlong sentence at a comma, then at whitespace, never inside a placeholder', () => {
    const text = 'one two three four, five six seven eight nine ten eleven twelve https://example.com/a/very/long/path end';
    const pieces = segment(text, [], { maxUnitChars: 30 });
    assert.equal(join(pieces), text);
    const got = units(pieces);
    assert.equal(got[0], 'one two three four,');
    assert.ok(got.every((u) => u.length <= 30 || u.includes('https://example.com/a/very/long/path')), JSON.stringify(got));
    assert.ok(pieces.some((p) => p.text.includes('https://example.com/a/very/long/path')), 'the URL is not cut');
  });

  it('does not end a sentence after any listed abbreviation, but does after other words', () => {
    const abbreviations = [
      'Mr', 'Mrs', 'Ms', 'Dr', 'Prof', 'St', 'vs', 'etc', 'e.g', 'i.e', 'cf', 'Fig', 'No', 'Nos', 'Vol',
      'Jr', 'Sr', 'Inc', 'Ltd', 'Co', 'Corp', 'approx', 'Dept', 'est', 'Jan', 'Feb', 'Mar', 'Apr', 'Jun',
      'Jul', 'Aug', 'Sep', 'Sept', 'Oct', 'Nov', 'Dec', 'z.B', 'bzw', 'usw', 'ca', 'Nr', 'vgl', 'd.h',
      'u.a', 'ggf', 'inkl', 'evtl', 'sog', 'bspw', 'Abs', 'allg', 'Hr', 'Fr', 'Str', 'Tel', 'u.U', 'o.ä',
      's', 'z.T', 'i.d.R', 'U.S', 'U.K', 'a.m', 'p.m',
    ];
    for (const abbreviation of abbreviations) {
      assert.deepEqual(
        units(segment(`See ${abbreviation}. Bauer today. Then leave.`)),
        [`See ${abbreviation}. Bauer today.`, 'Then leave.'],
        abbreviation,
      );
    }
    assert.deepEqual(units(segment('See Bob. Bauer today.')), ['See Bob.', 'Bauer today.']);
  });

  it('checks for an abbreviation only after a single full stop', () => {
    // "?" and "!" end a sentence after a number, a letter or "no"; an ellipsis after a number too.
    assert.deepEqual(units(segment('Is it 42? Yes or no? No, thanks. Plan B! Go.')), [
      'Is it 42?',
      'Yes or no?',
      'No, thanks.',
      'Plan B!',
      'Go.',
    ]);
    assert.deepEqual(units(segment('She counted "1, 2, 3..." Then she stopped.')), ['She counted "1, 2, 3..."', 'Then she stopped.']);
    // A closing bracket after an abbreviation's dot does not make it a sentence end.
    assert.deepEqual(units(segment('Costs (approx.) 20 EUR per day.')), ['Costs (approx.) 20 EUR per day.']);
  });

  it('reads ordinals as whole numbers and not versions, words with digits or brackets', () => {
    assert.deepEqual(units(segment('It works (mostly). Then it fails.')), ['It works (mostly).', 'Then it fails.']);
    assert.deepEqual(units(segment('The release is planned for Q3. Then we ship.')), ['The release is planned for Q3.', 'Then we ship.']);
    assert.deepEqual(units(segment('Update to version 2.0. Then restart.')), ['Update to version 2.0.', 'Then restart.']);
    assert.deepEqual(units(segment('Am 24. Dezember fahren wir.')), ['Am 24. Dezember fahren wir.']);
  });

  it('neither breaks lines nor ends sentences inside a protected span', () => {
    assert.deepEqual(segment('Text <!-- first\nsecond --> more.'), [
      { kind: 'unit', text: 'Text <!-- first\nsecond --> more.', protected: [{ start: 5, end: 26 }] },
    ]);
    assert.deepEqual(segment('Text <!-- TODO. Fix --> more. Next one.'), [
      { kind: 'unit', text: 'Text <!-- TODO. Fix --> more.', protected: [{ start: 5, end: 23 }] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'Next one.', protected: [] },
    ]);
    // String escapes: a line continuation, C's `\?`, a trailing escaped space.
    assert.deepEqual(segment('First part \\\nsecond part.', [{ start: 11, end: 13 }]), [
      { kind: 'unit', text: 'First part \\\nsecond part.', protected: [{ start: 11, end: 13 }] },
    ]);
    assert.deepEqual(segment('Really\\? Yes.', [{ start: 6, end: 8 }]), [
      { kind: 'unit', text: 'Really\\? Yes.', protected: [{ start: 6, end: 8 }] },
    ]);
    assert.deepEqual(segment('Name:\\ ', [{ start: 5, end: 7 }]), [{ kind: 'unit', text: 'Name:\\ ', protected: [{ start: 5, end: 7 }] }]);
  });

  it('cuts only sentences longer than the limit, each measured from its own start', () => {
    const text = 'First part, second part. Third part, fourth part.';
    assert.deepEqual(units(segment(text, [], { maxUnitChars: 24 })), ['First part, second part.', 'Third part, fourth part.']);
    assert.deepEqual(units(segment(text, [], { maxUnitChars: 23 })), ['First part,', 'second part.', 'Third part,', 'fourth part.']);
  });

  it('cuts at the last clause punctuation, else the last whitespace, inside the limit', () => {
    assert.deepEqual(segment('one, two, three, four, five, six, seven', [], { maxUnitChars: 15 }), [
      { kind: 'unit', text: 'one, two,', protected: [] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'three, four,', protected: [] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'five, six,', protected: [] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'seven', protected: [] },
    ]);
    assert.deepEqual(segment('one two three four five six seven', [], { maxUnitChars: 15 }), [
      { kind: 'unit', text: 'one two three', protected: [] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'four five six', protected: [] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'seven', protected: [] },
    ]);
    // Commas and spaces inside a comment or a tag are not cut points.
    assert.deepEqual(segment('Read <!-- note, draft --> the rest of it now', [], { maxUnitChars: 20 }), [
      { kind: 'unit', text: 'Read', protected: [] },
      { kind: 'keep', text: ' <!-- note, draft --> ' },
      { kind: 'unit', text: 'the rest of it now', protected: [] },
    ]);
    assert.deepEqual(segment('Open the <a href="x" title="y">link</a> now please', [], { maxUnitChars: 20 }), [
      { kind: 'unit', text: 'Open the', protected: [] },
      { kind: 'keep', text: ' <a href="x" title="y">' },
      { kind: 'unit', text: 'link</a> now please', protected: [{ start: 4, end: 8 }] },
    ]);
  });

  it('cuts text without spaces hard, but not inside a placeholder or a surrogate pair', () => {
    assert.deepEqual(segment('这是一个很长的句子%1$s没有空格的文本内容', [], { maxUnitChars: 10 }), [
      { kind: 'unit', text: '这是一个很长的句子', protected: [] },
      { kind: 'unit', text: '%1$s没有空格的文', protected: [{ start: 0, end: 4 }] },
      { kind: 'unit', text: '本内容', protected: [] },
    ]);
    // The limit falls right after a placeholder: cut there.
    assert.deepEqual(segment('文件%1$s无法打开', [], { maxUnitChars: 6 }), [
      { kind: 'unit', text: '文件%1$s', protected: [{ start: 2, end: 6 }] },
      { kind: 'unit', text: '无法打开', protected: [] },
    ]);
    // A placeholder longer than the limit at the start of the sentence is cut after.
    assert.deepEqual(segment('%(filename)s文件无法打开', [], { maxUnitChars: 8 }), [
      { kind: 'keep', text: '%(filename)s' },
      { kind: 'unit', text: '文件无法打开', protected: [] },
    ]);
    assert.deepEqual(units(segment('文件😀无法打开文件', [], { maxUnitChars: 3 })), ['文件', '😀无', '法打开', '文件']);
    // A placeholder beyond the limit does not move the cut.
    assert.deepEqual(segment('无法打开文件%s，请重试', [], { maxUnitChars: 3 }), [
      { kind: 'unit', text: '无法打', protected: [] },
      { kind: 'unit', text: '开文件', protected: [] },
      { kind: 'keep', text: '%s，' },
      { kind: 'unit', text: '请重试', protected: [] },
    ]);
    // No cut possible at all: the sentence stays whole rather than looping on an empty cut.
    assert.deepEqual(segment('😀😀', [], { maxUnitChars: 1 }), [{ kind: 'keep', text: '😀😀' }]);
    assert.deepEqual(segment(' abcdefgh ijk', [{ start: 0, end: 1 }], { maxUnitChars: 5 }), [
      { kind: 'unit', text: ' abcd', protected: [{ start: 0, end: 1 }] },
      { kind: 'unit', text: 'efgh', protected: [] },
      { kind: 'keep', text: ' ' },
      { kind: 'unit', text: 'ijk', protected: [] },
    ]);
  });
});
