// Translation directions of a model, and their names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { languageName, pairLabel, pairsOf, supportsPair } from '../../../src/translate/pairs';
import { fakeTranslatorInfo } from '../fakeModelInfo';

describe('translation pairs', () => {
  it('are the declared pairs when a model declares them, in their order', () => {
    const info = fakeTranslatorInfo({ languages: ['en', 'de', 'fr'], translationPairs: [{ from: 'de', to: 'en' }, { from: 'en', to: 'de' }] });
    assert.deepEqual(pairsOf(info), [{ from: 'de', to: 'en' }, { from: 'en', to: 'de' }]);
    assert.equal(supportsPair(info, { from: 'en', to: 'de' }), true);
    assert.equal(supportsPair(info, { from: 'en', to: 'fr' }), false);
    assert.equal(supportsPair(info, { from: 'de', to: 'de' }), false);
  });

  it('are every ordered pair of distinct languages otherwise, and none without languages', () => {
    const info = fakeTranslatorInfo({ languages: ['en', 'de', 'fr'] });
    assert.deepEqual(
      pairsOf(info).map((p) => `${p.from}>${p.to}`),
      ['en>de', 'en>fr', 'de>en', 'de>fr', 'fr>en', 'fr>de'],
    );
    assert.equal(supportsPair(info, { from: 'fr', to: 'de' }), true);
    assert.equal(supportsPair(info, { from: 'fr', to: 'fr' }), false);
    assert.deepEqual(pairsOf(fakeTranslatorInfo({ languages: undefined, translationPairs: undefined })), []);
  });

  it('name languages in English, keeping a code the runtime does not know', () => {
    assert.equal(languageName('de'), 'German');
    assert.equal(languageName('not a tag!'), 'not a tag!');
    assert.equal(pairLabel({ from: 'en', to: 'de' }), 'English → German');
  });

  it('name languages in English under a German locale too', () => {
    // The runtime's default locale comes from the environment when it starts: a child process.
    const pairs = path.resolve(__dirname, '../../../src/translate/pairs.ts');
    const script = `const { languageName } = require(${JSON.stringify(pairs)});
      console.log(new Intl.DisplayNames([], { type: 'language' }).of('de') + ' ' + languageName('de'));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' },
      encoding: 'utf8',
    });
    assert.equal(child.stderr, '');
    // The locale's own name first: the runtime did take the German locale.
    assert.equal(child.stdout.trim(), 'Deutsch German');
  });
});
