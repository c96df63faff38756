// Code-aware extraction on TypeScript, Python and Markdown samples (plus the table-driven lexer
// and markup): only comments, strings and prose are translated; code, indentation, comment
// markers, quotes, escapes, interpolations and Markdown syntax come out byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { codeTokenSpans, extractRegions, looksLikeProse } from '../../../src/translate/extract';
import { translateRegions, type UnitTranslator } from '../../../src/translate/pipeline';

/** Marks every translated unit visibly: «UPPER CASE». */
const shout: UnitTranslator = async (text) => `«${text.toUpperCase()}»`;

async function translateAll(text: string, languageId: string, translator: UnitTranslator = shout, codeAware = true): Promise<string> {
  const regions = extractRegions(text, { start: 0, end: text.length }, languageId, { codeAware });
  return translateRegions(text, regions, translator);
}

function regionTexts(text: string, languageId: string, start = 0, end = text.length): string[] {
  return extractRegions(text, { start, end }, languageId, { codeAware: true }).map((r) => text.slice(start, end).slice(r.start, r.end));
}

const TYPESCRIPT = `/**
 * Returns the display name of a user.
 * @param user The user, see config.json.
 */
export function greet(user: User, count: number): string {
  // Build the greeting.
  const pattern = /don't "match" me/g; // a regex with quotes
  const label = 'Hello, world!';
  const note = "He said \\"hi\\" twice.";
  const text = \`Welcome back, \${user.name}! You have \${format(count, "n")} new messages.\`;
  return label + 'utf8' + "btn btn-primary" + text;
}
`;

const TYPESCRIPT_TRANSLATED = `/**
 * «RETURNS THE DISPLAY NAME OF A USER.»
 * «@param user THE USER, SEE config.json.»
 */
export function greet(user: User, count: number): string {
  // «BUILD THE GREETING.»
  const pattern = /don't "match" me/g; // «A REGEX WITH QUOTES»
  const label = '«HELLO, WORLD!»';
  const note = "«HE SAID \\"HI\\" TWICE.»";
  const text = \`«WELCOME BACK, \${user.name}!» «YOU HAVE \${format(count, "n")} NEW MESSAGES.»\`;
  return label + 'utf8' + "btn btn-primary" + text;
}
`;

const PYTHON = `#!/usr/bin/env python3
# Compute the total price.
def total(items, user):
    """Return the sum of all prices.

    :param items: the items to add up
    >>> total([], None)
    0
    """
    title = f"Total for {user['name']!r:>10}: {{braces}} stay."
    data = b"raw bytes here"
    path = r'C:\\temp\\new folder'
    return "It's done."  # Done.
`;

const PYTHON_TRANSLATED = `#!/usr/bin/env python3
# «COMPUTE THE TOTAL PRICE.»
def total(items, user):
    """«RETURN THE SUM OF ALL PRICES.»

    «:param items: THE ITEMS TO ADD UP»
    >>> total([], None)
    0
    """
    title = f"«TOTAL FOR {user['name']!r:>10}: {{braces}} STAY.»"
    data = b"raw bytes here"
    path = r'«C:\\TEMP\\NEW FOLDER»'
    return "«IT'S DONE.»"  # «DONE.»
`;

const MARKDOWN = `---
title: Getting started
---
# Getting started #

Install the **extension** and read [the guide](https://example.com/guide "Guide").
Run \`npm run build\` first.

\`\`\`ts
// This stays English.
const x = 'code';
\`\`\`

> - [ ] Write the *first* test
> 1. Run it again

| Option | Meaning |
|--------|---------|
| \`foo\` | Turns foo on |

    indented code stays

[guide]: https://example.com/guide
`;

const MARKDOWN_TRANSLATED = `---
title: Getting started
---
# «GETTING STARTED» #

«INSTALL THE **EXTENSION** AND READ [THE GUIDE](https://example.com/guide "Guide").»
«RUN \`npm run build\` FIRST.»

\`\`\`ts
// This stays English.
const x = 'code';
\`\`\`

> - [ ] «WRITE THE *FIRST* TEST»
> 1. «RUN IT AGAIN»

| «OPTION» | «MEANING» |
|--------|---------|
| \`foo\` | «TURNS FOO ON» |

    indented code stays

[guide]: https://example.com/guide
`;

