import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectGeneration, inspectText, inspectTranslation, cutNotice } from '../../src/inspector/session';
import { drain } from '../../src/inspector/section';
import { viewBytes } from '../../src/inspector/viewCache';
import { LruCache } from '../../src/util/lru';
import type { AttentionChunk } from '../../src/engine/attentionStream';
import type { QuantizedMatrices } from '../../src/protocol/inspector';
import { dequantize } from '../../src/engine/quantize';
import { computeHeadStats } from '../../src/engine/headStats';
import { rollout, reduceHeads, rolloutSteps } from '../../src/engine/aggregate';
import { isHostToWebview, keyTokensOf } from '../../src/protocol/inspector';
import type { AttentionRequest, AttentionResult, Engine, GenerationAttention, TokenSpan, TranslationAttention } from '../../src/engine/types';
import { attentionResult } from '../../src/engine/attentionResult';
import { flatBlock } from '../blocks';

const L = 2;
const H = 3;

/** Deterministic causal attention for t tokens: head h of layer l mixes "previous" and uniform. */
function fullAttention(t: number): Float32Array {
  const data = new Float32Array(L * H * t * t); // [layers, heads, t, t]
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++)
      for (let q = 0; q < t; q++) {
        const base = ((l * H + h) * t + q) * t;
        const w = (h + 1) / (H + 1);
        for (let k = 0; k <= q; k++) data[base + k] = (1 - w) / (q + 1);
        data[base + Math.max(0, q - 1)] += w;
      }
  return data;
}

function tokens(text: string): TokenSpan[] {
  return [...text].map((c, i) => ({ id: c.charCodeAt(0), text: c, start: i, end: i + 1 }));
}

/**
 * A fake engine: one char per token, its "model" is fullAttention; the request runs through the
 * engine's own streaming of a pass (attentionResult), as one chunk.
 */
function fakeEngine(calls: AttentionRequest[]): Engine {
  return {
    info: { name: 'fake' } as Engine['info'],
    tokenize: async (text) => tokens(text),
    attention: async (request): Promise<AttentionResult> => {
      calls.push(request);
      let text = request.text;
      let dropped = 0;
      if (request.maxTokens !== undefined && text.length > request.maxTokens) {
        dropped = text.length - request.maxTokens;
        text = text.slice(dropped);
      }
      const t = text.length;
      const full = fullAttention(t);
      const fitted = { text, offset: dropped, tokens: tokens(text).map((s) => ({ ...s, start: s.start + dropped, end: s.end + dropped })), droppedTokens: dropped };
      const run = async (layers: readonly number[], onChunk: (chunk: AttentionChunk) => void) =>
        onChunk({ firstRow: 0, rows: t, keys: t, layers: new Map(layers.map((l) => [l, full.slice(l * H * t * t, (l + 1) * H * t * t)])) });
      return attentionResult({ kind: 'self', fitted, totalLayers: L, totalHeads: H, run }, request);
    },
    generate: async () => { throw new Error('unused'); },
    generationAttention: async () => undefined,
    translate: async () => { throw new Error('unused'); },
    translationAttention: async () => undefined,
    dispose: async () => {},
  };
}

const meta = { docId: 7, title: 't', modelName: 'fake' };

test('inspectText asks the engine for thumbnails and statistics only, then for each view once', async () => {
  const calls: AttentionRequest[] = [];
  const session = await inspectText(fakeEngine(calls), { text: 'abcdefgh', link: { uri: 'file:///x', base: 10 } }, meta);
  assert.equal(calls.length, 1);
  assert.deepEqual([calls[0]!.values, calls[0]!.withStats, calls[0]!.pool], [false, true, 32], 'no values cross to the host');
  const doc = session.document;
  assert.ok(isHostToWebview({ type: 'document', doc }));
  const s = doc.sections[0]!;
  assert.equal(s.queryTokens.length, 8);
  assert.equal(s.thumbnails.count, L * H);
  assert.equal(s.thumbnails.rows, 8);
  assert.equal(s.statsPending, false);
  const t = 8;
  assert.deepEqual(s.stats, computeHeadStats(flatBlock({ layers: [0, 1], heads: [0, 1, 2], rows: [...Array(t).keys()], keys: t, data: fullAttention(t) })));
  assert.ok(s.rollout && s.editorLinked);
  assert.equal(doc.notice, undefined);
  const section = session.section('self');
  const head = dequantize(await section.quantized({ kind: 'head', layer: 1, head: 2 }));
  const full = fullAttention(t);
  const offset = (1 * H + 2) * t * t;
  head.forEach((v, i) => assert.ok(Math.abs(v - full[offset + i]!) <= 1 / 510 + 1e-6));
  assert.deepEqual([calls[1]!.layers, calls[1]!.heads, calls[1]!.withStats, calls[1]!.values], [[1], [2], false, 'quantized'], 'one head of one layer, quantized in the engine');
  const layer = await section.quantized({ kind: 'layer', layer: 0 });
  assert.equal(layer.count, H);
  assert.deepEqual([calls[2]!.layers, calls[2]!.heads, calls[2]!.values], [[0], [0, 1, 2], 'quantized']);
  await section.quantized({ kind: 'head', layer: 1, head: 2 });
  assert.equal(calls.length, 3, 'a view shown again comes from the cache');
  assert.equal(section.link?.base, 10);
});

