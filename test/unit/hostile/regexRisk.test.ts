// Tokenizer patterns: the catastrophic shape (a repeated group that itself repeats) is refused, the
// patterns of real tokenizers and of every fixture are not; and onnxruntime's errors read as one line.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ortMessage } from '../../../src/engine/ortMessage';
import { hasNestedRepetition, tokenizerPatterns } from '../../../src/engine/regexRisk';
import { FIXTURES, ROOT } from '../engine/helpers';

/** Pre-tokenizer patterns of published tokenizers (tokenizer.json `pre_tokenizer` … `Regex`). */
const REAL_PATTERNS = {
  'Llama 3': "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'Qwen2': "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'GPT-4o (o200k)':
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'BLOOM': ' ?[^(\\s|[.,!?…。，、।۔،])]+',
  'DeepSeek-V3': "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'GPT-2 (ByteLevel)': "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
};

describe('hasNestedRepetition', () => {
  it('refuses a repeated group that itself repeats, in each spelling', () => {
    for (const pattern of ['(a+)+$', '(\\w+\\s?)+$', '(a*)*b', '(?:x+y?)*z', '([a-z]+\\d*){2,}', '((ab)+c)+', '(a{1,3})+$', '(?:\\p{L}+ )+!', '[[](a+)+']) {
      assert.equal(hasNestedRepetition(pattern), true, pattern);
    }
  });

  it('allows repeated atoms, optional groups, bounded single repeats and escaped brackets', () => {
    for (const pattern of ['a+b*c?', '(ab)+', '(a+)?', '(a+){1}', '\\(a+\\)+', '[(a+)]+', 'x{2,5}', '(?=a+)b', '(\\p{L}+)']) {
      assert.equal(hasNestedRepetition(pattern), false, pattern);
    }
  });

  it('reads every quantifier form: exact and open counts, lazy ones, and braces that are not a quantifier', () => {
    const cases: [string, boolean][] = [
      ['(a+){2}', true],
      ['(a+){1,}', true],
      ['(a+){0,1}', false],
      ['(a+){1,1}', false],
      // Oniguruma's `{,n}` is `{0,n}`: the tokenizer library runs `(a+){,30}b` as a nested repeat
      // (encoding 25 `a` took 432 ms, doubling per character), so it is refused; `{,1}` repeats at most once.
      ['(a+){,3}', true],
      ['(a+){,30}b', true],
      ['(a+){,1}', false],
      ['(a+){,}', false], // no count: literal braces
      ['(a+?)+?', true],
      ['(a{2})+', true],
      ['(a{1})+', false],
      ['(a?)+', false],
      ['(a??)*', false],
      ['(ab){3}c+', false],
    ];
    for (const [pattern, refused] of cases) assert.equal(hasNestedRepetition(pattern), refused, pattern);
  });

  it('reads escapes and classes as single atoms', () => {
    const cases: [string, boolean][] = [
      ['(\\p{L}+)+', true],
      ['(\\u{1F600}+)+', true],
      ['(\\d+)+', true],
      ['(\\++)', false],
      ['(\\+)+', false],
      ['(\\p{L})+', false],
      ['(\\u{1F600})+', false],
      ['(\\x{41})+', false], // Oniguruma's braced hex escape is one character, not `\x` repeated 41 times
      ['(\\x{41}+)+', true],
      ['\\p{L', false], // an escape that never closes ends the pattern
      ['([\\]+]x)+', false], // `\]` inside a class does not end it: `+]x` is class content
      ['([a]+x)+', true],
      ['(x[+*])+', false],
    ];
    for (const [pattern, refused] of cases) assert.equal(hasNestedRepetition(pattern), refused, pattern);
  });

  it('carries repetition out through every enclosing group, and not past a group that closes unrepeated', () => {
    const cases: [string, boolean][] = [
      ['(((a+)))+', true],
      ['(((a+))b)+', true],
      ['((a+))(b)+', false],
      ['(a+)(b)+', false],
      ['(a)+(b)+', false],
      ['a)+(b+)', false], // a stray `)` closes nothing that repeats
      ['(a|b+)+', true],
    ];
    for (const [pattern, refused] of cases) assert.equal(hasNestedRepetition(pattern), refused, pattern);
  });

  it('allows the patterns of published tokenizers', () => {
    for (const [name, pattern] of Object.entries(REAL_PATTERNS)) assert.equal(hasNestedRepetition(pattern), false, name);
  });

  it('allows every pattern of the fixtures and bundled models', () => {
    const folders = [FIXTURES, path.join(ROOT, 'models')].filter(existsSync).flatMap((dir) => readdirSync(dir).map((name) => path.join(dir, name)));
    const tokenizers = folders.map((dir) => path.join(dir, 'tokenizer.json')).filter(existsSync);
    assert.ok(tokenizers.length >= 10, `${tokenizers.length} tokenizers`);
    const patterns = tokenizers.flatMap((file) => tokenizerPatterns(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>));
    assert.ok(patterns.length > 0);
    for (const pattern of patterns) assert.equal(hasNestedRepetition(pattern), false, pattern);
  });
});

