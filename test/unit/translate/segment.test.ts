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
});
