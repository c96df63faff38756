// The text side of a translation: regions → pieces → unique masked units → model → restored text.
// plan() is synchronous and pure; execute() calls the translator once per unique unit, in order,
// checking the AbortSignal before each call and reporting progress after it; assemble() writes
// the results back. The source outside the regions and every kept piece come out unchanged.
// Pure: no vscode, no engine (the translator is a function).
import { throwIfAborted } from '../engine/errors';
import { escaperFor } from './escape';
import { joinParts, mask, unmaskParts, type MaskedText, type RestoredPart } from './placeholders';
import type { TranslatableRegion } from './regions';
import { DEFAULT_SEGMENT_OPTIONS, hasTranslatableLetter, segment, type Piece, type SegmentOptions } from './segment';
import { clipSpans, normalizeSpans, type Span } from './spans';

/** Translates one masked unit (a sentence without surrounding whitespace). */
export type UnitTranslator = (text: string, signal: AbortSignal | undefined) => Promise<string>;

export interface PlannedUnit {
  /** The unit's source text. */
  readonly text: string;
  readonly protected: readonly Span[];
  readonly masked: MaskedText;
}

type PlannedPiece = { readonly kind: 'keep'; readonly text: string } | { readonly kind: 'unit'; readonly unit: number };

export interface PlannedRegion {
  readonly region: TranslatableRegion;
  readonly pieces: readonly PlannedPiece[];
}

export interface TranslationPlan {
  readonly source: string;
  readonly regions: readonly PlannedRegion[];
  /** Unique units: the same sentence twice is translated once. */
  readonly units: readonly PlannedUnit[];
  /** Characters of all units: the progress total. */
  readonly totalChars: number;
}

export function plan(
  source: string,
  regions: readonly TranslatableRegion[],
  options: SegmentOptions = DEFAULT_SEGMENT_OPTIONS,
): TranslationPlan {
  const units: PlannedUnit[] = [];
  const byKey = new Map<string, number>();
  const planned: PlannedRegion[] = [];
  let totalChars = 0;
  const sorted = [...regions].sort((a, b) => a.start - b.start);
  let previousEnd = 0;
  for (const region of sorted) {
    if (region.start < previousEnd || region.end > source.length || region.end < region.start) {
      throw new RangeError(`translation regions overlap or leave the text: [${region.start}, ${region.end})`);
    }
    previousEnd = region.end;
    const text = source.slice(region.start, region.end);
    const local = clipSpans(normalizeSpans(region.protected), region);
    const pieces: PlannedPiece[] = segment(text, local, options).map((piece: Piece): PlannedPiece => {
      if (piece.kind === 'keep') return piece;
      const key = `${piece.text}\u0000${piece.protected.map((s) => `${s.start}:${s.end}`).join(',')}`;
      let index = byKey.get(key);
      if (index === undefined) {
        index = units.length;
        byKey.set(key, index);
        units.push({ text: piece.text, protected: piece.protected, masked: mask(piece.text, piece.protected) });
        totalChars += piece.text.length;
      }
      return { kind: 'unit', unit: index };
    });
    planned.push({ region, pieces });
  }
  return { source, regions: planned, units, totalChars };
}

export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  /** Called after each unit with characters done and the total. */
  readonly onProgress?: (doneChars: number, totalChars: number) => void;
}

/** A unit's translation as parts: model text (escaped later, per context) and verbatim source. */
export type UnitResult = readonly RestoredPart[];

/** Translates every unit of the plan; throws AbortError when the signal fires. */
export async function execute(
  translationPlan: TranslationPlan,
  translate: UnitTranslator,
  options: ExecuteOptions = {},
): Promise<UnitResult[]> {
  const results: UnitResult[] = [];
  let done = 0;
  for (const unit of translationPlan.units) {
    throwIfAborted(options.signal);
    results.push(await translateUnit(unit, translate, options.signal));
    done += unit.text.length;
    options.onProgress?.(done, translationPlan.totalChars);
  }
  throwIfAborted(options.signal);
  return results;
}

async function translateUnit(unit: PlannedUnit, translate: UnitTranslator, signal: AbortSignal | undefined): Promise<UnitResult> {
  const output = clean(await translate(unit.masked.text, signal));
  if (output === '') return [{ kind: 'verbatim', text: unit.text }];
  return unmaskParts(output, unit.masked) ?? (await translateBetweenPlaceholders(unit, translate, signal));
}

/**
 * The fallback when the model mangled the masks: translate each run of text between placeholders
 * on its own. Worse sentences, but every placeholder stays exactly where it was.
 */
async function translateBetweenPlaceholders(
  unit: PlannedUnit,
  translate: UnitTranslator,
  signal: AbortSignal | undefined,
): Promise<UnitResult> {
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
      const output = clean(await translate(core, signal));
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

/** The source with every region replaced by its translation. */
export function assemble(translationPlan: TranslationPlan, results: readonly UnitResult[]): string {
  let out = '';
  let at = 0;
  for (const { region, pieces } of translationPlan.regions) {
    out += translationPlan.source.slice(at, region.start);
    const escape = escaperFor(region.context);
    pieces.forEach((piece, i) => {
      if (piece.kind === 'keep') out += piece.text;
      else out += joinParts(results[piece.unit], escape, i === pieces.length - 1) ?? '';
    });
    at = region.end;
  }
  return out + translationPlan.source.slice(at);
}

/** plan + execute + assemble. */
export async function translateRegions(
  source: string,
  regions: readonly TranslatableRegion[],
  translate: UnitTranslator,
  options: ExecuteOptions & { readonly segment?: SegmentOptions } = {},
): Promise<string> {
  const translationPlan = plan(source, regions, options.segment);
  const results = await execute(translationPlan, translate, options);
  return assemble(translationPlan, results);
}