test('aggregates: head means and maxes reduced in the engine, rollout over the layers up to one', async () => {
  const calls: AttentionRequest[] = [];
  const session = await inspectText(fakeEngine(calls), { text: 'abcdefghij' }, meta);
  const section = session.section('self');
  const t = 10;
  const expected = reduceHeads(flatBlock({ layers: [0, 1], heads: [0, 1, 2], rows: [...Array(t).keys()], keys: t, data: fullAttention(t) }), 'mean');
  const mean = await section.aggregate('mean', 1);
  assert.deepEqual([calls[1]!.layers, calls[1]!.reduceHeads, calls[1]!.values], [[1], 'mean', false]);
  mean.forEach((v, i) => assert.ok(Math.abs(v - expected[t * t + i]!) < 1e-6));
  const roll = await section.aggregate('rollout', 1);
  assert.deepEqual(calls[2]!.layers, [0, 1]);
  const reference = rollout(expected, 2, t);
  roll.forEach((v, i) => assert.ok(Math.abs(v - reference[t * t + i]!) < 1e-5));
  const first = await section.aggregate('rollout', 0);
  assert.deepEqual(calls[3]!.layers, [0], 'rollout up to layer 0 needs layer 0 only');
  first.forEach((v, i) => assert.ok(Math.abs(v - reference[i]!) < 1e-5));
});

test('views beyond the byte budget are evicted, least recently used first, and computed again', async () => {
  const calls: AttentionRequest[] = [];
  const t = 8;
  const oneHead = t * t + t * Float32Array.BYTES_PER_ELEMENT; // bytes of a quantized head: cells + row scales
  const views = new LruCache<string, QuantizedMatrices>(2 * oneHead, viewBytes);
  const session = await inspectText(fakeEngine(calls), { text: 'abcdefgh', views }, meta);
  const section = session.section('self');
  const view = (head: number) => section.quantized({ kind: 'head', layer: 0, head });
  await view(0);
  await view(1);
  await view(0);
  await view(2); // evicts head 1
  assert.equal(calls.length, 4);
  assert.equal(views.weight, 2 * oneHead);
  await view(0);
  assert.equal(calls.length, 4, 'head 0 stayed');
  await view(1);
  assert.equal(calls.length, 5, 'head 1 was computed again');
});

test('a view of a text that tokenizes differently, or an engine that fails, rejects that view only', async () => {
  let tokensNow = 'abcdefgh';
  const inner = fakeEngine([]);
  const engine: Engine = { ...inner, attention: (request, options) => inner.attention({ ...request, text: tokensNow }, options) };
  const session = await inspectText(engine, { text: 'abcdefgh' }, meta);
  tokensNow = 'abcdefg';
  await assert.rejects(session.section('self').quantized({ kind: 'head', layer: 0, head: 0 }), /returned 7 × 7 attention, expected 8 × 8/);
  const failing: Engine = { ...inner, attention: (request, options) => (request.values === false && request.pool ? inner.attention(request, options) : Promise.reject(new Error('the engine worker stopped'))) };
  const again = await inspectText(failing, { text: 'abcdefgh' }, meta);
  await assert.rejects(again.section('self').quantized({ kind: 'layer', layer: 0 }), /worker stopped/);
  assert.equal(again.document.sections[0]!.stats.length, L * H, 'the document is whole');
  await assert.rejects(inspectText({ ...inner, attention: () => Promise.reject(new Error('no model')) }, { text: 'abc' }, meta), /no model/);
});

test('a cut text carries a visible notice', async () => {
  const session = await inspectText(fakeEngine([]), { text: 'abcdefghij', maxTokens: 4 }, meta);
  assert.match(session.document.notice ?? '', /last 4 tokens; 6 tokens before them were cut/);
  assert.equal(session.document.sections[0]!.queryTokens[0]!.start, 6);
  assert.equal(cutNotice({ tokens: [], truncatedTokens: 0 }, 10), undefined);
  assert.match(cutNotice({ tokens: tokens('ab'), truncatedTokens: 0 }, 10, 5) ?? '', /5 characters/);
});

test('JSON export holds exact values for a head, a layer and an aggregate', async () => {
  const session = await inspectText(fakeEngine([]), { text: 'abcd' }, meta);
  const head = await session.exportJson('self', { kind: 'head', layer: 0, head: 0 });
  assert.equal(head.format, 'tealeaf-attention');
  assert.equal(head.attention!.length, 1);
  assert.equal(head.attention![0]!.length, 1);
  assert.ok(Math.abs(head.attention![0]![0]![2]![1]! - fullAttention(4)[2 * 4 + 1]!) < 1e-6);
  const all = await session.exportJson('self');
  assert.deepEqual([all.attention!.length, all.attention![0]!.length, all.attention![0]![0]!.length], [L, H, 4]);
  const agg = await session.exportJson('self', { kind: 'aggregate', reduction: 'max', layer: 1 });
  assert.equal(agg.matrix!.length, 4);
});

