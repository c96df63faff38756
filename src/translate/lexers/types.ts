// What a lexer reports: the comments, string literals and (for markup) text nodes of a source
// text, with their content spans. Everything else is code and stays untouched. Pure: no vscode.
import type { Span } from '../spans';

export interface CommentLiteral {
  readonly kind: 'comment';
  readonly style: 'line' | 'block';
  /** Whole comment including its markers. */
  readonly start: number;
  readonly end: number;
  /** Text between the markers (for a line comment: after the marker, to the end of line). */
  readonly contentStart: number;
  readonly contentEnd: number;
  /** The opening marker (`//`, `#`, `/*`, `<!--`) and, for blocks, the closing one. */
  readonly open: string;
  readonly close: string;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly start: number;
  readonly end: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  /** Delimiter: `"`, `'`, `` ` ``, `"""`, `'''`. */
  readonly quote: string;
  /** No escape sequences (raw strings, shell single quotes, Go backticks). */
  readonly raw: boolean;
  /** A quote is written by doubling it (SQL, VB, Pascal) instead of a backslash. */
  readonly doubledQuote?: boolean;
  /** Byte strings and the like: never natural language. */
  readonly binary?: boolean;
  readonly interpolation?: 'js-template' | 'python-f';
  /** Interpolated expressions (`${…}`, f-string `{…}`), whole, absolute offsets. */
  readonly holes: readonly Span[];
}

/** Text between markup tags (HTML/XML): prose. */
export interface TextLiteral {
  readonly kind: 'text';
  readonly start: number;
  readonly end: number;
  readonly contentStart: number;
  readonly contentEnd: number;
}

export type Literal = CommentLiteral | StringLiteral | TextLiteral;

export type Lexer = (text: string) => Literal[];
