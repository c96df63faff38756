// The markup reader (HTML, XML, Vue, Svelte): which texts of a document are offered for translation,
// and where. Text between tags, comments and the attributes people read are; tags, other
// attributes, raw-text elements (script, style, textarea, pre, code), CDATA, processing
// instructions and declarations are not, and none of them may swallow the text that follows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractRegions } from '../../../src/translate/extract';
import { lexMarkup } from '../../../src/translate/lexers/markup';
import { translateRegions, type UnitTranslator } from '../../../src/translate/pipeline';

/** The texts offered in `text` (or in the selection [start, end)), each with its offset in the selection. */
function offered(text: string, start = 0, end = text.length): [number, string][] {
  const selected = text.slice(start, end);
  return extractRegions(text, { start, end }, 'html', { codeAware: true }).map((r) => [r.start, selected.slice(r.start, r.end)]);
}

async function translated(text: string, translator: UnitTranslator): Promise<string> {
  return translateRegions(text, extractRegions(text, { start: 0, end: text.length }, 'html', { codeAware: true }), translator);
}

describe('markup reader', () => {
  it('offers text between tags and every readable attribute, at their offsets', () => {
    const html =
      '<p title="Hello there" alt="A red fox" placeholder="Your name" aria-label="Close dialog" ' +
      'aria-description="Shows the menu" label="First group" summary="Prices by year" class="Not this">Body</p>';
    assert.deepEqual(offered(html), [
      [10, 'Hello there'],
      [28, 'A red fox'],
      [52, 'Your name'],
      [75, 'Close dialog'],
      [107, 'Shows the menu'],
      [130, 'First group'],
      [152, 'Prices by year'],
      [185, 'Body'],
    ]);
  });

  it('keeps the content of raw-text elements, and reads on after their closing tag', () => {
    // Upper-case closing tags close them too.
    const html = '<style>p { color: red }</STYLE>One<textarea>Type here</textarea>Two<pre>Keep it</pre>Three<code>Some code</code>Four';
    assert.deepEqual(offered(html), [
      [31, 'One'],
      [64, 'Two'],
      [85, 'Three'],
      [112, 'Four'],
    ]);
    assert.deepEqual(offered('<script>let x = 1;</script><p>After</p>'), [[30, 'After']]);
  });

  it('keeps the rest of the document when a raw-text element is never closed', () => {
    assert.deepEqual(offered('<p>Hi</p><script>let s = "Not this";'), [[3, 'Hi']]);
  });

  it('a self-closing raw-text element (Vue, Svelte, XML) has no content: what follows is read', () => {
    assert.deepEqual(offered('<textarea v-model="note" /><p>Saved</p>'), [[30, 'Saved']]);
  });

  it('offers a comment between its markers, an unclosed one up to the end, and the text after a closed one', () => {
    assert.deepEqual(offered('<!-- A note --> Hello'), [
      [4, ' A note '],
      [15, ' Hello'],
    ]);
    assert.deepEqual(offered('<p>Hi</p><!-- unfinished note'), [
      [3, 'Hi'],
      [13, ' unfinished note'],
    ]);
    // A stray closer in the text just before a comment does not close that comment.
    assert.deepEqual(offered('Before --><!-- note -->'), [
      [0, 'Before -->'],
      [14, ' note '],
    ]);
    // `<!-->` and `<!--->` are whole empty comments in HTML: the page after them is read as markup.
    assert.deepEqual(offered('<!--> <p>Hello</p>'), [
      [5, ' '],
      [9, 'Hello'],
    ]);
    assert.deepEqual(offered('<!---><p>Hello</p>'), [[9, 'Hello']]);
  });

  it('protects an opener inside a comment, and breaks a closer that a translation writes', async () => {
    const regions = extractRegions('<!-- old <!-- note -->', { start: 0, end: 22 }, 'html', { codeAware: true });
    assert.deepEqual(regions, [{ start: 4, end: 19, protected: [{ start: 9, end: 13 }], context: { kind: 'block-comment', close: '-->' } }]);
    // The translation's "-->" would end the comment early.
    assert.equal(await translated('<!-- Note -->', async () => 'a --> b'), '<!-- a -- > b -->');
  });

  it('skips declarations, CDATA and processing instructions, whatever they contain', () => {
    // An XML declaration ends right before the DOCTYPE.
    assert.deepEqual(offered('<?xml version="1.0"?><!DOCTYPE note><note>Hi</note>'), [[42, 'Hi']]);
    assert.deepEqual(offered('<!DOCTYPE html><p>Hi</p>'), [[18, 'Hi']]);
    // A ">" inside does not end them: CDATA ends at "]]>", an instruction at "?>".
    assert.deepEqual(offered('<![CDATA[ a > b ]]>After'), [[19, 'After']]);
    assert.deepEqual(offered('<?php if ($a > $b) echo "x"; ?>After'), [[31, 'After']]);
    // Left open, they run to the end.
    assert.deepEqual(offered('Hi <![CDATA[ never closed'), [[0, 'Hi ']]);
    assert.deepEqual(offered('Hi <!DOCTYPE html'), [[0, 'Hi ']]);
  });

  it('reads a closing tag after raw text as a tag, whatever the raw text ends with', () => {
    // The raw text ends in what would start a declaration, CDATA or an instruction; the closing
    // tag's quoted ">" still does not end it.
    for (const opener of ['<!', '<![CDATA[', '<?']) {
      const html = `<style>a${opener}</style data-x=">">Next`;
      assert.deepEqual(offered(html), [[html.length - 4, 'Next']], opener);
    }
  });

  it('a "<" that starts no tag is text, at the end of the document too', () => {
    assert.deepEqual(offered('Is 3 <'), [[0, 'Is 3 <']]);
    // "</>" is no tag name: the "<code" further on does not name it.
    assert.deepEqual(offered('</> Hello <code>x</code> there'), [
      [3, ' Hello '],
      [24, ' there'],
    ]);
  });

  it('finds attributes however they are spaced, after unquoted values, and in an unclosed tag', () => {
    assert.deepEqual(offered('<img src=fox.png alt="A red fox">'), [[22, 'A red fox']]);
    assert.deepEqual(offered('<img src="fox.png"alt="A red fox">'), [[23, 'A red fox']]);
    assert.deepEqual(offered('<img alt = "A red fox">'), [[12, 'A red fox']]);
    assert.deepEqual(offered('<img alt=\n  "A red fox">'), [[13, 'A red fox']]);
    // An unclosed value runs to the end.
    assert.deepEqual(offered('<p title="Hello there'), [[10, 'Hello there']]);
  });

  it('offers the part of an attribute value inside a selection, down to one character', () => {
    const html = '<img alt="A red fox">';
    assert.deepEqual(offered(html, 0, 11), [[10, 'A']]);
    assert.deepEqual(offered(html, 18, html.length), [[0, 'x']]);
  });

  it('writes a translated quote into an attribute as a typographic one: HTML has no backslash escapes', async () => {
    assert.equal(await translated('<p title="Say hi">', async () => 'Sag "hallo"'), '<p title="Sag ”hallo”">');
  });
});

// The lexer itself (lexMarkup): exact literals, for what a region list cannot show.
describe('lexMarkup', () => {
  it('reports no empty text between adjacent tags, nor at the ends of the document', () => {
    assert.deepEqual(lexMarkup('<p></p>'), []);
    assert.deepEqual(lexMarkup('<p><b>Hi</b></p>'), [{ kind: 'text', start: 6, end: 8, contentStart: 6, contentEnd: 8 }]);
  });

  it('gives the whole empty comments <!--> and <!---> their content at the closer', () => {
    assert.deepEqual(lexMarkup('<!-->'), [{ kind: 'comment', style: 'block', start: 0, end: 5, contentStart: 2, contentEnd: 2, open: '<!--', close: '-->' }]);
    assert.deepEqual(lexMarkup('<!--->'), [{ kind: 'comment', style: 'block', start: 0, end: 6, contentStart: 3, contentEnd: 3, open: '<!--', close: '-->' }]);
  });
});
