// The JavaScript/TypeScript lexer (lexJavaScript): which comments and string literals of a source
// file it reports, with exact offsets. Covers line and block comments (terminated or not), '…' and
// "…" strings (escapes, unterminated at a line break or at end of input), template literals and
// their `${…}` holes (nesting, braces, escapes, nothing inside a hole reported on its own), regex
// literals told apart from division (after keywords, operators, braces, brackets, numbers, other
// literals), character classes and escapes in regexes, flags, and scanning past braces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lexJavaScript } from '../../../src/translate/lexers/javascript';
import type { CommentLiteral, StringLiteral, TextLiteral } from '../../../src/translate/lexers/types';
import type { Span } from '../../../src/translate/spans';

/** Offset of the one occurrence of `snippet` in `text` (the `nth` one, from 0, if it repeats). */
function at(text: string, snippet: string, nth = 0): number {
  let index = -1;
  for (let k = 0; k <= nth; k += 1) {
    index = text.indexOf(snippet, index + 1);
    assert.notEqual(index, -1, `${JSON.stringify(snippet)} #${k} not in ${JSON.stringify(text)}`);
  }
  return index;
}

/** A closed '…' or "…" string whose source text (quotes included) is `literal`. */
function quoted(text: string, literal: string, nth = 0): StringLiteral {
  const start = at(text, literal, nth);
  const end = start + literal.length;
  return { kind: 'string', start, end, contentStart: start + 1, contentEnd: end - 1, quote: literal[0] as string, raw: false, holes: [] };
}

/** A closed template literal whose source text is `literal`, with holes given as their source text. */
function template(text: string, literal: string, holes: string[] = []): StringLiteral {
  const start = at(text, literal);
  const end = start + literal.length;
  const spans: Span[] = holes.map((hole) => {
    const h = start + literal.indexOf(hole);
    return { start: h, end: h + hole.length };
  });
  return {
    kind: 'string',
    start,
    end,
    contentStart: start + 1,
    contentEnd: end - 1,
    quote: '`',
    raw: false,
    interpolation: 'js-template',
    holes: spans,
  };
}

function lineComment(text: string, comment: string): CommentLiteral {
  const start = at(text, comment);
  const end = start + comment.length;
  return { kind: 'comment', style: 'line', start, end, contentStart: start + 2, contentEnd: end, open: '//', close: '' };
}

function blockComment(text: string, comment: string): CommentLiteral {
  const start = at(text, comment);
  const end = start + comment.length;
  return { kind: 'comment', style: 'block', start, end, contentStart: start + 2, contentEnd: end - 2, open: '/*', close: '*/' };
}

describe('lexJavaScript: comments', () => {
  it('reports a line comment from its marker to the end of the line, with an empty closer', () => {
    const text = 'const a = 1; // the answer\nconst b = 2;';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// the answer')]);
  });

  it('reports a line comment at the very end of the input', () => {
    const text = 'x(); // done';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'comment', style: 'line', start: 5, end: 12, contentStart: 7, contentEnd: 12, open: '//', close: '' },
    ]);
  });

  it('reports a block comment with its content between the markers', () => {
    const text = 'let x = /* the count */ 3;';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'comment', style: 'block', start: 8, end: 23, contentStart: 10, contentEnd: 21, open: '/*', close: '*/' },
    ]);
  });

  it('does not close a block comment on the star of its own opening marker', () => {
    const text = '/*/ still a comment */ f("after");';
    assert.deepEqual(lexJavaScript(text), [blockComment(text, '/*/ still a comment */'), quoted(text, '"after"')]);
  });

  it('runs an unterminated block comment to the end of the input, content included', () => {
    const text = 'f();\n/* unfinished note\n  "not a string"';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'comment', style: 'block', start: 5, end: text.length, contentStart: 7, contentEnd: text.length, open: '/*', close: '*/' },
    ]);
  });

  it('reports comments and strings in source order with everything else left out', () => {
    const text = '/** Greets. */\nfunction greet(name) {\n  // Build it.\n  return "Hello, " + name;\n}\n';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'comment', style: 'block', start: 0, end: 14, contentStart: 2, contentEnd: 12, open: '/*', close: '*/' },
      lineComment(text, '// Build it.'),
      quoted(text, '"Hello, "'),
    ]);
  });

  it('finds nothing in code without comments or strings', () => {
    assert.deepEqual(lexJavaScript('const total = a + b * c;\nfunction f() { return total; }\n'), []);
  });
});

