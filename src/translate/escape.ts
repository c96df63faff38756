// Writing translated text back into its syntactic context: a translation that contains the
// string's quote, a backslash or a comment closer must not end the literal or comment early.
// Applied to model output only, never to source text (placeholders are already escaped). Pure.
import type { RegionContext } from './regions';

/** Typographic stand-ins for quotes that cannot be escaped (raw strings). */
const TYPOGRAPHIC: Readonly<Record<string, string>> = { '"': '”', "'": '’', '`': 'ˋ' };

/** Escapes model text for its context; `atEnd`: the text ends the region (touches the closing delimiter). */
export type Escaper = (text: string, atEnd: boolean) => string;

export function escaperFor(context: RegionContext): Escaper {
  switch (context.kind) {
    case 'prose':
      return (text) => text;
    case 'line-comment':
      return (text) => text.replace(/[\r\n]+/g, ' ');
    case 'block-comment':
      return (text) => breakCloser(text, context.close);
    case 'string':
      return (text, atEnd) => escapeString(text, context, atEnd);
  }
}

function breakCloser(text: string, close: string): string {
  if (close.length < 2) return text;
  // "*/" → "* /": still readable, no longer closes the comment.
  const broken = `${close.slice(0, -1)} ${close.slice(-1)}`;
  return text.split(close).join(broken);
}

function escapeString(text: string, context: Extract<RegionContext, { kind: 'string' }>, atEnd: boolean): string {
  const quoteChar = context.quote[0] as string;
  let out = text.replace(/[\r\n]+/g, ' ');
  if (context.raw) {
    // A raw string cannot hold its own quote; use the typographic character instead.
    out = out.split(quoteChar).join(TYPOGRAPHIC[quoteChar] ?? quoteChar);
  } else {
    out = out.replace(/\\/g, '\\\\');
    if (context.quote.length === 3) {
      out = out.split(context.quote).join(`\\${quoteChar}`.repeat(3));
      // A quote right before the closing delimiter would merge with it.
      if (atEnd && out.endsWith(quoteChar)) out = `${out.slice(0, -1)}\\${quoteChar}`;
    } else {
      out = out.split(quoteChar).join(`\\${quoteChar}`);
    }
  }
  if (context.interpolation === 'js-template') out = out.replace(/\$\{/g, '\\${');
  if (context.interpolation === 'python-f') out = out.replace(/\{/g, '{{').replace(/\}/g, '}}');
  return out;
}
