// The Markdown lexer (extractMarkdown): which parts of a Markdown document are handed out as
// translatable prose, with which offsets, and which inline syntax inside them stays protected.
// Covers paragraphs and line breaks, front matter, fenced / indented code, HTML comments, block
// prefixes (quotes, list markers, task boxes, headings and their closing hashes), link reference
// definitions, tables (separator rows, cells, escaped pipes, pipes in code), and the protected
// inline syntax: code spans, autolinks, footnotes, link punctuation and targets, emphasis, escapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractMarkdown } from '../../../src/translate/lexers/markdown';

/**
 * Each region as [start offset, its text with every protected span wrapped in ⟦ ⟧]. Lossless for
 * start, end and the protected spans (which are sorted, disjoint and non-touching), so comparing
 * these with deepEqual checks offsets, extents and protection all at once.
 */
function lex(text: string): [number, string][] {
  const regions = extractMarkdown(text);
  assert.deepEqual(
    regions.map((r) => r.context),
    regions.map(() => ({ kind: 'prose' })),
  );
  return regions.map((r) => {
    let marked = '';
    let at = r.start;
    for (const span of r.protected) {
      marked += `${text.slice(at, span.start)}⟦${text.slice(span.start, span.end)}⟧`;
      at = span.end;
    }
    return [r.start, marked + text.slice(at, r.end)];
  });
}

describe('extractMarkdown: paragraphs and lines', () => {
  it('returns the full region structure (offsets, protected spans, prose context) line by line', () => {
    const text = 'Hello **world**.\nSecond `line` here.';
    assert.deepEqual(extractMarkdown(text), [
      {
        start: 0,
        end: 16,
        protected: [
          { start: 6, end: 8 },
          { start: 13, end: 15 },
        ],
        context: { kind: 'prose' },
      },
      { start: 17, end: 36, protected: [{ start: 24, end: 30 }], context: { kind: 'prose' } },
    ]);
  });

  it('gives nothing for an empty or whitespace-only document', () => {
    assert.deepEqual(extractMarkdown(''), []);
    assert.deepEqual(extractMarkdown('  \n\t\n'), []);
  });

  it('splits on LF, CRLF and CR line breaks and trims surrounding whitespace of each line', () => {
    assert.deepEqual(lex('One\r\nTwo\rThree\n  Four  '), [
      [0, 'One'],
      [5, 'Two'],
      [9, 'Three'],
      [17, 'Four'],
    ]);
  });

  it('treats a line of only spaces as blank, so a following indented block is code', () => {
    assert.deepEqual(lex('Paragraph\n   \n    code()\nAfter'), [
      [0, 'Paragraph'],
      [25, 'After'],
    ]);
  });

  it('keeps a 4-space indented lazy continuation of a paragraph as prose', () => {
    assert.deepEqual(lex('A paragraph that\n    goes on here.'), [
      [0, 'A paragraph that'],
      [21, 'goes on here.'],
    ]);
  });

  it('treats a paragraph indented by fewer than four spaces as prose, and tabs inside a line as text', () => {
    assert.deepEqual(lex('First\n\n  Indented two spaces.\n\nText with\ttab'), [
      [0, 'First'],
      [9, 'Indented two spaces.'],
      [31, 'Text with\ttab'],
    ]);
  });

  it('keeps thematic breaks out of the prose, also inside a block quote', () => {
    assert.deepEqual(lex('Above\n\n---\n\n> Quote\n>\n>---\n> More'), [
      [0, 'Above'],
      [14, 'Quote'],
      [29, 'More'],
    ]);
  });

  it('keeps a sentence that merely ends with dashes as prose (not a table separator)', () => {
    assert.deepEqual(lex('It goes on and on --\nContinued --'), [
      [0, 'It goes on and on --'],
      [21, 'Continued --'],
    ]);
  });
});