describe('lexJavaScript: quoted strings', () => {
  it('reports double- and single-quoted strings with their quote', () => {
    const text = `const a = "double", b = 'single';`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"double"'), quoted(text, "'single'")]);
  });

  it('does not end a string at an escaped quote', () => {
    const text = `say("He said \\"hi\\"."); say('it\\'s');`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"He said \\"hi\\"."'), quoted(text, "'it\\'s'")]);
  });

  it('does not end a string at the other kind of quote', () => {
    const text = `const a = "it's", b = 'say "hi"';`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, `"it's"`), quoted(text, `'say "hi"'`)]);
  });

  it('ends an unterminated string at the line break, and scans the next line afresh', () => {
    const text = 'const a = "unclosed\nconst b = "next";';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'string', start: 10, end: 19, contentStart: 11, contentEnd: 19, quote: '"', raw: false, holes: [] },
      quoted(text, '"next"'),
    ]);
  });

  it('ends an unterminated string before the CR of a CRLF line break', () => {
    const text = 'const a = "unclosed\r\nconst b = "next";';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'string', start: 10, end: 19, contentStart: 11, contentEnd: 19, quote: '"', raw: false, holes: [] },
      quoted(text, '"next"'),
    ]);
  });

  it('ends an unterminated string at the end of the input', () => {
    const text = "t('unclosed";
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'string', start: 2, end: 11, contentStart: 3, contentEnd: 11, quote: "'", raw: false, holes: [] },
    ]);
  });

  it('does not run past the end of the input when an unterminated string ends with a backslash', () => {
    const text = 'const s = "abc\\';
    assert.deepEqual(lexJavaScript(text), [
      { kind: 'string', start: 10, end: 15, contentStart: 11, contentEnd: 15, quote: '"', raw: false, holes: [] },
    ]);
  });

  it('continues a string over a backslash-escaped line break', () => {
    const text = 'const s = "first \\\nsecond"; // tail';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"first \\\nsecond"'), lineComment(text, '// tail')]);
  });

  it('does not take comment markers inside a string for a comment', () => {
    const text = 'const url = "http://example.com/*x*/";';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"http://example.com/*x*/"')]);
  });
});

describe('lexJavaScript: template literals', () => {
  it('reports a template literal without holes', () => {
    const text = 'const s = `plain text`;';
    assert.deepEqual(lexJavaScript(text), [template(text, '`plain text`')]);
  });

  it('reports each ${…} hole as a span from the dollar to the closing brace', () => {
    const text = 'const s = `Hello, ${name}! You have ${count} messages.`;';
    assert.deepEqual(lexJavaScript(text), [template(text, '`Hello, ${name}! You have ${count} messages.`', ['${name}', '${count}'])]);
  });

  it('does not report strings, comments or templates inside a hole on their own', () => {
    const text = 'const s = `a ${t("label") /* note */ + `inner` // more\n} b`;';
    assert.deepEqual(lexJavaScript(text), [
      template(text, '`a ${t("label") /* note */ + `inner` // more\n} b`', ['${t("label") /* note */ + `inner` // more\n}']),
    ]);
  });

  it('does not close a hole at the brace of an object literal or block inside it', () => {
    const text = 'const s = `x ${fn({ a: 1 })} y ${(() => { return 2; })()} z`;';
    assert.deepEqual(lexJavaScript(text), [
      template(text, '`x ${fn({ a: 1 })} y ${(() => { return 2; })()} z`', ['${fn({ a: 1 })}', '${(() => { return 2; })()}']),
    ]);
  });

  it('does not close a hole at a brace inside a string in the hole', () => {
    const text = 'const s = `a ${"}"} b`;';
    assert.deepEqual(lexJavaScript(text), [template(text, '`a ${"}"} b`', ['${"}"}'])]);
  });

  it('accepts a regex literal at the start of a hole', () => {
    const text = 'const s = `a ${/}/.source} b`;';
    assert.deepEqual(lexJavaScript(text), [template(text, '`a ${/}/.source} b`', ['${/}/.source}'])]);
  });

  it('does not take a dollar sign or a brace on its own for a hole', () => {
    const text = 'const s = `costs $5 {each} or $ {x}`;';
    assert.deepEqual(lexJavaScript(text), [template(text, '`costs $5 {each} or $ {x}`')]);
  });

  it('does not end a template at an escaped backtick, nor open a hole at an escaped dollar', () => {
    const text = 'const s = `a \\` b \\${c} d`; // after';
    assert.deepEqual(lexJavaScript(text), [template(text, '`a \\` b \\${c} d`'), lineComment(text, '// after')]);
  });

  it('runs an unterminated template literal to the end of the input', () => {
    const text = 'const s = `open ${x}\nmore';
    assert.deepEqual(lexJavaScript(text), [
      {
        kind: 'string',
        start: 10,
        end: text.length,
        contentStart: 11,
        contentEnd: text.length,
        quote: '`',
        raw: false,
        interpolation: 'js-template',
        holes: [{ start: 16, end: 20 }],
      },
    ]);
  });

  it('runs a hole that is never closed to the end of the input', () => {
    const text = 'const s = `open ${x + 1';
    assert.deepEqual(lexJavaScript(text), [
      {
        kind: 'string',
        start: 10,
        end: text.length,
        contentStart: 11,
        contentEnd: text.length,
        quote: '`',
        raw: false,
        interpolation: 'js-template',
        holes: [{ start: 16, end: text.length }],
      },
    ]);
  });
});

