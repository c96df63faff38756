// A table-driven lexer for languages without a dedicated one: line comments, block comments and
// string literals described by a CommentSyntax (see ../languages.ts). Good enough to keep code out
// of a translation; it does not know each language's corner cases (heredocs, nested templates).
// Pure.
import type { Literal } from './types';

export interface StringSyntax {
  readonly quote: string;
  /** Backslash escapes (false: raw, like shell '…' or Go `…`). Default true. */
  readonly escapes?: boolean;
  /** The quote is written by doubling it ('' in SQL, "" in VB). */
  readonly doubled?: boolean;
  /** May span lines (""" text blocks, Go raw strings). Default false. */
  readonly multiline?: boolean;
}

export interface CommentSyntax {
  readonly line: readonly string[];
  readonly block: readonly (readonly [open: string, close: string])[];
  readonly strings: readonly StringSyntax[];
  /** Block comments nest (Haskell, Rust, Swift, …). */
  readonly nestedBlocks?: boolean;
  /** A line marker starts a comment only at a word boundary (shell's `$#`, `${#x}`). */
  readonly lineMarkerNeedsBoundary?: boolean;
  /**
   * Dashes that are part of an operator are not a comment. `around` (Haskell): dashes followed or
   * preceded by an operator symbol (`-->`, `|--`), while `--` and `---` start comments. `after`
   * (PureScript): only dashes an operator symbol precedes (`|--`); its lexer reads comments
   * between tokens, so `-->` starts one.
   */
  readonly operatorDashes?: 'around' | 'after';
}

/** Haskell's operator symbols: dashes next to one of them form an operator. */
const OPERATOR_SYMBOL = /[!#$%&*+./<=>?@\\^|~:]/;

/** Whether the `--` at `at` belongs to an operator (`|--`; with `around` also `-->`) rather than starting a comment. */
function partOfOperator(text: string, at: number, marker: string, dashes: 'around' | 'after'): boolean {
  if (OPERATOR_SYMBOL.test(text[at - 1] ?? '')) return true;
  if (dashes === 'after') return false;
  let end = at + marker.length;
  while (text[end] === '-') end += 1;
  return OPERATOR_SYMBOL.test(text[end] ?? '');
}

export function lexGeneric(text: string, syntax: CommentSyntax): Literal[] {
  const literals: Literal[] = [];
  const blocks = [...syntax.block].sort((a, b) => b[0].length - a[0].length);
  const lines = [...syntax.line].sort((a, b) => b.length - a.length);
  const strings = [...syntax.strings].sort((a, b) => b.quote.length - a.quote.length);
  let i = 0;
  scan: while (i < text.length) {
    for (const [open, close] of blocks) {
      if (text.startsWith(open, i)) {
        const end = blockEnd(text, i + open.length, open, close, syntax.nestedBlocks === true);
        const closed = text.startsWith(close, end - close.length) && end - close.length >= i + open.length;
        literals.push({
          kind: 'comment',
          style: 'block',
          start: i,
          end,
          contentStart: i + open.length,
          contentEnd: closed ? end - close.length : end,
          open,
          close,
        });
        i = end;
        continue scan;
      }
    }
    for (const marker of lines) {
      if (
        text.startsWith(marker, i) &&
        (!syntax.lineMarkerNeedsBoundary || i === 0 || /[\s;(|&]/.test(text[i - 1] as string)) &&
        !(syntax.operatorDashes !== undefined && partOfOperator(text, i, marker, syntax.operatorDashes))
      ) {
        const end = lineEnd(text, i);
        literals.push({ kind: 'comment', style: 'line', start: i, end, contentStart: i + marker.length, contentEnd: end, open: marker, close: '' });
        i = end;
        continue scan;
      }
    }
    for (const string of strings) {
      if (text.startsWith(string.quote, i)) {
        const literal = scanString(text, i, string);
        literals.push(literal);
        i = Math.max(literal.end, i + 1);
        continue scan;
      }
    }
    i += 1;
  }
  return literals;
}

function blockEnd(text: string, from: number, open: string, close: string, nested: boolean): number {
  let depth = 1;
  let i = from;
  while (i < text.length) {
    if (text.startsWith(close, i)) {
      depth -= 1;
      i += close.length;
      if (depth === 0 || !nested) return i;
    } else if (nested && text.startsWith(open, i)) {
      depth += 1;
      i += open.length;
    } else {
      i += 1;
    }
  }
  return text.length;
}

function scanString(text: string, start: number, syntax: StringSyntax): Literal {
  const { quote } = syntax;
  const escapes = syntax.escapes !== false;
  const contentStart = start + quote.length;
  let i = contentStart;
  let closed = false;
  while (i < text.length) {
    if (syntax.doubled === true && text.startsWith(quote + quote, i)) {
      i += quote.length * 2;
    } else if (text.startsWith(quote, i)) {
      closed = true;
      break;
    } else if (!syntax.multiline && (text[i] === '\n' || text[i] === '\r')) {
      break;
    } else {
      i += escapes && text[i] === '\\' ? 2 : 1;
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
    raw: !escapes,
    ...(syntax.doubled === true ? { doubledQuote: true } : {}),
    holes: [],
  };
}

function lineEnd(text: string, from: number): number {
  const match = /[\n\r]/.exec(text.slice(from));
  return match === null ? text.length : from + match.index;
}
