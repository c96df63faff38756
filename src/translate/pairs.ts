// Translation directions a model supports and how to name them. Pure: no vscode.
import type { ModelInfo, TranslationPair } from '../engine/types';

/** The model's directions: its declared pairs, else every ordered pair of its languages. */
export function pairsOf(info: ModelInfo): TranslationPair[] {
  if (info.translationPairs !== undefined) return [...info.translationPairs];
  const languages = info.languages ?? [];
  const pairs: TranslationPair[] = [];
  for (const from of languages) {
    for (const to of languages) if (from !== to) pairs.push({ from, to });
  }
  return pairs;
}

export function supportsPair(info: ModelInfo, pair: TranslationPair): boolean {
  return pairsOf(info).some((p) => p.from === pair.from && p.to === pair.to);
}

/** "German" for "de"; the code itself when the runtime does not know it. */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code; // not a BCP 47 tag (e.g. a model's private code)
  }
}

export function pairLabel(pair: TranslationPair): string {
  return `${languageName(pair.from)} → ${languageName(pair.to)}`;
}
