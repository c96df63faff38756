// Seq2SeqModel's own behaviour on the tiny Marian fixtures (seq2seq.test.ts holds its numbers to
// PyTorch's): refusals, rows stepped together as each alone, beam reordering, the encoder's
// attention from the export or from graph surgery, and what it says of its files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { ModelError } from '../../../src/engine/errors';
import { readModelFolder, readOnnxFile } from '../../../src/engine/modelFolder';
import type { Ort } from '../../../src/engine/onnx';
import { loadSeq2Seq, type MarianRunner } from '../../../src/engine/seq2seq/runner';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES, GOLDENS, maxAbsDiff } from './helpers';

async function open(name: string, dtype: 'fp32' | 'auto' = 'fp32'): Promise<MarianRunner> {
  const folder = await readModelFolder(await NodeModelFiles.open(path.join(FIXTURES, name)));
  return (await loadSeq2Seq(folder, { ort: ort as unknown as Ort, backend: 'wasm' }, dtype)) as MarianRunner;
}

const SOURCE = [12, 40, 7, 99, 3];

describe('Seq2SeqModel', () => {
  let tiny: MarianRunner;
  let hub: MarianRunner;
  before(async () => {
    tiny = await open('tiny-marian');
    hub = await open('hub-opus-mt-en-de');
  });
  after(async () => {
    await tiny.dispose();
    await hub.dispose();
  });

  it('refuses an empty source and a step with a token count other than its rows', async () => {
    const model = tiny.model;
    await assert.rejects(model.encode([]), (e: unknown) => e instanceof ModelError && e.message === 'the source encodes to no tokens');
    const state = model.start(await model.encode(SOURCE));
    await assert.rejects(model.step(state, [1, 2]), /^Error: step\(\) got 2 tokens for 1 rows$/);
  });

  it('steps rows together as it steps each alone, and reorders them for beams', async () => {
    const model = tiny.model;
    const start = tiny.settings.decoderStartTokenId;
    const first = await model.step(model.start(await model.encode(SOURCE)), [start]);
    const vocab = first.vocab;
    assert.equal(first.logits.length, vocab);
    assert.deepEqual(first.state.inputs, [[start]]);
    // Two rows from one (a beam's tiling), each fed its own next token.
    const tiled = model.reorder(first.state, [0, 0]);
    assert.equal(tiled.batch, 2);
    assert.deepEqual(tiled.inputs, [[start], [start]]);
    const both = await model.step(tiled, [5, 9]);
    assert.equal(both.logits.length, 2 * vocab);
    for (const [row, token] of [[0, 5], [1, 9]] as const) {
      const alone = await model.step(first.state, [token]);
      assert.ok(maxAbsDiff(both.logits.subarray(row * vocab, (row + 1) * vocab), alone.logits) < 1e-5, `row ${row}`);
    }
    assert.deepEqual(both.state.inputs, [[start, 5], [start, 9]]);
    const swapped = model.reorder(both.state, [1, 0]);
    assert.deepEqual(swapped.inputs, [[start, 9], [start, 5]]);
    const next = await model.step(swapped, [3, 3]);
    const direct = await model.step(model.reorder(both.state, [1]), [3]);
    assert.ok(maxAbsDiff(next.logits.subarray(0, vocab), direct.logits) < 1e-5, 'the swapped row carries its own cache');
    assert.equal(model.reorder(both.state, [0, 1]), both.state, 'the identity is the state itself');
    const firstRow = model.reorder(both.state, [0]);
    assert.deepEqual([firstRow.batch, firstRow.inputs], [1, [[start, 5]]], 'a prefix of the rows is no identity');
    // Rows that keep their place only in part are no identity either: row 1 becomes a copy of row 0.
    assert.deepEqual(model.reorder(both.state, [0, 0]).inputs, [[start, 5], [start, 5]]);
  });

  it('gives the last query’s cross-attention per row and layer only when asked', async () => {
    const model = tiny.model;
    const state = model.start(await model.encode(SOURCE));
    const plain = await model.step(state, [tiny.settings.decoderStartTokenId]);
    assert.equal(plain.cross, undefined);
    const asked = await model.step(state, [tiny.settings.decoderStartTokenId], { crossAttention: true });
    const rows = asked.cross ?? [];
    assert.equal(rows.length, 1, 'one batch row');
    assert.equal(rows[0]?.length, 2, 'one entry per decoder layer');
    for (const layer of rows[0] ?? []) {
      const heads = layer.length / SOURCE.length;
      assert.ok(Number.isInteger(heads) && heads > 0);
      for (let h = 0; h < heads; h++) assert.ok(Math.abs(layer.subarray(h * SOURCE.length, (h + 1) * SOURCE.length).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
  });

  it('shows the encoder’s attention from an export without it through graph surgery, and the decoder’s of a whole target', async () => {
    const model = hub.model;
    assert.equal(model.attentionSource, 'surgery');
    assert.equal(model.attentionUnavailableReason, undefined);
    const encoded = await model.encode(SOURCE, { attention: true });
    assert.equal(encoded.attentions?.length, 2);
    for (const tensor of encoded.attentions ?? []) assert.deepEqual(tensor.dims.slice(2), [SOURCE.length, SOURCE.length]);
    const plain = await model.encode(SOURCE);
    assert.equal(plain.attentions, undefined);
    assert.ok(maxAbsDiff(encoded.hidden.data as Float32Array, plain.hidden.data as Float32Array) < 1e-5, 'the inspector’s copy computes the same hidden states');
    const target = [hub.settings.decoderStartTokenId, 5, 8];
    const attention = await model.decoderAttention(plain, target);
    assert.equal(attention.self.length, 2);
    assert.deepEqual(attention.self[0]?.dims.slice(2), [3, 3]);
    assert.deepEqual(attention.cross[0]?.dims.slice(2), [3, SOURCE.length]);
    const own = await tiny.model.decoderAttention(await tiny.model.encode(SOURCE), target);
    assert.deepEqual(own.cross[0]?.dims.slice(2), [3, SOURCE.length], 'from the export’s own outputs');
  });

  it('says which files it runs, of which dtypes, and counts a shared embedding once', async () => {
    const source = hub.source;
    const files = await NodeModelFiles.open(path.join(FIXTURES, 'hub-opus-mt-en-de'));
    const [encoder, decoder] = await Promise.all(source.files.map((file) => readOnnxFile(files, file)));
    const separately = (encoder?.summary.parameters ?? 0) + (decoder?.summary.parameters ?? 0);
    const vocab = (await readModelFolder(files)).config.vocabSize;
    assert.ok(source.parameters < separately && source.parameters >= separately - 2 * vocab * 64, `${source.parameters} of ${separately}: the shared embedding counted once`);
    assert.deepEqual(source.files, ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']);
    assert.equal(source.dtype, 'fp32');
    assert.deepEqual(source.dtypes, ['fp32', 'fp16', 'q8']);
    assert.match(source.reason, /\S/);
    assert.ok(source.bytes > 0);
  });

  it('reads the encoder’s attention from the export’s own outputs when it has them, and says why none can be shown', () => {
    assert.equal(tiny.model.attentionSource, 'outputs');
    assert.equal(tiny.model.attentionUnavailableReason, undefined);
    // A failed graph surgery leaves the source `none`, with or without the failure's words.
    const none = (why: string | undefined) =>
      Object.create(tiny.model, { attentionSourceValue: { value: 'none' }, attentionWhy: { value: why } }) as typeof tiny.model;
    assert.equal(none('the surgery failed').attentionUnavailableReason, 'the surgery failed');
    assert.equal(none(undefined).attentionUnavailableReason, 'the encoder exports no attention outputs');
  });

  it('releases its sessions when disposed, the inspector’s copy included', async () => {
    const own = await open('hub-opus-mt-en-de');
    // The encoder's attention of this export comes from the inspector's copy, opened here.
    assert.equal((await own.model.encode(SOURCE, { attention: true })).attentions?.length, 2);
    await own.dispose();
    await assert.rejects(own.model.encode(SOURCE));
    await assert.rejects(own.model.encode(SOURCE, { attention: true }));
  });

  it('reads the cross keys and values on the first step of a decoder with a cache branch, and reuses them after', async () => {
    // The hub export switches on use_cache_branch: the first step must take the no-cache branch
    // and return the cross cache, later ones the cached branch. Its greedy search is PyTorch's.
    const golden = JSON.parse(readFileSync(path.join(GOLDENS, 'hub-opus-mt-en-de.json'), 'utf8')) as { source_ids: number[]; greedy: { output_ids: number[] } };
    const result = await hub.generateIds(golden.source_ids, { maxNewTokens: 20, numBeams: 1 });
    assert.deepEqual(result.tokens, golden.greedy.output_ids);
  });

  it('reads the decoder’s attention from its own outputs only when it exports both kinds for every layer, else from the inspector’s copy', async () => {
    // An export with only one kind of attention output: the inspector's copy gives both kinds.
    for (const missing of ['selfAttentionNames', 'crossAttentionNames'] as const) {
      const own = await open('tiny-marian');
      const partial = Object.create(own.model, { decoderIo: { value: { ...own.model.decoderIo, [missing]: [] } } }) as typeof own.model;
      const attention = await partial.decoderAttention(await own.model.encode(SOURCE), [own.settings.decoderStartTokenId, 5, 8]);
      assert.deepEqual([attention.self.length, attention.cross.length], [2, 2], `without ${missing}`);
      await partial.dispose(); // the model's sessions and the copy opened for the partial export
    }
  });
});
