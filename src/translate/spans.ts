// Half-open UTF-16 ranges [start, end) and the few operations the translation pipeline needs on
// them. Pure: no vscode.

export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Sorted, non-overlapping, non-empty copy of `spans` (overlapping or touching spans merge). */
export function normalizeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Span[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && span.start <= last.end) {
      if (span.end > last.end) out[out.length - 1] = { start: last.start, end: span.end };
    } else {
      out.push({ start: span.start, end: span.end });
    }
  }
  return out;
}

/** The parts of `spans` inside `window`, shifted so that window.start becomes 0. */
export function clipSpans(spans: readonly Span[], window: Span): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    const start = Math.max(span.start, window.start);
    const end = Math.min(span.end, window.end);
    if (end > start) out.push({ start: start - window.start, end: end - window.start });
  }
  return out;
}

/** Whether offset `at` falls strictly inside a span (cutting there would split it). */
export function insideSpan(spans: readonly Span[], at: number): boolean {
  return spans.some((s) => s.start < at && at < s.end);
}

/** Whether the character at `index` belongs to a span. */
export function covers(spans: readonly Span[], index: number): boolean {
  return spans.some((s) => s.start <= index && index < s.end);
}
