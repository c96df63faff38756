// Placeholder repair by cross-attention. The model sees placeholders as masks `{0}`, `{1}`, … and
// usually copies each one, if not always whole (`{0`, `0}`, `{ 0 }`: small models split the
// braces from the digit). Masks are read in all those forms and written back whole. When the
// model drops one, writes one twice or invents one, this puts the output right instead of giving
// up on the sentence: a dropped mask goes next to the target token that attends most to the
// mask's source tokens (on the side of that token's own source context), a duplicate keeps only
// the copy that attends most to its source, an invented mask goes. Braces left over from broken
// masks go too. Pure: the attention comes in as data (Engine.translationAttention).
import type { AttentionBlock, TokenSpan, TranslationAttention } from '../engine/types';
import { type MaskedText, maskLabel } from './placeholders';

export type RepairAction = 'restored' | 'removed-duplicate' | 'removed-invented';

export interface PlaceholderRepair {
  /** The placeholder as written in the source (`%s`, `{0}`, `<b>`…); for an invented mask, the mask. */
  readonly placeholder: string;
  readonly action: RepairAction;
}

export interface RepairedOutput {
  /** The output with every mask of the source exactly once. */
  readonly text: string;
  readonly repairs: readonly PlaceholderRepair[];
}

/**
 * A mask as the model may write it: whole (spaces allowed inside), or missing its opening or its
 * closing brace. The alternatives are tried in this order at each position.
 */
