// Placeholder repair by cross-attention, on hand-made attention: a dropped mask goes beside the
// target token that attends to it, a second copy and an invented mask go, broken masks are
// written whole, and attention of another translation is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mask } from '../../../src/translate/placeholders';
import { canonicalMasks, repairMasks } from '../../../src/translate/repair';
import type { AttentionBlock, TokenSpan, TranslationAttention } from '../../../src/engine/types';
import { handAttention as attention } from './handAttention';

/** Spans of tokens written one after another. */
function spans(pieces: readonly string[]): TokenSpan[] {
  let at = 0;
  return pieces.map((text, id) => {
    const span = { id, text, start: at, end: at + text.length };
    at = span.end;
    return span;
  });
}

/**
 * Cross-attention over explicit tokens (the texts are the tokens joined, as byte-level vocabularies
 * decode): weights[row][key] for target token `row` and source token `key`; one layer, one head.
 */
function tokenAttention(source: readonly string[], target: readonly string[], weights: readonly (readonly number[])[]): TranslationAttention {
  const data = new Float32Array(target.length * source.length);
  weights.forEach((row, r) => row.forEach((w, k) => (data[r * source.length + k] = w)));
  const cross: AttentionBlock = { layers: [0], heads: [0], rows: target.map((_, i) => i), keys: source.length, layerData: [data] };
  return { id: 1, sourceTokens: spans(source), targetTokens: spans(target), sourceText: source.join(''), targetText: target.join(''), cross, totalLayers: 1, totalHeads: 1 };
}

