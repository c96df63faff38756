// MarianRunner's rules around the search, on the tiny Marian fixture (seq2seq.test.ts checks the
// search itself against PyTorch): the target-length budget, refused directions and lengths, blank
// text, aborts, the time it reports, and the attention of a translation kept only for the last one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { AbortError, UnsupportedError } from '../../../src/engine/errors';
import { type ModelFolder, readModelFolder } from '../../../src/engine/modelFolder';
import type { Ort } from '../../../src/engine/onnx';
import { detectLanguages, type ModelLanguages } from '../../../src/engine/seq2seq/languages';
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
});
