// Segmentation: a region of text becomes a sequence of pieces, either kept verbatim (line
// breaks, indentation, the whitespace between sentences, symbol-only runs) or translated (one
// sentence, or a clause of an overlong sentence). Concatenating every piece's text gives the input
// back exactly, so structure and surrounding whitespace survive whatever the model does with a
// unit. Cuts never fall inside a protected span (a placeholder, a string escape). Pure: no vscode.
import { placeholderSpans } from './placeholders';
import { clipSpans, covers, insideSpan, normalizeSpans, type Span } from './spans';

export type Piece =
  | { readonly kind: 'keep'; readonly text: string }
  /** `protected` spans are relative to `text`; they stay verbatim through translation. */
  | { readonly kind: 'unit'; readonly text: string; readonly protected: readonly Span[] };

export interface SegmentOptions {
  /** Units longer than this are cut at clause punctuation, then at whitespace. */
  readonly maxUnitChars: number;
}

export const DEFAULT_SEGMENT_OPTIONS: SegmentOptions = { maxUnitChars: 400 };

/**
 * Abbreviations (lower case, without the final dot) after which a dot does not end a sentence,
 * English and German.
 */
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'vs', 'etc', 'e.g', 'i.e', 'cf', 'fig', 'no', 'nos', 'vol',
  'jr', 'sr', 'inc', 'ltd', 'co', 'corp', 'approx', 'dept', 'est', 'jan', 'feb', 'mar', 'apr', 'jun',
  'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'z.b', 'bzw', 'usw', 'ca', 'nr', 'vgl', 'd.h',
  'u.a', 'ggf', 'inkl', 'evtl', 'sog', 'bspw', 'abs', 'allg', 'hr', 'fr', 'str', 'tel', 'u.u', 'o.ä',
  's', 'z.t', 'i.d.r', 'u.s', 'u.k', 'a.m', 'p.m',
]);

