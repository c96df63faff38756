// Token offsets: for random Unicode text (astral characters, CRLF, combining marks), spans are
// monotone, inside the text, never split a surrogate pair, and cover the text.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJsonObject } from '../../../src/engine/modelConfig';
import { alignTokens, byteLevelDecoder, surfaceBytes } from '../../../src/engine/offsets';
import { ModelTokenizer } from '../../../src/engine/tokenizer';
import type { TokenSpan } from '../../../src/engine/types';
import { FIXTURES, ROOT } from './helpers';

function tokenizerFolders(): string[] {
  const folders = existsSync(FIXTURES) ? readdirSync(FIXTURES).map((f) => path.join(FIXTURES, f)) : [];
  folders.push(path.join(ROOT, 'models', 'tealeaf-code'), path.join(ROOT, 'models', 'tealeaf-translate'));
  return folders.filter((f) => existsSync(path.join(f, 'tokenizer.json')));
}

function load(folder: string): ModelTokenizer {
  const read = (file: string) => parseJsonObject(readFileSync(path.join(folder, file), 'utf8'), file);
  const config = existsSync(path.join(folder, 'tokenizer_config.json')) ? read('tokenizer_config.json') : {};
  return new ModelTokenizer(read('tokenizer.json'), config);
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Pieces that stress offsets: astral emoji, CJK, combining marks, CRLF, tabs, code. */
const piece = fc.oneof(
  fc.constantFrom('😀', '👩‍💻', '𝔘', '中文', '日本', 'e\u0301', 'ü', 'ß', 'Ω', '\r\n', '\n', '\t', '  ', ' ', 'def', 'return', '=>', '{', '}', '(x)', '"str"', '//', '#'),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }).filter((s) => ![...s].some((ch) => { const c = ch.codePointAt(0) as number; return c >= 0xd800 && c <= 0xdfff; })),
);
const unicodeText = fc.array(piece, { minLength: 1, maxLength: 25 }).map((parts) => parts.join(''));

function checkSpans(text: string, spans: readonly TokenSpan[]): void {
  let previousStart = 0;
  let previousEnd = 0;
  const covered = new Uint8Array(text.length);
  for (const span of spans) {
    assert.ok(span.start >= 0 && span.end <= text.length && span.start <= span.end, `span [${span.start}, ${span.end}) inside ${text.length}`);
    assert.ok(span.start >= previousStart && span.end >= previousEnd, 'monotone');
    for (const offset of [span.start, span.end]) {
      if (offset > 0 && offset < text.length) {
        assert.ok(!(isHigh(text.charCodeAt(offset - 1)) && isLow(text.charCodeAt(offset))), `offset ${offset} splits a surrogate pair`);
      }
    }
    covered.fill(1, span.start, span.end);
    previousStart = span.start;
    previousEnd = span.end;
  }
  const uncovered = covered.indexOf(0);
  assert.equal(uncovered, -1, `character ${uncovered} (${JSON.stringify(text[uncovered])}) is covered by no token`);
}

describe('token offsets', () => {
  const folders = tokenizerFolders();
  it('has tokenizers to check (byte-level and SentencePiece-style fixtures)', () => {
    assert.ok(folders.length >= 2, `found ${folders.join(', ')}`);
  });

  for (const folder of folders) {
    const name = path.basename(folder);
    it(`${name}: spans are monotone, inside, surrogate-safe and cover random Unicode text`, () => {
      const tokenizer = load(folder);
      fc.assert(
        fc.property(unicodeText, (text) => {
          const spans = tokenizer.encodeWithSpans(text, { addSpecialTokens: false });
          checkSpans(text, spans);
        }),
        { numRuns: 300, seed: 20261127 },
      );
    });

    it(`${name}: spans are exact on a known string`, () => {
      const tokenizer = load(folder);
      const text = 'const x = "héllo 😀";\r\n  return x;';
      const spans = tokenizer.encodeWithSpans(text, { addSpecialTokens: false });
      checkSpans(text, spans);
      // Tokens that share a character (bytes of one emoji) share its span; the others tile the text.
      let rebuilt = '';
      let position = 0;
      for (const span of spans) {
        if (span.end > position) rebuilt += text.slice(Math.max(position, span.start), span.end);
        position = Math.max(position, span.end);
      }
      assert.equal(rebuilt, text);
      const accent = spans.find((s) => text.slice(s.start, s.end).includes('é'));
      assert.ok(accent, 'some token spans the accented letter');
    });
  }
});

