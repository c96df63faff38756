// The side-by-side benchmark's own arithmetic: prompts cut from real text at the lengths asked for,
// the KV-cache bytes a token adds, and the plot drawn from a report's rows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { kvBytesPerToken, promptsAt } from '../../../bench/sideBySide';
import { fastest } from '../../../bench/sideBySide/decodeJob';
import { decodeSeries, latencyBars, plotSvg } from '../../../bench/sideBySide/plot';
import type { BenchRow } from '../../../bench/types';
import { ModelTokenizer } from '../../../src/engine/tokenizer';
import { FIXTURES, ROOT } from '../engine/helpers';

const CODE_MODEL = path.join(ROOT, 'models', 'tealeaf-code');

describe('promptsAt', () => {
  it('cuts the end of the text at about each length, and gives the ids the model’s tokenizer gives', () => {
    const text = readFileSync(path.join(ROOT, 'test', 'fixtures', 'text', 'service.ts.txt'), 'utf8');
    const prompts = promptsAt(CODE_MODEL, text, [16, 128]);
    const json = (file: string) => JSON.parse(readFileSync(path.join(CODE_MODEL, file), 'utf8'));
    const tokenizer = new ModelTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    assert.equal(prompts.length, 2);
    for (const [k, n] of [16, 128].entries()) {
      const prompt = prompts[k]!;
      assert.ok(text.endsWith(prompt.text), 'a prompt is the end of the text');
      assert.ok(Math.abs(prompt.ids.length - n) <= 2, `${prompt.ids.length} tokens for ${n}`);
      assert.deepEqual(prompt.ids, tokenizer.encode(prompt.text));
    }
    assert.ok(prompts[1]!.text.length > prompts[0]!.text.length);
  });

  it('refuses a length the text does not have', () => {
    assert.throws(() => promptsAt(CODE_MODEL, 'short', [500]), /fewer than 500/);
  });
});

describe('kvBytesPerToken', () => {
  it('is 2 × layers × kvHeads × headDim × 4 bytes, reading each family’s config names', () => {
    assert.equal(kvBytesPerToken(CODE_MODEL), 2 * 6 * 4 * 32 * 4); // Llama: num_key_value_heads, head_dim
    const gpt2 = JSON.parse(readFileSync(path.join(FIXTURES, 'tiny-gpt2', 'config.json'), 'utf8')) as { n_layer: number; n_embd: number };
    assert.equal(kvBytesPerToken(path.join(FIXTURES, 'tiny-gpt2')), 2 * gpt2.n_layer * gpt2.n_embd * 4); // GPT-2: all heads, n_embd / n_head each
  });
});

describe('the plot', () => {
  const row = (system: string, metric: string, value: number, model = 'm'): BenchRow => ({ system, model, metric, value, unit: 'ms' });
  const rows: BenchRow[] = [
    row('tealeaf-web', 'decode_ms_per_token_at_256', 4),
    row('tealeaf-web', 'decode_ms_per_token_at_64', 3),
    row('transformersjs-web', 'decode_ms_per_token_at_64', 5),
    row('transformersjs-web', 'decode_ms_per_token_at_256', 9),
    row('tealeaf-web', 'decode_ms_per_token_at_64', 99, 'other-model'),
    row('tealeaf', 'keystroke_latency_all_p50', 20),
    row('tealeaf', 'keystroke_latency_all_p95', 40),
    row('naive', 'keystroke_latency_all_p50', 200),
    row('naive', 'keystroke_latency_all_p95', 260),
  ];

  it('one series per system of the model, sorted by context', () => {
    assert.deepEqual(decodeSeries(rows, 'm'), [
      { name: 'tealeaf-web', points: [{ x: 64, y: 3 }, { x: 256, y: 4 }] },
      { name: 'transformersjs-web', points: [{ x: 64, y: 5 }, { x: 256, y: 9 }] },
    ]);
  });

  it('one bar pair per system of the replay', () => {
    assert.deepEqual(latencyBars(rows, 'm'), [['tealeaf', 20, 40], ['naive', 200, 260]]);
  });

  it('draws a line per system with its legend, and each percentile with its value', () => {
    const svg = plotSvg(rows, 'm', 'a machine');
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    for (const name of ['tealeaf-web', 'transformersjs-web', 'naive', 'a machine']) assert.ok(svg.includes(`>${name}<`), name);
    for (const label of ['p50 20.0', 'p95 40.0', 'p50 200', 'p95 260']) assert.ok(svg.includes(`>${label}<`), label);
    assert.ok(!svg.includes('NaN'), 'no NaN coordinates');
  });
});

describe('fastest', () => {
  it('takes the fastest prefill and the fastest decode of a prompt’s runs, each on its own', () => {
    const point = (prefillMs: number, decodeMsPerToken: number, tokens: number[]) => ({ contextTokens: 8, prefillMs, decodeMsPerToken, tokens });
    assert.deepEqual(fastest([point(30, 2, [1]), point(10, 5, [2]), point(20, 1.5, [3])]), point(10, 1.5, [1]));
    assert.ok(Number.isNaN(fastest([point(3, Number.NaN, [1])]).decodeMsPerToken));
    assert.throws(() => fastest([]), /no run/);
  });
});
