// normalizeLanguage: the language codes a Marian model names (>>deu<<, source_lang "ger", opus-mt-en-de)
// reported as the two-letter codes "Translate to German" looks for, wherever such a code exists;
// detectLanguages: which pairs a model folder translates, from its vocabulary, config and name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLanguages, normalizeLanguage } from '../../../src/engine/seq2seq/languages';

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

  it('keeps a code whose canonical form is not two letters (tl is fil, sh is sr-Latn)', () => {
    assert.equal(normalizeLanguage('tl'), 'tl');
    assert.equal(normalizeLanguage('sh'), 'sh');
  });
});

describe('detectLanguages', () => {
  const unigram = (tokens: string[], added: unknown[] = []) => ({ model: { type: 'Unigram', vocab: tokens.map((t) => [t, 0]) }, added_tokens: added });
  const detect = (input: { tokenizerJson?: object; tokenizerConfig?: object; config?: object; location?: string }) =>
    detectLanguages({ tokenizerJson: unigram(['▁a']), tokenizerConfig: {}, config: {}, location: '/m/x', ...input } as Parameters<typeof detectLanguages>[0]);

  it('multi-target models: >>xx<< tokens, three-letter codes reported as two-letter ones', () => {
    const detected = detect({ tokenizerJson: unigram(['</s>', '>>deu<<', '>>eng<<', '▁a']) });
    assert.deepEqual(detected.languages, ['de', 'en']);
    assert.deepEqual(detected.pairs, [{ from: 'de', to: 'en' }, { from: 'en', to: 'de' }]);
    assert.equal(detected.targetTokens.get('de'), '>>deu<<');
  });

  it('a target token is the whole token: two or three letters, a script or region after an underscore', () => {
    const detected = detect({ tokenizerJson: unigram(['x>>fr<<', '>>it<<x', '>>d<<', '>>deut<<', '>>pt_<<', '>>1a<<', '>>srp_Cyrl<<', '>>es<<']) });
    assert.deepEqual([...detected.targetTokens], [['sr', '>>srp_Cyrl<<'], ['es', '>>es<<']]);
  });

  it('reads target tokens from a BPE map and from the added tokens; the first token of a language is kept', () => {
    const bpe = { model: { type: 'BPE', vocab: { '>>fra<<': 0, a: 1 } }, added_tokens: [{ content: '>>de<<' }, { content: 7 }, 'x', { content: '>>fr<<' }] };
    const detected = detect({ tokenizerJson: bpe });
    assert.deepEqual([...detected.targetTokens], [['fr', '>>fra<<'], ['de', '>>de<<']]);
    const odd = detect({ tokenizerJson: { model: { vocab: [['>>it<<', 0], [3, 0], 'x', ['>>nl<<']] }, added_tokens: 'none' } });
    assert.deepEqual([...odd.targetTokens.keys()], ['it', 'nl']);
    assert.equal(detect({ tokenizerJson: { model: 'none' } }).targetTokens.size, 0);
  });

  it('a multi-target model that declares its source reads only that; a pair is never a language to itself', () => {
    const detected = detect({ tokenizerJson: unigram(['>>deu<<', '>>fra<<']), tokenizerConfig: { source_lang: 'eng', target_lang: 'xx' } });
    assert.deepEqual(detected.pairs, [{ from: 'en', to: 'de' }, { from: 'en', to: 'fr' }]);
    assert.deepEqual(detected.languages, ['en', 'de', 'fr']);
    const itself = detect({ tokenizerConfig: { source_lang: 'de', target_lang: 'deu' } });
    assert.deepEqual(itself.pairs, []);
    assert.deepEqual(itself.languages, ['de']);
  });

  it('single-pair models: tokenizer_config source/target_lang, else the opus-mt name', () => {
    const declared = detect({ tokenizerConfig: { source_lang: 'en', target_lang: 'de' } });
    assert.deepEqual(declared.pairs, [{ from: 'en', to: 'de' }]);
    assert.equal(declared.targetTokens.size, 0);
    assert.deepEqual(detect({ config: { _name_or_path: 'Helsinki-NLP/opus-mt-de-en' } }).pairs, [{ from: 'de', to: 'en' }]);
    assert.deepEqual(detect({ config: { _name_or_path: 'Helsinki-NLP/opus-mt-tc-big-en-fr' } }).pairs, [{ from: 'en', to: 'fr' }]);
    assert.deepEqual(detect({ location: '/models/opus-mt-en-de/' }).pairs, [{ from: 'en', to: 'de' }]);
    assert.deepEqual(detect({ location: 'C:\\models\\Opus-MT-ENG-deu\\' }).pairs, [{ from: 'en', to: 'de' }]);
    assert.deepEqual(detect({ location: '/models/mystery' }).pairs, []);
  });

  it('a name says the pair only at its end, in codes of two or three letters', () => {
    for (const name of ['opus-mt-en-de-finetuned', 'opus-mt-e-de', 'opus-mt-en-d', 'opus-mt-english-de', 'opus-mt-tc--en-de', 'opus-mt-tc-9-en-de', 'opus-mt-12-de', 'opus-mt-en-12']) {
      assert.deepEqual(detect({ location: `/models/${name}` }).pairs, [], name);
    }
    assert.deepEqual(detect({ config: { _name_or_path: 42 }, location: '/models/opus-mt-fr-en' }).pairs, [{ from: 'fr', to: 'en' }], 'a name that is not a string is passed over');
    assert.deepEqual(detect({ config: { _name_or_path: 'opus-mt-it-en' }, location: '/models/opus-mt-fr-en' }).pairs, [{ from: 'it', to: 'en' }], 'the config’s name first');
  });

  it('declared codes: lists split at +, commas and spaces; what is not a code is dropped; a declared side beats the name', () => {
    const many = detect({ tokenizerConfig: { source_lang: 'en+fr, de_DE', target_lang: ' it ' } });
    assert.deepEqual(many.pairs, [{ from: 'en', to: 'it' }, { from: 'fr', to: 'it' }, { from: 'de', to: 'it' }]);
    const junk = detect({ tokenizerConfig: { source_lang: 'English', target_lang: '   ' }, location: '/m/opus-mt-en-nl' });
    assert.deepEqual(junk.pairs, [{ from: 'en', to: 'nl' }], 'neither declared value is a code: the name says both');
    const half = detect({ tokenizerConfig: { source_lang: 'fra', target_lang: 42 }, location: '/m/opus-mt-en-nl' });
    assert.deepEqual(half.pairs, [{ from: 'fr', to: 'nl' }]);
    const dashed = detect({ tokenizerConfig: { source_lang: 'pt-BR', target_lang: 'e1' } , location: '/m/opus-mt-en-nl' });
    assert.deepEqual(dashed.pairs, [{ from: 'pt', to: 'nl' }]);
    const dup = detect({ tokenizerConfig: { source_lang: 'deu ger de', target_lang: 'en' } });
    assert.deepEqual(dup.pairs, [{ from: 'de', to: 'en' }]);
  });
});