describe('lexJavaScript: regex literals and division', () => {
  it('accepts a regex literal at the start of the input', () => {
    assert.deepEqual(lexJavaScript('/"/.test(s);'), []);
  });

  it('does not take quotes or comment markers inside a regex literal for strings or comments', () => {
    const text = `const re = /don't "match" \\/\\/ me/g; // a regex`;
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// a regex')]);
  });

  it('skips regex flags and goes on scanning after them', () => {
    const text = 's.replace(/"/g, "\'"); s.split(/"/, "x");';
    assert.deepEqual(lexJavaScript(text), [quoted(text, `"'"`), quoted(text, '"x"')]);
  });

  it('ends the scan cleanly at a regex with flags at the end of the input', () => {
    const text = '// pattern\nconst re = /a/gi';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// pattern')]);
  });

  it('ends the scan cleanly at a regex without flags at the end of the input', () => {
    const text = '// pattern\nconst re = /"/';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// pattern')]);
  });

  it('does not end a regex at a slash inside a character class', () => {
    const text = `const re = /[/"]+/g; const s = 'x';`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, "'x'")]);
  });

  it('ends a character class at its closing bracket, so a slash after it ends the regex', () => {
    const text = `const re = /[a-z]+'s/gi; const s = "x";`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"x"')]);
  });

  it('does not end a regex at an escaped slash', () => {
    const text = 'const re = /a\\/"b/; const s = "x";';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"x"')]);
  });

  it('does not end a character class at an escaped bracket', () => {
    const text = `const re = /[\\]/"]/; const s = 'x';`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, "'x'")]);
  });

  it('treats a slash with no closing slash on its line as an operator', () => {
    const text = 'const half = n++ / 2 + " items";';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '" items"')]);
  });

  it('does not let a regex literal run over a line break', () => {
    const text = 'const half = n++ / 2;\nconst path = "a/b";';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"a/b"')]);
  });

  it('treats a slash after an identifier as division', () => {
    const text = 'const r = total / "2" / count; const q = total/"3"/count;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"'), quoted(text, '"3"')]);
  });

  it('treats a slash after a number as division', () => {
    const text = 'const r = 10 / "2" / 5;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });

  it('treats a slash after a closing parenthesis as division', () => {
    const text = 'const r = (a + b) / "2" / c;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });

  it('treats a slash after a closing bracket as division', () => {
    const text = 'const r = values[0] / "2" / c;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });

  it('treats a slash after a string literal as division', () => {
    const text = `const r = "6" / "2" / '3';`;
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"6"'), quoted(text, '"2"'), quoted(text, "'3'")]);
  });

  it('treats a slash after a template literal as division', () => {
    const text = 'const r = `6` / "2" / 3;';
    assert.deepEqual(lexJavaScript(text), [template(text, '`6`'), quoted(text, '"2"')]);
  });

  it('treats a slash right after a regex literal as division', () => {
    const text = 'const r = /a/ / "2" / 3;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });

  it('takes every letter after the closing slash for a flag, even letters that spell a keyword', () => {
    const text = 'const r = /a/in / "2" / 3;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });

  it('accepts a regex literal after an operator or punctuation', () => {
    const text = 'const a = /"/, b = [/\'/], c = x || /"/;';
    assert.deepEqual(lexJavaScript(text), []);
  });

  it('accepts a regex literal after an opening brace', () => {
    const text = 'if (ok) { /"/.test(s); }';
    assert.deepEqual(lexJavaScript(text), []);
  });

  it('accepts a regex literal at the start of a statement after a block', () => {
    const text = 'if (a) { b(); }\n/"/.test(s);';
    assert.deepEqual(lexJavaScript(text), []);
  });

  for (const keyword of [
    'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
    'yield', 'await', 'extends',
  ]) {
    it(`a regex literal after \`${keyword}\` is not a division`, () => {
      assert.deepEqual(lexJavaScript(`${keyword} /"'/g;`), []);
    });
  }

  it('treats a slash after a keyword used as a property name as division', () => {
    const text = 'x = obj.return / 2; // half\ny = obj?.in / "3"; z = f(...args) / 4; // quarter';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// half'), quoted(text, '"3"'), lineComment(text, '// quarter')]);
    // A spread is not a property access: the keyword after it still starts a regex.
    const spread = 'f(... typeof /"/.source);';
    assert.deepEqual(lexJavaScript(spread), []);
  });

  it('looks past spaces and line breaks for the dot before a keyword', () => {
    const text = 'x = obj. return / 2; // half\ny = obj.\n  in / "3";';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// half'), quoted(text, '"3"')]);
  });

  it('starts a block comment only at a slash before the star, not at a product', () => {
    const text = 'const n = a*b; // product';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// product')]);
  });

  it('treats a slash after an identifier that merely contains a keyword as division', () => {
    const text = 'const r = returned / "2" / doThat / "3";';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"'), quoted(text, '"3"')]);
  });
});

describe('lexJavaScript: braces', () => {
  it('goes on scanning after the closing braces of functions and blocks', () => {
    const text = 'function f() { if (x) { return 1; } }\n// after the function\nconst s = "end";';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// after the function'), quoted(text, '"end"')]);
  });

  it('goes on scanning after a stray closing brace in a half-edited file', () => {
    const text = 'f();\n}\n// still found\nconst s = "too";';
    assert.deepEqual(lexJavaScript(text), [lineComment(text, '// still found'), quoted(text, '"too"')]);
  });
});

describe('lexJavaScript: a slash after a closing parenthesis', () => {
  for (const keyword of ['if', 'while', 'for', 'with']) {
    it(`starts a regex after the head of \`${keyword} (…)\``, () => {
      const text = `${keyword} (ok(x)) /"/.test(s); const t = 'x';`;
      assert.deepEqual(lexJavaScript(text), [quoted(text, "'x'")]);
    });
  }

  it('looks past comments and line breaks between the keyword and its parenthesis', () => {
    const text = `if /* why */\n(a) /"/.test(s);`;
    assert.deepEqual(lexJavaScript(text), [blockComment(text, '/* why */')]);
    const line = `while // until done\n(a) /"/.test(s);`;
    assert.deepEqual(lexJavaScript(line), [lineComment(line, '// until done')]);
  });

  it('divides after a call, a group, or a parenthesis of a keyword used as a property name', () => {
    const text = 'x = f(a) / "2"; y = (if_) / "3"; z = obj.if(a) / "4"; w = g(if (1)) / "5";';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"'), quoted(text, '"3"'), quoted(text, '"4"'), quoted(text, '"5"')]);
  });

  it('divides after a stray closing parenthesis', () => {
    const text = 'a) / "2" / b;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });

  it('divides after a parenthesis that opens the input', () => {
    const text = '(a + b) / "2" / c;';
    assert.deepEqual(lexJavaScript(text), [quoted(text, '"2"')]);
  });
});

describe('lexJavaScript: JSX', () => {
  const jsx = (text: string) => lexJavaScript(text, { jsx: true });
  /** JSX text whose (trimmed) source is `snippet`. */
  const jsxText = (text: string, snippet: string, nth = 0): TextLiteral => {
    const start = at(text, snippet, nth);
    return { kind: 'text', start, end: start + snippet.length, contentStart: start, contentEnd: start + snippet.length };
  };
  const rawString = (text: string, literal: string): StringLiteral => ({ ...quoted(text, literal), raw: true });

  it('reports the text of an element, trimmed, and an apostrophe in it opens no string', () => {
    const text = "const a = <p className=\"note\">\n  Don't close the window.\n</p>; // after\nconst s = 'x';";
    assert.deepEqual(jsx(text), [jsxText(text, "Don't close the window."), lineComment(text, '// after'), quoted(text, "'x'")]);
  });

  it('reads nested elements, fragments and self-closing tags, with text between them', () => {
    const text = 'return (<>\n  <h1>Title</h1>\n  <Icon name="x" />Save <b>all</b> files\n</>);';
    assert.deepEqual(jsx(text), [jsxText(text, 'Title'), jsxText(text, 'Save'), jsxText(text, 'all'), jsxText(text, 'files')]);
  });

  it('reports readable attribute values as raw strings, not the others', () => {
    const text = `x = <img alt='A "red" cat' src="cat.png" title="Close it" data-x="y" aria-label="Menu" />;`;
    assert.deepEqual(jsx(text), [rawString(text, `'A "red" cat'`), rawString(text, '"Close it"'), rawString(text, '"Menu"')]);
  });

  it('scans {…} in attributes and children as code, with its comments and strings', () => {
    const text = "x = <Button onClick={() => go('home')} {...rest}>{/* why */}{t(\"Save\")} now</Button>;";
    assert.deepEqual(jsx(text), [quoted(text, "'home'"), blockComment(text, '/* why */'), quoted(text, '"Save"'), jsxText(text, 'now')]);
  });

  it('takes `<` after an operand for a comparison, and TSX type parameters for no element', () => {
    const text = "if (a < b && c <d) { s = 'it\\'s'; }";
    assert.deepEqual(jsx(text), [quoted(text, "'it\\'s'")]);
    const generic = "const f = <T,>(x: T) => x; const g = <T extends object>(y: T) => 'y';";
    assert.deepEqual(jsx(generic), [quoted(generic, "'y'")]);
  });

  it('without jsx (TypeScript), <T>x is a type assertion and the text after it is code', () => {
    const text = "const n = <number>value; const s = 'x';";
    assert.deepEqual(lexJavaScript(text), [quoted(text, "'x'")]);
    assert.deepEqual(jsx('x = <p>Hi</p>;'), [jsxText('x = <p>Hi</p>;', 'Hi')]);
  });

  it('runs an unclosed element or tag to the end of the input', () => {
    assert.deepEqual(jsx('x = <p>Hello'), [jsxText('x = <p>Hello', 'Hello')]);
    assert.deepEqual(jsx('x = <p title="a'), [{ kind: 'string', start: 13, end: 15, contentStart: 14, contentEnd: 15, quote: '"', raw: true, holes: [] }]);
    assert.deepEqual(jsx('x = <input disabled'), []);
  });

  it('runs a closing tag left open to the end of the input', () => {
    assert.deepEqual(jsx('x = <p>Hello</p'), [jsxText('x = <p>Hello</p', 'Hello')]);
  });

  it('reads an element or a fragment whatever comes right before its `<`', () => {
    const arrow = "const f = () => <span>Hello</span>; const s = 'x';";
    assert.deepEqual(jsx(arrow), [jsxText(arrow, 'Hello'), quoted(arrow, "'x'")]);
    const tight = "const f = () =><>Hello</>; const s = 'x';";
    assert.deepEqual(jsx(tight), [jsxText(tight, 'Hello'), quoted(tight, "'x'")]);
    const child = "x = <p>Hi<>there</></p>; const s = 'x';";
    assert.deepEqual(jsx(child), [jsxText(child, 'Hi'), jsxText(child, 'there'), quoted(child, "'x'")]);
  });

  it('takes a tag name followed by `=` whole, not its end for an attribute', () => {
    const glued = 'x = <palt="Photo">Hi</palt>;';
    assert.deepEqual(jsx(glued), [jsxText(glued, 'Hi')]);
    const named = 'x = <title="Photo">Hi</title>;';
    assert.deepEqual(jsx(named), [jsxText(named, 'Hi')]);
  });

  it('finds a readable attribute with spaces around its `=`', () => {
    const text = 'x = <img alt = "A cat" />;';
    assert.deepEqual(jsx(text), [rawString(text, '"A cat"')]);
  });

  it('treats a slash after an element as division', () => {
    const text = 'x = <br /> / "2" / 3;';
    assert.deepEqual(jsx(text), [quoted(text, '"2"')]);
  });

  it('reads type parameters only right at the `<`, with names of any length', () => {
    const later = "const a = <p>Apples</p>; const f = <T,>(x: T) => x;";
    assert.deepEqual(jsx(later), [jsxText(later, 'Apples')]);
    const long = "const f = <Item,>(x: Item) => x; const g = <Key1 extends string>(k: Key1) => 'y';";
    assert.deepEqual(jsx(long), [quoted(long, "'y'")]);
    const comma = 'x = <p>Yes, please</p>;';
    assert.deepEqual(jsx(comma), [jsxText(comma, 'Yes, please')]);
  });

  it('reports nothing of an element inside a template hole', () => {
    const text = 'const s = `a ${<b>bold</b>} c`;';
    assert.deepEqual(jsx(text), [template(text, '`a ${<b>bold</b>} c`', ['${<b>bold</b>}'])]);
  });
});