describe('code-aware extraction', () => {
  it('TypeScript: comments and prose strings only; regexes, quotes, escapes and ${…} stay', async () => {
    assert.equal(await translateAll(TYPESCRIPT, 'typescript'), TYPESCRIPT_TRANSLATED);
  });

  it('Python: comments, docstrings and strings; shebang, bytes, f-string fields, Sphinx fields and doctests stay', async () => {
    assert.equal(await translateAll(PYTHON, 'python'), PYTHON_TRANSLATED);
  });

  it('Markdown: prose and table cells; front matter, code blocks, inline code, link targets stay', async () => {
    assert.equal(await translateAll(MARKDOWN, 'markdown'), MARKDOWN_TRANSLATED);
  });

  it('a selection inside a string literal is translated even when it looks like an identifier', () => {
    const text = "const mode = 'strict';";
    const start = text.indexOf('strict');
    assert.deepEqual(regionTexts(text, 'typescript', start, start + 'strict'.length), ['strict']);
    assert.deepEqual(regionTexts(text, 'typescript'), []);
  });

  it('a selection starting inside a block comment is understood from the document', () => {
    const text = 'x = 1; /* first line\n   second line */ y = 2;';
    const start = text.indexOf('line');
    assert.deepEqual(regionTexts(text, 'typescript', start, text.length), ['line', '   second line ']);
  });

  it('escapes what the model writes into a string, and breaks a comment closer', async () => {
    const text = 'const a = "Say hi"; /* A note */';
    const out = await translateAll(text, 'typescript', async (t) => (t.startsWith('Say') ? 'Sag "hallo" \\o/' : 'Eine */ Notiz'));
    assert.equal(out, 'const a = "Sag \\"hallo\\" \\\\o/"; /* Eine * / Notiz */');
  });

  it('without code-awareness the whole selection is prose', () => {
    const text = 'const label = "Hello";';
    assert.deepEqual(
      extractRegions(text, { start: 0, end: text.length }, 'typescript', { codeAware: false }).map((r) => [r.start, r.end]),
      [[0, text.length]],
    );
  });

  it('other languages use the comment table: Rust, shell, SQL; unknown ids are prose', async () => {
    assert.equal(
      await translateAll('/// Adds one.\nfn f(x: i32) -> i32 { x + 1 } // Plus one\nlet s = "Hello there";', 'rust'),
      '/// «ADDS ONE.»\nfn f(x: i32) -> i32 { x + 1 } // «PLUS ONE»\nlet s = "«HELLO THERE»";',
    );
    assert.equal(await translateAll('echo "$#" # Print the count\n', 'shellscript'), 'echo "$#" # «PRINT THE COUNT»\n');
    assert.equal(
      await translateAll("SELECT 'It''s here' AS note -- the note\n", 'sql'),
      "SELECT '«IT''S HERE»' AS note -- «THE NOTE»\n",
    );
    assert.deepEqual(regionTexts('Some text here.', 'some-unknown-language'), ['Some text here.']);
  });

  it('HTML: text, comments and readable attributes; scripts and other attributes stay', async () => {
    const html = '<p class="intro big" title="Main intro">Hello <b>world</b>!</p><!-- A comment --><script>var s = "no";</script>';
    assert.equal(
      await translateAll(html, 'html'),
      '<p class="intro big" title="«MAIN INTRO»">«HELLO» <b>«WORLD»</b>!</p><!-- «A COMMENT» --><script>var s = "no";</script>',
    );
  });

  it('JSX and TSX: element text, readable attributes and strings in {…}; class names, tags and code stay', async () => {
    const component = `export const Dialog = () => (
  <div className="dialog" title="Unsaved work">
    Don't close the window. {count > 1 && <b>{t("Save all changes")}</b>}
  </div>
);`;
    const expected = `export const Dialog = () => (
  <div className="dialog" title="«UNSAVED WORK»">
    «DON'T CLOSE THE WINDOW.» {count > 1 && <b>{t("«SAVE ALL CHANGES»")}</b>}
  </div>
);`;
    for (const language of ['typescriptreact', 'javascriptreact', 'javascript']) assert.equal(await translateAll(component, language), expected, language);
    assert.notEqual(await translateAll(component, 'typescript'), expected, 'TypeScript has no JSX');
  });

  it('any text, language and selection: regions stay inside the selection, and an identity model changes nothing', async () => {
    const syntaxy = fc.string({
      unit: fc.constantFrom('a', 'b', 'Z', ' ', ' ', '.', '\n', '\r\n', '\t', '"', "'", '`', '/', '*', '#', '-', '\\', '{', '}', '$', '<', '>', '!', '[', ']', '(', ')', '|', '=', ';', '%', 's', 'f', 'r', 'ü'),
      maxLength: 160,
    });
    const language = fc.constantFrom('typescript', 'javascript', 'typescriptreact', 'python', 'markdown', 'html', 'rust', 'shellscript', 'sql', 'lua', 'haskell', 'plaintext', 'vb');
    await fc.assert(
      fc.asyncProperty(syntaxy, language, fc.nat(), fc.nat(), async (text, languageId, a, b) => {
        const start = Math.min(a, b) % (text.length + 1);
        const end = Math.min(text.length, start + (Math.max(a, b) % (text.length + 1)));
        const regions = extractRegions(text, { start, end }, languageId, { codeAware: true });
        let previous = 0;
        for (const region of regions) {
          assert.ok(region.start >= previous && region.end <= end - start && region.start < region.end, JSON.stringify(region));
          previous = region.end;
        }
        const selected = text.slice(start, end);
        assert.equal(await translateRegions(selected, regions, async (t) => t), selected);
      }),
      { numRuns: 2000 },
    );
  });
});

