// One unit through the model, with its placeholders guaranteed: the result holds exactly the
// placeholders of the unit's source (the same multiset; the order may change with the language).
// In order of preference:
//   1. the model copied every mask once: the masks are put back (placeholders.ts);
//   2. it dropped, doubled or invented masks: they are repaired by its cross-attention (repair.ts);
//   3. no usable attention, or the repair did not hold: the runs between placeholders are
//      translated one by one, so every placeholder stays where it was;
//   4. should even that not hold (the model wrote placeholder-like text that cannot be told from
//      a real one), the unit keeps its source text.
// Placeholder-like text the model writes on its own (a `%s`, a URL) is removed from its words.
// Pure: no vscode, no engine.
import { throwIfAborted } from '../engine/errors';
import { joinParts, placeholderSpans, type RestoredPart, unmaskParts } from './placeholders';
import type { PlannedUnit, UnitResult, UnitTranslation, UnitTranslator } from './pipeline';
import { canonicalMasks, type PlaceholderRepair, repairMasks } from './repair';
import { hasTranslatableLetter } from './segment';

export type UnitFallback = 'between-placeholders' | 'source-kept';

/** What happened to a unit whose placeholders did not come through on their own. */
export interface UnitReport {
  readonly source: string;
  readonly result: string;
  readonly repairs: readonly PlaceholderRepair[];
  /** Placeholder-like text the model wrote by itself, removed from the result. */
  readonly strayRemoved: readonly string[];
  readonly fallback?: UnitFallback;
}

export interface TranslatedUnit {
  readonly parts: UnitResult;
  /** Present when anything was repaired, removed or fallen back on. */
  readonly report?: UnitReport;
}

export async function translateUnit(unit: PlannedUnit, translate: UnitTranslator, signal: AbortSignal | undefined): Promise<TranslatedUnit> {
  const translation = asTranslation(await translate(unit.masked.text, signal));
  const raw = translation.target;
  if (clean(raw) === '') return { parts: [{ kind: 'verbatim', text: unit.text }] };
  // Without placeholders there is nothing to restore: whatever the model wrote that looks like one
  // is stray (guard() below removes it).
  let text = unit.masked.placeholders.length === 0 ? raw : canonicalMasks(raw, unit.masked);
  let repairs: readonly PlaceholderRepair[] = [];
  if (text === undefined && translation.crossAttention !== undefined) {
    const attention = await translation.crossAttention();
    const repaired = attention === undefined ? undefined : repairMasks(raw, unit.masked, attention);
    if (repaired !== undefined && canonicalMasks(repaired.text, unit.masked) !== undefined) {
      text = repaired.text;
      repairs = repaired.repairs;
    }
  }
  const restored = text === undefined ? undefined : unmaskParts(clean(text), unit.masked);
  const guarded = restored === undefined ? undefined : guard(unit.text, restored);
  if (guarded !== undefined) {
    const changed = repairs.length > 0 || guarded.stray.length > 0;
    return { parts: guarded.parts, ...(changed ? { report: report(unit, guarded.parts, repairs, guarded.stray) } : {}) };
  }
  const between = guard(unit.text, await translateBetweenPlaceholders(unit, translate, signal));
  if (between !== undefined) return { parts: between.parts, report: report(unit, between.parts, [], between.stray, 'between-placeholders') };
  const source: RestoredPart[] = [{ kind: 'verbatim', text: unit.text }];
  return { parts: source, report: report(unit, source, [], [], 'source-kept') };
}

function asTranslation(value: string | UnitTranslation): UnitTranslation {
  return typeof value === 'string' ? { target: value } : value;
}

function report(unit: PlannedUnit, parts: UnitResult, repairs: readonly PlaceholderRepair[], strayRemoved: readonly string[], fallback?: UnitFallback): UnitReport {
  return { source: unit.text, result: joinParts(parts, (t) => t) ?? '', repairs, strayRemoved, ...(fallback ? { fallback } : {}) };
}