describe('surface bytes', () => {
  it("GPT-2's byte table maps all 256 bytes, Ġ to space", () => {
    const table = byteLevelDecoder();
    assert.equal(table.size, 256);
    assert.equal(table.get('Ġ'), 0x20);
    assert.equal(table.get('Ċ'), 0x0a);
    assert.deepEqual([...surfaceBytes('ĠðŁĺ', { kind: 'byte-level' }, false)], [0x20, 0xf0, 0x9f, 0x98]);
  });

  it('SentencePiece pieces: ▁ is a space and <0xNN> a byte', () => {
    assert.deepEqual([...surfaceBytes('▁def', { kind: 'metaspace', replacement: '▁' }, false)], [0x20, 0x64, 0x65, 0x66]);
    assert.deepEqual([...surfaceBytes('<0x0A>', { kind: 'metaspace', replacement: '▁' }, false)], [0x0a]);
    assert.deepEqual([...surfaceBytes('##ing', { kind: 'wordpiece', continuingPrefix: '##' }, false)], [0x69, 0x6e, 0x67]);
  });
});

describe('spans under a normalizer', () => {
  it('map NFC-composed and compatibility characters back to the original text', () => {
    // "e" + COMBINING ACUTE composes to one "é"; U+2F817 (two UTF-16 units) becomes U+5197 (one).
    const text = 'cafe\u0301 \u{2F817}x';
    const normalized = text.normalize('NFC');
    const tokens = [...normalized].map((ch) => ch); // one plain token per normalized character
    const spans = alignTokens(text, tokens, { kind: 'plain' }, () => false, (s) => s.normalize('NFC'));
    assert.deepEqual(
      spans.map((s) => text.slice(s.start, s.end)),
      ['c', 'a', 'f', 'e\u0301', ' ', '\u{2F817}', 'x'],
    );
  });
});

