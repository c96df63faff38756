// The pipeline's UnitTranslator on top of an Engine: one translate() per unit, always with its
// cross-attention captured so that a dropped or doubled placeholder can be repaired from it (the
// attention is fetched only then). Shared by the palette command and `tealeaf translate`.
import type { Engine, TranslateResult, TranslationPair } from '../engine/types';
import type { UnitTranslator } from './pipeline';

/** What the pipeline needs of an engine; translationAttention is optional (fakes may lack it). */
export type TranslationEngine = Pick<Engine, 'info' | 'translate'> & Partial<Pick<Engine, 'translationAttention'>>;

export interface EngineTranslatorOptions {
  readonly pair: TranslationPair;
  /** Beam size; 1 is greedy. */
  readonly beams: number;
  /** Told the attention id of each translated unit (the inspector shows the latest one). */
  readonly onAttention?: (attentionId: number) => void;
  /** Told each unit's raw result (token counts and timings for the command line). */
  readonly onResult?: (result: TranslateResult) => void;
}

export function engineTranslator(engine: TranslationEngine, options: EngineTranslatorOptions): UnitTranslator {
  return async (text, signal) => {
    const result = await engine.translate(
      { text, from: options.pair.from, to: options.pair.to, beams: options.beams, captureAttention: true },
      signal === undefined ? {} : { signal },
    );
    options.onResult?.(result);
    const id = result.attentionId;
    if (id !== undefined) options.onAttention?.(id);
    const lookup = engine.translationAttention?.bind(engine);
    return { target: result.target, ...(id !== undefined && lookup !== undefined ? { crossAttention: () => lookup(id) } : {}) };
  };
}
