import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNever,
  isBlockScope,
  isHostToWebview,
  isPersistedState,
  isWebviewToHost,
  keyTokensOf,
  MAX_PNG_DATA_URL_LENGTH,
  type HostToWebview,
  type WebviewToHost,
} from '../../src/protocol/inspector';
import { quantizeRows } from '../../src/engine/quantize';
import { BlockClient, scopeKey } from '../../webview/inspector/blocks';
import { sortStats } from '../../webview/inspector/stats';
import type { HeadStats } from '../../src/engine/types';

const matrices = quantizeRows(Float32Array.from([0.5, 0.5, 1, 0]), 1, 2, 2);
const stat: HeadStats = { layer: 0, head: 1, entropy: 0.5, meanDistance: 1, previousToken: 0.9, firstToken: 0, selfToken: 0.1, label: 'previous-token' };

test('a section may leave out its key labels (self-attention); keyTokensOf gives them back', () => {
  const tokens = [{ text: 'a', start: 0, end: 1 }];
  const keys = [{ text: 'b', start: 0, end: 1 }];
  assert.equal(keyTokensOf({ queryTokens: tokens }), tokens);
  assert.equal(keyTokensOf({ queryTokens: tokens, keyTokens: keys }), keys);
});

test('host → webview guard: valid messages pass, malformed ones do not', () => {
  const ok: HostToWebview[] = [
    { type: 'block', requestId: 1, docId: 2, sectionId: 'self', scope: { kind: 'head', layer: 0, head: 1 }, matrices },
    { type: 'blockError', requestId: 1, docId: 2, message: 'x' },
    { type: 'status', state: 'loading', message: '…' },
    { type: 'selectToken', docId: 1, sectionId: 'self', index: 3 },
    { type: 'stats', docId: 1, sectionId: 'self', stats: [stat] },
    { type: 'stats', docId: 1, sectionId: 'self', stats: [] },
  ];
  for (const m of ok) assert.ok(isHostToWebview(m), m.type);
  const bad: unknown[] = [
    null,
    'document',
    { type: 'nope' },
    { type: 'status', state: 'busy', message: '' },
    { type: 'selectToken', docId: 1, sectionId: 'self', index: -1 },
    { type: 'block', requestId: 1, docId: 2, sectionId: 'self', scope: { kind: 'head', layer: 0 }, matrices },
    // data of the wrong length, or numbers instead of bytes
    { type: 'block', requestId: 1, docId: 2, sectionId: 'self', scope: { kind: 'layer', layer: 0 }, matrices: { ...matrices, count: 2 } },
    { type: 'block', requestId: 1, docId: 2, sectionId: 'self', scope: { kind: 'layer', layer: 0 }, matrices: { ...matrices, data: [1, 2, 3, 4] } },
    { type: 'document', doc: { docId: 1, title: 't', modelName: 'm', sections: [{}], forwardMs: 1 } },
    { type: 'stats', docId: 1, sectionId: 'self', stats: [{ ...stat, label: 'psychic' }] },
    { type: 'stats', docId: 1, sectionId: 'self', stats: [{ ...stat, entropy: Number.NaN }] },
    { type: 'stats', docId: 1, sectionId: 'self' },
  ];
  for (const m of bad) assert.equal(isHostToWebview(m), false, JSON.stringify(m));
});

