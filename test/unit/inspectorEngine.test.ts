// The inspector's host side on a real engine (tiny-llama fixture, in-process WASM): the document it
// posts, blocks from the cache and from a second forward agree, rollout rows are distributions,
// the SVG renders, and "why this suggestion?" builds from a captured generation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createInProcessHost } from '../../src/host/inProcessHost';
import type { Engine, EngineHost } from '../../src/engine/types';
import { poolBlock } from '../../src/engine/pool';
import { quantizeRows } from '../../src/engine/quantize';
import { createViewCache, keepOnlyDocument } from '../../src/inspector/viewCache';
import { headMatrix } from '../../src/engine/attention';
import { reduceHeads } from '../../src/engine/aggregate';
import { inspectGeneration, inspectText } from '../../src/inspector/session';
import { renderModelViewSvg } from '../../src/inspector/svg';
import { textWithContext } from '../../src/inspector/context';
import { isInspectorDocument, keyTokensOf } from '../../src/protocol/inspector';
import { modelDir } from './engine/helpers';

const TEXT = 'function add(a, b) {\n  return a + b;\n}\nconst total = add(1, 2);\n';
const meta = { docId: 1, title: 'fixture', modelName: 'tiny-llama' };

describe('inspector on tiny-llama', () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost();
    engine = await host.load(modelDir('tiny-llama'), { threads: 1 });
  });
  after(async () => host.dispose());

  it('showing another document drops the views of the one it replaced, and only those', async () => {
    const views = createViewCache(1);
    const first = await inspectText(engine, { text: TEXT, views }, { ...meta, docId: 7 });
    const second = await inspectText(engine, { text: 'let x = 1;\nlet y = x + 1;\n', views }, { ...meta, docId: 8 });
    const scope = { kind: 'layer' as const, layer: 0 };
    await first.section('self').quantized(scope);
    const kept = await second.section('self').quantized(scope);
    const keptBytes = kept.data.byteLength + kept.scales.byteLength;
    assert.ok(views.weight > keptBytes, 'both documents have a view in the cache');
    keepOnlyDocument(views, 8);
    assert.equal(views.weight, keptBytes);
    assert.equal(await second.section('self').quantized(scope), kept, 'the shown document’s view stays cached');
  });

  it('posts a document with every layer × head and its statistics; views come from the engine, then from the cache', async () => {
    let calls = 0;
    const counting: Engine = { ...engine, info: engine.info, attention: (request, options) => (calls++, engine.attention(request, options)) } as Engine;
    const views = createViewCache(1);
    const session = await inspectText(counting, { text: TEXT, views }, meta);
    assert.equal(calls, 1);
    const doc = session.document;
    assert.ok(isInspectorDocument(doc));
    const s = doc.sections[0]!;
    assert.equal(s.layers.length, engine.info.layers);
    assert.equal(s.heads.length, engine.info.heads);
    assert.equal(s.statsPending, false, 'the engine computed the statistics during its pass');
    assert.deepEqual(s.stats, (await engine.attention({ text: TEXT, withStats: true })).stats, 'the same statistics as a whole pass gives');
    assert.equal(s.thumbnails.count, engine.info.layers * engine.info.heads);
    // labels carry exact spans: the non-special tokens' slices rebuild the text
    assert.equal(s.queryTokens.filter((t) => t.end > t.start).map((t) => TEXT.slice(t.start, t.end)).join(''), TEXT);
    const scope = { kind: 'head' as const, layer: 1, head: 2 };
    const full = await engine.attention({ text: TEXT, withStats: false });
    const view = await session.section('self').quantized(scope);
    assert.equal(calls, 2, 'the head came from the engine');
    const expected = quantizeRows(headMatrix(full.attention, 1, 2), 1, s.queryTokens.length, s.queryTokens.length);
    assert.deepEqual(view, expected);
    assert.equal(await session.section('self').quantized(scope), view, 'the second time from the cache');
    assert.equal(calls, 2);
    assert.equal(views.weight, view.data.byteLength + view.scales.byteLength);
    const mean = await session.section('self').aggregate('mean', 1);
    assert.deepEqual(Array.from(mean), Array.from(reduceHeads({ ...full.attention, layers: [1], layerData: [full.attention.layerData[1]!] }, 'mean')));
    const roll = await session.section('self').aggregate('rollout', engine.info.layers - 1);
    const n = s.queryTokens.length;
    for (let r = 0; r < n; r++) {
      const sum = roll.subarray(r * n, (r + 1) * n).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, `rollout row ${r} sums to ${sum}`);
    }
    const exported = await session.exportJson('self', { kind: 'layer', layer: 0 });
    assert.equal(exported.attention?.[0]?.[3]?.[2]?.[1], Math.round(full.attention.layerData[0]![(3 * n + 2) * n + 1]! * 1e6) / 1e6, 'export holds exact values');
  });

  it('cuts a long text to maxTokens with a notice, and context tokens come from the tokenizer', async () => {
    const long = TEXT.repeat(12);
    const session = await inspectText(engine, { text: long, maxTokens: 64 }, meta);
    assert.ok(session.document.sections[0]!.queryTokens.length <= 64);
    assert.match(session.document.notice ?? '', /^Showing the last \d+ tokens; \d+ tokens before them were cut/);
    const sel = long.lastIndexOf('const');
    const ctx = await textWithContext(long, sel, long.length, 8, 256, (t) => engine.tokenize(t));
    assert.ok(ctx.base < sel && long.slice(ctx.base).endsWith('add(1, 2);\n'));
    const before = (await engine.tokenize(long.slice(ctx.base, sel))).filter((t) => t.end > t.start);
    assert.ok(before.length <= 9, `${before.length} context tokens`); // 8, ±1 where a merge crosses the cut
  });

  it('pools the heads in the engine exactly as the host would, skipping only causal zeros', async () => {
    const result = await engine.attention({ text: TEXT, withStats: false, pool: 8 });
    assert.ok(result.pooled);
    assert.equal(result.pooled.count, engine.info.layers * engine.info.heads);
    const dense = poolBlock(result.attention, 8, false);
    assert.equal(result.pooled.rows, dense.rows);
    result.pooled.data.forEach((v, i) => assert.ok(Math.abs(v - dense.data[i]!) < 1e-7, `cell ${i}: ${v} vs ${dense.data[i]}`));
    assert.equal((await engine.attention({ text: TEXT, withStats: false })).pooled, undefined, 'only when asked');
  });

  it('a request without values returns the shape, the pooled heads and the statistics of every head', async () => {
    const whole = await engine.attention({ text: TEXT, withStats: true, pool: 8 });
    const bare = await engine.attention({ text: TEXT, withStats: true, pool: 8, values: false });
    const { layerData, ...shape } = whole.attention;
    assert.ok(layerData.length > 0);
    assert.deepEqual(bare.attention, { ...shape, layerData: [] });
    assert.deepEqual(Array.from(bare.pooled!.data), Array.from(whole.pooled!.data));
    assert.deepEqual(bare.stats, whole.stats);
  });

  it('renders the model view as SVG from a real result', async () => {
    const result = await engine.attention({ text: TEXT });
    const svg = renderModelViewSvg(result);
    assert.equal((svg.match(/<g transform=/g) ?? []).length, engine.info.layers * engine.info.heads);
    assert.ok(svg.length < 400_000, `${svg.length} bytes`);
  });

  it('"why this suggestion?" from a captured generation', async () => {
    const gen = await engine.generate({ prompt: TEXT, maxNewTokens: 4, captureAttention: true, reusePrefix: false });
    assert.ok(gen.attentionId !== undefined);
    const ga = await engine.generationAttention(gen.attentionId);
    assert.ok(ga);
    const session = inspectGeneration(ga, meta);
    const s = session.document.sections[0]!;
    assert.equal(s.queryTokens.length, gen.tokens.length);
    assert.equal(keyTokensOf(s).length, ga.attention.keys);
    assert.ok(isInspectorDocument(session.document));
    const layer = await session.section('generation').quantized({ kind: 'layer', layer: 0 });
    assert.equal(layer.rows, gen.tokens.length);
  });
});
