import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fimFormat, fimPromptText, fitFimPrompt } from '../../../src/engine/fim';
import { ModelTokenizer } from '../../../src/engine/tokenizer';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { GOLDENS, modelDir } from './helpers';

const QWEN = { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' };
const STARCODER = { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>' };

function tokenizerOf(name: string, config: Record<string, unknown> = {}): ModelTokenizer {
  const dir = modelDir(name);
  const json = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  const tokenizerConfig = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  return new ModelTokenizer(json, { ...tokenizerConfig, ...config });
}

describe('fill-in-the-middle prompts', () => {
  it('writes each family in its documented order', () => {
    assert.equal(fimPromptText(QWEN, fimFormat(QWEN).order, 'a = ', '\nb'), '<|fim_prefix|>a = <|fim_suffix|>\nb<|fim_middle|>');
    assert.equal(fimFormat(QWEN).order, 'psm', 'Qwen2.5-Coder documents prefix-suffix-middle only');
    assert.equal(fimFormat(STARCODER).order, 'spm', 'StarCoder was trained on suffix-prefix-middle too');
    assert.equal(fimPromptText(STARCODER, 'spm', 'a = ', '\nb'), '<fim_prefix><fim_suffix>\nb<fim_middle>a = ');
    assert.ok(fimFormat(QWEN).endTokens.includes('<|endoftext|>'));
  });

  it('fits prefix and suffix into the budget, cutting the prefix on the left and the suffix on the right', () => {
    const tokenizer = tokenizerOf('tiny-gpt2');
    const prefix = Array.from({ length: 60 }, (_, i) => `line_${i} = ${i}\n`).join('');
    const suffix = Array.from({ length: 60 }, (_, i) => `tail_${i}()\n`).join('');
    const budget = 80;
    const { text } = fitFimPrompt(tokenizer, QWEN, 'psm', prefix, suffix, budget);
    assert.ok(tokenizer.encode(text).length <= budget, `${tokenizer.encode(text).length} tokens`);
    const [, keptPrefix = '', keptSuffix = ''] = /^<\|fim_prefix\|>([\s\S]*)<\|fim_suffix\|>([\s\S]*)<\|fim_middle\|>$/.exec(text) ?? [];
    assert.ok(prefix.endsWith(keptPrefix) && keptPrefix.length > 0, 'the prefix keeps its end (next to the cursor)');
    assert.ok(suffix.startsWith(keptSuffix) && keptSuffix.length > 0, 'the suffix keeps its start (next to the cursor)');
    assert.ok(keptPrefix.endsWith('line_59 = 59\n'));
    assert.ok(keptSuffix.startsWith('tail_0()'));
  });

  it('keeps short prefix and suffix whole', () => {
    const tokenizer = tokenizerOf('tiny-gpt2');
    assert.equal(fitFimPrompt(tokenizer, QWEN, 'psm', 'x = ', '\ny', 100).text, '<|fim_prefix|>x = <|fim_suffix|>\ny<|fim_middle|>');
  });
});

describe('fill-in-the-middle formats and budgets, exactly', () => {
  const CODELLAMA = { prefix: '<PRE>', suffix: '<SUF>', middle: '<MID>' };
  const prefix = Array.from({ length: 60 }, (_, i) => `line_${i} = ${i}\n`).join('');
  const suffix = Array.from({ length: 60 }, (_, i) => `tail_${i}()\n`).join('');

  it('ends a middle at each family\'s own tokens, in its own order', () => {
    // Generation stops at these strings: a missing one lets the model run on into a new file.
    assert.deepEqual(fimFormat(STARCODER), { order: 'spm', endTokens: ['<|endoftext|>', '<file_sep>'] });
    assert.deepEqual(fimFormat(CODELLAMA), { order: 'psm', endTokens: ['<EOT>'] });
    assert.deepEqual(fimFormat(QWEN), { order: 'psm', endTokens: ['<|endoftext|>', '<|fim_pad|>', '<|file_sep|>', '<|repo_name|>', '<|im_end|>'] });
  });

  for (const [name, config] of [
    ['without BOS', {}],
    ['with a BOS the tokenizer adds', { add_bos_token: true, bos_token: '<|endoftext|>' }],
  ] as const) {
    it(`fills the whole budget, a third of the room to the suffix (${name})`, () => {
      const tokenizer = tokenizerOf('hub-qwen2.5-coder', config);
      // The FIM tokens (and BOS) cost this much; the rest is room for text.
      const overhead = tokenizer.encode(fimPromptText(QWEN, 'psm', '', '')).length;
      for (const budget of [60, 61, 62]) {
        const fitted = fitFimPrompt(tokenizer, QWEN, 'psm', prefix, suffix, budget);
        // The special tokens split the text, so nothing merges across them: every token of the
        // budget is used, none is wasted on a BOS counted twice or on a wrong overhead.
        assert.equal(fitted.tokens.length, budget, `budget ${budget}`);
        assert.deepEqual(fitted.tokens.map((t) => t.id), tokenizer.encode(fitted.text));
        const [, keptPrefix = '', keptSuffix = ''] = /^<\|fim_prefix\|>([\s\S]*)<\|fim_suffix\|>([\s\S]*)<\|fim_middle\|>$/.exec(fitted.text) ?? [];
        assert.equal(tokenizer.encode(keptSuffix, { addSpecialTokens: false }).length, Math.floor((budget - overhead) / 3), 'the suffix gets a third of the room');
        assert.ok(prefix.endsWith(keptPrefix) && suffix.startsWith(keptSuffix));
      }
    });
  }

  it('keeps the prefix alone when there is no suffix', () => {
    const tokenizer = tokenizerOf('hub-qwen2.5-coder');
    // 20 tokens: 3 FIM tokens and the last 17 tokens of the prefix, nothing in the suffix slot.
    const fitted = fitFimPrompt(tokenizer, QWEN, 'psm', prefix, '', 20);
    assert.equal(fitted.text, '<|fim_prefix|>58 = 58\nline_59 = 59\n<|fim_suffix|><|fim_middle|>');
    assert.equal(fitted.tokens.length, 20);
  });

  it('keeps only the token at the cursor when the budget is below the FIM tokens themselves', () => {
    const tokenizer = tokenizerOf('hub-qwen2.5-coder');
    // Three FIM tokens cannot fit in 2: the prefix shrinks to its last token and no further,
    // and the suffix (a third of no room) is dropped. It returns rather than loop forever.
    for (const order of ['psm', 'spm'] as const) {
      const fitted = fitFimPrompt(tokenizer, QWEN, order, prefix, suffix, 2);
      assert.equal(fitted.text, fimPromptText(QWEN, order, '\n', ''));
      assert.equal(fitted.tokens.length, 4);
    }
  });
});

describe('BOS as tokenizer_config.json declares it', () => {
  it('adds BOS when add_bos_token is true and the post-processor does not', () => {
    const plain = tokenizerOf('tiny-gpt2');
    const withBos = tokenizerOf('tiny-gpt2', { add_bos_token: true, bos_token: '<|endoftext|>' });
    const bos = plain.tokenId('<|endoftext|>') as number;
    assert.deepEqual(withBos.encode('def f():'), [bos, ...plain.encode('def f():')]);
    const spans = withBos.encodeWithSpans('def f():');
    assert.deepEqual([spans[0]?.start, spans[0]?.end], [0, 0], 'the added BOS covers no text');
    assert.deepEqual(withBos.encode('def f():', { addSpecialTokens: false }), plain.encode('def f():'));
  });

  it('drops a BOS the post-processor adds when add_bos_token is false, but not one in the text', () => {
    const llama = tokenizerOf('tiny-llama');
    const bosToken = llama.tokenString(llama.encode('x')[0] as number) as string;
    const noBos = tokenizerOf('tiny-llama', { add_bos_token: false, bos_token: bosToken });
    assert.equal(noBos.encode('x').length, llama.encode('x').length - 1);
    assert.equal(noBos.encode(`${bosToken}x`)[0], llama.tokenId(bosToken));
  });
});

describe('FIM on the Qwen2.5-Coder layout', () => {
  const golden = JSON.parse(readFileSync(path.join(GOLDENS, 'hub-qwen2.5-coder.json'), 'utf8')) as {
    readonly fim: { readonly prefix: string; readonly suffix: string; readonly ids: number[] };
  };

  it('builds the documented prompt token for token, as the Python tokenizer encodes it', () => {
    const tokenizer = tokenizerOf('hub-qwen2.5-coder');
    const { text } = fitFimPrompt(tokenizer, QWEN, fimFormat(QWEN).order, golden.fim.prefix, golden.fim.suffix, 4096);
    assert.deepEqual(tokenizer.encode(text), golden.fim.ids);
  });

  it('the engine finds the FIM tokens and sends prefix and suffix', async (t) => {
    const host = createInProcessHost();
    t.after(() => host.dispose());
    const engine = await host.load(modelDir('hub-qwen2.5-coder'), { threads: 1 });
    assert.deepEqual(engine.info.fim, QWEN);
    const withSuffix = await engine.generate({ prompt: golden.fim.prefix, suffix: golden.fim.suffix, maxNewTokens: 1, reusePrefix: false });
    assert.equal(withSuffix.promptTokens, golden.fim.ids.length);
    const without = await engine.generate({ prompt: golden.fim.prefix, maxNewTokens: 1, reusePrefix: false });
    assert.equal(without.promptTokens, tokenizerOf('hub-qwen2.5-coder').encode(golden.fim.prefix).length);
  });
});

describe('decoding nothing', () => {
  it('is the empty string (a model that ends at once generated no tokens)', () => {
    const tokenizer = tokenizerOf('tiny-marian');
    assert.equal(tokenizer.decode([]), '');
    assert.deepEqual(tokenizer.spansOfGenerated([]), { text: '', spans: [] });
  });
});