describe('alignTokens: exact spans', () => {
  const slices = (text: string, spans: readonly { start: number; end: number }[]) => spans.map((s) => text.slice(s.start, s.end));
  const never = () => false;

  it('special tokens are their own text, and an added token outside the byte table is plain UTF-8', () => {
    assert.deepEqual([...surfaceBytes('Ġx', { kind: 'byte-level' }, true)], [0xc4, 0xa0, 0x78], 'a special token is not decoded through the byte table');
    assert.deepEqual([...surfaceBytes('中x', { kind: 'byte-level' }, false)], [0xe4, 0xb8, 0xad, 0x78]);
    assert.deepEqual([...surfaceBytes('_a_b', { kind: 'metaspace', replacement: '_' }, false)], [0x20, 0x61, 0x20, 0x62]);
    assert.deepEqual([...surfaceBytes('<0xzz>', { kind: 'metaspace', replacement: '▁' }, false)], [...Buffer.from('<0xzz>')]);
    assert.deepEqual([...surfaceBytes('a##', { kind: 'wordpiece', continuingPrefix: '##' }, false)], [0x61, 0x23, 0x23]);
    assert.deepEqual([...surfaceBytes('▁Ġ', { kind: 'plain' }, false)], [...Buffer.from('▁Ġ')]);
  });

  it('a Metaspace prefix space the text lacks is not part of the span, and a lone ▁ gets an empty one', () => {
    const scheme = { kind: 'metaspace', replacement: '▁' } as const;
    const text = 'def f';
    const spans = alignTokens(text, ['▁', 'def', '▁f'], scheme, never);
    assert.deepEqual(spans, [{ start: 0, end: 0 }, { start: 0, end: 3 }, { start: 3, end: 5 }]);
    assert.deepEqual(alignTokens('def', ['▁def'], scheme, never), [{ start: 0, end: 3 }]);
  });

  it('a text that starts with a space of its own: a legacy Llama tokenizer’s ▁▁ holds the prefix space and that one', () => {
    const scheme = { kind: 'metaspace', replacement: '▁' } as const;
    // Llama 2 / CodeLlama tokenize " x = 1" as ▁▁ x ▁= ▁ 1.
    assert.deepEqual(alignTokens(' x = 1', ['▁▁', 'x', '▁=', '▁', '1'], scheme, never), [
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 4 },
      { start: 4, end: 5 },
      { start: 5, end: 6 },
    ]);
  });

  it('skips whitespace the tokenizer dropped (WordPiece), up to 16 bytes of it', () => {
    const scheme = { kind: 'wordpiece', continuingPrefix: '##' } as const;
    const text = 'go \t\n away';
    assert.deepEqual(slices(text, alignTokens(text, ['go', 'aw', '##ay'], scheme, never)), ['go', 'aw', 'ay']);
    assert.deepEqual(alignTokens(text, ['go', 'aw', '##ay'], scheme, never)[1], { start: 6, end: 8 });
    const sixteen = `a${' '.repeat(16)}b`;
    assert.deepEqual(alignTokens(sixteen, ['a', 'b'], scheme, never)[1], { start: 17, end: 18 });
    const seventeen = `a${' '.repeat(17)}b`;
    assert.deepEqual(alignTokens(seventeen, ['a', 'b'], scheme, never)[1], { start: 1, end: 2 }, 'past the window the token takes its length in place');
    assert.deepEqual(alignTokens('a-b', ['a', 'b'], scheme, never)[1], { start: 1, end: 2 }, 'only whitespace is skipped');
  });

  it('a special token absent from the text gets an empty span where it stands; one present spans its text', () => {
    const scheme = { kind: 'byte-level' } as const;
    const isSpecial = (i: number) => i === 0 || i === 3;
    const text = 'ab<s>';
    assert.deepEqual(alignTokens(text, ['<bos>', 'a', 'b', '<s>'], scheme, isSpecial), [
      { start: 0, end: 0 },
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 5 },
    ]);
    assert.deepEqual(alignTokens('ab', ['a', 'b', '</s>'], scheme, (i) => i === 2)[2], { start: 2, end: 2 });
  });

  it('an unalignable token takes its byte length, never past the end of the text', () => {
    const spans = alignTokens('xyz', ['q', 'yzzz'], { kind: 'plain' }, never);
    assert.deepEqual(spans, [{ start: 0, end: 1 }, { start: 1, end: 3 }]);
  });

  it('byte tokens of one multi-byte character share its span; a lone surrogate counts as three bytes', () => {
    const table = [...byteLevelDecoder().entries()];
    const char = (byte: number) => (table.find(([, b]) => b === byte) as [string, number])[0];
    const text = 'é😀';
    const tokens = [char(0xc3) + char(0xa9), char(0xf0) + char(0x9f), char(0x98) + char(0x80)];
    assert.deepEqual(alignTokens(text, tokens, { kind: 'byte-level' }, never), [
      { start: 0, end: 1 },
      { start: 1, end: 3 },
      { start: 1, end: 3 },
    ]);
    const lone = 'a\ud800b';
    assert.deepEqual(alignTokens(lone, ['a', '\ufffd', 'b'], { kind: 'plain' }, never), [
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 3 },
    ]);
    const twoBytes = 'ßx';
    assert.deepEqual(alignTokens(twoBytes, ['ß', 'x'], { kind: 'plain' }, never), [{ start: 0, end: 1 }, { start: 1, end: 2 }]);
  });

  it('with a normalizer that changes nothing, spans are the plain ones; spans after a changed run map past it', () => {
    const nfc = (s: string) => s.normalize('NFC');
    assert.deepEqual(alignTokens('abc', ['ab', 'c'], { kind: 'plain' }, never, nfc), [{ start: 0, end: 2 }, { start: 2, end: 3 }]);
    const text = 'a\u0065\u0301\u0065\u0301 bcdefgh';
    const tokens = ['a', 'éé', ' ', 'bcd', 'efgh', '</s>'];
    const spans = alignTokens(text, tokens, { kind: 'plain' }, (i) => i === 5, nfc);
    assert.deepEqual(slices(text, spans), ['a', 'e\u0301e\u0301', ' ', 'bcd', 'efgh', '']);
    assert.deepEqual(spans[5], { start: text.length, end: text.length });
  });
});