describe('hasNestedRepetition: edge cases', () => {
  it('reads possessive and lazy-possessive quantifiers (Oniguruma\'s ?+ and ??+) as an optional atom, not a repeated one', () => {
    assert.equal(hasNestedRepetition('(a?+)+'), false);
    assert.equal(hasNestedRepetition('(b??+)+'), false);
  });

  it('reads a count of several digits, and braces that are no quantifier as literals without looking further', () => {
    assert.equal(hasNestedRepetition('(a+){10}'), true);
    assert.equal(hasNestedRepetition('(a+){x}b{2}'), false);
  });

  it('reads only \\p{…}, \\P{…} and \\u{…} as braced escapes, wherever they stand', () => {
    assert.equal(hasNestedRepetition('(\\d{2})+'), true, 'a counted \\d repeats');
    assert.equal(hasNestedRepetition('\\p{L}(\\d+)+'), true, 'a braced escape first does not change how later escapes read');
    assert.equal(hasNestedRepetition('(ab\\u{12})+'), false, 'a braced escape after other atoms is one atom');
  });

  it('ends at an unterminated class', () => {
    assert.equal(hasNestedRepetition('(a+)[b'), false);
    assert.equal(hasNestedRepetition('[a\\'), false);
  });

  it('a stray `)` closes what came before it as a group of the top level', () => {
    assert.equal(hasNestedRepetition('a+)+'), true);
    assert.equal(hasNestedRepetition('a))+'), false);
    assert.equal(hasNestedRepetition('a+))+'), false);
  });
});

describe('tokenizerPatterns', () => {
  it('finds every Regex of the normalizer, pre-tokenizer, post-processor and decoder, and none of the vocabulary', () => {
    const tokenizer = {
      normalizer: { type: 'Replace', pattern: { Regex: 'n' }, content: ' ' },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: 'p' } }, { type: 'Split', pattern: { String: 's' } }] },
      decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { Regex: 'd' } }] },
      model: { vocab: { Regex: 0 }, merges: [] },
    };
    assert.deepEqual(tokenizerPatterns(tokenizer), ['n', 'p', 'd']);
  });

  it('finds the post-processor\'s patterns, and takes a Regex that is no string for no pattern (looking inside it)', () => {
    assert.deepEqual(tokenizerPatterns({ post_processor: { type: 'Split', pattern: { Regex: 'q' } } }), ['q']);
    assert.deepEqual(tokenizerPatterns({ pre_tokenizer: { pattern: { Regex: 5 } }, decoder: { pattern: { Regex: { Regex: 'inner' } } } }), ['inner']);
  });
});

describe('ortMessage', () => {
  it('keeps the reason of a failed session, without wrapper, build path, signature or line break', () => {
    const error = new Error(
      "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: /mnt/azure_nvme_temp/_work/1/s/onnxruntime/core/graph/model.cc:197 onnxruntime::Model::Model(ModelProto &&, const PathString &, const IOnnxRuntimeOpSchemaRegistryList *, const logging::Logger &, const ModelOptions &) Missing model IR version.\n",
    );
    assert.equal(ortMessage(error), 'Missing model IR version.');
    assert.equal(ortMessage(new Error("Can't create a session. ERROR_CODE: 2, ERROR_MESSAGE: No graph was found in the protobuf.")), 'No graph was found in the protobuf.');
  });

  it('joins the lines of any other message, and never returns nothing', () => {
    assert.equal(ortMessage(new Error('first line\n  second line\n')), 'first line second line');
    assert.equal(ortMessage(''), 'no reason given');
    assert.equal(ortMessage('ERROR_MESSAGE: '), 'no reason given');
  });

  it('strips the build path only where the message starts with it, after its own spaces and the wrapper', () => {
    assert.equal(ortMessage('ERROR_MESSAGE: /a/b/session.cc:12 Bad input.'), 'Bad input.');
    assert.equal(ortMessage('  /a/b/session.cc:12 Bad input.'), 'Bad input.');
    assert.equal(ortMessage('/a/b/session.cc:12 \tBad input.'), 'Bad input.');
    assert.equal(ortMessage('Input of /a/b/session.cc:12 is bad'), 'Input of /a/b/session.cc:12 is bad');
  });
});