test('generation attention: queries are generated tokens, keys context + generated, stats causal', () => {
  // context "ab", generated "cd": row i sees 2 + i keys (the engine's convention)
  const keys = 4;
  const data = new Float32Array(1 * 1 * 2 * keys);
  data.set([0.5, 0.5, 0, 0], 0);
  data.set([0, 0.25, 0.75, 0], 4);
  const ga: GenerationAttention = {
    id: 1,
    contextTokens: tokens('ab'),
    generatedTokens: tokens('cd'),
    contextText: 'ab',
    generatedText: 'cd',
    attention: flatBlock({ layers: [0], heads: [0], rows: [0, 1], keys, data }),
    totalLayers: 1,
    totalHeads: 1,
  };
  const session = inspectGeneration(ga, meta, { uri: 'file:///y', base: 5, length: 2 });
  const s = session.document.sections[0]!;
  assert.equal(s.kind, 'generation');
  assert.deepEqual(s.queryTokens.map((t) => [t.text, t.start]), [['c', 2], ['d', 3]]);
  assert.equal(keyTokensOf(s).length, 4);
  assert.equal(s.rollout, false);
  // query positions inferred from the mask: rows 0, 1 → positions 1, 2
  assert.ok(Math.abs(s.stats[0]!.selfToken - (0.5 + 0.75) / 2) < 1e-6);
  assert.ok(Math.abs(s.stats[0]!.previousToken - (0.5 + 0.25) / 2) < 1e-6);
});

test('translation attention: an encoder tab and a cross-attention tab', async () => {
  const ta: TranslationAttention = {
    id: 3,
    sourceTokens: tokens('abc'),
    targetTokens: tokens('xy'),
    sourceText: 'abc',
    targetText: 'xy',
    cross: flatBlock({ layers: [0], heads: [0, 1], rows: [0, 1], keys: 3, data: Float32Array.from([1, 0, 0, 0, 1, 0, 0.5, 0.5, 0, 0, 0, 1]) }),
    totalLayers: 1,
    totalHeads: 2,
  };
  const only = inspectTranslation(ta, meta);
  assert.deepEqual(only.document.sections.map((s) => s.id), ['cross']);
  const enc = flatBlock({ layers: [0], heads: [0], rows: [0, 1, 2], keys: 3, data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) });
  const both = inspectTranslation(ta, meta, { kind: 'encoder', tokens: tokens('abc'), truncatedTokens: 0, textOffset: 0, totalLayers: 1, totalHeads: 1, attention: enc, stats: [], forwardMs: 2 });
  assert.deepEqual(both.document.sections.map((s) => [s.id, s.queryTokens.length, keyTokensOf(s).length]), [['encoder', 3, 3], ['cross', 2, 3]]);
  await Promise.all(both.allSections().map((s) => s.stats()));
  assert.equal(both.document.sections[0]!.stats[0]!.label, 'local');
});

test('translation attention: cross-attention statistics are non-causal', async () => {
  // Both target rows put all their mass on the last source token, after row 0 and row 1.
  const cross = flatBlock({ layers: [0], heads: [0], rows: [0, 1], keys: 3, data: Float32Array.from([0, 0, 1, 0, 0, 1]) });
  const ta: TranslationAttention = {
    id: 4,
    sourceTokens: tokens('abc'),
    targetTokens: tokens('xy'),
    sourceText: 'abc',
    targetText: 'xy',
    cross,
    totalLayers: 1,
    totalHeads: 1,
  };
  const stats = await inspectTranslation(ta, meta).section('cross').stats();
  assert.deepEqual(stats, computeHeadStats(cross, { causal: false }));
  // |0 − 2| and |1 − 2|: a causal reading would skip those keys and see distance 0 (a local head)
  assert.ok(Math.abs(stats[0]!.meanDistance - 1.5) < 1e-6);
  assert.equal(stats[0]!.label, 'long-range');
  assert.equal(computeHeadStats(cross, { causal: true })[0]!.label, 'local');
});

test('drain yields to the event loop and returns the generator result', async () => {
  const t = 30;
  const data = fullAttention(t);
  const mean = reduceHeads(flatBlock({ layers: [0, 1], heads: [0, 1, 2], rows: [...Array(t).keys()], keys: t, data }), 'mean');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const out = await drain(rolloutSteps(mean, 2, t), 0);
  clearInterval(timer);
  assert.ok(ticks > 0, 'the loop ran timers while rollout was computed');
  assert.deepEqual(Array.from(out), Array.from(rollout(mean, 2, t)));
});