/** The placeholders of a text as a sorted list (a multiset). */
export function placeholderMultiset(text: string): string[] {
  return placeholderSpans(text)
    .map((s) => text.slice(s.start, s.end))
    .sort();
}

/**
 * The parts with placeholder-like text removed from the model's words, if the result then holds
 * exactly the source's placeholders; undefined if it does not.
 */
function guard(source: string, parts: UnitResult): { parts: UnitResult; stray: string[] } | undefined {
  const stray: string[] = [];
  const cleaned = parts.map((part): RestoredPart => {
    if (part.kind === 'verbatim') return part;
    const spans = placeholderSpans(part.text);
    if (spans.length === 0) return part;
    let text = part.text;
    // From the end, so earlier spans keep their offsets; each takes one neighbouring space along.
    for (const span of [...spans].reverse()) {
      stray.push(part.text.slice(span.start, span.end));
      const spaceBefore = span.start > 0 && text[span.start - 1] === ' ';
      const start = spaceBefore ? span.start - 1 : span.start;
      const end = !spaceBefore && text[span.end] === ' ' ? span.end + 1 : span.end;
      text = text.slice(0, start) + text.slice(end);
    }
    return { kind: 'translated', text };
  });
  const expected = placeholderMultiset(source);
  const actual = placeholderMultiset(joinParts(cleaned, (t) => t) ?? '');
  const same = expected.length === actual.length && expected.every((p, i) => p === actual[i]);
  return same ? { parts: cleaned, stray } : undefined;
}

/**
 * The fallback when the masks cannot be restored: translate each run of text between placeholders
 * on its own. Worse sentences, but every placeholder stays exactly where it was.
 */
async function translateBetweenPlaceholders(unit: PlannedUnit, translate: UnitTranslator, signal: AbortSignal | undefined): Promise<UnitResult> {
  const spans = unit.masked.spans;
  const parts: RestoredPart[] = [];
  let at = 0;
  for (const span of [...spans, { start: unit.text.length, end: unit.text.length }]) {
    const run = unit.text.slice(at, span.start);
    const lead = /^\s*/.exec(run)?.[0] ?? '';
    const core = run.slice(lead.length).trimEnd();
    const trail = run.slice(lead.length + core.length);
    if (lead !== '') parts.push({ kind: 'verbatim', text: lead });
    if (core !== '' && hasTranslatableLetter(core, [])) {
      throwIfAborted(signal);
      const output = clean(asTranslation(await translate(core, signal)).target);
      parts.push(output === '' ? { kind: 'verbatim', text: core } : { kind: 'translated', text: output });
    } else if (core !== '') {
      parts.push({ kind: 'verbatim', text: core });
    }
    if (trail !== '') parts.push({ kind: 'verbatim', text: trail });
    if (span.end > span.start) parts.push({ kind: 'verbatim', text: unit.text.slice(span.start, span.end) });
    at = span.end;
  }
  return parts;
}

/** Model output on one line, without surrounding whitespace (the pieces around it keep the source's). */
function clean(output: string): string {
  return output.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

const ACTION_TEXT: Readonly<Record<PlaceholderRepair['action'], string>> = {
  restored: 'put back (the model dropped it)',
  'removed-duplicate': 'removed a second copy',
  'removed-invented': 'removed (not in the source)',
};

const FALLBACK_TEXT: Readonly<Record<UnitFallback, string>> = {
  'between-placeholders': 'translated the text between the placeholders one run at a time',
  'source-kept': 'kept the source text (its placeholders could not be guaranteed otherwise)',
};

/** One line for the output channel about a unit's placeholder repair. */
export function describeReport(unitReport: UnitReport): string {
  const what = [
    ...unitReport.repairs.map((r) => `${r.placeholder} ${ACTION_TEXT[r.action]}`),
    ...unitReport.strayRemoved.map((p) => `${p} removed (written by the model, not in the source)`),
    ...(unitReport.fallback ? [FALLBACK_TEXT[unitReport.fallback]] : []),
  ];
  return `placeholders repaired in ${JSON.stringify(unitReport.source)}: ${what.join('; ')} → ${JSON.stringify(unitReport.result)}`;
}
