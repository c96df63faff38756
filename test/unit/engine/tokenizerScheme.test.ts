// How a tokenizer.json's pieces stand for text (surfaceSchemeOf), and the spans of generated tokens
// over their own decoded text, on hand-written tokenizer.json components and the fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelTokenizer, surfaceSchemeOf } from '../../../src/engine/tokenizer';
import { modelDir } from './helpers';

function tokenizerOf(name: string, config: Record<string, unknown> = {}): ModelTokenizer {
  const dir = modelDir(name);
  const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
  return new ModelTokenizer(read('tokenizer.json'), { ...read('tokenizer_config.json'), ...config });
}

describe('surfaceSchemeOf', () => {
  it('byte-level wherever a ByteLevel component is, in a sequence of the pre-tokenizer or the decoder', () => {
    const split = { type: 'Split', pattern: { Regex: '\\w+' } };
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'BPE' }, pre_tokenizer: { type: 'Sequence', pretokenizers: [split, { type: 'ByteLevel' }] } }), { kind: 'byte-level' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'BPE' }, decoder: { type: 'Sequence', decoders: [{ type: 'ByteLevel' }] } }), { kind: 'byte-level' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'BPE', byte_fallback: true }, decoder: { type: 'ByteLevel' } }), { kind: 'byte-level' }, 'ByteLevel wins');
  });

  it('WordPiece with its continuing prefix, ## when none is declared', () => {
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'WordPiece', continuing_subword_prefix: '@@' } }), { kind: 'wordpiece', continuingPrefix: '@@' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'WordPiece' }, pre_tokenizer: { type: 'Metaspace' } }), { kind: 'wordpiece', continuingPrefix: '##' });
  });

  it('Metaspace with its replacement, found in a sequence of either component', () => {
    const metaspace = { type: 'Metaspace', replacement: '_' };
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'Unigram' }, pre_tokenizer: metaspace }), { kind: 'metaspace', replacement: '_' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'Unigram' }, decoder: { type: 'Sequence', decoders: [{ type: 'Fuse' }, metaspace] } }), { kind: 'metaspace', replacement: '_' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'Unigram' }, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Metaspace' }] } }), { kind: 'metaspace', replacement: '▁' });
  });

  it('SentencePiece BPE with a Replace decoder or byte fallback writes spaces as ▁; anything else is plain', () => {
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'BPE' }, decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }] } }), { kind: 'metaspace', replacement: '▁' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'BPE', byte_fallback: true } }), { kind: 'metaspace', replacement: '▁' });
    assert.deepEqual(surfaceSchemeOf({ model: { type: 'BPE', byte_fallback: 'yes' }, pre_tokenizer: { type: 'Whitespace' } }), { kind: 'plain' });
    assert.deepEqual(surfaceSchemeOf({ model: 'BPE', normalizer: { type: 'Replace' } }), { kind: 'plain' }, 'a normalizer does not say how pieces are written');
  });

  it('the fixtures: GPT-2 and Qwen byte-level, Llama and Marian metaspace', () => {
    const schemeOf = (name: string) => surfaceSchemeOf(JSON.parse(readFileSync(path.join(modelDir(name), 'tokenizer.json'), 'utf8')));
    assert.deepEqual(['tiny-gpt2', 'hub-qwen2.5-coder', 'tiny-llama', 'tiny-marian'].map((name) => schemeOf(name).kind), ['byte-level', 'byte-level', 'metaspace', 'metaspace']);
  });
});

describe('ModelTokenizer', () => {
  it('marks the special tokens of added_tokens, and only those', () => {
    const tokenizer = tokenizerOf('tiny-gpt2');
    const eos = tokenizer.tokenId('<|endoftext|>') as number;
    assert.equal(tokenizer.isSpecial(eos), true);
    assert.equal(tokenizer.isSpecial(tokenizer.encode('def')[0] as number), false);
    const spans = tokenizer.encodeWithSpans('a<|endoftext|>b', { addSpecialTokens: false });
    assert.deepEqual(spans.map((s) => s.text), ['a', '<|endoftext|>', 'b']);
  });

  it('reads bos_token as a string or as an added-token object, and ignores a BOS the vocabulary lacks', () => {
    const plain = tokenizerOf('tiny-gpt2');
    const bos = plain.tokenId('<|endoftext|>') as number;
    const fromObject = tokenizerOf('tiny-gpt2', { add_bos_token: true, bos_token: { content: '<|endoftext|>', special: true } });
    assert.equal(fromObject.encode('x')[0], bos);
    assert.deepEqual(tokenizerOf('tiny-gpt2', { add_bos_token: true, bos_token: '<no such token>' }).encode('x'), plain.encode('x'));
    assert.deepEqual(tokenizerOf('tiny-gpt2', { add_bos_token: 'yes', bos_token: '<|endoftext|>' }).encode('x'), plain.encode('x'));
    assert.deepEqual(tokenizerOf('tiny-gpt2', { add_bos_token: true, bos_token: { content: 3 } }).encode('x'), plain.encode('x'));
  });

  it('keeps a BOS the text itself starts with when the config declines BOS, and adds none before it when asked', () => {
    const withBos = tokenizerOf('tiny-gpt2', { add_bos_token: true, bos_token: '<|endoftext|>' });
    const bos = withBos.tokenId('<|endoftext|>') as number;
    const ids = withBos.encode('<|endoftext|>x');
    assert.equal(ids.filter((id) => id === bos).length, 1, 'a text starting with BOS gets no second one');
    const spans = withBos.encodeWithSpans('<|endoftext|>x');
    assert.deepEqual([spans[0]?.start, spans[0]?.end], [0, 13], 'that BOS is the text\'s own and spans it');
  });

  it('spans generated tokens over their decoded text, holding back a character until its last byte', () => {
    const tokenizer = tokenizerOf('tiny-gpt2');
    const ids = tokenizer.encode('x = "😀"', { addSpecialTokens: false });
    const { text, spans } = tokenizer.spansOfGenerated(ids);
    assert.equal(text, 'x = "😀"');
    assert.deepEqual(spans.map((s) => s.id), ids);
    for (const span of spans) assert.ok(span.start <= span.end && span.end <= text.length);
    assert.equal(spans.map((s) => text.slice(s.start, s.end)).join(''), text, 'the spans tile the text');
    const emoji = spans.filter((s) => s.end > text.indexOf('😀') && s.start <= text.indexOf('😀'));
    assert.ok(spans.length > 6, 'the emoji is more than one token');
    assert.ok(spans.every((s) => !text.slice(s.start, s.end).includes('\uFFFD')));
    assert.equal(emoji.at(-1)?.text, '😀', 'the token that completes the emoji carries it');
    const held = spans.find((s) => s.start === s.end);
    assert.ok(held, 'a token holding a partial character has an empty span');
    assert.equal(held.text, tokenizer.tokenString(held.id), 'and its vocabulary string as text');
  });
});
