import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectGeneration, inspectText, inspectTranslation, cutNotice, drain } from '../../src/inspector/session';
import { dequantize } from '../../src/inspector/quantize';
import { computeHeadStats } from '../../src/engine/headStats';
import { rollout, reduceHeads, rolloutSteps } from '../../src/engine/aggregate';
import { isHostToWebview, keyTokensOf } from '../../src/protocol/inspector';
import type { AttentionRequest, AttentionResult, Engine, GenerationAttention, TokenSpan, TranslationAttention } from '../../src/engine/types';
import { attentionPreview } from '../../src/engine/attentionResult';
import { poolBlock } from '../../src/engine/pool';
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

/** A fake engine: one char per token, computes the requested slice of fullAttention. */
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
      const layers = request.layers ?? [...Array(L).keys()];
      const heads = request.heads ?? [...Array(H).keys()];
      const data = new Float32Array(layers.length * heads.length * t * t);
      layers.forEach((l, li) => heads.forEach((h, hi) => data.set(full.subarray((l * H + h) * t * t, (l * H + h + 1) * t * t), (li * heads.length + hi) * t * t)));
      const block = flatBlock({ layers, heads, rows: [...Array(t).keys()], keys: t, data });
      return {
        kind: 'self',
        tokens: tokens(text).map((s) => ({ ...s, start: s.start + dropped, end: s.end + dropped })),
        truncatedTokens: dropped,
        textOffset: dropped,
        totalLayers: L,
        totalHeads: H,
        attention: block,
        stats: request.withStats === false ? [] : computeHeadStats(flatBlock({ ...block, layers: [...Array(L).keys()], heads: [...Array(H).keys()], data: full })),
        forwardMs: 1,
      };
    },
    generate: async () => { throw new Error('unused'); },
    generationAttention: async () => undefined,
    translate: async () => { throw new Error('unused'); },
    translationAttention: async () => undefined,
    dispose: async () => {},
  };
}

const meta = { docId: 7, title: 't', modelName: 'fake' };

test('inspectText posts a document with thumbnails and stats, and answers scopes exactly (cached)', async () => {
  const calls: AttentionRequest[] = [];
  const session = await inspectText(fakeEngine(calls), { text: 'abcdefgh', link: { uri: 'file:///x', base: 10 } }, meta);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.withStats, false, 'statistics are computed after the document, not before');
  assert.ok(isHostToWebview({ type: 'document', doc: session.document }));
  assert.equal(session.document.sections[0]!.statsPending, true);
  const stats = await session.section('self').stats();
  assert.equal(stats.length, L * H);
  assert.ok(isHostToWebview({ type: 'stats', docId: session.docId, sectionId: 'self', stats }));
  const doc = session.document;
  assert.ok(isHostToWebview({ type: 'document', doc }));
  const s = doc.sections[0]!;
  assert.equal(s.queryTokens.length, 8);
  assert.equal(s.thumbnails.count, L * H);
  assert.equal(s.thumbnails.rows, 8);
  assert.equal(s.statsPending, false);
  assert.deepEqual(s.stats, stats);
  assert.ok(s.rollout && s.editorLinked);
  assert.equal(doc.notice, undefined);
  const section = session.section('self');
  assert.ok(section.holdsFullBlock);
  const head = dequantize(await section.quantized({ kind: 'head', layer: 1, head: 2 }));
  const full = fullAttention(8);
  const offset = (1 * H + 2) * 64;
  head.forEach((v, i) => assert.ok(Math.abs(v - full[offset + i]!) <= 1 / 510 + 1e-6));
  const layer = await section.quantized({ kind: 'layer', layer: 0 });
  assert.equal(layer.count, H);
  assert.equal(calls.length, 1, 'a cached block needs no second forward');
  assert.equal(section.link?.base, 10);
});

/**
 * An engine in the manner of the worker: the preview (with pooled heads) first, the result only
 * once `values` settles; a rejected `values` is a result that never came.
 */
