// Code-aware extraction: which parts of a selection get translated. In code, only comments and
// string literals (their text, not their markers, quotes, escapes or interpolations); in Markdown,
// prose but not code; elsewhere, everything. The whole document is lexed so that a selection that
// starts inside a string or comment is understood; the result is clipped to the selection and its
// offsets are relative to the selection start. Pure: no vscode.
import { placeholderSpans } from './placeholders';
import { readerFor } from './languages';
import { lexGeneric } from './lexers/generic';
import { lexJavaScript } from './lexers/javascript';
import { extractMarkdown } from './lexers/markdown';
import { lexMarkup } from './lexers/markup';
import { lexPython } from './lexers/python';
import type { CommentLiteral, Literal, StringLiteral, TextLiteral } from './lexers/types';
import type { TranslatableRegion } from './regions';
import { clipSpans, normalizeSpans, type Span } from './spans';

export interface ExtractOptions {
  /** false: translate the whole selection as prose, whatever the language. */
  readonly codeAware: boolean;
}

/** Translatable regions of `document.slice(selection.start, selection.end)`, relative to selection.start. */
export function extractRegions(
  document: string,
  selection: Span,
  languageId: string,
  options: ExtractOptions,
): TranslatableRegion[] {
  if (selection.end <= selection.start) return [];
  const reader = options.codeAware ? readerFor(languageId) : ({ kind: 'prose' } as const);
  let regions: TranslatableRegion[];
  switch (reader.kind) {
    case 'prose':
      return [{ start: 0, end: selection.end - selection.start, protected: [], context: { kind: 'prose' } }];
    case 'markdown':
      regions = extractMarkdown(document);
      break;
    case 'javascript':
      regions = literalRegions(document, lexJavaScript(document, { jsx: reader.jsx }), selection);
      break;
    case 'python':
      regions = literalRegions(document, lexPython(document), selection);
      break;
    case 'markup':
      regions = literalRegions(document, lexMarkup(document), selection);
      break;
    case 'generic':
      regions = literalRegions(document, lexGeneric(document, reader.syntax), selection);
      break;
  }
  return clipRegions(regions, selection);
}

function clipRegions(regions: readonly TranslatableRegion[], selection: Span): TranslatableRegion[] {
  const out: TranslatableRegion[] = [];
  for (const region of regions) {
    const start = Math.max(region.start, selection.start);
    const end = Math.min(region.end, selection.end);
    if (end <= start) continue;
    out.push({
      start: start - selection.start,
      end: end - selection.start,
      // Clipped to the region, then shifted to selection-relative offsets.
      protected: clipSpans(region.protected, { start, end }).map((s) => ({ start: s.start + start - selection.start, end: s.end + start - selection.start })),
      context: region.context,
    });
  }
  return out;
}

function literalRegions(document: string, literals: readonly Literal[], selection: Span): TranslatableRegion[] {
  const regions: TranslatableRegion[] = [];
  for (const literal of literals) {
    if (literal.end <= selection.start || literal.start >= selection.end) continue;
    switch (literal.kind) {
      case 'comment':
        regions.push(...commentRegions(document, literal));
        break;
      case 'string': {
        const region = stringRegion(document, literal, selection);
        if (region !== undefined) regions.push(region);
        break;
      }
      case 'text':
        regions.push(textRegion(literal));
        break;
    }
  }
  return regions;
}

/** One region per comment line, after the markers (`//`, `///`, `#`, ` * `) and before the closer. */
function commentRegions(document: string, comment: CommentLiteral): TranslatableRegion[] {
  if (comment.start === 0 && comment.open === '#' && document.startsWith('#!')) return []; // shebang
  const regions: TranslatableRegion[] = [];
  const context =
    comment.style === 'line' ? ({ kind: 'line-comment' } as const) : ({ kind: 'block-comment', close: comment.close } as const);
  const repeated = comment.open.slice(-1);
  const starPrefixed = comment.open.endsWith('*') || comment.open === '/*';
  let lineStart = comment.contentStart;
  let first = true;
  const content = document.slice(comment.contentStart, comment.contentEnd);
  const breaks = [...content.matchAll(/\r\n|\n|\r/g)].map((m) => ({ at: comment.contentStart + m.index, length: m[0].length }));
  for (const lineBreak of [...breaks, { at: comment.contentEnd, length: 0 }]) {
    let start = lineStart;
    const end = lineBreak.at;
    if (first && comment.style === 'line') {
      // `///`, `//!`, `##`, `---`: the marker repeated is still the marker.
      while (start < end && (document[start] === repeated || document[start] === '!')) start += 1;
    } else if (starPrefixed) {
      // Block comments: `/**` on the first line, ` * ` on the following ones.
      let k = start;
      if (!first) while (k < end && /[ \t]/.test(document[k] as string)) k += 1;
      if (document[k] === '*' || (first && document[k] === '!')) {
        while (k < end && (document[k] === '*' || (first && document[k] === '!'))) k += 1;
        start = k;
      }
    }
    if (end > start) {
      const text = document.slice(start, end);
      // Markers inside the text (nested comments, a stray `/*`) are syntax: they stay, and the
      // escaper does not break them up.
      const markers = [comment.open, comment.close]
        .filter((m) => m.length > 1)
        .flatMap((m) => [...text.matchAll(new RegExp(escapeRegExp(m), 'g'))].map((x) => ({ start: x.index, end: x.index + m.length })));
      regions.push({ start, end, protected: shift(normalizeSpans([...codeTokenSpans(text), ...markers]), start), context });
    }
    lineStart = lineBreak.at + lineBreak.length;
    first = false;
  }
  return regions;
}