/** Each region of the selection as its text, the texts of its protected spans, and its context. */
function regionsOf(text: string, languageId: string, start = 0, end = text.length): { text: string; protected: string[]; context: unknown }[] {
  const selected = text.slice(start, end);
  return extractRegions(text, { start, end }, languageId, { codeAware: true }).map((r) => ({
    text: selected.slice(r.start, r.end),
    protected: r.protected.map((s) => selected.slice(s.start, s.end)),
    context: r.context,
  }));
}

function codeTokens(text: string): string[] {
  return codeTokenSpans(text).map((s) => text.slice(s.start, s.end));
}

describe('extracted regions in detail', () => {
  it('without code-awareness, Markdown with a code block is one prose region of the selection', () => {
    const text = 'Run `npm test` first:\n\n```sh\nnpm test\n```\n';
    assert.deepEqual(extractRegions(text, { start: 4, end: text.length }, 'markdown', { codeAware: false }), [
      { start: 0, end: text.length - 4, protected: [], context: { kind: 'prose' } },
    ]);
  });

  it('a selection starting mid-document gets region and protected offsets relative to its start', () => {
    const text = 'const a = 1; // Call getValue() twice.\n';
    const start = text.indexOf('a =');
    assert.deepEqual(extractRegions(text, { start, end: text.length }, 'typescript', { codeAware: true }), [
      { start: 9, end: 32, protected: [{ start: 15, end: 25 }], context: { kind: 'line-comment' } },
    ]);
  });

  it('block comments: star prefixes and a /*! licence mark are markers, other stars and indentation are text', () => {
    const doc = '/**\n * Line one.\n   Line two.\n   !x means not x.\n */\n/* *Note:* see below. */\n/*! Keep this licence. */\n';
    assert.deepEqual(
      regionsOf(doc, 'typescript').map((r) => r.text),
      [' Line one.', '   Line two.', '   !x means not x.', ' *Note:* see below. ', ' Keep this licence. '],
    );
    // An HTML comment has no star prefixes: a bulleted list inside it keeps its bullets.
    assert.deepEqual(regionsOf('<!--\n  * first item\n  * second item\n-->', 'html'), [
      { text: '  * first item', protected: [], context: { kind: 'block-comment', close: '-->' } },
      { text: '  * second item', protected: [], context: { kind: 'block-comment', close: '-->' } },
    ]);
  });

  it('a block opener that does not end in a star keeps the characters after it: a third dash after <!-- is text', () => {
    assert.deepEqual(regionsOf('<!--- Draft --->', 'html'), [{ text: '- Draft -', protected: [], context: { kind: 'block-comment', close: '-->' } }]);
  });

  it('comment markers inside the text are protected only when longer than one character', () => {
    assert.deepEqual(regionsOf('# Issue #42 is fixed.\nx = 1\n', 'python'), [
      { text: ' Issue #42 is fixed.', protected: [], context: { kind: 'line-comment' } },
    ]);
    assert.deepEqual(regionsOf('/* Read and/or write; a /* here is text. */', 'rust'), [
      { text: ' Read and/or write; a /* here is text. ', protected: ['/*'], context: { kind: 'block-comment', close: '*/' } },
    ]);
  });

  it('string contexts and syntax: raw quotes, f-string braces, doubled quotes, interpolation', () => {
    assert.deepEqual(regionsOf('p = r"Say \\"hi\\" now"\ns = f"Use {{ and }} for {name}."\n', 'python'), [
      { text: 'Say \\"hi\\" now', protected: ['\\"', '\\"'], context: { kind: 'string', quote: '"', raw: true } },
      { text: 'Use {{ and }} for {name}.', protected: ['{{', '}}', '{name}'], context: { kind: 'string', quote: '"', raw: false, interpolation: 'python-f' } },
    ]);
    assert.deepEqual(regionsOf("SELECT 'It''s here'", 'sql'), [
      { text: "It''s here", protected: ["''"], context: { kind: 'string', quote: "'", raw: true } },
    ]);
    assert.deepEqual(regionsOf('const t = `Hello ${name}, welcome.`; const s = "Type {{ to open.";', 'typescript'), [
      { text: 'Hello ${name}, welcome.', protected: ['${name}'], context: { kind: 'string', quote: '`', raw: false, interpolation: 'js-template' } },
      { text: 'Type {{ to open.', protected: [], context: { kind: 'string', quote: '"', raw: false } },
    ]);
  });

  it('escape sequences are protected whole', () => {
    assert.deepEqual(
      regionsOf('s = "Tab\\x41 \\u{1F600} \\u00e9 \\U0001f600 \\N{EM DASH} \\101 end \\\n more."\n', 'python')[0]?.protected,
      ['\\x41', '\\u{1F600}', '\\u00e9', '\\U0001f600', '\\N{EM DASH}', '\\101', '\\\n'],
    );
  });

  it('a selection that only starts or only ends inside a literal does not make an identifier translatable', () => {
    const text = "const x = 1; const mode = 'strict'; const y = 2;";
    const at = text.indexOf('strict');
    assert.deepEqual(regionsOf(text, 'typescript', at, text.length), []);
    assert.deepEqual(regionsOf(text, 'typescript', 0, at + 3), []);
    assert.deepEqual(regionsOf(text, 'typescript', at, at + 3), [{ text: 'str', protected: [], context: { kind: 'string', quote: "'", raw: false } }]);
  });

  it('code tokens: dotted names, snake_case, camelCase, PascalCase humps and calls, whole', () => {
    assert.deepEqual(codeTokens('Use os.path.join or config.json, not foo_bar; call init() then getValue.'), [
      'os.path.join',
      'config.json',
      'foo_bar',
      'init()',
      'getValue',
    ]);
    assert.deepEqual(codeTokens('max_retries and getValue and XmlHttpRequest and H2oModel'), ['max_retries', 'getValue', 'XmlHttpRequest', 'H2oModel']);
    assert.deepEqual(codeTokens('Plain words, an e-mail, Upper case and a (parenthesis) stay.'), []);
  });

  it('code tokens: JSDoc tags with their types, names and defaults', () => {
    assert.deepEqual(codeTokens('@param   {number}   count how many'), ['@param   {number}   count']);
    assert.deepEqual(codeTokens('@param {string} name the name'), ['@param {string} name']);
    assert.deepEqual(codeTokens('@param [name=guest] who to greet'), ['@param [name=guest]']);
    assert.deepEqual(codeTokens('@returns  {string} the label; see @deprecated, or mail user@example.com'), ['@returns  {string}', '@deprecated', 'example.com']);
    // A type with no name after it ends the tag, even when the type holds a tag with a default.
    assert.deepEqual(codeTokens('@param {@arg a=1}, more'), ['@param {@arg a=1}']);
  });

  it('code tokens: Sphinx fields and doctest lines only at the start of a line', () => {
    assert.deepEqual(codeTokens(':param items: the items\n:returns: the total\n  :param int  count: how many\nUse :ref: here'), [
      ':param items:',
      ':returns:',
      ':param int  count:',
    ]);
    assert.deepEqual(codeTokens('>>> total([], None)\n...\n...and so on.\nWait... then go.'), ['>>> total([], None)', '...']);
  });

  it('looksLikeProse: words outside placeholders and syntax, class lists, single words', () => {
    const cases: [string, boolean][] = [
      ['{user} {name}', false],
      ['%(count)d %(unit)s', false],
      [' Cancel ', true],
      ['Hello {name}', true],
      ['btn  btn-primary', false],
      ['read-only mode.', true],
      ['A.', false],
      ['OK!', true],
      ['Cancel', true],
      ['cancel', false],
    ];
    assert.deepEqual(
      cases.map(([text]) => [text, looksLikeProse(text, [])]),
      cases,
    );
    assert.equal(looksLikeProse('Hello \\n', [{ start: 6, end: 8 }]), true);
    assert.equal(looksLikeProse('\\n\\t', [{ start: 0, end: 2 }, { start: 2, end: 4 }]), false);
  });
});
