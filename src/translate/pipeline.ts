// The text side of a translation: regions → pieces → unique masked units → model → restored text.
// plan() is synchronous and pure; execute() calls the translator once per unique unit, in order,
// checking the AbortSignal before each call and reporting progress after it; assemble() writes
// the results back. The source outside the regions and every kept piece come out unchanged.
// Every unit comes out with exactly its source's placeholders (unitGuarantee.ts says how).
// Pure: no vscode, no engine (the translator is a function). The whole path: docs/architecture.md.
import type { TranslationAttention } from '../engine/types';
import { throwIfAborted } from '../engine/errors';
import { escaperFor } from './escape';
import { joinParts, mask, type MaskedText, type RestoredPart } from './placeholders';
import type { TranslatableRegion } from './regions';
import { DEFAULT_SEGMENT_OPTIONS, segment, type Piece, type SegmentOptions } from './segment';
import { clipSpans, normalizeSpans, type Span } from './spans';
import { translateUnit, type UnitReport } from './unitGuarantee';

/** A unit's translation, and a way to fetch its cross-attention when a placeholder needs repair. */
export interface UnitTranslation {
  readonly target: string;
  readonly crossAttention?: () => Promise<TranslationAttention | undefined>;
}

/** Translates one masked unit (a sentence without surrounding whitespace). */
export type UnitTranslator = (text: string, signal: AbortSignal | undefined) => Promise<string | UnitTranslation>;

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
  /** Told about each unit whose placeholders needed repair or a fallback. */
  readonly onRepair?: (report: UnitReport) => void;
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
    const { parts, report } = await translateUnit(unit, translate, options.signal);
    results.push(parts);
    if (report !== undefined) options.onRepair?.(report);
    done += unit.text.length;
    options.onProgress?.(done, translationPlan.totalChars);
  }
  throwIfAborted(options.signal);
  return results;
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
