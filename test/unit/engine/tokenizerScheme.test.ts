// How a tokenizer.json's pieces stand for text (surfaceSchemeOf), and the spans of generated tokens
// over their own decoded text, on hand-written tokenizer.json components and the fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import { ModelTokenizer, surfaceSchemeOf } from '../../../src/engine/tokenizer';
import { modelDir } from './helpers';

function readJson(name: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(modelDir(name), file), 'utf8')) as Record<string, unknown>;
}

/** The fixture's tokenizer, its config overridden by `config` and its tokenizer.json by `json`. */
function tokenizerOf(name: string, config: Record<string, unknown> = {}, json: Record<string, unknown> = {}): ModelTokenizer {
  return new ModelTokenizer({ ...readJson(name, 'tokenizer.json'), ...json }, { ...readJson(name, 'tokenizer_config.json'), ...config });
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

  it('refuses a tokenizer.json whose pattern repeats a group that itself repeats, naming the pattern', () => {
    const split = { type: 'Split', pattern: { Regex: '(a+)+b' }, behavior: 'Isolated', invert: false };
    assert.throws(
      () => tokenizerOf('tiny-gpt2', {}, { pre_tokenizer: { type: 'Sequence', pretokenizers: [split, { type: 'ByteLevel', add_prefix_space: false, use_regex: true }] } }),
      (e: unknown) =>
        e instanceof ModelError &&
        e.message === 'tokenizer.json: the pattern (a+)+b repeats a group that itself repeats, which can take exponential time on some texts: refused',
    );
  });

  it('an added token declared not special is not special', () => {
    const added = [...(readJson('tiny-gpt2', 'tokenizer.json').added_tokens as unknown[])];
    added.push({ id: 88, content: 'x', special: false, single_word: false, lstrip: false, rstrip: false, normalized: false });
    const tokenizer = tokenizerOf('tiny-gpt2', {}, { added_tokens: added });
    assert.equal(tokenizer.tokenId('x'), 88);
    assert.equal(tokenizer.isSpecial(88), false);
    assert.equal(tokenizer.isSpecial(0), true);
  });

  it('maps spans back to the original text through the normalizer’s Unicode form, each of NFC, NFKC, NFD and NFKD', () => {
    const spansWith = (normalizer: Record<string, unknown>, text: string) =>
      tokenizerOf('tiny-gpt2', {}, { normalizer }).encodeWithSpans(text, { addSpecialTokens: false }).map((s) => [s.start, s.end]);
    // NFC composes e + U+0301 into é: its two byte-level pieces both span the two original units.
    assert.deepEqual(spansWith({ type: 'NFC' }, 'cafe\u0301 x'), [[0, 1], [1, 2], [2, 3], [3, 5], [3, 5], [5, 6], [6, 7]]);
    // NFKC and NFKD write ² as 2.
    assert.deepEqual(spansWith({ type: 'Sequence', normalizers: [{ type: 'NFKC' }] }, 'x\u00b2 y'), [[0, 1], [1, 2], [2, 3], [3, 4]]);
    assert.deepEqual(spansWith({ type: 'NFKD' }, 'x\u00b2 y'), [[0, 1], [1, 2], [2, 3], [3, 4]]);
    // NFD splits é into e + U+0301: e and the mark's two bytes all span the one original é.
    assert.deepEqual(spansWith({ type: 'NFD' }, 'caf\u00e9 x'), [[0, 1], [1, 2], [2, 3], [3, 4], [3, 4], [3, 4], [4, 5], [5, 6]]);
  });

  it('with add_bos_token false keeps a BOS the text itself starts with, and adds none', () => {
    const tokenizer = tokenizerOf('tiny-gpt2', { add_bos_token: false, bos_token: '<|endoftext|>' });
    const bos = tokenizer.tokenId('<|endoftext|>') as number;
    const spans = tokenizer.encodeWithSpans('<|endoftext|>x = 1');
    assert.deepEqual(spans.map((s) => [s.id, s.start, s.end]), [[bos, 0, 13], [88, 13, 14], [323, 14, 16], [221, 16, 17], [17, 17, 18]]);
    assert.deepEqual(tokenizer.encodeWithSpans(' = 1'), tokenizer.encodeWithSpans(' = 1', { addSpecialTokens: false }));
    assert.deepEqual(tokenizer.encodeWithSpans(' = 1').map((s) => [s.start, s.end, s.text]), [[0, 2, ' ='], [2, 3, ' '], [3, 4, '1']]);
  });

  it('drops the BOS the post-processor adds when add_bos_token is false, and adds exactly one when it is true', () => {
    const declined = tokenizerOf('tiny-llama', { add_bos_token: false });
    const asked = tokenizerOf('tiny-llama', { add_bos_token: true });
    const bare = declined.encode('hello world', { addSpecialTokens: false });
    assert.deepEqual(declined.encode('hello world'), bare);
    assert.deepEqual(asked.encode('hello world'), [asked.tokenId('<s>'), ...bare]);
  });

  it('a BOS the config adds that is no special token gets an empty span and its vocabulary string; the tokens after it their own text', () => {
    const tokenizer = tokenizerOf('tiny-gpt2', { add_bos_token: true, bos_token: 'x' });
    const spans = tokenizer.encodeWithSpans('y = 1');
    assert.deepEqual(spans.map((s) => [s.id, s.start, s.end, s.text]), [[88, 0, 0, 'x'], [89, 0, 1, 'y'], [323, 1, 3, ' ='], [221, 3, 4, ' '], [17, 4, 5, '1']]);
  });

  it('decodes without special tokens unless told otherwise, and never cleans up spaces, whatever the config says', () => {
    const tokenizer = tokenizerOf('tiny-gpt2');
    const ids = [tokenizer.tokenId('<|endoftext|>') as number, ...tokenizer.encode('x', { addSpecialTokens: false })];
    assert.equal(tokenizer.decode(ids), 'x');
    assert.equal(tokenizer.decode(ids, false), '<|endoftext|>x');
    const cleaning = tokenizerOf('hub-gpt2', { clean_up_tokenization_spaces: true });
    assert.equal(cleaning.decode(cleaning.encode('a , b . c ?')), 'a , b . c ?');
  });

  it('an id past the vocabulary generated gets an empty span and no text', () => {
    const tokenizer = tokenizerOf('tiny-gpt2');
    assert.deepEqual(tokenizer.spansOfGenerated([100_000]), { text: '', spans: [{ id: 100_000, start: 0, end: 0, text: '' }] });
  });
});
