// A whole text through the palette command's pipeline, for the command line: code-aware
// extraction by language id, segmentation into sentences, placeholder protection and repair, and
// the text's own line structure and whitespace kept. No vscode.
import { UnsupportedError } from '../engine/errors';
import type { TranslationPair } from '../engine/types';
import { engineTranslator, type TranslationEngine } from './engineTranslator';
import { extractRegions } from './extract';
import { pairLabel, pairsOf, supportsPair } from './pairs';
import { assemble, execute, plan } from './pipeline';
import type { UnitReport } from './unitGuarantee';

export interface DocumentTranslationOptions {
  readonly pair: TranslationPair;
  /** Beam size; 1 is greedy. */
  readonly beams: number;
  /** VS Code language id of the text; `plaintext` (the default) translates all of it. */
  readonly languageId?: string;
  /** In code, translate only comments and string literals (default true). */
  readonly codeAware?: boolean;
  readonly signal?: AbortSignal;
  /** After each sentence: characters done, characters in all, sentences done, sentences in all. */
  readonly onProgress?: (progress: { doneChars: number; totalChars: number; doneUnits: number; totalUnits: number }) => void;
  readonly onRepair?: (report: UnitReport) => void;
}

export interface DocumentTranslation {
  readonly target: string;
  /** Sentences sent to the model (each distinct one once). */
  readonly units: number;
  /** Generated token ids of all sentences, in order. */
  readonly tokens: readonly number[];
  readonly ms: number;
  readonly repairs: readonly UnitReport[];
}

export async function translateDocument(engine: TranslationEngine, text: string, options: DocumentTranslationOptions): Promise<DocumentTranslation> {
  if (!supportsPair(engine.info, options.pair)) {
    const known = pairsOf(engine.info).map(pairLabel).join(', ');
    throw new UnsupportedError(`${engine.info.name} does not translate ${pairLabel(options.pair)}${known ? ` (it translates ${known})` : ''}`);
  }
  const started = performance.now();
  const regions = extractRegions(text, { start: 0, end: text.length }, options.languageId ?? 'plaintext', { codeAware: options.codeAware ?? true });
  const textPlan = plan(text, regions);
  const tokens: number[] = [];
  const repairs: UnitReport[] = [];
  let doneUnits = 0;
  const results = await execute(textPlan, engineTranslator(engine, { pair: options.pair, beams: options.beams, onResult: (r) => tokens.push(...r.tokens) }), {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (doneChars, totalChars) => options.onProgress?.({ doneChars, totalChars, doneUnits: ++doneUnits, totalUnits: textPlan.units.length }),
    onRepair: (report) => {
      repairs.push(report);
      options.onRepair?.(report);
    },
  });
  return { target: assemble(textPlan, results), units: textPlan.units.length, tokens, ms: performance.now() - started, repairs };
}
