// Markdown: prose is translated line by line; fenced and indented code blocks, front matter, HTML
// comments, link reference definitions, table separator rows and setext underlines stay; each
// line's block prefix (indentation, `>`, list marker, task box, `#` heading marker and closing
// hashes) stays; inline code, inline HTML tags and comments, link targets, link/emphasis
// punctuation and backslash escapes are protected; table cells (also inside quotes) are translated
// one by one. Offsets are into the given text. Pure.
import type { TranslatableRegion } from '../regions';
import { normalizeSpans, type Span } from '../spans';

// `s`: an info string may hold any character, U+2028 and U+2029 included (`.` alone stops there).
const FENCE_OPEN = /^((?:[ \t]*>)*[ \t]*)(`{3,}|~{3,}|\${2})(.*)$/s;
const BLOCK_PREFIX = /^[ \t]*(?:>[ \t]?)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)(?:\[[ xX]\][ \t]+)?)?(?:#{1,6}(?:[ \t]+|$))?/;
const LIST_ITEM = /^[ \t]*(?:>[ \t]?)*[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)/;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*\S/;
const TABLE_SEPARATOR = /^[ \t]*(?:>[ \t]?)*[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const CLOSING_HASHES = /[ \t]+#+[ \t]*$/;
const HEADING = /^[ \t]*(?:>[ \t]?)*[ \t]*#{1,6}(?:[ \t]|$)/;
const QUOTE_PREFIX = /^[ \t]*(?:>[ \t]?)*/;
/** A line that is one HTML comment and nothing else. */
const COMMENT_LINE = /^[ \t]*<!--[\s\S]*?-->[ \t]*$/;
/** A setext heading's `===` underline (the `---` one is matched as a table separator). */
const SETEXT_UNDERLINE = /^ {0,3}=+[ \t]*$/;

/** Inline syntax that must stay: code spans, autolinks, link punctuation and targets, HTML tags and comments, emphasis, escapes. */
const INLINE_PROTECTED: readonly RegExp[] = [
  // A code span opens at a whole run of backticks (not inside a longer unmatched run, nor at an
  // escaped backtick) and closes at a run of the same length.
  /(?<![`\\])(`+)[^`\n](?:[^\n]*?[^`\n])??\1(?!`)/g, // code span
  /<(?:[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>/g, // autolink
  /\[\^[^\]\n]+\]/g, // footnote reference
  /!?\[(?=[^\]\n]*\](?:\(|\[))/g, // opening bracket of a link or image
  /\](?:\((?:[^()\n]|\([^()\n]*\))*\)|\[[^\]\n]*\])/g, // `](target "title")` (one level of brackets inside) or `][ref]`
  /<!--[\s\S]*?-->/g, // an HTML comment inside a line
  /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>\n]*)?\/?>/g, // an inline HTML tag
  /(?<![\p{L}\p{N}\\*_~])[*_~]{1,3}(?=[^\s*_~])|(?<=[^\s*_~])[*_~]{1,3}(?![\p{L}\p{N}*_~])/gu, // emphasis
  /\\[!-/:-@[-`{-~]/g, // backslash escape
  /\\$/g, // hard line break
];

interface Line {
  readonly start: number;
  /** End of the line's content (before its line break). */
  readonly end: number;
  readonly text: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (const match of text.matchAll(/\r\n|\n|\r/g)) {
    lines.push({ start, end: match.index, text: text.slice(start, match.index) });
    start = match.index + match[0].length;
  }
  lines.push({ start, end: text.length, text: text.slice(start) });
  return lines;
}

export function extractMarkdown(text: string): TranslatableRegion[] {
  const lines = splitLines(text);
  const regions: TranslatableRegion[] = [];
  let i = 0;
  if (/^---[ \t]*$/.test(lines[0]?.text ?? '')) {
    const close = lines.findIndex((line, k) => k > 0 && /^(?:---|\.\.\.)[ \t]*$/.test(line.text));
    if (close > 0) i = close + 1;
  }
  let previousBlank = true;
  /** No paragraph is open (start, after a blank line, a fenced block or a heading): an indented line here is code. */
  let codeMayStart = true;
  let inList = false;
  let inTable = false;
  for (; i < lines.length; i++) {
    const line = lines[i] as Line;
    const blank = line.text.trim() === '';
    const fence = FENCE_OPEN.exec(line.text);
    if (fence !== null && !(fence[2]?.startsWith('`') === true && fence[3]?.includes('`') === true)) {
      i = fenceEnd(lines, i, fence[2] as string);
      previousBlank = false;
      codeMayStart = true;
      continue;
    }
    if (COMMENT_LINE.test(line.text)) continue;
    if (/^[ \t]*<!--/.test(line.text) && !line.text.includes('-->')) {
      while (i + 1 < lines.length && !(lines[i] as Line).text.includes('-->')) i += 1;
      continue;
    }
    if (blank) {
      previousBlank = true;
      codeMayStart = true;
      inTable = false;
      continue;
    }
    const indented = /^(?: {4}|\t)/.test(line.text);
    if (indented && codeMayStart && !inList) continue; // indented code block (its lines stay indented)
    if (SETEXT_UNDERLINE.test(line.text) && !previousBlank) continue;
    if (!indented && !LIST_ITEM.test(line.text) && previousBlank) inList = false;
    if (LIST_ITEM.test(line.text)) inList = true;
    previousBlank = false;
    // A heading is a block of one line: no paragraph continues it.
    codeMayStart = HEADING.test(line.text);
    if (LINK_DEFINITION.test(line.text) || TABLE_SEPARATOR.test(line.text) && line.text.includes('-')) {
      if (TABLE_SEPARATOR.test(line.text) && line.text.includes('|')) inTable = true;
      continue;
    }
    const nextIsSeparator = TABLE_SEPARATOR.test(lines[i + 1]?.text ?? '') && (lines[i + 1]?.text ?? '').includes('|');
    if ((inTable || nextIsSeparator) && line.text.includes('|')) {
      regions.push(...tableCells(line));
      continue;
    }
    const prefix = BLOCK_PREFIX.exec(line.text)?.[0] ?? '';
    let contentEnd = line.text.length;
    const heading = HEADING.test(line.text);
    const closing = heading ? CLOSING_HASHES.exec(line.text) : null;
    if (closing !== null && closing.index >= prefix.length) contentEnd = closing.index;
    // `### ###`: an empty heading whose closing hashes the prefix already reached.
    if (heading && /^#+[ \t]*$/.test(line.text.slice(prefix.length))) contentEnd = prefix.length;
    pushRegion(regions, line, prefix.length, contentEnd);
  }
  return regions;
}

/** The index of the line that closes the fence opened at `open` (or the last line). */
function fenceEnd(lines: readonly Line[], open: number, marker: string): number {
  const char = marker[0] as string;
  for (let k = open + 1; k < lines.length; k++) {
    const close = /^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,}|\${2})[ \t]*$/.exec((lines[k] as Line).text);
    if (close !== null && close[1]?.[0] === char && (close[1] as string).length >= marker.length) return k;
  }
  return lines.length - 1;
}

