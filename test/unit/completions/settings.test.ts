import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  DEFAULT_SETTINGS,
  LIMITS,
  SETTINGS_SECTION,
  isLanguageEnabled,
  readCompletionSettings,
  type CompletionSettings,
} from '../../../src/completions/settings';

test('missing or mistyped values fall back to defaults; numbers are clamped and rounded', () => {
  const values: Record<string, unknown> = { enabled: 'yes', debounceMs: -5, contextTokens: 1e9, maxTokens: 12.6, model: '  /m  ' };
  const read = readCompletionSettings((name) => values[name]);
  assert.equal(read.enabled, true);
  assert.equal(read.debounceMs, 0);
  assert.equal(read.contextTokens, LIMITS.contextTokens.max);
  assert.equal(read.maxTokens, 13);
  assert.equal(read.model, '/m');
  assert.deepEqual(readCompletionSettings(() => undefined), DEFAULT_SETTINGS);
});

test('speculation is one of off, prompt-lookup and draft-model; the draft model a trimmed folder', () => {
  const read = (values: Record<string, unknown>) => readCompletionSettings((name) => values[name]);
  assert.equal(read({ speculation: 'draft-model', draftModel: ' /d ' }).speculation, 'draft-model');
  assert.equal(read({ speculation: 'draft-model', draftModel: ' /d ' }).draftModel, '/d');
  assert.equal(read({ speculation: 'off' }).speculation, 'off');
  assert.equal(read({ speculation: 'ngram' }).speculation, DEFAULT_SETTINGS.speculation);
  assert.equal(read({ draftModel: 3 }).draftModel, '');
});

test('language allow/deny: an explicit entry wins over "*"', () => {
  const languages = { '*': false, typescript: true };
  assert.equal(isLanguageEnabled(languages, 'typescript'), true);
  assert.equal(isLanguageEnabled(languages, 'python'), false);
  assert.equal(isLanguageEnabled({ markdown: false }, 'python'), true);
  assert.equal(isLanguageEnabled(DEFAULT_SETTINGS.languages, 'markdown'), false);
  assert.equal(isLanguageEnabled(DEFAULT_SETTINGS.languages, 'javascript'), true);
  assert.equal(isLanguageEnabled({ toString: true } as Record<string, boolean>, 'constructor'), true, 'no prototype lookups');
});

test('package.json declares every setting with the same defaults and ranges', () => {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, Record<string, unknown>> } | { properties: Record<string, Record<string, unknown>> }[] };
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  };
  const sections = Array.isArray(manifest.contributes.configuration) ? manifest.contributes.configuration : [manifest.contributes.configuration];
  const properties = Object.assign({}, ...sections.map((s) => s.properties)) as Record<string, Record<string, unknown>>;
  for (const name of Object.keys(DEFAULT_SETTINGS) as (keyof CompletionSettings)[]) {
    const declared = properties[`${SETTINGS_SECTION}.${name}`];
    assert.ok(declared, `${name} is declared`);
    assert.deepEqual(declared.default, DEFAULT_SETTINGS[name], `${name} default`);
    assert.equal(typeof (declared.markdownDescription ?? declared.description), 'string', `${name} has a description`);
    if (name in LIMITS) {
      const limit = LIMITS[name as keyof typeof LIMITS];
      assert.equal(declared.minimum, limit.min, `${name} minimum`);
      assert.equal(declared.maximum, limit.max, `${name} maximum`);
    }
  }
  assert.equal(properties[`${SETTINGS_SECTION}.model`]?.scope, 'machine-overridable');
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`${SETTINGS_SECTION}.model`));
  assert.equal(properties[`${SETTINGS_SECTION}.draftModel`]?.scope, 'machine-overridable');
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`${SETTINGS_SECTION}.draftModel`));
  assert.deepEqual(properties[`${SETTINGS_SECTION}.speculation`]?.enum, ['off', 'prompt-lookup', 'draft-model']);
});

test('fill-in-the-middle is turned off only by "off"; anything else is auto', () => {
  const read = (fim: unknown) => readCompletionSettings((name) => (name === 'fim' ? fim : undefined)).fim;
  assert.equal(read('off'), 'off');
  assert.equal(read('auto'), 'auto');
  assert.equal(read(''), 'auto');
  assert.equal(read(false), 'auto');
});

test('language entries that are not true or false are dropped, so such a language follows "*"', () => {
  const read = readCompletionSettings((name) => (name === 'languages' ? { '*': true, typescript: false, python: 'no', rust: 0 } : undefined));
  assert.deepEqual(read.languages, { '*': true, typescript: false });
  assert.equal(isLanguageEnabled(read.languages, 'python'), true);
  assert.equal(isLanguageEnabled(read.languages, 'typescript'), false);
  assert.deepEqual(readCompletionSettings(() => ['typescript']).languages, DEFAULT_SETTINGS.languages, 'an array is not a map');
});