describe('extractMarkdown: front matter', () => {
  it('skips YAML front matter closed by ---', () => {
    assert.deepEqual(lex('---\ntitle: Hello\ntags: [a]\n---\nBody text'), [[31, 'Body text']]);
  });

  it('skips front matter closed by ... or by --- with trailing spaces', () => {
    assert.deepEqual(lex('---\ntitle: Hello\n...\nBody'), [[21, 'Body']]);
    assert.deepEqual(lex('---\ntitle: Hello\n---  \nBody'), [[23, 'Body']]);
  });

  it('ends the front matter at a closing line, not at a value that ends with dots', () => {
    assert.deepEqual(lex('---\ndescription: And then...\ntags: x\n---\nBody'), [[41, 'Body']]);
  });

  it('does not treat a leading thematic break without a closing line as front matter', () => {
    assert.deepEqual(lex('---\nChapter one\n\n...finally.'), [
      [4, 'Chapter one'],
      [17, '...finally.'],
    ]);
  });

  it('only recognises front matter on the very first line, opened by exactly ---', () => {
    assert.deepEqual(lex('Intro\n\n---\n\nMore'), [
      [0, 'Intro'],
      [12, 'More'],
    ]);
    assert.deepEqual(lex('Wait for it ---\nstill prose\n---\nlast'), [
      [0, 'Wait for it ---'],
      [16, 'still prose'],
      [32, 'last'],
    ]);
    assert.deepEqual(lex('-----\nText\n---\nMore'), [
      [6, 'Text'],
      [15, 'More'],
    ]);
  });
});

describe('extractMarkdown: fenced code blocks', () => {
  it('keeps fenced code blocks out of the prose', () => {
    assert.deepEqual(lex('Before\n```js\nconst a = 1; // a comment\n```\nAfter'), [
      [0, 'Before'],
      [43, 'After'],
    ]);
  });

  it('keeps a bare ``` fence at the start of the document out of the prose', () => {
    assert.deepEqual(lex('```\ncode line\n```\nAfter'), [[18, 'After']]);
  });

  it('keeps tilde fences (with backticks in the info string) and $$ math blocks out of the prose', () => {
    assert.deepEqual(lex('~~~ info `tick`\ncode\n~~~\nafter'), [[25, 'after']]);
    assert.deepEqual(lex('$5 each\n$$\nx^2 + y^2\n$$\nafter'), [
      [0, '$5 each'],
      [24, 'after'],
    ]);
  });

  it('treats everything after an unclosed fence as code', () => {
    assert.deepEqual(lex('Intro\n```\ncode\nmore code'), [[0, 'Intro']]);
  });

  it('closes a fence only with the same character, at least as long, and with nothing after it', () => {
    assert.deepEqual(lex('~~~\n```\nstill code\n~~~\nafter'), [[23, 'after']]);
    assert.deepEqual(lex('````\n```\nstill code\n````\nafter'), [[25, 'after']]);
    assert.deepEqual(lex('```\nfirst\n```not-a-close\nstill code\n```\nafter'), [[40, 'after']]);
    assert.deepEqual(lex('```text\nA line that ends with ```\n```\nafter'), [[38, 'after']]);
  });

  it('opens a fence whose info string holds a line or paragraph separator (U+2028, U+2029)', () => {
    assert.deepEqual(lex('```js\u2028\nconst x = 1;\n```\n\nAfter the code.'), [[25, 'After the code.']]);
    // A backtick after the separator still makes the line no fence: prose, and the next ``` opens one.
    assert.deepEqual(lex('```js\u2029x `y`\ncode\n```\nafter'), [
      [0, '```js\u2029x ⟦`y`⟧'],
      [12, 'code'],
    ]);
  });

  it('accepts a closing fence followed by spaces', () => {
    assert.deepEqual(lex('```\ncode\n```   \nafter'), [[16, 'after']]);
  });

  it('recognises fences indented by up to three spaces', () => {
    assert.deepEqual(lex('  ```\n  code\n  ```\nafter'), [[19, 'after']]);
  });

  it('recognises fences inside block quotes, also nested ones', () => {
    assert.deepEqual(lex('> ```\n> code\n> ```\n> after'), [[21, 'after']]);
    assert.deepEqual(lex('> > ```\n> > code\n> > ```\n> > after'), [[29, 'after']]);
  });

  it('does not open a fence in the middle of a line or on a line starting with fewer than three tildes or one dollar', () => {
    assert.deepEqual(lex('Type ~~~ to start a fence.\nNext line.'), [
      [0, 'Type ~~~ to start a fence.'],
      [27, 'Next line.'],
    ]);
    assert.deepEqual(lex('~~Old price~~ New price\nNext line.'), [
      [0, '⟦~~⟧Old price⟦~~⟧ New price'],
      [24, 'Next line.'],
    ]);
  });

  it('reads a line starting with ``` that contains another backtick as inline code, not a fence', () => {
    assert.deepEqual(lex('```npm install``` runs the installer.\nNext line.'), [
      [0, '⟦```npm install```⟧ runs the installer.'],
      [38, 'Next line.'],
    ]);
  });
});

