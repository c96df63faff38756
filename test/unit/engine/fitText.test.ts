// fitText cuts a text from the left at a token boundary so that it fits a token budget: it keeps
// exactly `budget` tokens when the text has more (BOS counted, for tokenizers that add one), and
// the kept tokens are the last ones of the full encoding with spans into the original text.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fitText } from '../../../src/engine/fitText';
import { readModelFolder } from '../../../src/engine/modelFolder';
import type { ModelTokenizer } from '../../../src/engine/tokenizer';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { modelDir } from './helpers';

const TEXT = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau';

for (const name of ['tiny-gpt2', 'tiny-llama']) {
  describe(`fitText (${name})`, () => {
    let tokenizer: ModelTokenizer;
    before(async () => {
      tokenizer = (await readModelFolder(await NodeModelFiles.open(modelDir(name)))).tokenizer;
    });

    it('keeps the whole text when it fits', () => {
      const all = tokenizer.encodeWithSpans(TEXT);
      const fitted = fitText(tokenizer, TEXT, all.length);
      assert.equal(fitted.text, TEXT);
      assert.equal(fitted.offset, 0);
      assert.equal(fitted.droppedTokens, 0);
      assert.deepEqual(fitted.tokens, all);
    });

    it('keeps exactly the budget, the last tokens of the text', () => {
      const all = tokenizer.encodeWithSpans(TEXT);
      const bos = all[0] !== undefined && tokenizer.isSpecial(all[0].id) ? 1 : 0;
      assert.equal(bos, name === 'tiny-llama' ? 1 : 0, 'tiny-llama adds BOS, tiny-gpt2 does not');
      assert.ok(all.length > 12);
      for (const budget of [2, 3, 5, 8, all.length - 1]) {
        const fitted = fitText(tokenizer, TEXT, budget);
        assert.equal(fitted.tokens.length, budget, `budget ${budget}`);
        assert.equal(fitted.droppedTokens, all.length - budget, `budget ${budget}`);
        assert.equal(fitted.text, TEXT.slice(fitted.offset));
        // The kept text tokens are the full encoding's last ones, at the same places in the text
        // (same ids too for byte-level BPE; SentencePiece re-encodes the first kept word with its ▁).
        const key = (t: { id: number; start: number; end: number }) => (bos === 0 ? [t.id, t.start, t.end] : [t.start, t.end]);
        const kept = fitted.tokens.slice(bos).map(key);
        const last = all.slice(all.length - (budget - bos)).map(key);
        assert.deepEqual(kept, last, `budget ${budget}`);
        assert.equal(fitted.tokens[fitted.tokens.length - 1]?.end, TEXT.length);
      }
    });

    it('a budget of one keeps the last token (and BOS, which cannot go)', () => {
      const all = tokenizer.encodeWithSpans(TEXT);
      const bos = all[0] !== undefined && tokenizer.isSpecial(all[0].id) ? 1 : 0;
      const fitted = fitText(tokenizer, TEXT, 1);
      assert.equal(fitted.tokens.length, 1 + bos);
      assert.equal(fitted.tokens[fitted.tokens.length - 1]?.end, TEXT.length);
      assert.equal(fitted.text, TEXT.slice(fitted.offset));
    });
  });
}

// Re-encoding a cut text does not always give the full encoding's last tokens: SentencePiece
// puts its ▁ before the first kept piece, and runs of spaces, code and non-ASCII text merge
// differently at the cut. The first guess then has a token too many, and fitText must shrink it.
describe('fitText where the cut merges differently', () => {
  const CODE = 'line_56 = 56\nline_57 = 57\n  hello world   foo';
  const PROSE = 'The quick brown fox jumps over the lazy dog. Überprüfung 日本語 text';
  for (const [name, text] of [
    ['tiny-llama', CODE],
    ['hub-smollm2', PROSE],
  ] as const) {
    it(`never goes over the budget (${name})`, async () => {
      const tokenizer = (await readModelFolder(await NodeModelFiles.open(modelDir(name)))).tokenizer;
      const all = tokenizer.encodeWithSpans(text);
      for (let budget = 2; budget < all.length; budget++) {
        const fitted = fitText(tokenizer, text, budget);
        // What the model gets is the kept text encoded again: that is what must fit.
        assert.ok(fitted.tokens.length <= budget, `budget ${budget}: ${fitted.tokens.length} tokens`);
        assert.deepEqual(fitted.tokens.map((t) => t.id), tokenizer.encode(fitted.text), `budget ${budget}`);
        assert.equal(fitted.text, text.slice(fitted.offset));
        assert.equal(fitted.droppedTokens, all.length - fitted.tokens.length);
      }
    });
  }
});
