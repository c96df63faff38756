import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textWithContext, tokenAt, avoidSplitSurrogate, CONTEXT_CHARS_PER_TOKEN, MAX_CHARS_PER_TOKEN } from '../../src/inspector/context';
import { shadedRanges, shadeLevel, shadeAlpha, SHADE_LEVELS } from '../../src/inspector/shading';
import { readInspectorSettings, INSPECTOR_DEFAULTS } from '../../src/inspector/config';
import { inspectorCsp, inspectorHtml, makeNonce } from '../../src/inspector/html';
import { sanitizeFileName } from '../../src/inspector/util';
import type { TokenSpan } from '../../src/engine/types';

/** Whitespace-separated words as tokens (with a BOS of empty span first). */
const wordTokens = async (text: string): Promise<TokenSpan[]> => {
  const out: TokenSpan[] = [{ id: 1, text: '<s>', start: 0, end: 0 }];
  for (const m of text.matchAll(/\S+/g)) out.push({ id: 2, text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
};

test('context: up to N tokens before the selection, cut at a token start', async () => {
  const doc = 'one two three four five SELECTED';
  const sel = doc.indexOf('SELECTED');
  const r = await textWithContext(doc, sel, doc.length, 2, 100, wordTokens);
  assert.equal(r.text, 'four five SELECTED');
  assert.equal(r.base, doc.indexOf('four'));
  assert.equal(r.precutCharacters, 0);
  const none = await textWithContext(doc, sel, doc.length, 0, 100, wordTokens);
  assert.equal(none.text, 'SELECTED');
  const all = await textWithContext(doc, sel, doc.length, 50, 100, wordTokens);
  assert.equal(all.base, 0);
});

test('context: reads at most N × 16 characters back', async () => {
  const doc = `${'x '.repeat(100)}SEL`;
  const sel = doc.indexOf('SEL');
  let seen = '';
  await textWithContext(doc, sel, doc.length, 3, 100, async (t) => {
    seen = t;
    return wordTokens(t);
  });
  assert.equal(seen.length, 3 * CONTEXT_CHARS_PER_TOKEN);
});

test('context: a selection beyond the token budget is cut from its start, without context', async () => {
  const doc = 'a'.repeat(1000);
  const r = await textWithContext(doc, 10, 1000, 64, 4, wordTokens);
  assert.equal(r.text.length, 4 * MAX_CHARS_PER_TOKEN);
  assert.equal(r.base, 1000 - 4 * MAX_CHARS_PER_TOKEN);
  assert.equal(r.precutCharacters, r.base - 10);
});

test('context: never cuts inside a surrogate pair', () => {
  const s = 'a😀b';
  assert.equal(avoidSplitSurrogate(s, 2), 3);
  assert.equal(avoidSplitSurrogate(s, 1), 1);
});

test('tokenAt: binary search, end of token selects it, specials select nothing', () => {
  const spans = [
    { start: 0, end: 0 },
    { start: 0, end: 3 },
    { start: 3, end: 4 },
    { start: 6, end: 8 },
  ];
  assert.equal(tokenAt(spans, 0), 1);
  assert.equal(tokenAt(spans, 2), 1);
  assert.equal(tokenAt(spans, 3), 2);
  assert.equal(tokenAt(spans, 4), 2); // cursor right after "d"
  assert.equal(tokenAt(spans, 5), -1); // a gap (whitespace not in any token)
  assert.equal(tokenAt(spans, 8), 3);
  assert.equal(tokenAt(spans, 9), -1);
  assert.equal(tokenAt([], 0), -1);
});

test('shading: levels, alpha, and only tokens inside the linked text', () => {
  assert.equal(shadeLevel(0), 0);
  assert.equal(shadeLevel(0.019), 0);
  assert.equal(shadeLevel(0.02), 1);
  assert.equal(shadeLevel(0.5), 4);
  assert.equal(shadeLevel(1), SHADE_LEVELS);
  assert.equal(shadeLevel(Number.NaN), 0);
  assert.ok(shadeAlpha(1) < shadeAlpha(SHADE_LEVELS) && shadeAlpha(SHADE_LEVELS) <= 0.6);
  const keys = [
    { text: '<s>', start: 0, end: 0 },
    { text: 'ab', start: 0, end: 2 },
    { text: 'c', start: 2, end: 3 },
    { text: 'gen', start: 3, end: 6 },
  ];
  assert.deepEqual(shadedRanges(keys, [1, 1, 0.3, 1], 100, 3), [
    { start: 100, end: 102, level: 8 },
    { start: 102, end: 103, level: 3 },
  ]);
});

test('settings: defaults, clamping, wrong types', () => {
  assert.deepEqual(readInspectorSettings(() => undefined), INSPECTOR_DEFAULTS);
  const values: Record<string, unknown> = { followSelection: true, contextTokens: -5, maxTokens: 1e9, memoryBudgetMB: -1 };
  const s = readInspectorSettings((k) => values[k]);
  assert.deepEqual(s, { followSelection: true, contextTokens: 0, maxTokens: 4096, memoryBudgetMB: 0 });
  assert.equal(INSPECTOR_DEFAULTS.memoryBudgetMB, 256);
  assert.equal(readInspectorSettings((k) => (k === 'maxTokens' ? 'many' : undefined)).maxTokens, INSPECTOR_DEFAULTS.maxTokens);
});

test('html: strict CSP with a nonce, no remote origins, no inline script', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(nonce, makeNonce());
  const csp = inspectorCsp('https://x.vscode-cdn.net', nonce);
  assert.ok(csp.startsWith("default-src 'none'"));
  assert.ok(csp.includes(`script-src 'nonce-${nonce}'`));
  assert.ok(!/unsafe-inline|unsafe-eval|https?:\/\/\*|\bconnect-src/.test(csp));
  const html = inspectorHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/a.js', styleUri: 'https://x/a.css', nonce });
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.ok(scripts[0]!.includes(`nonce="${nonce}"`) && scripts[0]!.includes('src="https://x/a.js"'));
  assert.ok(!/style="/.test(html), 'no inline style attributes (blocked by the CSP)');
});

test('export file names are one safe path segment', () => {
  assert.equal(sanitizeFileName('../../etc/passwd', '.png'), 'etc-passwd.png');
  assert.equal(sanitizeFileName('model L0 H1.png', '.png'), 'model-L0-H1.png');
  assert.equal(sanitizeFileName('', '.json'), 'tealeaf-attention.json');
});