describe('extractMarkdown: indented code blocks and lists', () => {
  it('keeps an indented code block (after a blank line) out of the prose', () => {
    assert.deepEqual(lex('Text\n\n    code()\n\tmore()\n\nAfter'), [
      [0, 'Text'],
      [26, 'After'],
    ]);
  });

  it('keeps an indented code block at the very start of the document out of the prose', () => {
    assert.deepEqual(lex('    code()\nText'), [[11, 'Text']]);
  });

  it('keeps an indented code block right after a fenced block or a heading out of the prose, but continues a paragraph', () => {
    assert.deepEqual(lex('Para\n```\ncode\n```\n    indented()\nprose'), [
      [0, 'Para'],
      [33, 'prose'],
    ]);
    assert.deepEqual(lex('# Head\n    code()\n    more()'), [[2, 'Head']]);
    assert.deepEqual(lex('#\n    code()'), [], 'an empty heading');
    assert.deepEqual(lex('Para\n    goes on'), [
      [0, 'Para'],
      [9, 'goes on'],
    ]);
  });

  it('keeps an indented paragraph as prose in a list item whose marker stands alone on its line', () => {
    assert.deepEqual(lex('-\n  Item\n\n    more item text'), [
      [4, 'Item'],
      [14, 'more item text'],
    ]);
  });

  it('keeps an indented paragraph inside a list item as prose', () => {
    assert.deepEqual(lex('- item\n\n    continuation of the item'), [
      [2, 'item'],
      [12, 'continuation of the item'],
    ]);
    assert.deepEqual(lex('1. first\n\n    continuation'), [
      [3, 'first'],
      [14, 'continuation'],
    ]);
    assert.deepEqual(lex('10. tenth\n\n    continuation'), [
      [4, 'tenth'],
      [15, 'continuation'],
    ]);
  });

  it('keeps several indented paragraphs of one list item as prose', () => {
    assert.deepEqual(lex('- item\n\n    para one\n\n    para two'), [
      [2, 'item'],
      [12, 'para one'],
      [26, 'para two'],
    ]);
  });

  it('stays in the list item after a fenced block inside it', () => {
    assert.deepEqual(lex('- item\n\n  ```\n  code\n  ```\n  More text.\n\n    Still in the item.'), [
      [2, 'item'],
      [29, 'More text.'],
      [45, 'Still in the item.'],
    ]);
  });

  it('ends the list at a non-indented paragraph after a blank line, so later indented lines are code', () => {
    assert.deepEqual(lex('- item\n\nParagraph\n\n    code()'), [
      [2, 'item'],
      [8, 'Paragraph'],
    ]);
  });

  it('does not mistake a dash inside a sentence for a list item', () => {
    assert.deepEqual(lex('Pre- and post-processing are covered.\n\n    code()'), [[0, 'Pre- and post-processing are covered.']]);
    assert.deepEqual(lex('Some text - with a dash\n\n    code()'), [[0, 'Some text - with a dash']]);
    assert.deepEqual(lex('>Yes - really\n\n    code()'), [[1, 'Yes - really']]);
  });

  it('recognises list items inside block quotes, with or without a space after >', () => {
    assert.deepEqual(lex('> > - item\n\n    continuation'), [
      [6, 'item'],
      [16, 'continuation'],
    ]);
    assert.deepEqual(lex('>- item\n\n    continuation'), [
      [3, 'item'],
      [13, 'continuation'],
    ]);
  });
});

