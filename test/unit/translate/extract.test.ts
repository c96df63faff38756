// Code-aware extraction on TypeScript, Python and Markdown samples (plus the table-driven lexer
// and markup): only comments, strings and prose are translated; code, indentation, comment
// markers, quotes, escapes, interpolations and Markdown syntax come out byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractRegions } from '../../../src/translate/extract';
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

  it('any text, language and selection: regions stay inside the selection, and an identity model changes nothing', async () => {
    const syntaxy = fc.string({
      unit: fc.constantFrom('a', 'b', 'Z', ' ', ' ', '.', '\n', '\r\n', '\t', '"', "'", '`', '/', '*', '#', '-', '\\', '{', '}', '$', '<', '>', '!', '[', ']', '(', ')', '|', '=', ';', '%', 's', 'f', 'r', 'ü'),
      maxLength: 160,
    });
    const language = fc.constantFrom('typescript', 'javascript', 'python', 'markdown', 'html', 'rust', 'shellscript', 'sql', 'lua', 'haskell', 'plaintext', 'vb');
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
