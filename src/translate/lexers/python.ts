// A lexer for Python, enough to find comments and string literals: `#` comments; '…', "…",
// '''…''' and """…""" strings with any prefix (r, b, u, f, t and combinations); f-string
// replacement fields `{…}` (with `{{`/`}}` escapes, nested fields and nested strings) become holes
// that stay verbatim. Pure.
import type { Span } from '../spans';
import type { Literal } from './types';

const PREFIX = /^(?:[rRuUbBfFtT]|[rR][bBfFtT]|[bBfFtT][rR])$/;
const IDENTIFIER_CHAR = /[\p{L}\p{N}_]/u;

export function lexPython(text: string): Literal[] {
  const literals: Literal[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '#') {
      const end = lineEnd(text, i);
      literals.push({ kind: 'comment', style: 'line', start: i, end, contentStart: i + 1, contentEnd: end, open: '#', close: '' });
      i = end;
    } else if (c === '"' || c === "'") {
      const literal = scanString(text, i, i);
      literals.push(literal);
      i = literal.end;
    } else if (IDENTIFIER_CHAR.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENTIFIER_CHAR.test(text[j] as string)) j += 1;
      if ((text[j] === '"' || text[j] === "'") && PREFIX.test(text.slice(i, j))) {
        const literal = scanString(text, i, j);
        literals.push(literal);
        i = literal.end;
      } else {
        i = j;
      }
    } else {
      i += 1;
    }
  }
  return literals;
}

/** A string literal whose prefix starts at `start` and whose quote starts at `quoteAt`. */
function scanString(text: string, start: number, quoteAt: number): Literal {
  const prefix = text.slice(start, quoteAt).toLowerCase();
  const raw = prefix.includes('r');
  const formatted = prefix.includes('f') || prefix.includes('t');
  const q = text[quoteAt] as string;
  const quote = text.startsWith(q.repeat(3), quoteAt) ? q.repeat(3) : q;
  const contentStart = quoteAt + quote.length;
  const holes: Span[] = [];
  let i = contentStart;
  let closed = false;
  while (i < text.length) {
    if (text.startsWith(quote, i)) {
      closed = true;
      break;
    }
    const c = text[i];
    if (quote.length === 1 && c === '\n') break; // unterminated single-quoted string
    if (c === '\\') {
      i += 2; // even in a raw string, \" does not end the literal
    } else if (formatted && c === '{') {
      if (text[i + 1] === '{') {
        i += 2;
      } else {
        const end = skipField(text, i, quote);
        holes.push({ start: i, end });
        i = end;
      }
    } else {
      i += 1;
    }
  }
  const contentEnd = Math.min(i, text.length);
  return {
    kind: 'string',
    start,
    end: closed ? contentEnd + quote.length : contentEnd,
    contentStart,
    contentEnd,
    quote,
    raw,
    binary: prefix.includes('b'),
    ...(formatted ? { interpolation: 'python-f' as const } : {}),
    holes,
  };
}

/** Skips an f-string replacement field `{expr!r:fmt{nested}}` and returns the offset after it. */
function skipField(text: string, start: number, quote: string): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i] as string;
    if (text.startsWith(quote, i) || (quote.length === 1 && c === '\n')) return i; // malformed: stop at the string end
    if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    } else if ((c === '"' || c === "'") && c !== quote[0]) {
      // A nested string of the other quote kind (f"{d['key']}").
      const close = text.indexOf(c, i + 1);
      if (close < 0) return text.length;
      i = close;
    }
    i += 1;
  }
  return text.length;
}

function lineEnd(text: string, from: number): number {
  const match = /[\n\r]/.exec(text.slice(from));
  return match === null ? text.length : from + match.index;
}