describe('extractMarkdown: HTML comments', () => {
  it('keeps a multi-line HTML comment out of the prose', () => {
    assert.deepEqual(lex('Before\n<!--\nhidden note\nmore\n-->\nAfter'), [
      [0, 'Before'],
      [33, 'After'],
    ]);
  });

  it('keeps an indented multi-line HTML comment out of the prose', () => {
    assert.deepEqual(lex('  <!-- a\n  note -->\nAfter'), [[20, 'After']]);
  });

  it('treats everything after an unclosed HTML comment as comment', () => {
    assert.deepEqual(lex('Text\n<!-- note\nstill hidden'), [[0, 'Text']]);
  });

  it('keeps a line that only starts or only ends with an HTML comment as prose, the comment protected', () => {
    assert.deepEqual(lex('<!-- a --> Text after.\nKeep this <!-- note -->'), [
      [0, '⟦<!-- a -->⟧ Text after.'],
      [23, 'Keep this ⟦<!-- note -->⟧'],
    ]);
  });

  it('keeps a one-line HTML comment out of the prose, markers and all', () => {
    assert.deepEqual(lex('Before\n<!-- TODO: rewrite -->\n  <!-- x --> \nAfter'), [
      [0, 'Before'],
      [44, 'After'],
    ]);
  });

  it('does not start a comment at a <!-- in the middle of a line', () => {
    assert.deepEqual(lex('Write `<!--` to start a comment.\nNext line.'), [
      [0, 'Write ⟦`<!--`⟧ to start a comment.'],
      [33, 'Next line.'],
    ]);
  });
});

describe('extractMarkdown: headings without text, setext underlines, tables in quotes', () => {
  it('gives nothing for a heading that is only its markers', () => {
    assert.deepEqual(lex('### ###\n# #\n## Real ##'), [[15, 'Real']]);
    assert.deepEqual(lex('### ### '), [], 'closing hashes with a trailing space');
    assert.deepEqual(lex('# #hashtag'), [[2, '#hashtag']], 'a word that starts with # is text');
    assert.deepEqual(lex('#  #\n##\t\t##'), [], 'several blanks between the opening and closing hashes');
  });

  it('keeps a setext === underline, but not a line of = after a blank line', () => {
    assert.deepEqual(lex('Title\n=====\n\n==='), [
      [0, 'Title'],
      [13, '==='],
    ]);
    assert.deepEqual(lex('Title\n===  '), [[0, 'Title']], 'an underline with trailing spaces');
    assert.deepEqual(lex('===\nx'), [
      [0, '==='],
      [4, 'x'],
    ], 'no paragraph above the first line to underline');
    assert.deepEqual(lex('One\nTwo ==\nThree\n=== not an underline'), [
      [0, 'One'],
      [4, 'Two =='],
      [11, 'Three'],
      [17, '=== not an underline'],
    ]);
  });

  it('keeps the markers of a nested or unspaced quote out of the cells of its table', () => {
    assert.deepEqual(lex('> > | a | b |\n> > |---|---|'), [
      [6, 'a'],
      [10, 'b'],
    ]);
    assert.deepEqual(lex('>| a | b |\n>|---|---|'), [
      [3, 'a'],
      [7, 'b'],
    ]);
  });

  it('keeps the > markers of a table in a block quote out of its cells', () => {
    assert.deepEqual(lex('> | a | b |\n> |---|---|\n> | c | d |'), [
      [4, 'a'],
      [8, 'b'],
      [28, 'c'],
      [32, 'd'],
    ]);
  });
});

