// The inspector's chunked pass: rows run a few at a time over the KV cache of the rows before them,
// and the chunks put together equal PyTorch eager's attention over the whole prompt, on every
// decoder golden (attention outputs, graph surgery, fused attention). Merged decoders, whose
// inlined no-past branch ignores the cache, run in one chunk.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { AttentionChunk } from '../../../src/engine/attentionStream';
import { chunkRows, MIN_CHUNK_ROWS } from '../../../src/engine/decoderModel';
import { GOLDENS, loadDecoder, maxAbsDiff, modelDir } from './helpers';
import { existsSync } from 'node:fs';

interface AttentionGolden {
  readonly prompt_ids: number[];
  /** [L][H][T][T] PyTorch eager fp32 */
  readonly attentions?: number[][][][];
}

const ROWS_PER_CHUNK = 2;

function attentionGoldens(): { name: string; golden: AttentionGolden }[] {
  return readdirSync(GOLDENS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: f.replace(/\.json$/, ''), golden: JSON.parse(readFileSync(path.join(GOLDENS, f), 'utf8')) as AttentionGolden & { kind?: string } }))
    .filter(({ name, golden }) => Array.isArray(golden.attentions) && Array.isArray(golden.prompt_ids) && existsSync(path.join(modelDir(name), 'config.json')))
    .filter(({ name }) => !name.includes('marian') && !name.includes('opus') && !name.includes('translate'));
}

describe('attention in chunks over the KV cache, against PyTorch eager', () => {
  const goldens = attentionGoldens();
  it('covers the fixtures of every attention source', () => {
    const names = goldens.map((g) => g.name);
    for (const expected of ['tiny-gpt2', 'tiny-llama', 'hub-qwen2.5-coder', 'hub-gpt2', 'fused-qwen2-gqa', 'fused-gpt2-mha-attention']) assert.ok(names.includes(expected), expected);
  });
  for (const { name, golden } of goldens) {
    it(`${name}: chunks of ${ROWS_PER_CHUNK} rows put together equal the whole pass`, async () => {
      const { model, folder } = await loadDecoder(name, { dtype: 'fp32' });
      try {
        const t = golden.prompt_ids.length;
        const layers = Array.from({ length: folder.config.layers }, (_, l) => l);
        const whole = layers.map(() => new Float32Array(folder.config.heads * t * t)); // each [heads, T, T]
        const chunks: AttentionChunk[] = [];
        await model.attentionChunks(golden.prompt_ids, layers, (chunk) => {
          chunks.push(chunk);
          for (const [layer, data] of chunk.layers) {
            for (let h = 0; h < folder.config.heads; h++) {
              for (let r = 0; r < chunk.rows; r++) {
                const from = (h * chunk.rows + r) * chunk.keys;
                whole[layer]!.set(data.subarray(from, from + chunk.keys), (h * t + chunk.firstRow + r) * t);
              }
            }
          }
        }, { rowsPerChunk: ROWS_PER_CHUNK });
        const expectedChunks = model.io.hasUseCacheBranch ? 1 : Math.ceil(t / ROWS_PER_CHUNK);
        assert.equal(chunks.length, expectedChunks);
        assert.deepEqual(chunks.map((c) => c.keys), chunks.map((c) => c.firstRow + c.rows), 'each chunk sees the keys up to its last row');
        layers.forEach((layer) => {
          const diff = maxAbsDiff(whole[layer]!, golden.attentions![layer]!.flat(2));
          assert.ok(diff < 1e-4, `layer ${layer}: max |Δ| ${diff}`);
        });
      } finally {
        await model.dispose();
      }
    });
  }

  it('fetches only the layers asked for', async () => {
    const { model } = await loadDecoder('tiny-llama', { dtype: 'fp32' });
    try {
      const seen: number[][] = [];
      await model.attentionChunks([1, 2, 3, 4, 5], [1], (chunk) => seen.push([...chunk.layers.keys()]), { rowsPerChunk: 2 });
      assert.deepEqual(seen, [[1], [1], [1]]);
      await assert.rejects(model.attentionChunks([1, 2], [7], () => undefined), /layer 7 is outside/);
    } finally {
      await model.dispose();
    }
  });

  it('stops between chunks when aborted', async () => {
    const { model } = await loadDecoder('tiny-llama', { dtype: 'fp32' });
    try {
      const controller = new AbortController();
      let chunks = 0;
      const run = model.attentionChunks([1, 2, 3, 4, 5, 6], [0], () => {
        chunks++;
        controller.abort();
      }, { rowsPerChunk: 2, signal: controller.signal });
      await assert.rejects(run, { name: 'AbortError' });
      assert.equal(chunks, 1);
    } finally {
      await model.dispose();
    }
  });
});

describe('chunkRows', () => {
  it('keeps a chunk of every layer within the byte budget, at least MIN_CHUNK_ROWS, at most every token', () => {
    // 6 layers × 8 heads × 1,024 keys × 4 bytes = 192 KiB a row
    assert.equal(chunkRows(6, 8, 1024, 48 * 1024 * 1024), 256);
    assert.equal(chunkRows(6, 8, 1024), 85, "the default budget");
    assert.equal(chunkRows(24, 14, 1024, 48 * 1024 * 1024), 36);
    assert.equal(chunkRows(24, 14, 4096, 48 * 1024 * 1024), MIN_CHUNK_ROWS);
    assert.equal(chunkRows(6, 8, 100, 48 * 1024 * 1024), 100);
  });
});