describe('repairMasks', () => {
  it('puts a dropped mask after the target word that attends to it and to the text before it', () => {
    const masked = mask('Could not open %s: {0}'); // "Could not open {0}: {1}"
    const output = '{0} konnte nicht geöffnet werden:';
    const cross = attention(masked.text, output, [['{0}:'], ['Could'], ['not'], ['open'], ['{1}', '{0}:']]);
    const repaired = repairMasks(output, masked, cross);
    assert.equal(repaired?.text, '{0} konnte nicht geöffnet werden: {1}');
    assert.deepEqual(repaired?.repairs, [{ placeholder: '{0}', action: 'restored' }]);
  });

  it('puts a dropped mask before a target word that attends to it and to the text after it', () => {
    const masked = mask('Delete %s files from {0} now'); // "Delete {0} files from {1} now"
    const output = '{0} Dateien jetzt löschen';
    const cross = attention(masked.text, output, [['{0}'], ['files'], ['{1}', 'now'], ['Delete']]);
    assert.equal(repairMasks(output, masked, cross)?.text, '{0} Dateien {1} jetzt löschen');
  });

  it('keeps the copy of a doubled mask that attends to its source, and removes an invented one', () => {
    const masked = mask('Open %s now'); // "Open {0} now"
    const output = '{0} jetzt {0} öffnen {7}';
    const cross = attention(masked.text, output, [['now'], ['now'], ['{0}'], ['Open'], ['now']]);
    const repaired = repairMasks(output, masked, cross);
    assert.equal(repaired?.text, 'jetzt {0} öffnen');
    assert.deepEqual(repaired?.repairs, [
      { placeholder: '{7}', action: 'removed-invented' },
      { placeholder: '%s', action: 'removed-duplicate' },
    ]);
  });

  it('refuses attention that belongs to another translation', () => {
    const masked = mask('Open %s now');
    const cross = attention(masked.text, 'etwas anderes', [['Open'], ['now']]);
    assert.equal(repairMasks('{0} jetzt öffnen', masked, cross), undefined);
    assert.equal(repairMasks('{0} jetzt öffnen', mask('Close %s now'), attention('Open {0} now', '{0} jetzt öffnen', [[], [], []])), undefined);
  });

  it('keeps the first of equally attending copies, and the copy whose tokens attend most on average', () => {
    const masked = mask('Open %s now'); // "Open {0} now"
    const output = '{0} jetzt {0} öffnen';
    assert.equal(repairMasks(output, masked, attention(masked.text, output, []))?.text, '{0} jetzt öffnen');
    // The first copy is split in two tokens that attend 0.5 each, the second one token at 0.8.
    const split = tokenAttention(['>>de<< ', 'Open', ' {0}', ' now'], ['{', '0}', ' jetzt', ' {0}', ' öffnen'], [
      [0, 0, 0.5, 0],
      [0, 0, 0.5, 0],
      [0, 0, 0, 1],
      [0, 0, 0.8, 0],
      [0, 1, 0, 0],
    ]);
    assert.equal(repairMasks(output, masked, split)?.text, 'jetzt {0} öffnen');
  });

  it('scores a copy that no target token spells as 0, so a copy that attends is kept over it', () => {
    const masked = mask('Open %s now');
    // The token spans leave out the first "{0}" (as a tokenizer's offsets may).
    const base = tokenAttention(['>>de<< ', 'Open', ' {0}', ' now'], [' jetzt', ' {0}'], [
      [0, 0, 0, 1],
      [0, 0, 1, 0],
    ]);
    const targetTokens = base.targetTokens.map((t) => ({ ...t, start: t.start + 3, end: t.end + 3 }));
    const repaired = repairMasks('{0} jetzt {0}', masked, { ...base, targetText: '{0} jetzt {0}', targetTokens });
    assert.equal(repaired?.text, 'jetzt {0}');
  });

  it('writes a kept mask whole that the model broke while it restores another', () => {
    const masked = mask('Copy %s to %s'); // "Copy {0} to {1}"
    const output = 'Kopiere { 0 } nach';
    const cross = attention(masked.text, output, [['Copy'], [], ['{0}'], [], ['to', '{1}']]);
    assert.equal(repairMasks(output, masked, cross)?.text, 'Kopiere {0} nach {1}');
  });

  it('removes a whole mask numbered like the mask count as invented', () => {
    const masked = mask('Open %s now'); // one mask: {1} is invented
    const output = '{0} jetzt {1} öffnen';
    const repaired = repairMasks(output, masked, attention(masked.text, output, []));
    assert.equal(repaired?.text, '{0} jetzt öffnen');
    assert.deepEqual(repaired?.repairs, [{ placeholder: '{1}', action: 'removed-invented' }]);
  });

  it('removes a mask with the space before it, else the space after it, and no other character', () => {
    const masked = mask('Open %s now');
    const repair = (output: string) => repairMasks(output, masked, attention(masked.text, output, []))?.text;
    assert.equal(repair('{0} öffnen{7}.'), '{0} öffnen.');
    assert.equal(repair('{0} öffnen {7}.'), '{0} öffnen.');
    assert.equal(repair('{7}{0} öffnen'), '{0} öffnen');
    // With braces of its own in the source, braces in the output are kept: the whole mask must go.
    const braced = mask('Open %s now {'); // "Open {0} now {"
    const repairBraced = (output: string) => repairMasks(output, braced, attention(braced.text, output, []))?.text;
    assert.equal(repairBraced('{0} a {7} b'), '{0} a b');
    assert.equal(repairBraced('{7} {0} b'), '{0} b');
    assert.equal(repairBraced('{0} a { b'), '{0} a { b');
  });

  it('puts a dropped mask beside the first of the untaken tokens that attend to it equally', () => {
    const masked = mask('Copy %s to %s'); // "Copy {0} to {1}"
    const output = 'nach {0} kopieren'; // "{0}" also attends to {1}, but it is a kept mask
    const cross = attention(masked.text, output, [['to'], ['{0}', '{1}'], ['Copy']]);
    assert.equal(repairMasks(output, masked, cross)?.text, 'nach {1} {0} kopieren');
  });

  it('puts a dropped mask beside the token that attends to it most, not the last that attends at all', () => {
    const masked = mask('Copy %s to %s');
    const output = '{0} nach kopieren';
    const cross = attention(masked.text, output, [['{0}'], ['{1}'], ['{1}', 'Copy']]);
    assert.equal(repairMasks(output, masked, cross)?.text, '{0} nach {1} kopieren');
  });

  it('puts two dropped masks that go to the same point there in mask order', () => {
    const masked = mask('%s and %s'); // "{0} and {1}"
    const cross = attention(masked.text, 'Alles', [['>>de<<', '{0}', 'and', '{1}']]);
    assert.equal(repairMasks('Alles', masked, cross)?.text, 'Alles {0} {1}');
  });

  it('puts a dropped mask at the end when the output is nothing but other masks', () => {
    const masked = mask('%s %s now'); // "{0} {1} now"
    const cross = attention(masked.text, '{0}', [['now']]);
    assert.equal(repairMasks('{0}', masked, cross)?.text, '{0} {1}');
  });

  it('puts a dropped mask on the side of the source text just outside its tokens that the target token attends to more', () => {
    const masked = mask('%s files'); // "{0} files", the mask read as two tokens "{" and "0}"
    const source = ['>>de<< ', '{', '0}', ' files'];
    assert.equal(repairMasks('Dateien', masked, tokenAttention(source, ['Dateien'], [[0.6, 0, 0, 0.4]]))?.text, 'Dateien {0}');
    assert.equal(repairMasks('Dateien', masked, tokenAttention(source, ['Dateien'], [[0.4, 0, 0, 0.6]]))?.text, '{0} Dateien');
    // A mask at the very start of the source has nothing before it: then after, when the token attends to neither side.
    assert.equal(repairMasks('Dateien', masked, tokenAttention(['{0}', ' files'], ['Dateien'], [[0, 0]]))?.text, 'Dateien {0}');
  });

  it('reads target offsets after the leading space a byte-level vocabulary decodes', () => {
    const masked = mask('%s files');
    const source = ['>>de<< ', '{', '0}', ' files'];
    assert.equal(repairMasks('Dateien', masked, tokenAttention(source, [' Dateien'], [[0.4, 0, 0, 0.6]]))?.text, '{0} Dateien');
    const two = mask('%s in %s'); // "{0} in {1}"
    const cross = tokenAttention(['>>de<< ', '{0}', ' in', ' {1}'], [' Dateien', ' in', ' {0}'], [
      [0, 0, 0, 1],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
    ]);
    assert.equal(repairMasks('Dateien in {0}', two, cross)?.text, 'Dateien {1} in {0}');
  });

  it('averages the attention over heads', () => {
    const masked = mask('%s files'); // "{0} files"
    const base = tokenAttention(['>>de<< ', '{0}', ' files'], ['Alle', ' Dateien'], []);
    // Head 0 attends nowhere; head 1 has " Dateien" attend to the mask and more to the text before it.
    const heads = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0.5, 0.2]);
    const cross: AttentionBlock = { ...base.cross, heads: [0, 1], layerData: [heads] };
    assert.equal(repairMasks('Alle Dateien', masked, { ...base, cross })?.text, 'Alle Dateien {0}');
  });

  it('refuses attention whose blocks do not match its tokens', () => {
    const masked = mask('%s files');
    const base = tokenAttention(['>>de<< ', '{0}', ' files'], ['Alle', ' Dateien'], [
      [0, 1, 0],
      [0, 0, 1],
    ]);
    assert.equal(repairMasks('Alle Dateien', masked, base)?.text, 'Alle {0} Dateien');
    const refused = (cross: AttentionBlock) => repairMasks('Alle Dateien', masked, { ...base, cross });
    assert.equal(refused({ ...base.cross, layerData: [] }), undefined);
    assert.equal(refused({ ...base.cross, heads: [], layerData: [new Float32Array(0)] }), undefined);
    assert.equal(refused({ ...base.cross, layerData: [new Float32Array(5)] }), undefined);
    assert.equal(refused({ ...base.cross, rows: [0], layerData: [new Float32Array(3)] }), undefined);
    assert.equal(refused({ ...base.cross, keys: 2, layerData: [new Float32Array(4)] }), undefined);
    assert.equal(repairMasks('Dateien', masked, tokenAttention(['{0}', ' files'], [' Dateien'], [[0, 0]]))?.text, 'Dateien {0}');
    assert.equal(repairMasks('Dateien', masked, { ...tokenAttention(['{0}', ' files'], [' Dateien'], [[0, 0]]), targetText: ' Dateien ' }), undefined);
  });
});

