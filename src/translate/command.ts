// The translate command's logic, free of vscode so that it can be tested with fakes: check the
// selection, extract what to translate, load the engine, translate under a cancellable progress,
// and write every selection's result in one edit. Cancelling (or the document changing meanwhile)
// writes nothing. The vscode adapter (register.ts) supplies the ports.
import { isAbortError } from '../engine/errors';
import type { TranslationPair } from '../engine/types';
import { engineTranslator, type TranslationEngine } from './engineTranslator';
import { extractRegions } from './extract';
import { pairLabel, pairsOf, supportsPair } from './pairs';
import { assemble, execute, plan } from './pipeline';
import type { Span } from './spans';
import type { UnitReport } from './unitGuarantee';
import { errorText } from '../util/unknown';

export type { TranslationEngine } from './engineTranslator';

export interface TranslateJob {
  /** The whole document text (lexed for context) and its VS Code language id. */
  readonly document: string;
  readonly languageId: string;
  /** Selections as UTF-16 offsets into `document`. */
  readonly selections: readonly Span[];
  readonly pair: TranslationPair;
  readonly beams: number;
  readonly codeAware: boolean;
}

export interface Replacement {
  readonly span: Span;
  readonly text: string;
}

/** Reports the fraction done (0..1) and a short message. */
export type ProgressSink = (fraction: number, message: string) => void;

export type WriteResult = 'written' | 'document-changed';

export interface TranslatePorts {
  /** The engine for the 'translation' role (may load the model). */
  engine(): Promise<TranslationEngine>;
  /** Runs `task` under a cancellable progress notification; `signal` fires when the user cancels. */
  withProgress<T>(title: string, task: (progress: ProgressSink, signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Writes all replacements as one edit (one undo step), unless the document changed since the job was taken. */
  write(replacements: readonly Replacement[]): Promise<WriteResult>;
  /** Told the attention id of each translated unit (the inspector shows the latest one). */
  onAttention?(attentionId: number): void;
  /** Told about each unit whose placeholders were repaired (the output channel lists them). */
  onRepair?(report: UnitReport): void;
}

export type TranslateOutcome =
  | { readonly kind: 'translated'; readonly replacements: readonly Replacement[]; readonly units: number; readonly ms: number }
  | { readonly kind: 'empty-selection' }
  | { readonly kind: 'nothing-to-translate' }
  | { readonly kind: 'unsupported-pair'; readonly message: string }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'document-changed' }
  | { readonly kind: 'failed'; readonly message: string };

export async function runTranslateCommand(job: TranslateJob, ports: TranslatePorts): Promise<TranslateOutcome> {
  const selections = job.selections.filter((s) => s.end > s.start);
  if (selections.length === 0) return { kind: 'empty-selection' };
  const plans = selections.map((selection) => {
    const source = job.document.slice(selection.start, selection.end);
    return { selection, plan: plan(source, extractRegions(job.document, selection, job.languageId, { codeAware: job.codeAware })) };
  });
  const totalChars = plans.reduce((sum, p) => sum + p.plan.totalChars, 0);
  if (totalChars === 0) return { kind: 'nothing-to-translate' };
  const started = Date.now();
  try {
    const replacements = await ports.withProgress(`Tealeaf: translating ${pairLabel(job.pair)}`, async (progress, signal) => {
      progress(0, 'loading the translation model…');
      const engine = await ports.engine();
      if (!supportsPair(engine.info, job.pair)) throw new PairError(unsupportedMessage(engine, job.pair));
      const out: Replacement[] = [];
      let doneBefore = 0;
      for (const { selection, plan: selectionPlan } of plans) {
        const results = await execute(selectionPlan, engineTranslator(engine, { pair: job.pair, beams: job.beams, ...attentionSink(ports) }), {
          signal,
          onProgress: (done) => progress((doneBefore + done) / totalChars, `${Math.round((100 * (doneBefore + done)) / totalChars)} %`),
          ...(ports.onRepair ? { onRepair: ports.onRepair.bind(ports) } : {}),
        });
        doneBefore += selectionPlan.totalChars;
        out.push({ span: selection, text: assemble(selectionPlan, results) });
      }
      return out;
    });
    const written = await ports.write(replacements);
    if (written === 'document-changed') return { kind: 'document-changed' };
    const units = plans.reduce((sum, p) => sum + p.plan.units.length, 0);
    return { kind: 'translated', replacements, units, ms: Date.now() - started };
  } catch (error) {
    if (isAbortError(error)) return { kind: 'cancelled' };
    if (error instanceof PairError) return { kind: 'unsupported-pair', message: error.message };
    return { kind: 'failed', message: errorText(error) };
  }
}

function attentionSink(ports: TranslatePorts): { onAttention?: (attentionId: number) => void } {
  return ports.onAttention ? { onAttention: ports.onAttention.bind(ports) } : {};
}

class PairError extends Error {
  override readonly name = 'PairError';
}

function unsupportedMessage(engine: TranslationEngine, pair: TranslationPair): string {
  const available = pairsOf(engine.info).map(pairLabel);
  return `${engine.info.name} does not translate ${pairLabel(pair)}` +
    (available.length > 0 ? ` (it translates ${available.join(', ')}).` : ' (it declares no languages).');
}

/** One line for the user about an outcome, or undefined when nothing needs saying. */
export function outcomeMessage(outcome: TranslateOutcome): { readonly level: 'info' | 'warning' | 'error'; readonly text: string } | undefined {
  switch (outcome.kind) {
    case 'translated':
    case 'cancelled':
      return undefined;
    case 'empty-selection':
      return { level: 'info', text: 'Tealeaf: select the text to translate first.' };
    case 'nothing-to-translate':
      return {
        level: 'info',
        text: 'Tealeaf: nothing to translate in the selection (in code, only comments and strings are translated; see the setting tealeaf.translate.codeAware).',
      };
    case 'unsupported-pair':
      return { level: 'error', text: `Tealeaf: ${outcome.message}` };
    case 'document-changed':
      return { level: 'warning', text: 'Tealeaf: the document changed during the translation; nothing was replaced.' };
    case 'failed':
      return { level: 'error', text: `Tealeaf: translation failed: ${outcome.message}` };
  }
}