describe('extractMarkdown: block prefixes', () => {
  it('keeps quote markers, list markers and task boxes out of the prose', () => {
    assert.deepEqual(lex('- [x] done\n* [ ] open\n+ plus\n1. one\n2) two\n> quote\n> - item\n>no space'), [
      [6, 'done'],
      [17, 'open'],
      [24, 'plus'],
      [32, 'one'],
      [39, 'two'],
      [45, 'quote'],
      [55, 'item'],
      [61, 'no space'],
    ]);
  });

  it('keeps a task box out of the prose also after several spaces', () => {
    assert.deepEqual(lex('-  [ ] two spaces before the box'), [[7, 'two spaces before the box']]);
  });

  it('keeps a heading marker after a task box out of the prose, after one space or several', () => {
    assert.deepEqual(lex('- [ ] # One\n- [ ]  # Two'), [
      [8, 'One'],
      [21, 'Two'],
    ]);
  });

  it('handles multi-digit ordered list markers', () => {
    assert.deepEqual(lex('10. tenth item\n123) another'), [
      [4, 'tenth item'],
      [20, 'another'],
    ]);
  });

  it('gives nothing for empty list items and empty headings', () => {
    assert.deepEqual(lex('1. first\n2.\n*\n#\n##\n3. third'), [
      [3, 'first'],
      [22, 'third'],
    ]);
    assert.deepEqual(lex('- #\n1. ##'), [], 'a list item holding an empty heading');
  });

  it('keeps heading markers of every level out of the prose', () => {
    assert.deepEqual(lex('# One\n## Two\n###### Six\n####### Seven'), [
      [2, 'One'],
      [9, 'Two'],
      [20, 'Six'],
      [24, '####### Seven'],
    ]);
  });

  it('keeps the closing hashes of a heading out of the prose', () => {
    assert.deepEqual(lex('# Title #\n## Title ##  \n> ## Quoted ##\n>## Tight ##'), [
      [2, 'Title'],
      [13, 'Title'],
      [29, 'Quoted'],
      [43, 'Tight'],
    ]);
  });

  it('keeps # signs that are not a closing sequence in the heading text', () => {
    assert.deepEqual(lex('## Use # signs ##\n# Title #b\n# C# and F# end in #'), [
      [3, 'Use # signs'],
      [20, 'Title #b'],
      [31, 'C# and F# end in'],
    ]);
  });

  it('keeps a trailing # of a line that is not a heading', () => {
    assert.deepEqual(lex('C# and F# both end in #\nDial # then press #\n>C# and F# end in #'), [
      [0, 'C# and F# both end in #'],
      [24, 'Dial # then press #'],
      [45, 'C# and F# end in #'],
    ]);
  });

  it('offsets protected spans on later lines after their block prefix', () => {
    assert.deepEqual(lex('Intro\n> - see `code` now'), [
      [0, 'Intro'],
      [10, 'see ⟦`code`⟧ now'],
    ]);
  });
});

describe('extractMarkdown: link reference definitions', () => {
  it('keeps link reference definitions out of the prose', () => {
    assert.deepEqual(lex('See [the docs][docs].\n\n[docs]: https://example.com "Docs"\n   [other]:   /path\nEnd'), [
      [0, 'See ⟦[⟧the docs⟦][docs]⟧.'],
      [78, 'End'],
    ]);
  });

  it('keeps a bracketed label followed by a colon and no target as prose', () => {
    assert.deepEqual(lex('[Note]:\n[Note]: \nText'), [
      [0, '[Note]:'],
      [8, '[Note]:'],
      [17, 'Text'],
    ]);
  });

  it('does not treat a line indented by four spaces as a link definition', () => {
    assert.deepEqual(lex('Para\n    [x]: y'), [[0, 'Para'], [9, '[x]: y']]);
  });

  it('does not treat a bracket in the middle of a sentence as a link definition', () => {
    assert.deepEqual(lex('Item [a]: first'), [[0, 'Item [a]: first']]);
  });
});