describe('canonicalMasks', () => {
  it('writes masks the model broke (a brace missing, spaces inside) whole, and drops the leftover braces', () => {
    const masked = mask('Copy %s to %s.'); // "Copy {0} to {1}."
    assert.equal(canonicalMasks('Kopiere 0} nach { 1 }.', masked), 'Kopiere {0} nach {1}.');
    assert.equal(canonicalMasks('Kopiere {0 nach {1} }.', masked), 'Kopiere {0} nach {1}.');
  });

  it('refuses an output with a mask missing or doubled, and leaves numbers next to braces that are no mask alone', () => {
    const masked = mask('Copy %s to %s.');
    assert.equal(canonicalMasks('Kopiere {0} nach.', masked), undefined);
    assert.equal(canonicalMasks('Kopiere {0} {0} nach {1}.', masked), undefined);
    assert.equal(canonicalMasks('Kopiere {0} nach {1} (100}).', masked), 'Kopiere {0} nach {1} (100).');
  });

  it('refuses a mask doubled in place of another, or numbered at or past the mask count', () => {
    const masked = mask('Copy %s to %s.');
    assert.equal(canonicalMasks('Kopiere {0} nach {0}.', masked), undefined);
    assert.equal(canonicalMasks('Kopiere {0} nach {2}.', masked), undefined);
    assert.equal(canonicalMasks('Kopiere {0} nach {1} (2}).', masked), 'Kopiere {0} nach {1} (2).');
    assert.equal(canonicalMasks('Kopiere 0 } nach {1}.', masked), 'Kopiere {0} nach {1}.');
  });

  it('reads and writes masks numbered with more than one digit', () => {
    const masked = mask(Array.from({ length: 11 }, () => '%s').join(' ')); // "{0} {1} … {10}"
    const first = '{0} {1} {2} {3} {4} {5} {6} {7} {8} {9}';
    assert.equal(canonicalMasks(`${first} { 10 } x`, masked), `${first} {10} x`);
    assert.equal(canonicalMasks(`${first} {10 x`, masked), `${first} {10} x`);
    assert.equal(canonicalMasks(`${first} 10} x`, masked), `${first} {10} x`);
    assert.equal(canonicalMasks(`${first} {10} }`, masked), `${first} {10}`);
  });

  it('drops leftover braces with their spaces, keeping one space only where two words or numbers meet', () => {
    const masked = mask('Copy %s to %s.');
    const cases: [string, string][] = [
      ['Kopiere {0} nach }} dort {1}.', 'Kopiere {0} nach dort {1}.'],
      ['Kopiere {0} nach 3 }} Ordner {1}.', 'Kopiere {0} nach 3 Ordner {1}.'],
      ['Kopiere {0} nach }} 3 Ordner {1}.', 'Kopiere {0} nach 3 Ordner {1}.'],
      ['Kopiere {0} nach }}dort {1}.', 'Kopiere {0} nach dort {1}.'],
      ['Kopiere {0} nach}}dort {1}.', 'Kopiere {0} nachdort {1}.'],
      ['Kopiere {0} nach }}, {1}.', 'Kopiere {0} nach, {1}.'],
      ['} Kopiere {0} nach {1}.', 'Kopiere {0} nach {1}.'],
      ['Kopiere {0} nach {1} dort }', 'Kopiere {0} nach {1} dort'],
    ];
    assert.deepEqual(
      cases.map(([output]) => canonicalMasks(output, masked)),
      cases.map(([, expected]) => expected),
    );
  });
});