function previewingEngine(inner: Engine, values: Promise<void>): Engine {
  return {
    ...inner,
    attention: async (request, options = {}) => {
      const plain = await inner.attention(request);
      const result = request.pool ? { ...plain, pooled: poolBlock(plain.attention, request.pool, true) } : plain;
      const preview = options.onPreview ? attentionPreview(result) : undefined;
      if (preview) options.onPreview?.(preview);
      await values;
      return result;
    },
  };
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const later = () => new Promise((resolve) => setTimeout(resolve, 20));

/** `promise`, or a failure after ms (a session that waited for the tensors would never come). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('inspectText resolves at the preview; block requests and statistics wait for the tensors that follow', async () => {
  const gate = deferred();
  const session = await within(inspectText(previewingEngine(fakeEngine([]), gate.promise), { text: 'abcdefgh' }, meta), 5_000, 'no session before the tensors');
  const direct = await inspectText(fakeEngine([]), { text: 'abcdefgh' }, meta);
  assert.deepEqual(session.document.sections, direct.document.sections, 'the same document before the values are in');
  const section = session.section('self');
  let answered = false;
  const head = section.quantized({ kind: 'head', layer: 1, head: 2 }).then((m) => ((answered = true), m));
  const stats = section.stats();
  await later();
  assert.equal(answered, false, 'a block request waits for the values');
  gate.resolve();
  assert.deepEqual(await head, await direct.section('self').quantized({ kind: 'head', layer: 1, head: 2 }));
  assert.deepEqual(await stats, await direct.section('self').stats());
  assert.equal(session.document.sections[0]!.statsPending, false);
});

test('tensors that never follow their preview: block requests and statistics fail with the engine’s error', async () => {
  const gate = deferred();
  const session = await within(inspectText(previewingEngine(fakeEngine([]), gate.promise), { text: 'abcdefgh' }, meta), 5_000, 'no session before the tensors');
  gate.reject(new Error('the engine worker stopped'));
  const section = session.section('self');
  await assert.rejects(section.quantized({ kind: 'layer', layer: 0 }), /worker stopped/);
  await assert.rejects(section.stats(), /worker stopped/);
  await assert.rejects(section.settled(), /worker stopped/);
  // and before any preview, the error is the inspection's own
  const failing = deferred();
  failing.reject(new Error('no model'));
  const early: Engine = { ...fakeEngine([]), attention: async () => failing.promise.then(() => { throw new Error('unreachable'); }) };
  await assert.rejects(inspectText(early, { text: 'abc' }, meta), /no model/);
});

test('tensors that differ from their preview are refused', async () => {
  const inner = fakeEngine([]);
  const engine: Engine = {
    ...inner,
    attention: async (request, options = {}) => {
      const result = await inner.attention(request);
      const pooled = poolBlock(result.attention, request.pool ?? 32, true);
      options.onPreview?.(attentionPreview({ ...result, pooled })!);
      // one layer fewer than previewed
      return { ...result, attention: { ...result.attention, layers: [0], layerData: result.attention.layerData.slice(0, 1) } };
    },
  };
  const session = await inspectText(engine, { text: 'abcdefgh' }, meta);
  await assert.rejects(session.section('self').quantized({ kind: 'head', layer: 0, head: 0 }), /expected 2 × 3 × 8 × 8/);
});

test('above the cache budget, layers are fetched again and aggregates come from kept means', async () => {
  const calls: AttentionRequest[] = [];
  const session = await inspectText(fakeEngine(calls), { text: 'abcdefghij', cacheBytes: 100 }, meta);
  const section = session.section('self');
  assert.equal(section.holdsFullBlock, true, 'kept until the document is out');
  await section.settled();
  assert.equal(section.holdsFullBlock, false);
  const mean = await section.aggregate('mean', 1);
  assert.equal(calls.length, 1, 'means were kept from the first pass');
  const t = 10;
  const expected = reduceHeads(flatBlock({ layers: [0, 1], heads: [0, 1, 2], rows: [...Array(t).keys()], keys: t, data: fullAttention(t) }), 'mean');
  mean.forEach((v, i) => assert.ok(Math.abs(v - expected[t * t + i]!) < 1e-6));
  await section.quantized({ kind: 'head', layer: 0, head: 1 });
  assert.equal(calls.length, 2);
  assert.deepEqual([calls[1]!.layers, calls[1]!.heads, calls[1]!.withStats], [[0], [1], false]);
  const roll = await section.aggregate('rollout', 1);
  const reference = rollout(expected, 2, t);
  roll.forEach((v, i) => assert.ok(Math.abs(v - reference[t * t + i]!) < 1e-5));
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