function tableCells(line: Line): TranslatableRegion[] {
  const regions: TranslatableRegion[] = [];
  const code = inlineSpans(line.text).filter((s) => line.text[s.start] === '`');
  // A table in a block quote: its `>` markers stay.
  const quote = QUOTE_PREFIX.exec(line.text)?.[0].length ?? 0;
  let cellStart = quote;
  for (let k = quote; k <= line.text.length; k++) {
    const atPipe = line.text[k] === '|' && line.text[k - 1] !== '\\' && !code.some((s) => s.start <= k && k < s.end);
    if (atPipe || k === line.text.length) {
      if (k > cellStart) pushRegion(regions, line, cellStart, k);
      cellStart = k + 1;
    }
  }
  return regions;
}

function pushRegion(regions: TranslatableRegion[], line: Line, from: number, to: number): void {
  const body = line.text.slice(from, to);
  const lead = body.length - body.trimStart().length;
  const trail = body.length - body.trimEnd().length;
  const start = from + lead;
  const end = to - trail;
  if (end <= start) return;
  const spans = inlineSpans(line.text.slice(start, end)).map((s) => ({ start: line.start + start + s.start, end: line.start + start + s.end }));
  regions.push({ start: line.start + start, end: line.start + end, protected: spans, context: { kind: 'prose' } });
}

function inlineSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const pattern of INLINE_PROTECTED) {
    for (const match of text.matchAll(pattern)) spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return normalizeSpans(spans);
}
