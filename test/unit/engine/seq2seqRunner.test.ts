// MarianRunner's rules around the search, on the tiny Marian fixture (seq2seq.test.ts checks the
// search itself against PyTorch): the target-length budget, refused directions and lengths, blank
// text, aborts, the time it reports, and the attention of a translation kept only for the last one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { AbortError, ModelError, UnsupportedError } from '../../../src/engine/errors';
import { type ModelFolder, readModelFolder } from '../../../src/engine/modelFolder';
import type { Ort, OrtTensor } from '../../../src/engine/onnx';
import { detectLanguages, type ModelLanguages } from '../../../src/engine/seq2seq/languages';
import type { DecoderAttentions, Seq2SeqModel } from '../../../src/engine/seq2seq/model';
import { DEFAULT_MAX_LENGTH_OFFSET, DEFAULT_MAX_LENGTH_RATIO, loadSeq2Seq, MarianRunner } from '../../../src/engine/seq2seq/runner';
import type { Seq2SeqSettings } from '../../../src/engine/seq2seq/settings';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES, GOLDENS } from './helpers';

describe('MarianRunner', () => {
  let folder: ModelFolder;
  let loaded: MarianRunner;
  let languages: ModelLanguages;
  before(async () => {
    folder = await readModelFolder(await NodeModelFiles.open(path.join(FIXTURES, 'tiny-marian')));
    loaded = (await loadSeq2Seq(folder, { ort: ort as unknown as Ort, backend: 'wasm' }, 'fp32')) as MarianRunner;
    languages = detectLanguages({ tokenizerJson: folder.tokenizerJson, tokenizerConfig: folder.tokenizerConfig, config: folder.rawConfig, location: folder.files.location });
  });
  after(async () => loaded.dispose());

  /** The loaded model under other settings, languages or clock. */
  const runner = (settings: Partial<Seq2SeqSettings> = {}, langs?: ModelLanguages, now?: () => number) =>
    new MarianRunner(folder, loaded.model, { ...loaded.settings, maxLength: undefined, maxNewTokens: undefined, ...settings }, langs ?? languages, now);
  const pair = () => loaded.translationPairs[0] ?? { from: '', to: '' };
  /** The loaded model with some members replaced (a model without attention, a failing decoder pass…). */
  const modelWith = (overrides: Record<string, unknown>): Seq2SeqModel =>
    Object.create(loaded.model, Object.fromEntries(Object.entries(overrides).map(([k, value]) => [k, { value }]))) as Seq2SeqModel;
  const withModel = (model: Seq2SeqModel, settings: Partial<Seq2SeqSettings> = {}) =>
    new MarianRunner(folder, model, { ...loaded.settings, maxLength: undefined, maxNewTokens: undefined, ...settings }, languages);
  const golden = () =>
    JSON.parse(readFileSync(path.join(GOLDENS, 'tiny-marian.json'), 'utf8')) as {
      source: string;
      encoder_text: string;
      source_ids: number[];
      greedy: { output_ids: number[] };
      beam: { num_beams: number; output_ids: number[] };
    };

  it('budgets ratio × source + offset new tokens, within max_length − 1, max_new_tokens and the positions, and at least one', () => {
    assert.deepEqual([DEFAULT_MAX_LENGTH_RATIO, DEFAULT_MAX_LENGTH_OFFSET], [2, 10]);
    const free = runner();
    assert.equal(free.maxNewTokens(5, {}), 20);
    assert.equal(free.maxNewTokens(5, { maxLengthRatio: 1.5, maxLengthOffset: 2 }), 9, 'floor(1.5 × 5 + 2)');
    assert.equal(free.maxNewTokens(5, { maxLengthRatio: 0, maxLengthOffset: 0 }), 1);
    assert.equal(runner({ maxLength: 8 }).maxNewTokens(5, {}), 7);
    assert.equal(runner({ maxNewTokens: 6 }).maxNewTokens(5, {}), 6);
    assert.equal(runner({ maxLength: 8, maxNewTokens: 6 }).maxNewTokens(5, {}), 6);
    assert.equal(free.maxNewTokens(10_000, {}), folder.config.maxPositions - 1);
  });

  it('refuses a direction the model lacks, naming those it has, and a text past its positions', () => {
    const { from, to } = pair();
    assert.throws(() => runner().prepareSource('x', 'fr', 'ja'), (e: unknown) =>
      e instanceof UnsupportedError && e.message === `${folder.files.location} does not translate fr→ja (it translates ${loaded.translationPairs.map((p) => `${p.from}→${p.to}`).join(', ')})`,
    );
    const none: ModelLanguages = { ...languages, pairs: [] };
    assert.throws(() => runner({}, none).prepareSource('x', from, to), /\(it declares no languages\)$/);
    const long = Array.from({ length: folder.config.maxPositions + 5 }, () => 'a').join(' ');
    assert.throws(() => runner().prepareSource(long, from, to), (e: unknown) => e instanceof UnsupportedError && /^the text is \d+ tokens long; this model reads at most \d+: translate shorter pieces$/.test(e.message));
  });

  it('translates blank text to nothing without running, refuses an aborted request, and reports its time by the clock given', async () => {
    const { from, to } = pair();
    let clock = 100;
    const timed = runner({}, undefined, () => (clock += 7));
    assert.deepEqual(await timed.translate({ text: '  \n', from, to }), { source: '  \n', target: '', tokens: [], ms: 7 });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(timed.translate({ text: 'hello', from, to }, controller.signal), (e: unknown) => e instanceof AbortError);
    // The golden's greedy search ends with the end token (0) as its ninth: the text has the eight before it.
    const golden = JSON.parse(readFileSync(path.join(GOLDENS, 'tiny-marian.json'), 'utf8')) as { source: string; greedy: { output_ids: number[] } };
    assert.equal(golden.greedy.output_ids.at(-1), loaded.settings.eosTokenIds[0]);
    const result = await timed.translate({ text: golden.source, from, to, maxLengthRatio: 0, maxLengthOffset: 20 });
    assert.equal(result.ms, 7);
    assert.deepEqual(result.tokens, golden.greedy.output_ids.slice(0, -1), 'the end token cut off');
    assert.equal(result.attentionId, undefined, 'no attention kept unless asked');
  });

  it('keeps the attention of the last translation only, under its id', async () => {
    const { from, to } = pair();
    const r = runner();
    const first = await r.translate({ text: 'hello world', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 4 });
    const second = await r.translate({ text: 'good morning', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 4 });
    assert.equal(typeof first.attentionId, 'number');
    assert.equal(second.attentionId, (first.attentionId ?? 0) + 1);
    assert.equal(await r.translationAttention(first.attentionId ?? -1), undefined);
    const attention = await r.translationAttention(second.attentionId ?? -1);
    assert.equal(attention?.id, second.attentionId);
    assert.equal(attention?.targetTokens.length, second.tokens.length);
    assert.equal(attention?.sourceText, r.prepareSource('good morning', from, to).encoderText);
  });

  it('puts the target-language token before the source, reads the text alone without one, and refuses directions by both ends', () => {
    const g = golden();
    // The golden's encoder text and ids are what PyTorch's tokenizer made of ">>de<< " + source.
    assert.deepEqual(runner().prepareSource(g.source, 'en', 'de'), { encoderText: g.encoder_text, ids: g.source_ids });
    assert.equal(runner().prepareSource('hi', 'de', 'en').encoderText, '>>en<< hi', 'the token of the target, not of the source');
    assert.equal(runner().prepareSource('hi', 'EN', 'De').encoderText, '>>de<< hi', 'codes are normalized');
    const tokenless: ModelLanguages = { ...languages, targetTokens: new Map() };
    assert.deepEqual(runner({}, tokenless).prepareSource('hi', 'en', 'de'), { encoderText: 'hi', ids: folder.tokenizer.encode('hi') });
    // en and de are both languages of the model, yet en→en and fr→de are no direction of it.
    assert.throws(() => runner().prepareSource('x', 'en', 'en'), UnsupportedError);
    assert.throws(() => runner().prepareSource('x', 'fr', 'de'), UnsupportedError);
    assert.throws(() => runner().prepareSource('x', 'en', 'fr'), UnsupportedError);
  });

  it('reads a text of exactly its positions, and refuses one token more', () => {
    const { from, to } = pair();
    const limit = folder.config.maxPositions;
    // ">>de<< a a … a</s>": each " a" is two tokens, the language token and the end one more.
    const words = (n: number) => Array.from({ length: n }, () => 'a').join(' ');
    const fits = runner().prepareSource(words((limit - 2) / 2), from, to);
    assert.equal(fits.ids.length, limit);
    assert.throws(() => runner().prepareSource(words((limit - 2) / 2 + 1), from, to), UnsupportedError);
  });

  it('searches greedily unless beams are asked, whatever the model’s default, with the length penalty asked', async () => {
    const g = golden();
    const { from, to } = pair();
    const eos = loaded.settings.eosTokenIds[0];
    // The model's own generation default does not apply to the editor's translations: one beam.
    const greedy = await runner({ numBeams: 4 }).translate({ text: g.source, from, to });
    assert.deepEqual(greedy.tokens, g.greedy.output_ids.slice(0, -1));
    const r = runner();
    const ids = r.prepareSource(g.source, from, to).ids;
    const beamIds = (await r.generateIds(ids, { maxNewTokens: r.maxNewTokens(ids.length, {}), numBeams: 4 })).tokens;
    const beam = await r.translate({ text: g.source, from, to, beams: 4 });
    assert.deepEqual(beam.tokens, beamIds.slice(0, beamIds.indexOf(eos ?? -1)));
    assert.notDeepEqual(beam.tokens, greedy.tokens, 'four beams find another translation here');
    // A strongly negative penalty favours the shortest finished hypothesis.
    const short = await r.translate({ text: g.source, from, to, beams: 4, lengthPenalty: -5 });
    assert.ok(short.tokens.length < beam.tokens.length, `${short.tokens.length} < ${beam.tokens.length}`);
  });

  it('generates with the beams asked or the model’s, capped, and matches PyTorch’s beam search', async () => {
    const g = golden();
    const ids = g.source_ids;
    const options = { maxNewTokens: 20, lengthPenalty: 1, earlyStopping: true } as const;
    assert.equal(g.beam.num_beams, 4);
    assert.deepEqual((await runner().generateIds(ids, { ...options, numBeams: 4 })).tokens, g.beam.output_ids);
    assert.deepEqual((await runner({ numBeams: 4 }).generateIds(ids, options)).tokens, g.beam.output_ids, 'the model’s default');
    assert.deepEqual((await runner({ numBeams: 4 }).generateIds(ids, { ...options, numBeams: 0 })).tokens, g.greedy.output_ids, 'at least one beam');
  });

  it('returns the cross-attention rows of the search only when asked', async () => {
    const ids = golden().source_ids;
    const plain = await runner().generateIds(ids, { maxNewTokens: 3 });
    assert.equal(plain.cross, undefined);
    const asked = await runner().generateIds(ids, { maxNewTokens: 3, captureCross: true });
    assert.equal(asked.cross?.length, asked.tokens.length, 'a row per generated token');
    const without = await withModel(modelWith({ hasCrossAttentions: false })).generateIds(ids, { maxNewTokens: 3, captureCross: true });
    assert.equal(without.cross, undefined, 'an export without cross_attentions.{i} has none to give');
  });

  it('cuts the target at the first end or padding token, keeps a target cut by its budget whole, and decodes it without a leading space', async () => {
    const g = golden();
    const { from, to } = pair();
    const request = { text: g.source, from, to, maxLengthRatio: 0, maxLengthOffset: 20 };
    // Greedy gives 231 then 324s: as padding, 324 ends the target after its first token.
    const padded = await runner({ padTokenId: 324 }).translate(request);
    assert.deepEqual([padded.tokens, padded.target], [[231], folder.tokenizer.decode([231])]);
    const empty = await runner({ padTokenId: 231 }).translate({ ...request, captureAttention: true });
    assert.deepEqual([empty.tokens, empty.target, empty.attentionId], [[], '', undefined], 'nothing before the padding: no text, no attention');
    const budget = await runner().translate({ ...request, maxLengthOffset: 4 });
    assert.deepEqual(budget.tokens, g.greedy.output_ids.slice(0, 4), 'no end token: all four kept');
    assert.ok(!('attentionId' in budget), 'no attention id at all unless asked');
    // A byte-level vocabulary decodes with the space it was trained on before the text.
    const spaced = Object.create(folder.tokenizer, { decode: { value: (ids: readonly number[]) => ` ${folder.tokenizer.decode(ids)} ` } }) as ModelFolder['tokenizer'];
    const spacedRunner = new MarianRunner({ ...folder, tokenizer: spaced }, loaded.model, loaded.settings, languages);
    assert.equal((await spacedRunner.translate(request)).target, `${folder.tokenizer.decode(g.greedy.output_ids.slice(0, -1))} `);
  });

  it('refuses an aborted request before anything else, blank text and unknown directions included', async () => {
    const controller = new AbortController();
    controller.abort();
    const { from, to } = pair();
    await assert.rejects(runner().translate({ text: ' ', from, to }, controller.signal), AbortError);
    await assert.rejects(runner().translate({ text: 'x', from: 'fr', to: 'ja' }, controller.signal), AbortError);
  });

  it('stops a search when its request is aborted midway', async () => {
    const { from, to } = pair();
    // A signal that turns aborted after the checks before the search: only the search sees it.
    let reads = 0;
    const midway = { get aborted() { return ++reads > 2; } } as unknown as AbortSignal;
    await assert.rejects(runner().translate({ text: 'hello world', from, to, maxLengthRatio: 0, maxLengthOffset: 20 }, midway), AbortError);
    assert.ok(reads > 2, 'the search read the signal');
  });

  it('keeps no attention for a model that cannot show it', async () => {
    const { from, to } = pair();
    assert.equal(loaded.hasEncoderAttentions, true);
    const blind = withModel(modelWith({ attentionSource: 'none' }));
    assert.equal(blind.hasEncoderAttentions, false);
    const result = await blind.translate({ text: 'hello', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 3 });
    assert.ok(result.tokens.length > 0);
    assert.equal(result.attentionId, undefined);
  });

  it('shows a translation’s cross-attention per layer and head, a row per target token, and the decoder’s inputs', async () => {
    const g = golden();
    const { from, to } = pair();
    const r = runner();
    // The search also stepped the end token: its row is no target token's.
    const result = await r.translate({ text: g.source, from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 20 });
    assert.equal(result.tokens.length, g.greedy.output_ids.length - 1);
    const attention = await r.translationAttention(result.attentionId ?? -1);
    assert.equal(attention?.totalLayers, 2);
    assert.equal(attention?.totalHeads, 4);
    assert.deepEqual(attention?.cross.rows, result.tokens.map((_, i) => i));
    assert.equal(attention?.cross.keys, attention?.sourceTokens.length);
    assert.deepEqual(attention?.sourceTokens.map((t) => t.id), g.source_ids);
    assert.ok(attention?.decoderSelf !== undefined, 'the export has decoder self-attention');
    const start = loaded.settings.decoderStartTokenId;
    assert.deepEqual(attention?.decoderInputTokens?.map((t) => t.id), [start, ...result.tokens.slice(0, -1)]);
    assert.equal(attention?.decoderInputTokens?.[0]?.text, folder.tokenizer.tokenString(start));
  });

  it('names the decoder’s start token `<start>` when the vocabulary has no string for it', async () => {
    const { from, to } = pair();
    const start = loaded.settings.decoderStartTokenId;
    const tokenizer = Object.create(folder.tokenizer, {
      tokenString: { value: (id: number) => (id === start ? undefined : folder.tokenizer.tokenString(id)) },
    }) as ModelFolder['tokenizer'];
    const r = new MarianRunner({ ...folder, tokenizer }, loaded.model, loaded.settings, languages);
    const result = await r.translate({ text: 'hello', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 3 });
    const attention = await r.translationAttention(result.attentionId ?? -1);
    assert.deepEqual(attention?.decoderInputTokens?.[0], { id: start, text: '<start>', start: 0, end: 0 });
  });

  it('shows captured cross-attention when the decoder pass fails, and that pass’s error when nothing was captured', async () => {
    const { from, to } = pair();
    const failure = new Error('decoder pass failed');
    const request = { text: 'hello world', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 4 };
    const captured = withModel(modelWith({ decoderAttention: () => Promise.reject(failure) }));
    const kept = await captured.translate(request);
    const attention = await captured.translationAttention(kept.attentionId ?? -1);
    assert.deepEqual(attention?.cross.rows, kept.tokens.map((_, i) => i));
    assert.equal(attention?.decoderSelf, undefined);
    const uncaptured = withModel(modelWith({ hasCrossAttentions: false, decoderAttention: () => Promise.reject(failure) }));
    const lost = await uncaptured.translate(request);
    await assert.rejects(uncaptured.translationAttention(lost.attentionId ?? -1), (e: unknown) => e === failure);
  });

  it('shows no layers for a decoder pass without attention, and refuses cross rows that do not fit the source', async () => {
    const { from, to } = pair();
    const request = { text: 'hello world', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 4 };
    const empty: DecoderAttentions = { self: [], cross: [] };
    const bare = withModel(modelWith({ hasCrossAttentions: false, decoderAttention: () => Promise.resolve(empty) }));
    const result = await bare.translate(request);
    const attention = await bare.translationAttention(result.attentionId ?? -1);
    assert.deepEqual([attention?.totalLayers, attention?.totalHeads], [0, 0]);
    assert.ok(attention !== undefined && !('decoderSelf' in attention) && !('decoderInputTokens' in attention));
    // One head over one key more than the source has: rows of a length no head count explains.
    const keys = folder.tokenizer.encode(`>>de<< hello world`).length + 1;
    const rows = result.tokens.length;
    const wide = { dims: [1, 1, rows, keys], data: new Float32Array(rows * keys) } as unknown as OrtTensor;
    const odd = withModel(modelWith({ hasCrossAttentions: false, decoderAttention: () => Promise.resolve({ self: [], cross: [wide] }) }));
    const oddResult = await odd.translate(request);
    await assert.rejects(odd.translationAttention(oddResult.attentionId ?? -1), (e: unknown) => e instanceof ModelError && e.message === 'cross-attention rows do not match the source length');
  });

  it('forgets the last translation’s attention and releases its model when disposed', async () => {
    const { from, to } = pair();
    let released = 0;
    const r = withModel(modelWith({ dispose: async () => void released++ }));
    const result = await r.translate({ text: 'hello', from, to, captureAttention: true, maxLengthRatio: 0, maxLengthOffset: 3 });
    await r.dispose();
    assert.equal(released, 1);
    assert.equal(await r.translationAttention(result.attentionId ?? -1), undefined);
  });

  it('shows the encoder’s attention over the last maxTokens tokens of a text', async () => {
    const result = await runner().encoderAttention({ text: 'the file could not be opened at all', maxTokens: 5 });
    assert.equal(result.tokens.length, 5);
    assert.ok(result.truncatedTokens > 0);
    assert.equal(result.attention.layerData.length, 2);
    // Each query's row over the keys sums to one: the run filled the block.
    const first = result.attention.layerData[0] ?? new Float32Array();
    assert.ok(Math.abs(first.subarray(0, 5).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  });
});
