// A lexer for JavaScript and TypeScript, enough to find comments and string literals: line and
// block comments, '…' and "…" strings, template literals with nested `${…}` expressions, and regex
// literals (told apart from division by the previous significant token, so that a quote or `//`
// inside a regex is not taken for a string or a comment; after `)` by what opened the parenthesis:
// `if (x) /re/` starts a regex, `(a + b) / 2` divides). With JSX (JavaScript, JSX and TSX, not
// TypeScript, where `<T>x` is a type assertion), an element is read where an expression may start:
// its text is reported as text, the attributes people read (title, alt, …) as strings, and its
// `{…}` expressions as code. Pure.
import type { Span } from '../spans';
import { quotedAttribute } from './markup';
import type { Literal } from './types';

/** Keywords after which a `/` starts a regex literal rather than a division. */
const REGEX_AFTER_KEYWORD = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'yield', 'await', 'extends',
]);

/** Keywords whose parenthesised head is followed by a statement, which may start with a regex. */
const STATEMENT_HEAD_KEYWORD = new Set(['if', 'while', 'for', 'with']);

const IDENTIFIER_CHAR = /[\p{L}\p{N}_$\u200c\u200d]/u;

/** A JSX tag's name: `div`, `Foo.Bar`, `svg:path`, `my-element`; empty for a fragment. */
const JSX_TAG_NAME = /^[\p{L}\p{N}_$.:-]*/u;
/** A name, `=` and an opening quote: a string-valued JSX attribute. */
const JSX_STRING_ATTRIBUTE = /^([\p{L}\p{N}_$:-]+)\s*=\s*(["'])/u;
/** `<T,>` and `<T extends U>` open type parameters of a generic arrow function in TSX, not an element. */
const TYPE_PARAMETERS = /^<[\p{L}_$][\p{L}\p{N}_$]*\s*(?:,|extends\b)/u;

export interface JavaScriptOptions {
  /** Read JSX elements (JavaScript, JSX, TSX); false for TypeScript, where `<T>x` is a type assertion. */
  readonly jsx?: boolean;
}

class JsScanner {
  readonly literals: Literal[] = [];
  constructor(
    private readonly text: string,
    private readonly jsx: boolean,
  ) {}

  /**
   * Scans code from `from`. With `untilBrace`, stops after the `}` that closes a template hole and
   * returns its end; literals inside holes are not reported (they lie inside the template's
   * protected hole). Returns text.length at the end of input.
   */
  code(from: number, untilBrace: boolean, report: boolean): number {
    const text = this.text;
    let i = from;
    let depth = 0;
    let regexAllowed = true;
    /** The keyword just scanned, when the last significant token was one that heads a statement. */
    let statementHead = false;
    /** Per open parenthesis: does it hold the head of an if / while / for / with? */
    const parens: boolean[] = [];
    while (i < text.length) {
      const c = text[i] as string;
      const next = text[i + 1];
      // Whitespace and comments are not tokens: they change nothing of what came before.
      if (/\s/.test(c)) {
        i += 1;
        continue;
      }
      if (c === '/' && next === '/') {
        const end = lineEnd(text, i);
        if (report) this.comment('line', i, end, '//', '');
        i = end;
        continue;
      }
      if (c === '/' && next === '*') {
        const close = text.indexOf('*/', i + 2);
        const end = close < 0 ? text.length : close + 2;
        if (report) this.comment('block', i, end, '/*', close < 0 ? '' : '*/');
        i = end;
        continue;
      }
      if (c === '"' || c === "'") {
        i = this.quoted(i, c, report);
        regexAllowed = false;
      } else if (c === '`') {
        i = this.template(i, report);
        regexAllowed = false;
      } else if (c === '/' && regexAllowed) {
        i = skipRegex(text, i);
        regexAllowed = false;
      } else if (c === '<' && this.jsx && regexAllowed && /^<[\p{L}_$>]/u.test(text.slice(i, i + 2)) && !TYPE_PARAMETERS.test(text.slice(i, i + 256))) {
        // Where an expression may start, `<` opens an element: a comparison has an operand before it.
        i = this.jsxElement(i, report);
        regexAllowed = false;
      } else if (c === '{') {
        depth += 1;
        i += 1;
        regexAllowed = true;
      } else if (c === '}') {
        if (untilBrace && depth === 0) return i + 1;
        depth -= 1;
        i += 1;
        // After a block a regex may start a statement; after an object literal `/` divides. The
        // former is the common case at a line start, the only place it matters in practice.
        regexAllowed = true;
      } else if (IDENTIFIER_CHAR.test(c)) {
        let j = i + 1;
        while (j < text.length && IDENTIFIER_CHAR.test(text[j] as string)) j += 1;
        const word = text.slice(i, j);
        // A keyword after `.` is a property name (`obj.return / 2`), not the keyword.
        const property = /^\d/.test(word) || afterDot(text, i);
        regexAllowed = property ? false : REGEX_AFTER_KEYWORD.has(word);
        statementHead = !property && STATEMENT_HEAD_KEYWORD.has(word);
        i = j;
        continue;
      } else if (c === '(') {
        parens.push(statementHead);
        regexAllowed = true;
        i += 1;
      } else if (c === ')') {
        // A statement follows the head of an if / while / for / with, and it may start with a regex.
        regexAllowed = parens.pop() ?? false;
        i += 1;
      } else {
        regexAllowed = c !== ']';
        i += 1;
      }
      statementHead = false;
    }
    return text.length;
  }

  /**
   * A JSX element or fragment from its `<` to the end of its closing tag (or of a self-closing
   * one). Reports its text (trimmed, whitespace-only runs left out) and readable attribute values;
   * `{…}` attribute values, spreads and children are code, scanned with their own literals.
   */
  private jsxElement(start: number, report: boolean): number {
    const text = this.text;
    let i = start + 1 + (JSX_TAG_NAME.exec(text.slice(start + 1, start + 257))?.[0].length ?? 0);
    for (;;) {
      if (i >= text.length) return text.length;
      if (text.startsWith('/>', i)) return i + 2;
      if (text[i] === '>') break;
      if (text[i] === '{') {
        i = this.code(i + 1, true, report);
        continue;
      }
      const attribute = JSX_STRING_ATTRIBUTE.exec(text.slice(i, i + 256));
      if (attribute === null) {
        i += 1;
        continue;
      }
      // JSX attribute strings have no escapes, as in HTML.
      i = quotedAttribute(text, attribute[1] as string, attribute[2] as string, i + attribute[0].length, report ? this.literals : []);
    }
    i += 1; // past the `>` of the opening tag
    let textStart = i;
    const flushText = (end: number): void => {
      const body = text.slice(textStart, end);
      const contentStart = textStart + (body.length - body.trimStart().length);
      const contentEnd = end - (body.length - body.trimEnd().length);
      if (report && contentEnd > contentStart) this.literals.push({ kind: 'text', start: contentStart, end: contentEnd, contentStart, contentEnd });
    };
    while (i < text.length) {
      if (text[i] === '{') {
        flushText(i);
        i = textStart = this.code(i + 1, true, report);
      } else if (text.startsWith('</', i)) {
        flushText(i);
        const close = text.indexOf('>', i);
        return close < 0 ? text.length : close + 1;
      } else if (text[i] === '<') {
        flushText(i);
        i = textStart = this.jsxElement(i, report);
      } else {
        i += 1;
      }
    }
    flushText(text.length);
    return text.length;
  }

  private comment(style: 'line' | 'block', start: number, end: number, open: string, close: string): void {
    this.literals.push({
      kind: 'comment',
      style,
      start,
      end,
      contentStart: start + open.length,
      contentEnd: end - close.length,
      open,
      close: style === 'block' ? '*/' : '',
    });
  }

  /** A '…' or "…" string; an unescaped line break (LF, or CR of a CRLF) ends an unterminated one. */
  private quoted(start: number, quote: string, report: boolean): number {
    const text = this.text;
    let i = start + 1;
    while (i < text.length && text[i] !== quote && text[i] !== '\n' && text[i] !== '\r') i += text[i] === '\\' ? 2 : 1;
    const closed = text[i] === quote;
    const end = closed ? i + 1 : Math.min(i, text.length);
    if (report) {
      this.literals.push({
        kind: 'string',
        start,
        end,
        contentStart: start + 1,
        contentEnd: closed ? end - 1 : end,
        quote,
        raw: false,
        holes: [],
      });
    }
    return end;
  }

  private template(start: number, report: boolean): number {
    const text = this.text;
    const holes: Span[] = [];
    let i = start + 1;
    while (i < text.length && text[i] !== '`') {
      if (text[i] === '\\') {
        i += 2;
      } else if (text[i] === '$' && text[i + 1] === '{') {
        const end = this.code(i + 2, true, false);
        holes.push({ start: i, end });
        i = end;
      } else {
        i += 1;
      }
    }
    const closed = text[i] === '`';
    const end = closed ? i + 1 : text.length;
    if (report) {
      this.literals.push({
        kind: 'string',
        start,
        end,
        contentStart: start + 1,
        contentEnd: closed ? end - 1 : end,
        quote: '`',
        raw: false,
        interpolation: 'js-template',
        holes,
      });
    }
    return end;
  }
}

/** Whether the code before `at`, spaces aside, ends in a single `.` (a property access; `...` spreads). */
function afterDot(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && /\s/.test(text[k] as string)) k -= 1;
  return text[k] === '.' && text[k - 1] !== '.';
}

function lineEnd(text: string, from: number): number {
  const match = /[\n\r\u2028\u2029]/.exec(text.slice(from));
  return match === null ? text.length : from + match.index;
}

/** Skips /…/flags; a character class may hold an unescaped `/`. Stops at a line break. */
function skipRegex(text: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < text.length && text[i] !== '\n') {
    const c = text[i];
    if (c === '/' && !inClass) break;
    if (c === '[') inClass = true;
    if (c === ']') inClass = false;
    i += c === '\\' ? 2 : 1;
  }
  if (text[i] !== '/') return start + 1; // not a regex after all: treat the `/` as an operator
  i += 1;
  while (i < text.length && /[a-z]/i.test(text[i] as string)) i += 1;
  return i;
}

export function lexJavaScript(text: string, options: JavaScriptOptions = {}): Literal[] {
  const scanner = new JsScanner(text, options.jsx === true);
  scanner.code(0, false, true);
  return scanner.literals;
}
