// normalizeLanguage: the language codes a Marian model names (>>deu<<, source_lang "ger", opus-mt-en-de)
// reported as the two-letter codes "Translate to German" looks for, wherever such a code exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeLanguage } from '../../../src/engine/seq2seq/languages';

describe('normalizeLanguage', () => {
  it('gives the ISO 639-1 code of terminological and bibliographic three-letter codes', () => {
    const cases: Record<string, string> = {
      deu: 'de', ger: 'de', fra: 'fr', fre: 'fr', zho: 'zh', chi: 'zh', ces: 'cs', cze: 'cs', nld: 'nl', dut: 'nl',
      ell: 'el', gre: 'el', ron: 'ro', rum: 'ro', slk: 'sk', slo: 'sk', fas: 'fa', per: 'fa', eus: 'eu', baq: 'eu',
      isl: 'is', ice: 'is', cym: 'cy', wel: 'cy', nob: 'nb', nor: 'no', ukr: 'uk', heb: 'he', ind: 'id', eng: 'en',
    };
    for (const [code, expected] of Object.entries(cases)) assert.equal(normalizeLanguage(code), expected, code);
  });

  it('keeps a two-letter code (case and region dropped), maps retired ones, and leaves codes without one as they are', () => {
    assert.equal(normalizeLanguage('DE'), 'de');
    assert.equal(normalizeLanguage('pt_BR'), 'pt');
    assert.equal(normalizeLanguage('en-US'), 'en');
    assert.equal(normalizeLanguage('deu_Latn'), 'de');
    assert.equal(normalizeLanguage('iw'), 'he');
    assert.equal(normalizeLanguage('kab'), 'kab');
    assert.equal(normalizeLanguage('mul'), 'mul');
    assert.equal(normalizeLanguage('ROMANCE'), 'romance');
    assert.equal(normalizeLanguage('zls_Latn'), 'zls_latn');
    assert.equal(normalizeLanguage('x'), 'x', 'not a language tag: as it is');
  });
});