function stringRegion(document: string, literal: StringLiteral, selection: Span): TranslatableRegion | undefined {
  if (literal.binary === true || literal.contentEnd <= literal.contentStart) return undefined;
  const content = document.slice(literal.contentStart, literal.contentEnd);
  // Raw strings have no escapes, but a backslash still keeps their quote from ending them (r"a\"b").
  const escapePattern = literal.raw ? new RegExp(`\\\\${escapeRegExp(literal.quote[0] as string)}`, 'g') : ESCAPE;
  const escapes = [...content.matchAll(escapePattern)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  // f-strings write a literal brace as {{ or }}: syntax, not text.
  const braces = literal.interpolation === 'python-f' ? [...content.matchAll(/\{\{|\}\}/g)].map((m) => ({ start: m.index, end: m.index + 2 })) : [];
  const doubled =
    literal.doubledQuote === true
      ? [...content.matchAll(new RegExp(escapeRegExp(literal.quote.repeat(2)), 'g'))].map((m) => ({ start: m.index, end: m.index + m[0].length }))
      : [];
  const holes = literal.holes.map((h) => ({ start: h.start - literal.contentStart, end: h.end - literal.contentStart }));
  const syntax = normalizeSpans([...escapes, ...doubled, ...holes, ...braces]);
  // A selection inside one literal is an explicit request; otherwise skip keys, paths and ids.
  const selectedInside = selection.start >= literal.contentStart && selection.end <= literal.contentEnd;
  if (!selectedInside && !looksLikeProse(content, syntax)) return undefined;
  return {
    start: literal.contentStart,
    end: literal.contentEnd,
    protected: shift(normalizeSpans([...syntax, ...codeTokenSpans(content)]), literal.contentStart),
    context: {
      kind: 'string',
      quote: literal.quote,
      raw: literal.raw || literal.doubledQuote === true,
      ...(literal.interpolation !== undefined ? { interpolation: literal.interpolation } : {}),
    },
  };
}

function textRegion(literal: TextLiteral): TranslatableRegion {
  return { start: literal.contentStart, end: literal.contentEnd, protected: [], context: { kind: 'prose' } };
}

/** Escape sequences of C-family and Python strings (protected: they are syntax, not text). */
const ESCAPE = /\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]*\}|[0-7]{1,3}|\r\n|[\s\S]|$)/g; // a lone `\` at the end of an unterminated literal too

/**
 * Identifiers and markup in comments and strings that are code, not words: dotted names
 * (`config.json`, `os.path`), snake_case, camelCase and PascalCase-with-humps names, calls `f()`,
 * JSDoc tags with their types and parameter names, Sphinx fields, doctest lines.
 */
const CODE_TOKENS: readonly RegExp[] = [
  /(?<![\w$.])[A-Za-z_$][\w$]+(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?/g,
  /(?<![\w$])\w*_\w+/g,
  /(?<![\w$])[a-z]+[A-Z][\w$]*/g,
  /(?<![\w$])[A-Z][a-z\d]+[A-Z][\w$]*/g,
  /(?<![\w$])[A-Za-z_$][\w$]*\(\)/g,
  /(?<![\w.])@(?:param|arg|argument|property|prop|typedef|callback|template|member|var)\b(?:[ \t]+\{[^}\n]*\})?(?:[ \t]+\[?[\w$.]+(?:=[^\]\n]*)?\]?)?/g,
  /(?<![\w.])@[A-Za-z][\w-]*(?:[ \t]+\{[^}\n]*\})?/g,
  /(?<=^[ \t]*):[a-zA-Z]+(?:[ \t]+[\w.*]+){0,2}:/gm,
  /(?<=^[ \t]*)(?:>>>|\.\.\.)(?: .*)?$/gm,
];

export function codeTokenSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const pattern of CODE_TOKENS) {
    for (const match of text.matchAll(pattern)) spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return normalizeSpans(spans);
}

/**
 * Whether a string literal reads as natural language, not as a key, path, identifier or class list:
 * two or more words, or one capitalised word ("Cancel"), or text ending in sentence punctuation.
 */
export function looksLikeProse(content: string, syntax: readonly Span[]): boolean {
  const hidden = normalizeSpans([...syntax, ...placeholderSpans(content)]);
  let text = '';
  let at = 0;
  for (const span of hidden) {
    text += `${content.slice(at, span.start)} `;
    at = span.end;
  }
  text = (text + content.slice(at)).trim();
  const words = text.match(/\p{L}[\p{L}\p{M}'’-]*/gu) ?? [];
  if (words.length === 0) return false;
  const tokens = text.split(/\s+/);
  if (tokens.length >= 2 && words.filter((w) => w.length >= 2).length >= 2) {
    // "btn btn-primary", "utf-8 strict": lower-case, hyphenated tokens only.
    const classList = tokens.every((t) => /^[a-z0-9-]+$/.test(t)) && tokens.some((t) => t.includes('-'));
    return !classList;
  }
  return /^\p{Lu}\p{Ll}+[.!?:…]*$/u.test(text) || /\p{L}{2,}[.!?…]$/u.test(text);
}

function shift(spans: readonly Span[], by: number): Span[] {
  return spans.map((s) => ({ start: s.start + by, end: s.end + by }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
