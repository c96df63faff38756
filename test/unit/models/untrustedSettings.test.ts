// The Workspace Trust notice: which restricted settings a workspace's settings files set (read as
// JSONC, as VS Code writes them), and the one sentence that names them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseJsonc } from '../../../src/util/jsonc';
import { installVscodeStub } from '../vscodeModule';

// untrustedSettings imports vscode; the functions tested here never touch it.
installVscodeStub({});
const { ignoredSettingsMessage, restrictedConfigurations, restrictedValues } = require('../../../src/models/untrustedSettings') as typeof import('../../../src/models/untrustedSettings');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RESTRICTED = restrictedConfigurations(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')));

describe('parseJsonc', () => {
  it('reads comments and trailing commas, and keeps // and /* inside strings', () => {
    const text = `{
      // a line comment, "with quotes"
      "tealeaf.completion.model": "https://example.org//models/*x*/", /* a block
      comment */ "list": [1, 2,],
      "escaped": "a \\" // not a comment",
    }`;
    assert.deepEqual(parseJsonc(text), { 'tealeaf.completion.model': 'https://example.org//models/*x*/', list: [1, 2], escaped: 'a " // not a comment' });
  });

  it('reads an empty file as no settings, and throws on broken JSON', () => {
    assert.deepEqual(parseJsonc('  // nothing\n'), {});
    assert.throws(() => parseJsonc('{"a": }'), SyntaxError);
  });

  it('reads the sample workspace settings the e2e tests open', () => {
    const settings = parseJsonc(readFileSync(path.join(ROOT, 'test', 'e2e', 'sample-workspace', '.vscode', 'settings.json'), 'utf8'));
    assert.deepEqual(restrictedValues(settings, RESTRICTED, '.vscode/settings.json'), [], 'its model settings are empty');
  });
});

describe('restricted workspace settings', () => {
  it("lists package.json's restricted model settings", () => {
    for (const setting of ['tealeaf.completion.model', 'tealeaf.translate.model', 'tealeaf.inspector.model']) assert.ok(RESTRICTED.includes(setting), setting);
  });

  it('reads only the names in a restrictedConfigurations list, and no list as none', () => {
    const packageJson = (list: unknown) => ({ capabilities: { untrustedWorkspaces: { restrictedConfigurations: list } } });
    assert.deepEqual(restrictedConfigurations(packageJson(['a.b', 7, null, 'c.d'])), ['a.b', 'c.d']);
    assert.deepEqual(restrictedConfigurations(packageJson('a.b')), []);
    assert.deepEqual(restrictedConfigurations({ capabilities: { untrustedWorkspaces: true } }), []);
  });

  it('finds the restricted settings set to a folder, not empty ones or other settings', () => {
    const settings = { 'tealeaf.completion.model': '/evil/model', 'tealeaf.translate.model': '', 'tealeaf.completion.maxTokens': 9, 'editor.tabSize': 2 };
    assert.deepEqual(restrictedValues(settings, RESTRICTED, '.vscode/settings.json'), [{ setting: 'tealeaf.completion.model', value: '/evil/model', file: '.vscode/settings.json' }]);
    assert.deepEqual(restrictedValues(['not', 'an', 'object'], RESTRICTED, 'x'), []);
  });

  it('names each ignored setting, its value and file in one sentence', () => {
    const one = ignoredSettingsMessage([{ setting: 'tealeaf.completion.model', value: 'models/evil', file: '.vscode/settings.json' }]);
    assert.equal(
      one,
      'Tealeaf: this workspace is not trusted, so its setting tealeaf.completion.model (models/evil, in .vscode/settings.json) is ignored and the bundled model or your own setting is used instead; trust the workspace to use it.',
    );
    const two = ignoredSettingsMessage([
      { setting: 'tealeaf.completion.model', value: 'a', file: '.vscode/settings.json' },
      { setting: 'tealeaf.translate.model', value: 'b', file: 'app.code-workspace' },
    ]);
    assert.match(two, /settings tealeaf\.completion\.model \(a, in \.vscode\/settings\.json\), tealeaf\.translate\.model \(b, in app\.code-workspace\) are ignored .* to use them\.$/);
  });
});