describe('extractMarkdown: tables', () => {
  it('translates table cells one by one and keeps the separator row', () => {
    assert.deepEqual(lex('| Name | Value |\n|------|-------|\n| a  | b |\nAfter the table'), [
      [2, 'Name'],
      [9, 'Value'],
      [36, 'a'],
      [41, 'b'],
      [45, 'After the table'],
    ]);
  });

  it('accepts separator rows with spaces, alignment colons, three columns and trailing spaces', () => {
    assert.deepEqual(lex('| a | b | c |\n| :--- | :---: | ---: |  \n| d | e | f |'), [
      [2, 'a'],
      [6, 'b'],
      [10, 'c'],
      [42, 'd'],
      [46, 'e'],
      [50, 'f'],
    ]);
  });

  it('handles tables without outer pipes', () => {
    assert.deepEqual(lex('a | b\n--- | ---\nc | d'), [
      [0, 'a'],
      [4, 'b'],
      [16, 'c'],
      [20, 'd'],
    ]);
    assert.deepEqual(lex('Name|Value\n-|-\nx|y'), [
      [0, 'Name'],
      [5, 'Value'],
      [15, 'x'],
      [17, 'y'],
    ]);
  });

  it('recognises an indented separator row', () => {
    assert.deepEqual(lex('| a | b |\n  |---|---|\n| c | d |'), [
      [2, 'a'],
      [6, 'b'],
      [24, 'c'],
      [28, 'd'],
    ]);
  });

  it('does not split a cell at an escaped pipe or a pipe inside a code span', () => {
    assert.deepEqual(lex('| a \\| b | `x|y` |\n|---|---|'), [
      [2, 'a ⟦\\|⟧ b'],
      [11, '⟦`x|y`⟧'],
    ]);
  });

  it('hides a pipe from the split only inside a code span, not inside a link target', () => {
    assert.deepEqual(lex('| Link | Note |\n|---|---|\n| [Home](/a|b) | Start |'), [
      [2, 'Link'],
      [9, 'Note'],
      [28, '⟦[⟧Home](/a'],
      [38, 'b)'],
      [43, 'Start'],
    ]);
  });

  it('splits at a pipe right after a code span', () => {
    assert.deepEqual(lex('|`npm`|Node package manager|\n|-|-|'), [
      [1, '⟦`npm`⟧'],
      [7, 'Node package manager'],
    ]);
  });

  it('protects inline syntax inside cells with offsets into the document', () => {
    assert.deepEqual(lex('Intro\n\n| **Bold** | [x](y) |\n|---|---|'), [
      [0, 'Intro'],
      [9, '⟦**⟧Bold⟦**⟧'],
      [20, '⟦[⟧x⟦](y)⟧'],
    ]);
  });

  it('treats a line with a pipe as prose when no separator row makes it a table', () => {
    assert.deepEqual(lex('Use a | b for alternatives.'), [[0, 'Use a | b for alternatives.']]);
    assert.deepEqual(lex('a | b\nc | d'), [
      [0, 'a | b'],
      [6, 'c | d'],
    ]);
  });

  it('treats a setext heading containing a pipe as prose', () => {
    assert.deepEqual(lex('Input | Output\n---'), [[0, 'Input | Output']]);
  });

  it('ends the table at a blank line', () => {
    assert.deepEqual(lex('| a |\n|---|\n| b |\n\nUse a | b here.'), [
      [2, 'a'],
      [14, 'b'],
      [19, 'Use a | b here.'],
    ]);
  });

  it('keeps a list item right after a table a list item', () => {
    assert.deepEqual(lex('| a |\n|---|\n- a list item'), [
      [2, 'a'],
      [14, 'a list item'],
    ]);
  });

  it('does not start a table at a thematic break or a link definition', () => {
    assert.deepEqual(lex('Before\n\n----\nUse a | b.'), [
      [0, 'Before'],
      [13, 'Use a | b.'],
    ]);
    assert.deepEqual(lex('[ref]: https://example.com\nA | B is an or.'), [[27, 'A | B is an or.']]);
  });
});