describe('alignTokens and surfaceBytes: boundaries', () => {
  const never = () => false;
  const plain = { kind: 'plain' } as const;
  const metaspace = { kind: 'metaspace', replacement: '▁' } as const;

  it("GPT-2's byte table keeps ÿ (0xFF) as itself and gives the 68 unprintable bytes U+0100 to U+0143", () => {
    const table = byteLevelDecoder();
    assert.equal(table.get('ÿ'), 0xff);
    assert.deepEqual([...surfaceBytes('ÿ', { kind: 'byte-level' }, false)], [0xff]);
    assert.equal(table.get('\u0143'), 0xad);
    assert.equal(table.get('\u0144'), undefined);
  });

  it('a byte-fallback piece is the whole token <0xNN>, nothing before or after it', () => {
    assert.deepEqual([...surfaceBytes('<0x41>', metaspace, false)], [0x41]);
    assert.deepEqual([...surfaceBytes('a<0x41>', metaspace, false)], [...Buffer.from('a<0x41>')]);
    assert.deepEqual([...surfaceBytes('<0x41>b', metaspace, false)], [...Buffer.from('<0x41>b')]);
  });

  it('UTF-8 widths and UTF-16 lengths at their boundaries: U+007F/U+0080, U+07FF/U+0800, U+FFFF/U+10000', () => {
    for (const [text, expected] of [
      ['\u007fx', [[0, 1], [1, 2]]],
      ['\u0080x', [[0, 1], [1, 2]]],
      ['\u07ffx', [[0, 1], [1, 2]]],
      ['\u0800x', [[0, 1], [1, 2]]],
      ['\uffffx', [[0, 1], [1, 2]]],
      ['\u{10000}x', [[0, 2], [2, 3]]],
    ] as const) {
      const spans = alignTokens(text, [...text], plain, never);
      assert.deepEqual(spans.map((s) => [s.start, s.end]), expected, JSON.stringify(text));
    }
  });

  it('a Metaspace prefix space is dropped from a token that ends at the end of the text', () => {
    assert.deepEqual(alignTokens('def', ['▁de', 'f'], metaspace, never), [{ start: 0, end: 2 }, { start: 2, end: 3 }]);
  });

  it('skips a carriage return the tokenizer dropped, like other whitespace', () => {
    const scheme = { kind: 'wordpiece', continuingPrefix: '##' } as const;
    assert.deepEqual(alignTokens('go\r\naway', ['go', 'away'], scheme, never)[1], { start: 4, end: 8 });
    assert.deepEqual(alignTokens('go\raway', ['go', 'away'], scheme, never)[1], { start: 3, end: 7 });
  });

  it('a special token is not looked for after whitespace; nor is an empty piece (a bare ##)', () => {
    assert.deepEqual(alignTokens(' <s>', ['<s>', ' ', '<s>'], plain, (i) => i !== 1), [{ start: 0, end: 0 }, { start: 0, end: 1 }, { start: 1, end: 4 }]);
    const wordpiece = { kind: 'wordpiece', continuingPrefix: '##' } as const;
    assert.deepEqual(alignTokens('a b', ['a', '##', 'b'], wordpiece, never), [{ start: 0, end: 1 }, { start: 1, end: 1 }, { start: 2, end: 3 }]);
  });

  it('under a normalizer, U+FFFF is one unit of its own run, and an empty span stays empty (a BOS at the start, a special token inside a changed run)', () => {
    const nfc = (s: string) => s.normalize('NFC');
    assert.deepEqual(alignTokens('\uffffe\u0301', ['\uffff', 'é'], plain, never, nfc), [{ start: 0, end: 1 }, { start: 1, end: 3 }]);
    assert.deepEqual(alignTokens('cafe\u0301', ['<s>', 'café'], plain, (i) => i === 0, nfc), [{ start: 0, end: 0 }, { start: 0, end: 5 }]);
    // NFKC writes the ligature ﬁ as "fi": a special token between its f and i is empty at the ligature's start.
    const nfkc = (s: string) => s.normalize('NFKC');
    assert.deepEqual(alignTokens('\ufb01x', ['f', '<s>', 'i', 'x'], plain, (i) => i === 1, nfkc), [{ start: 0, end: 1 }, { start: 0, end: 0 }, { start: 0, end: 1 }, { start: 1, end: 2 }]);
  });
});
