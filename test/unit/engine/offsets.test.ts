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
