// Placeholder repair by cross-attention, on hand-made attention: a dropped mask goes beside the
// target token that attends to it, a second copy and an invented mask go, broken masks are
// written whole, and attention of another translation is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mask } from '../../../src/translate/placeholders';
import { canonicalMasks, repairMasks } from '../../../src/translate/repair';
import { handAttention as attention } from './handAttention';

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
});
