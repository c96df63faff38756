// What the extractors hand to the pipeline: the parts of a text to translate, each with the spans
// inside it that must stay verbatim and the syntactic context the translation is written back into.
// Pure: no vscode.
import type { Span } from './spans';

export type RegionContext =
  /** Plain prose (plain text, Markdown paragraphs, whole selection when not code-aware). */
  | { readonly kind: 'prose' }
  /** A line comment's text: no line breaks allowed in the result. */
  | { readonly kind: 'line-comment' }
  /** A block comment's text; `close` (e.g. `*\/`) must not appear in the result. */
  | { readonly kind: 'block-comment'; readonly close: string }
  /** A string literal's content between its quotes. */
  | {
      readonly kind: 'string';
      /** The delimiter: `"`, `'`, `` ` ``, `"""`, `'''`. */
      readonly quote: string;
      /** Raw strings have no escapes: a quote in the result cannot be escaped. */
      readonly raw: boolean;
      /** Interpolating strings whose braces must be escaped: JS templates (`${`), Python f-strings (`{{`). */
      readonly interpolation?: 'js-template' | 'python-f';
    };

export interface TranslatableRegion {
  /** Offsets into the text the extractor was given (UTF-16). */
  readonly start: number;
  readonly end: number;
  /** Spans (same offsets as start/end, inside the region) that stay verbatim: escapes, `${expr}`, link syntax. */
  readonly protected: readonly Span[];
  readonly context: RegionContext;
}