test('webview → host guard: PNG exports must be PNG data URLs within the cap', () => {
  const ok: WebviewToHost[] = [
    { type: 'ready' },
    { type: 'firstPaint', docId: 1, at: 123.5 },
    { type: 'requestBlock', requestId: 1, docId: 1, sectionId: 's', scope: { kind: 'aggregate', reduction: 'rollout', layer: 2 } },
    { type: 'highlight', docId: 1, sectionId: 's', query: null, weights: null, pin: false },
    { type: 'highlight', docId: 1, sectionId: 's', query: 2, weights: [0, 0.5, 1], pin: true },
    { type: 'exportPng', fileName: 'a.png', dataUrl: 'data:image/png;base64,AAAA' },
    { type: 'exportJson', docId: 1, sectionId: 's' },
  ];
  for (const m of ok) assert.ok(isWebviewToHost(m), m.type);
  const bad: unknown[] = [
    { type: 'exportPng', fileName: 'a.png', dataUrl: 'data:text/html;base64,AAAA' },
    { type: 'exportPng', fileName: 'a.png', dataUrl: `data:image/png;base64,${'A'.repeat(MAX_PNG_DATA_URL_LENGTH)}` },
    { type: 'highlight', docId: 1, sectionId: 's', query: 1, weights: [Number.NaN], pin: false },
    { type: 'requestBlock', requestId: 1, docId: 1, sectionId: 's', scope: { kind: 'aggregate', reduction: 'median', layer: 2 } },
    { type: 'firstPaint', docId: 1.5, at: 1 },
  ];
  for (const m of bad) assert.equal(isWebviewToHost(m), false, JSON.stringify(m).slice(0, 80));
});

test('scopes, persisted state, assertNever', () => {
  assert.ok(isBlockScope({ kind: 'layer', layer: 0 }));
  assert.equal(isBlockScope({ kind: 'layer', layer: 1.5 }), false);
  assert.ok(isPersistedState({ view: 'matrix', layer: 1, head: 2, source: { kind: 'selection', uri: 'file:///a', start: 1, end: 4 } }));
  assert.equal(isPersistedState({ view: 'graph', layer: 1, head: 2 }), false);
  assert.equal(isPersistedState({ view: 'model', layer: 1, head: 2, source: { kind: 'selection', uri: 'x', start: 4, end: 1 } }), false);
  assert.throws(() => assertNever('x' as never), /unexpected message/);
});

test('BlockClient: one request per scope, errors not cached, reset rejects pending', async () => {
  const posted: WebviewToHost[] = [];
  const client = new BlockClient((m) => posted.push(m));
  const a = client.request(1, 's', { kind: 'head', layer: 0, head: 0 });
  const b = client.request(1, 's', { kind: 'head', layer: 0, head: 0 });
  assert.equal(a, b);
  assert.equal(posted.length, 1);
  const req = posted[0]!;
  assert.ok(req.type === 'requestBlock');
  client.receive({ type: 'block', requestId: req.requestId, docId: 1, sectionId: 's', scope: req.scope, matrices });
  assert.equal(await a, matrices);
  const c = client.request(1, 's', { kind: 'layer', layer: 0 });
  const cReq = posted[1]!;
  assert.ok(cReq.type === 'requestBlock');
  client.receive({ type: 'blockError', requestId: cReq.requestId, docId: 1, message: 'engine gone' });
  await assert.rejects(c, /engine gone/);
  await new Promise((r) => setTimeout(r, 0));
  client.request(1, 's', { kind: 'layer', layer: 0 }).catch(() => undefined);
  assert.equal(posted.length, 3, 'a failed scope is asked again');
  const d = client.request(1, 's', { kind: 'layer', layer: 5 });
  client.reset();
  await assert.rejects(d, /superseded/);
  assert.equal(scopeKey({ kind: 'aggregate', reduction: 'max', layer: 3 }), 'agg:max:3');
});

test('sortStats: numeric and label columns, stable ties', () => {
  const s = (layer: number, head: number, entropy: number, label: HeadStats['label']): HeadStats => ({ layer, head, entropy, meanDistance: 0, previousToken: 0, firstToken: 0, selfToken: 0, label });
  const stats = [s(0, 0, 1, 'sink'), s(0, 1, 2, 'broad'), s(1, 0, 1, 'local')];
  assert.deepEqual(sortStats(stats, 'entropy', false).map((x) => `${x.layer}.${x.head}`), ['0.1', '0.0', '1.0']);
  assert.deepEqual(sortStats(stats, 'entropy', true).map((x) => `${x.layer}.${x.head}`), ['0.0', '1.0', '0.1']);
  assert.deepEqual(sortStats(stats, 'label', true).map((x) => x.label), ['broad', 'local', 'sink']);
});
