// Encoder self-attention of an encoder-decoder model (the inspector's Encoder view) against the
// PyTorch golden of the tiny-marian fixture.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine, EngineHost } from '../../../src/engine/types';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { GOLDENS, maxAbsDiff, modelDir } from './helpers';
import { flatData } from '../../blocks';

interface MarianGolden {
  readonly encoder_text: string;
  readonly source_ids: number[];
  /** [L][H][S][S] */
  readonly encoder_attentions: number[][][][];
}

const golden = JSON.parse(readFileSync(path.join(GOLDENS, 'tiny-marian.json'), 'utf8')) as MarianGolden;

describe('encoder self-attention (tiny-marian)', () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost();
    engine = await host.load(modelDir('tiny-marian'), { threads: 1 });
  });
  after(async () => host.dispose());

  it('matches the PyTorch encoder attentions within 1e-4, every row over every key', async () => {
    const result = await engine.attention({ text: golden.encoder_text });
    assert.equal(result.kind, 'encoder');
    assert.deepEqual(result.tokens.map((t) => t.id), golden.source_ids);
    assert.equal(result.attention.keys, golden.source_ids.length);
    const diff = maxAbsDiff(flatData(result.attention), golden.encoder_attentions.flat(3));
    assert.ok(diff < 1e-4, `max diff ${diff}`);
    assert.equal(result.stats.length, engine.info.layers * engine.info.heads);
  });

  it('a translation keeps its decoder self-attention: causal rows over the decoder inputs', async () => {
    const result = await engine.translate({ text: 'The file could not be opened.', from: 'en', to: 'de', captureAttention: true, maxLengthOffset: 6, maxLengthRatio: 0 });
    assert.ok(result.attentionId !== undefined);
    const attention = await engine.translationAttention(result.attentionId);
    const block = attention?.decoderSelf;
    assert.ok(attention && block && attention.decoderInputTokens);
    const t = result.tokens.length;
    assert.equal(block.rows.length, t);
    assert.equal(block.keys, t);
    assert.equal(attention.decoderInputTokens.length, t);
    assert.equal(attention.decoderInputTokens[0]?.id, 2, 'the first key is the decoder start token (pad for Marian)');
    const values = flatData(block);
    for (let i = 0; i < values.length; i += t) {
      const row = values.subarray(i, i + t);
      const q = (i / t) % t;
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.ok(row.subarray(q + 1).every((v) => v === 0), 'no attention to later inputs');
    }
  });

  it('returns only the requested layer, heads and rows', async () => {
    const full = await engine.attention({ text: golden.encoder_text });
    const s = full.attention.keys;
    const part = await engine.attention({ text: golden.encoder_text, layers: [1], heads: [3], rows: [0], withStats: false });
    const H = engine.info.heads;
    assert.deepEqual(Array.from(flatData(part.attention)), Array.from(flatData(full.attention).subarray(((1 * H + 3) * s + 0) * s, ((1 * H + 3) * s + 1) * s)));
  });
});