const LINE_BREAK = /\r\n|\n|\r/g;
/** Sentence-final punctuation with closing quotes/brackets, followed by whitespace. */
const SENTENCE_END = /[.!?…]+["'”’»)\]]*(?=\s)/gu;
/** What may start the next sentence: not a lower-case letter. */
const SENTENCE_START = /^[\p{Lu}\p{Lt}\p{N}"'“„«‚(\[<{%`$&]/u;
const LETTER = /\p{L}/u;

/** Splits `text` into kept and translated pieces; see the module comment. */
export function segment(
  text: string,
  extraProtected: readonly Span[] = [],
  options: SegmentOptions = DEFAULT_SEGMENT_OPTIONS,
): Piece[] {
  const spans = normalizeSpans([...placeholderSpans(text), ...extraProtected]);
  const pieces: Piece[] = [];
  let lineStart = 0;
  for (const match of text.matchAll(LINE_BREAK)) {
    if (covers(spans, match.index)) continue;
    segmentLine(text, spans, { start: lineStart, end: match.index }, options, pieces);
    pieces.push({ kind: 'keep', text: match[0] });
    lineStart = match.index + match[0].length;
  }
  segmentLine(text, spans, { start: lineStart, end: text.length }, options, pieces);
  return mergeKeeps(pieces);
}

function segmentLine(text: string, spans: readonly Span[], line: Span, options: SegmentOptions, out: Piece[]): void {
  let start = line.start;
  let end = line.end;
  while (start < end && /\s/.test(text[start] as string) && !covers(spans, start)) start += 1;
  while (end > start && /\s/.test(text[end - 1] as string) && !covers(spans, end - 1)) end -= 1;
  out.push({ kind: 'keep', text: text.slice(line.start, start) });
  let at = start;
  for (const sentence of sentenceEnds(text, spans, { start, end })) {
    pushSentence(text, spans, { start: at, end: sentence.end }, options, out);
    out.push({ kind: 'keep', text: text.slice(sentence.end, sentence.next) });
    at = sentence.next;
  }
  pushSentence(text, spans, { start: at, end }, options, out);
  out.push({ kind: 'keep', text: text.slice(end, line.end) });
}

/** Sentence boundaries inside one trimmed line: where a sentence ends and the next begins. */
function sentenceEnds(text: string, spans: readonly Span[], core: Span): { end: number; next: number }[] {
  const out: { end: number; next: number }[] = [];
  const line = text.slice(core.start, core.end);
  for (const match of line.matchAll(SENTENCE_END)) {
    const end = core.start + match.index + match[0].length;
    if (covers(spans, core.start + match.index) || insideSpan(spans, end)) continue;
    let next = end;
    while (next < core.end && /\s/.test(text[next] as string) && !covers(spans, next)) next += 1;
    if (next >= core.end || !SENTENCE_START.test(text.slice(next, next + 1))) continue;
    if (match[0].startsWith('.') && !match[0].startsWith('..') && isAbbreviation(text, core.start + match.index)) {
      continue;
    }
    out.push({ end, next });
  }
  return out;
}

/** Whether the dot at `dot` ends an abbreviation, an initial or an ordinal ("1. Januar"). */
function isAbbreviation(text: string, dot: number): boolean {
  const before = /([\p{L}\p{N}][\p{L}\p{N}.]*)$/u.exec(text.slice(Math.max(0, dot - 24), dot));
  if (before === null) return false;
  const word = (before[1] as string).toLowerCase();
  if (/^\p{N}+$/u.test(word)) return true;
  if (/^\p{L}$/u.test(word)) return true;
  return ABBREVIATIONS.has(word);
}

/** Emits one sentence as a unit, cut into clauses when longer than maxUnitChars. */
function pushSentence(text: string, spans: readonly Span[], sentence: Span, options: SegmentOptions, out: Piece[]): void {
  let start = sentence.start;
  while (sentence.end - start > options.maxUnitChars) {
    const cut = findCut(text, spans, start, start + options.maxUnitChars, sentence.end);
    if (cut === undefined) break;
    pushUnit(text, spans, { start, end: cut.end }, out);
    out.push({ kind: 'keep', text: text.slice(cut.end, cut.next) });
    start = cut.next;
  }
  pushUnit(text, spans, { start, end: sentence.end }, out);
}

/** Best cut in (start, limit]: after clause punctuation, else at whitespace, else a hard cut. */
function findCut(
  text: string,
  spans: readonly Span[],
  start: number,
  limit: number,
  stop: number,
): { end: number; next: number } | undefined {
  const window = text.slice(start, limit);
  const candidates: number[] = [];
  for (const m of window.matchAll(/[,;:]\s+/g)) candidates.push(start + m.index + 1);
  const clause = candidates.filter((c) => !insideSpan(spans, c)).pop();
  const whitespace = [...window.matchAll(/\s+/g)]
    .map((m) => start + m.index)
    .filter((c) => c > start && !insideSpan(spans, c))
    .pop();
  let end = clause ?? whitespace;
  if (end === undefined) {
    // No whitespace at all: cut hard, but never inside a protected span or a surrogate pair.
    const hard = limit;
    end = hard;
    const span = spans.find((s) => s.start < hard && hard < s.end);
    if (span !== undefined) end = span.start > start ? span.start : span.end;
    if (/[\uDC00-\uDFFF]/.test(text[end] ?? '')) end -= 1;
    if (end <= start || end >= stop) return undefined;
  }
  let next = end;
  while (next < stop && /\s/.test(text[next] as string) && !covers(spans, next)) next += 1;
  return { end, next };
}

function pushUnit(text: string, spans: readonly Span[], unit: Span, out: Piece[]): void {
  if (unit.end <= unit.start) return;
  const body = text.slice(unit.start, unit.end);
  const local = clipSpans(spans, unit);
  if (!hasTranslatableLetter(body, local)) {
    out.push({ kind: 'keep', text: body });
    return;
  }
  out.push({ kind: 'unit', text: body, protected: local });
}

/** Whether any letter lies outside the protected spans (a unit of only symbols stays as it is). */
export function hasTranslatableLetter(text: string, spans: readonly Span[]): boolean {
  let at = 0;
  for (const span of spans) {
    if (LETTER.test(text.slice(at, span.start))) return true;
    at = Math.max(at, span.end);
  }
  return LETTER.test(text.slice(at));
}

function mergeKeeps(pieces: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    if (piece.kind === 'keep' && piece.text === '') continue;
    const last = out[out.length - 1];
    if (piece.kind === 'keep' && last?.kind === 'keep') out[out.length - 1] = { kind: 'keep', text: last.text + piece.text };
    else out.push(piece);
  }
  return out;
}
