// ModelTokenizer keeps its latest encodings (a prompt is tokenized by the context builder and again
// by the engine): a text asked again gets the same tokens as a fresh tokenizer gives, whatever was
// encoded between, never the tokens of the same text with other options, and a caller that changes
// the array it got does not change what the next caller gets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseJsonObject } from '../../../src/engine/modelConfig';
import { ModelTokenizer } from '../../../src/engine/tokenizer';
import { FIXTURES, ROOT } from './helpers';

function load(folder: string): ModelTokenizer {
  const read = (file: string) => parseJsonObject(readFileSync(path.join(folder, file), 'utf8'), file);
  return new ModelTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

const TEXTS = ['def add(a, b):\n    return a + b\n', 'const x = 1;', 'const x = 12;', 'hello world', '  indented\n\tline', 'def add(a, b):\n    return a + b\n'];

describe('ModelTokenizer: recent encodings', () => {
  for (const folder of [path.join(FIXTURES, 'tiny-llama'), path.join(ROOT, 'models', 'tealeaf-code')]) {
    it(`gives every text the tokens a fresh tokenizer gives, in any order, with either options (${path.basename(folder)})`, () => {
      const tokenizer = load(folder);
      // Each text twice and more, with other texts and options between, more than it keeps.
      const asks = [...TEXTS, ...TEXTS.slice().reverse(), ...TEXTS].flatMap((text, i) => [
        { text, addSpecialTokens: i % 3 !== 0 },
        { text, addSpecialTokens: i % 3 === 0 },
      ]);
      for (const { text, addSpecialTokens } of asks) {
        assert.deepEqual(tokenizer.encodeWithSpans(text, { addSpecialTokens }), load(folder).encodeWithSpans(text, { addSpecialTokens }), `${JSON.stringify(text)} ${addSpecialTokens}`);
      }
    });
  }

  it('tells the options apart: a BOS is added only when asked for', () => {
    const tokenizer = load(path.join(FIXTURES, 'tiny-llama'));
    const withBos = tokenizer.encodeWithSpans('hello world');
    const without = tokenizer.encodeWithSpans('hello world', { addSpecialTokens: false });
    assert.equal(withBos.length, without.length + 1);
    assert.deepEqual(withBos.slice(1), without);
    assert.deepEqual(tokenizer.encodeWithSpans('hello world'), withBos);
  });

  it('a caller that changes its array leaves the next caller the whole encoding', () => {
    const tokenizer = load(path.join(ROOT, 'models', 'tealeaf-code'));
    const first = tokenizer.encodeWithSpans('const x = 1;');
    const count = first.length;
    first.length = 0;
    first.push({ id: 0, start: 0, end: 0, text: '' });
    assert.equal(tokenizer.encodeWithSpans('const x = 1;').length, count);
    assert.notEqual(tokenizer.encodeWithSpans('const x = 1;')[0]?.text, '');
  });

  it('keeps the four texts asked latest, a text asked again counting as the latest: their spans are the same objects, not tokenized again', () => {
    const tokenizer = load(path.join(FIXTURES, 'tiny-llama'));
    const first = (text: string) => tokenizer.encodeWithSpans(text)[0];
    const [a, b] = [first('a'), first('b'), first('c'), first('d')];
    assert.equal(first('a'), a, 'the fourth text back is kept');
    first('e'); // drops b, the oldest now that a was asked again
    assert.equal(first('a'), a, 'a text asked again is kept as the latest');
    assert.notEqual(first('b'), b, 'the fifth text back is tokenized again');
  });

  it('keeps a text of 65,536 characters, not a longer one', () => {
    const tokenizer = load(path.join(FIXTURES, 'tiny-llama'));
    const kept = 'x '.repeat(32_768);
    assert.equal(tokenizer.encodeWithSpans(kept)[1], tokenizer.encodeWithSpans(kept)[1]);
    const longer = `${kept}x`;
    const again = tokenizer.encodeWithSpans(longer);
    assert.notEqual(tokenizer.encodeWithSpans(longer)[1], again[1]);
    assert.deepEqual(tokenizer.encodeWithSpans(longer), again);
  });
});