describe('extractMarkdown: protected inline syntax', () => {
  it('protects code spans of one or more backticks, including one-character ones', () => {
    assert.deepEqual(lex('Use `x` and ``a ` b`` and `code` here'), [[0, 'Use ⟦`x`⟧ and ⟦``a ` b``⟧ and ⟦`code`⟧ here']]);
  });

  it('does not protect unmatched backticks', () => {
    assert.deepEqual(lex('A lone ` backtick here.'), [[0, 'A lone ` backtick here.']]);
  });

  it('does not open a code span inside an unmatched run of backticks, nor at an escaped one', () => {
    assert.deepEqual(lex('Use `` then `code` here'), [[0, 'Use `` then ⟦`code`⟧ here']]);
    assert.deepEqual(lex('a ``` b `c` d'), [[0, 'a ``` b ⟦`c`⟧ d']]);
    assert.deepEqual(lex('Escaped \\` tick and `code`.'), [[0, 'Escaped ⟦\\`⟧ tick and ⟦`code`⟧.']]);
  });

  it('protects URL and e-mail autolinks and HTML tags, but not other angle brackets', () => {
    assert.deepEqual(lex('Visit <https://example.com/a?b=c> or mail <first.last+tag@mail.example.org>.'), [
      [0, 'Visit ⟦<https://example.com/a?b=c>⟧ or mail ⟦<first.last+tag@mail.example.org>⟧.'],
    ]);
    assert.deepEqual(lex('Write <x@y> or <1http:no> or <a b> or <http://a b>.'), [[0, 'Write <x@y> or <1http:no> or ⟦<a b>⟧ or <http://a b>.']]);
    assert.deepEqual(lex('if a <b and c> d'), [[0, 'if a ⟦<b and c>⟧ d']], 'a tag name and attributes, as CommonMark reads it');
    assert.deepEqual(lex('1 < 2 and 3 > 2'), [[0, '1 < 2 and 3 > 2']]);
  });

  it('protects inline HTML tags and comments inside a line', () => {
    assert.deepEqual(lex('Line one<br>line two <span class="k">key</span> <!-- note --> end.'), [
      [0, 'Line one⟦<br>⟧line two ⟦<span class="k">⟧key⟦</span>⟧ ⟦<!-- note -->⟧ end.'],
    ]);
  });

  it('protects a link target with brackets inside it whole', () => {
    assert.deepEqual(lex('See [Foo](https://en.wikipedia.org/wiki/Foo_(bar)) now.'), [[0, 'See ⟦[⟧Foo⟦](https://en.wikipedia.org/wiki/Foo_(bar))⟧ now.']]);
  });

  it('protects footnote references', () => {
    assert.deepEqual(lex('A claim[^note] and [^12].'), [[0, 'A claim⟦[^note]⟧ and ⟦[^12]⟧.']]);
  });

  it('protects link and image punctuation and targets but translates the link text', () => {
    assert.deepEqual(lex('See [the guide](https://example.com "Title") and ![a logo](logo.png).'), [
      [0, 'See ⟦[⟧the guide⟦](https://example.com "Title")⟧ and ⟦![⟧a logo⟦](logo.png)⟧.'],
    ]);
  });

  it('protects reference-style link punctuation and labels', () => {
    assert.deepEqual(lex('Read [the manual][man] or [this][].'), [[0, 'Read ⟦[⟧the manual⟦][man]⟧ or ⟦[⟧this⟦][]⟧.']]);
  });

  it('does not protect brackets that are not a link', () => {
    assert.deepEqual(lex('An array [1, 2] and (parens).'), [[0, 'An array [1, 2] and (parens).']]);
  });

  it('protects emphasis markers but not the emphasised words', () => {
    assert.deepEqual(lex('**Bold** then *it*, _u_, __b__, ~~gone~~ and ***both*** end'), [
      [0, '⟦**⟧Bold⟦**⟧ then ⟦*⟧it⟦*⟧, ⟦_⟧u⟦_⟧, ⟦__⟧b⟦__⟧, ⟦~~⟧gone⟦~~⟧ and ⟦***⟧both⟦***⟧ end'],
    ]);
  });

  it('protects emphasis markers around words in any script and around digits', () => {
    assert.deepEqual(lex('Ein *schönes* Haus, *éclair* und **42** Stück'), [
      [0, 'Ein ⟦*⟧schönes⟦*⟧ Haus, ⟦*⟧éclair⟦*⟧ und ⟦**⟧42⟦**⟧ Stück'],
    ]);
  });

  it('does not protect intraword underscores, arithmetic asterisks or a lone asterisk', () => {
    assert.deepEqual(lex('snake_case_name and 2*3*4 and a * b and x_1'), [[0, 'snake_case_name and 2*3*4 and a * b and x_1']]);
  });

  it('protects backslash escapes of punctuation only, and a hard line break', () => {
    assert.deepEqual(lex('\\*not emphasis\\* in C:\\Users\\me\\\nnext'), [
      [0, '⟦\\*⟧not emphasis⟦\\*⟧ in C:\\Users\\me⟦\\⟧'],
      [33, 'next'],
    ]);
  });
});
