// `tealeaf check-model` and the CLI's one-line errors, on the fixtures: the facts against what the
// recipes wrote into the goldens (PyTorch's parameter count, the files and their dtypes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkModel } from '../../../src/cli/checkModel';
import type { Dtype } from '../../../src/engine/dtype';
import { FIXTURES, GOLDENS, ROOT } from '../engine/helpers';
import { smoothSoftmaxFolder } from '../onnxEdit';

const CLI = path.join(ROOT, 'bin', 'tealeaf.mjs');

interface HubGolden {
  readonly parameters: number;
  readonly files: Record<string, { readonly dtype: string; readonly bytes: number }>;
}

function golden(name: string): HubGolden {
  return JSON.parse(readFileSync(path.join(GOLDENS, `${name}.json`), 'utf8')) as HubGolden;
}

/** Runs the built CLI; returns exit status, stdout and stderr. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('check-model', () => {
  it('reports the facts of a GPT-2 layout: architecture, MHA, learned positions, parameters, every dtype file', async () => {
    const { facts } = await checkModel(path.join(FIXTURES, 'hub-gpt2'));
    const expected = golden('hub-gpt2');
    assert.equal(facts.ok, true);
    assert.equal(facts.architecture, 'GPT2LMHeadModel');
    assert.equal(facts.task, 'text-generation');
    assert.equal(facts.attention, 'MHA');
    assert.equal(facts.positions, 'learned');
    assert.equal(facts.parameters, expected.parameters);
    assert.equal(facts.fim, false);
    const byPath = new Map(facts.files.map((f) => [f.path, f]));
    // The golden lists every ONNX file; check-model lists the one per dtype it would load.
    for (const file of facts.files) {
      assert.equal(file.bytes, statSync(path.join(FIXTURES, 'hub-gpt2', file.path)).size);
      assert.equal(expected.files[file.path]?.dtype, file.dtype, file.path);
    }
    assert.deepEqual([...new Set(facts.files.map((f) => f.dtype))].sort(), [...new Set(Object.values(expected.files).map((f) => f.dtype))].sort());
    assert.ok(byPath.has('onnx/model.onnx'));
  });

  it('reports a Qwen2.5-Coder layout: GQA, RoPE, FIM, external data, and PyTorch\'s parameter count in every dtype', async () => {
    const dir = path.join(FIXTURES, 'hub-qwen2.5-coder');
    const expected = golden('hub-qwen2.5-coder');
    const { facts } = await checkModel(dir);
    assert.equal(facts.architecture, 'Qwen2ForCausalLM');
    assert.equal(facts.attention, 'GQA');
    assert.equal(facts.positions, 'rope');
    assert.equal(facts.contextLength, 32768);
    assert.equal(facts.fim, true);
    assert.ok(facts.files.some((f) => f.path === 'onnx/model.onnx_data' && f.dtype === 'fp32'), 'external data is listed with its graph');
    for (const dtype of facts.dtypes) {
      const parameters = (await checkModel(dir, dtype as Dtype)).facts.parameters;
      assert.equal(parameters, expected.parameters, `${dtype}: a tied, transposed or quantized LM head is one set of weights`);
    }
  });

  it('reports a SmolLM2 layout (Llama: GQA, RoPE) and an opus-mt layout (Marian: translation, sinusoidal positions) with PyTorch\'s parameter count in every dtype', async () => {
    for (const [name, expected] of [
      ['hub-smollm2', { architecture: 'LlamaForCausalLM', task: 'text-generation', layers: 2, heads: 6, kvHeads: 2, attention: 'GQA', positions: 'rope', contextLength: 8192 }],
      ['hub-opus-mt-en-de', { architecture: 'MarianMTModel', task: 'translation', layers: 2, heads: 4, kvHeads: 4, attention: 'MHA', positions: 'sinusoidal', contextLength: 512 }],
    ] as const) {
      const dir = path.join(FIXTURES, name);
      const { facts } = await checkModel(dir);
      const { architecture, task, layers, heads, kvHeads, attention, positions, contextLength } = facts;
      assert.deepEqual({ architecture, task, layers, heads, kvHeads, attention, positions, contextLength }, expected, name);
      assert.ok(facts.dtypes.length >= 3, `${name}: ${facts.dtypes.join(', ')}`);
      for (const dtype of facts.dtypes) {
        // Marian's sinusoidal position tables are equal in encoder and decoder but two modules: counted twice.
        assert.equal((await checkModel(dir, dtype as Dtype)).facts.parameters, golden(name).parameters, `${name} ${dtype}`);
      }
    }
  });

  it('reports GQA, RoPE and the context length of a Llama fixture', async () => {
    const { facts, text } = await checkModel(path.join(FIXTURES, 'tiny-llama'));
    assert.equal(facts.attention, 'GQA');
    assert.equal(facts.positions, 'rope');
    assert.equal(facts.kvHeads, 2);
    assert.match(text, /using onnx\/model\.onnx \(fp32\): auto: fp32/);
  });

  it('names where the inspector’s attention comes from: outputs, surgery, fused-surgery', async () => {
    assert.equal((await checkModel(path.join(FIXTURES, 'tiny-gpt2'))).facts.attentionSource, 'outputs');
    const stock = await checkModel(path.join(FIXTURES, 'hub-smollm2'));
    assert.equal(stock.facts.attentionSource, 'surgery');
    assert.equal(stock.facts.attentionWhy, undefined);
    assert.match(stock.text, /attention: every head, by graph surgery/);
    assert.equal((await checkModel(path.join(FIXTURES, 'fused-qwen2-gqa'))).facts.attentionSource, 'fused-surgery');
  });

  it('says in one sentence why a graph shows no attention, in check-model and in `attention`', (t) => {
    const { dir, remove } = smoothSoftmaxFolder('every');
    t.after(remove);
    const report = cli('check-model', '--json', dir);
    assert.equal(report.status, 0, report.stderr);
    const facts = JSON.parse(report.stdout) as { attentionSource: string; attentionWhy: string };
    assert.equal(facts.attentionSource, 'none');
    assert.match(facts.attentionWhy, /GroupQueryAttention with attribute smooth_softmax = 1 cannot be reproduced exactly/);
    const attention = cli('attention', '--model', dir, '--json', 'a b c');
    assert.equal(attention.status, 1);
    assert.equal(attention.stderr.trim().split('\n').length, 1, attention.stderr);
    assert.match(attention.stderr, /shows no attention: .*smooth_softmax/);
  });

  it('`attention --json` on a fused graph with one layer it cannot reproduce gives the other layer and names the hidden one', (t) => {
    const { dir, remove } = smoothSoftmaxFolder('first');
    t.after(remove);
    const result = cli('attention', '--model', dir, '--json', 'let x = f(a, b);');
    assert.equal(result.status, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { layers: number; heads: number; attention: unknown[]; shownLayers: number[]; hiddenLayers: { layers: number[]; why: string } };
    assert.equal(output.layers, 2);
    assert.deepEqual(output.shownLayers, [1]);
    assert.equal(output.attention.length, 1);
    assert.deepEqual(output.hiddenLayers.layers, [0]);
    assert.match(output.hiddenLayers.why, /GroupQueryAttention with attribute smooth_softmax = 1 cannot be reproduced exactly/);
  });

  it('`attention --json` gives every layer and head of each export without attention outputs', () => {
    const exports = ['hub-gpt2', 'hub-qwen2.5-coder', 'hub-smollm2', 'hub-opus-mt-en-de', 'fused-gpt2-mha-attention', 'fused-qwen2-gqa', 'fused-qwen2-gqa-variants', 'fused-qwen2-onnx-attention'];
    for (const name of exports) {
      const result = cli('attention', '--model', path.join(FIXTURES, name), '--json', 'let x = f(a, b);');
      assert.equal(result.status, 0, `${name}: ${result.stderr}`);
      const output = JSON.parse(result.stdout) as { tokens: unknown[]; layers: number; heads: number; attention: number[][][][] };
      const config = JSON.parse(readFileSync(path.join(FIXTURES, name, 'config.json'), 'utf8')) as { num_hidden_layers?: number; n_layer?: number; encoder_layers?: number };
      assert.equal(output.attention.length, config.num_hidden_layers ?? config.n_layer ?? config.encoder_layers, name);
      assert.equal(output.attention[0]?.length, output.heads, name);
      assert.equal(output.attention[0]?.[0]?.length, output.tokens.length, name);
    }
  });

  it('prints one JSON line with --json, and {"ok":false,"error"} with exit 1 on a bad folder', () => {
    const good = cli('check-model', '--json', path.join(FIXTURES, 'tiny-gpt2'));
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stdout.trim().split('\n').length, 1);
    assert.equal(JSON.parse(good.stdout).ok, true);
    const bad = cli('check-model', '--json', path.join(FIXTURES, 'no-such-model'));
    assert.equal(bad.status, 1);
    assert.deepEqual(Object.keys(JSON.parse(bad.stdout)), ['ok', 'error']);
  });
});

describe('CLI errors are one line and exit 1', () => {
  const oneLine = (result: ReturnType<typeof cli>, pattern: RegExp): void => {
    assert.equal(result.status, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] as string, pattern);
  };

  it('an unknown dtype', () => {
    oneLine(cli('generate', '--model', path.join(FIXTURES, 'tiny-gpt2'), '--dtype', 'int3', 'a'), /^tealeaf: unknown dtype "int3": use one of auto, fp32/);
  });

  it('a dtype whose file the folder lacks', () => {
    oneLine(cli('generate', '--model', path.join(FIXTURES, 'tiny-gpt2'), '--dtype', 'q4', 'a'), /has no q4 file; it has fp32$/);
    oneLine(cli('translate', '--model', path.join(FIXTURES, 'tiny-marian'), '--dtype', 'fp16', '--from', 'en', '--to', 'de', 'Hello'), /has no fp16 file; it has fp32$/);
  });

  it('a truncated external-data file, and a missing one', (t) => {
    const source = path.join(FIXTURES, 'hub-qwen2.5-coder');
    const data = path.join(source, 'onnx', 'model.onnx_data');
    assert.ok(existsSync(data), 'the Qwen-layout fixture keeps its fp32 weights in model.onnx_data');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-truncated-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(source, dir, { recursive: true });
    const copy = path.join(dir, 'onnx', 'model.onnx_data');
    truncateSync(copy, statSync(copy).size - 100);
    oneLine(cli('generate', '--model', dir, '--dtype', 'fp32', 'a'), /model\.onnx_data is truncated or incomplete: it has \d+ bytes, but the graph reads up to byte \d+; download it again$/);
    rmSync(copy);
    oneLine(cli('generate', '--model', dir, '--dtype', 'fp32', 'a'), /keeps its weights in onnx\/model\.onnx_data, which is missing: download it too$/);
  });
});

