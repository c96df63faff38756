// `tealeaf check-model DIR`: load the folder exactly as the extension would, run one tiny
// inference, and report the model's facts (or throw one clear error).
import type { AttentionSource } from '../engine/attentionSurgery';
import type { DtypeChoice } from '../engine/dtype';
import { type AttentionKind, attentionKind } from '../engine/modelFacts';
import { type DtypeFiles, listDtypeFiles, onnxRoles, readModelFolder } from '../engine/modelFolder';
import type { PositionKind } from '../engine/modelConfig';
import type { Engine, ModelInfo } from '../engine/types';
import { createInProcessHost } from '../host/inProcessHost';
import { NodeModelFiles } from '../host/nodeModelFiles';
import { errorText } from '../util/unknown';

/** What `check-model --json` prints for a usable folder; the keys are a contract. */
export interface ModelFacts {
  readonly ok: true;
  readonly architecture: string;
  readonly task: 'text-generation' | 'translation';
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly attention: AttentionKind;
  readonly positions: PositionKind;
  readonly contextLength: number;
  readonly parameters: number;
  readonly dtypes: readonly string[];
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly dtype: string }[];
  readonly fim: boolean;
  /** Where the inspector's attention comes from, confirmed by one attention pass. */
  readonly attentionSource: AttentionSource;
  /** One sentence, when attentionSource is `none`. */
  readonly attentionWhy?: string;
}

export interface CheckReport {
  readonly facts: ModelFacts;
  /** The plain-text report: facts, the file chosen and why, and the smoke test. */
  readonly text: string;
}

type AttentionCheck = Pick<ModelFacts, 'attentionSource' | 'attentionWhy'>;

/** Runs the inspector's pass on two tokens: the source it used, or why there is none. */
async function checkAttention(engine: Engine): Promise<AttentionCheck> {
  const { info } = engine;
  if (info.attentionSource === 'none') return { attentionSource: 'none', ...(info.attentionWhy ? { attentionWhy: info.attentionWhy } : {}) };
  try {
    await engine.attention({ text: 'a b', withStats: false });
    return { attentionSource: info.attentionSource };
  } catch (error) {
    return { attentionSource: 'none', attentionWhy: errorText(error) };
  }
}

const SOURCE_TEXT: Readonly<Record<AttentionSource, string>> = {
  outputs: 'from the export’s attention outputs',
  surgery: 'by graph surgery on its Softmax nodes (an in-memory copy; the files are not written)',
  'fused-surgery': 'recomputed beside its fused attention operators (an in-memory copy; the files are not written)',
  none: 'none',
};

export function modelFacts(info: ModelInfo, present: readonly DtypeFiles[], attention: AttentionCheck = { attentionSource: info.attentionSource }): ModelFacts {
  return {
    ok: true,
    architecture: info.architecture ?? info.modelType,
    task: info.kind === 'encoder-decoder' ? 'translation' : 'text-generation',
    layers: info.layers,
    heads: info.heads,
    kvHeads: info.kvHeads,
    attention: attentionKind(info.heads, info.kvHeads),
    positions: info.positions,
    contextLength: info.maxPositions,
    parameters: info.parameters,
    dtypes: present.map((p) => p.dtype),
    files: present.flatMap((p) => p.entries.map((e) => ({ path: e.path, bytes: e.bytes, dtype: p.dtype }))),
    fim: info.fim !== undefined,
    ...attention,
  };
}

export async function checkModel(dir: string, dtype: DtypeChoice = 'auto'): Promise<CheckReport> {
  const files = await NodeModelFiles.open(dir);
  const folder = await readModelFolder(files);
  const present = await listDtypeFiles(files, onnxRoles(folder.config.kind));
  const host = createInProcessHost();
  try {
    const engine = await host.load(dir, { dtype });
    const { info } = engine;
    const facts = modelFacts(info, present, await checkAttention(engine));
    const lines = [
      `${info.name}: usable ${info.kind} model (${facts.architecture}, ${facts.task})`,
      `  layers ${info.layers}${info.kind === 'encoder-decoder' ? ` encoder + ${info.decoderLayers} decoder` : ''}, heads ${info.heads} (${info.kvHeads} key/value, ${facts.attention}), head size ${info.headDim}, hidden ${info.hiddenSize}, vocabulary ${info.vocabSize}`,
      `  positions ${info.positions}, context ${info.maxPositions}${info.slidingWindow ? `, sliding window ${info.slidingWindow}` : ''}, ${(info.parameters / 1e6).toFixed(2)}M parameters${info.tiedEmbeddings ? ', tied embeddings' : ''}`,
      `  dtypes present: ${facts.dtypes.join(', ')}`,
      `  using ${info.onnxFiles.join(' + ')} (${info.dtype}): ${info.dtypeReason}`,
      facts.attentionSource === 'none'
        ? `  attention: none (generation works; the inspector cannot show it): ${facts.attentionWhy ?? ''}`
        : `  attention: every head, ${SOURCE_TEXT[facts.attentionSource]}`,
    ];
    if (info.kind === 'decoder') {
      const result = await engine.generate({ prompt: 'a', maxNewTokens: 2, reusePrefix: false });
      lines.push(`  smoke test: generated ${result.tokens.length} tokens, prefill ${result.prefillMs.toFixed(1)} ms`);
      if (info.fim) lines.push(`  fill-in-the-middle tokens: ${info.fim.prefix} ${info.fim.suffix} ${info.fim.middle}`);
    } else {
      lines.push(`  languages: ${(info.languages ?? []).join(', ') || 'unknown'}`);
      const pair = info.translationPairs?.[0] ?? (info.languages && info.languages.length >= 2 ? { from: info.languages[0] as string, to: info.languages[1] as string } : undefined);
      if (pair) {
        const result = await engine.translate({ text: 'Hello', from: pair.from, to: pair.to, maxLengthOffset: 4 });
        lines.push(`  smoke test: translated ${pair.from}→${pair.to} in ${result.ms.toFixed(1)} ms`);
      }
    }
    return { facts, text: lines.join('\n') };
  } finally {
    await host.dispose();
  }
}