const MASK_IN_OUTPUT = /\{\s*(\d{1,4})\s*\}|\{\s*(\d{1,4})(?!\d)|(?<![\d{])(\d{1,4})\s*\}/g;
const MASK_IN_SOURCE = /\{(\d{1,4})\}/g;

interface Occurrence {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Written without one of its braces. */
  readonly partial: boolean;
}

/** The masks of `output`; a broken one only counts when its number is one of the source's masks. */
function findMasks(output: string, count: number): Occurrence[] {
  const out: Occurrence[] = [];
  for (const m of output.matchAll(MASK_IN_OUTPUT)) {
    const partial = m[1] === undefined;
    const index = Number(m[1] ?? m[2] ?? m[3]);
    if (partial && index >= count) continue; // "100}" is a number and a brace, not a mask
    out.push({ index, start: m.index, end: m.index + m[0].length, partial });
  }
  return out;
}

/** Whether every mask of the source occurs exactly once and no other does. */
function onceEach(occurrences: readonly Occurrence[], count: number): boolean {
  const indices = occurrences.map((o) => o.index);
  return indices.length === count && new Set(indices).size === count && indices.every((i) => i < count);
}

/**
 * The output with its masks written whole, when each of the source's masks is in it exactly once
 * (whole or broken); undefined when masks are missing, doubled or invented.
 */
export function canonicalMasks(output: string, masked: MaskedText): string | undefined {
  const occurrences = findMasks(output, masked.placeholders.length);
  if (!onceEach(occurrences, masked.placeholders.length)) return undefined;
  return applyEdits(output, masked, [], [], occurrences);
}

/**
 * Repairs the masks of `output` (the model's translation of `masked.text`) with the cross-attention
 * of that translation. Undefined when the attention does not describe this output (another
 * translation, or a source text that is not the masked text) — the caller then falls back.
 */
export function repairMasks(output: string, masked: MaskedText, attention: TranslationAttention): RepairedOutput | undefined {
  const aligned = alignAttention(output, masked, attention);
  if (aligned === undefined) return undefined;
  const count = masked.placeholders.length;
  const occurrences = findMasks(output, count);
  const repairs: PlaceholderRepair[] = [];
  const removals: Occurrence[] = [];
  const kept = new Map<number, Occurrence>();
  for (const occurrence of occurrences) {
    if (occurrence.index >= count) {
      removals.push(occurrence);
      repairs.push({ placeholder: maskLabel(occurrence.index), action: 'removed-invented' });
    }
  }
  for (let index = 0; index < count; index++) {
    const copies = occurrences.filter((o) => o.index === index);
    if (copies.length === 0) continue;
    // The copy written while the model looked at this mask's source position is the real one.
    const best = copies.reduce((a, b) => (aligned.occurrenceScore(b, index) > aligned.occurrenceScore(a, index) ? b : a));
    kept.set(index, best);
    for (const copy of copies) {
      if (copy === best) continue;
      removals.push(copy);
      repairs.push({ placeholder: masked.placeholders[index] as string, action: 'removed-duplicate' });
    }
  }
  const insertions: { at: number; index: number }[] = [];
  const taken = new Set([...kept.values()].flatMap((o) => aligned.tokensOf(o)));
  for (let index = 0; index < count; index++) {
    if (kept.has(index)) continue;
    insertions.push({ at: aligned.insertionPoint(index, taken), index });
    repairs.push({ placeholder: masked.placeholders[index] as string, action: 'restored' });
  }
  return { text: applyEdits(output, masked, removals, insertions, [...kept.values()]), repairs };
}

interface AlignedAttention {
  /** Mean attention of an output mask's tokens to mask `index`'s source tokens. */
  occurrenceScore(occurrence: Occurrence, index: number): number;
  /** Target token indices that spell an output mask. */
  tokensOf(occurrence: Occurrence): number[];
  /** Where in the output to put back mask `index`: beside the token that attends most to it. */
  insertionPoint(index: number, exclude: ReadonlySet<number>): number;
}

function alignAttention(output: string, masked: MaskedText, attention: TranslationAttention): AlignedAttention | undefined {
  // The encoder read the masked text after a language token: `>>de<< {0} files`.
  const sourceOffset = attention.sourceText.length - masked.text.length;
  if (sourceOffset < 0 || attention.sourceText.slice(sourceOffset) !== masked.text) return undefined;
  // Byte-level vocabularies decode with a leading space that the output no longer has.
  const lead = attention.targetText.length - attention.targetText.trimStart().length;
  if (attention.targetText.slice(lead) !== output) return undefined;
  const targets = attention.targetTokens;
  const mean = meanOverHeads(attention.cross);
  if (mean === undefined || mean.rows !== targets.length || mean.keys !== attention.sourceTokens.length) return undefined;

  const maskTokens = [...masked.text.matchAll(MASK_IN_SOURCE)].map((m) =>
    overlapping(attention.sourceTokens, sourceOffset + m.index, sourceOffset + m.index + m[0].length),
  );
  const weight = (row: number, keys: readonly number[]) => keys.reduce((sum, key) => sum + mean.at(row, key), 0);
  const tokensOf = (o: Occurrence) => overlapping(targets, lead + o.start, lead + o.end);
  const neighbours = (index: number) => {
    const keys = maskTokens[index] ?? [];
    const first = Math.min(...keys);
    const last = Math.max(...keys);
    return { left: first - 1 >= 0 ? [first - 1] : [], right: last + 1 < attention.sourceTokens.length ? [last + 1] : [] };
  };
  return {
    occurrenceScore: (o, index) => {
      const rows = tokensOf(o);
      return rows.length === 0 ? 0 : rows.reduce((sum, row) => sum + weight(row, maskTokens[index] ?? []), 0) / rows.length;
    },
    tokensOf,
    insertionPoint: (index, exclude) => {
      let best = -1;
      for (let row = 0; row < targets.length; row++) {
        if (exclude.has(row)) continue;
        if (best < 0 || weight(row, maskTokens[index] ?? []) > weight(best, maskTokens[index] ?? [])) best = row;
      }
      if (best < 0) return output.length; // nothing but other masks: the end is as good as anywhere
      const token = targets[best] as TokenSpan;
      // A token that looks at the source before the mask translates that text: the mask follows it.
      const { left, right } = neighbours(index);
      const after = weight(best, left) >= weight(best, right);
      return clamp((after ? token.end : token.start) - lead, 0, output.length);
    },
  };
}

/** Cross-attention averaged over layers and heads: row = target token, key = source token. */
function meanOverHeads(block: AttentionBlock): { rows: number; keys: number; at(row: number, key: number): number } | undefined {
  const rows = block.rows.length;
  const keys = block.keys;
  const heads = block.heads.length;
  if (block.layerData.length === 0 || heads === 0) return undefined;
  const sum = new Float32Array(rows * keys);
  for (const data of block.layerData) {
    // data: [heads, rows, keys]
    if (data.length !== heads * rows * keys) return undefined;
    for (let head = 0; head < heads; head++) {
      const base = head * rows * keys;
      for (let i = 0; i < rows * keys; i++) sum[i] = (sum[i] as number) + (data[base + i] as number);
    }
  }
  const scale = 1 / (heads * block.layerData.length);
  return { rows, keys, at: (row, key) => (sum[row * keys + key] as number) * scale };
}

/** Indices of the tokens whose span overlaps [start, end). */
function overlapping(tokens: readonly TokenSpan[], start: number, end: number): number[] {
  const out: number[] = [];
  tokens.forEach((token, i) => {
    if (token.start < end && token.end > start) out.push(i);
  });
  return out;
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

/** Braces in the masked source other than its masks: then a brace in the output may be meant. */
function hasOwnBraces(masked: MaskedText): boolean {
  return /[{}]/.test(masked.text.replace(MASK_IN_SOURCE, ''));
}

/**
 * Removes occurrences (with one neighbouring space), inserts masks spaced from the words they
 * touch, writes kept masks whole, and drops the braces broken masks left behind.
 */
function applyEdits(
  output: string,
  masked: MaskedText,
  removals: readonly Occurrence[],
  insertions: readonly { at: number; index: number }[],
  kept: readonly Occurrence[],
): string {
  type Edit = { start: number; end: number; text: string; spaced: boolean; order: number };
  const edits: Edit[] = [
    ...removals.map((r) => {
      // "a {1} b" → "a b": take the space before the mask, or else the one after it.
      const spaceBefore = r.start > 0 && output[r.start - 1] === ' ';
      const spaceAfter = output[r.end] === ' ';
      return { start: spaceBefore ? r.start - 1 : r.start, end: !spaceBefore && spaceAfter ? r.end + 1 : r.end, text: '', spaced: false, order: 0 };
    }),
    ...kept.map((k) => ({ start: k.start, end: k.end, text: maskLabel(k.index), spaced: false, order: 0 })),
    ...insertions.map((i) => ({ start: i.at, end: i.at, text: maskLabel(i.index), spaced: true, order: i.index + 1 })),
  ];
  // From the end backwards, so earlier offsets stay valid; insertions at one point in mask order.
  edits.sort((a, b) => b.start - a.start || b.order - a.order);
  let text = output;
  let limit = output.length;
  for (const edit of edits) {
    if (edit.end > limit) continue; // overlaps an edit already made (a removal around an insertion point)
    const before = text.slice(0, edit.start);
    const after = text.slice(edit.end);
    let piece = edit.text;
    if (edit.spaced) {
      if (before !== '' && !/\s$/.test(before)) piece = ` ${piece}`;
      if (after !== '' && !/^[\s.,;:!?)\]}»”’…]/.test(after)) piece = `${piece} `;
    }
    text = before + piece + after;
    limit = edit.start;
  }
  return hasOwnBraces(masked) ? text : dropStrayBraces(text);
}

/** Removes braces that are not part of a whole mask (what broken masks leave behind). */
function dropStrayBraces(text: string): string {
  // A brace takes its spaces along, leaving one only where two words would otherwise touch.
  const drop = (run: string) =>
    run.replace(/( ?)[{}]+( ?)/g, (match: string, before: string, after: string, at: number) => {
      const previous = run[at - 1] ?? '';
      const next = run[at + match.length] ?? '';
      const wordsMeet = /[\p{L}\p{N}]/u.test(previous) && /[\p{L}\p{N}]/u.test(next);
      return (before || after) && wordsMeet ? ' ' : '';
    });
  let out = '';
  let at = 0;
  for (const m of text.matchAll(/\{\d{1,4}\}/g)) {
    out += drop(text.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + drop(text.slice(at));
}
