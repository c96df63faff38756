// `tealeaf check-model DIR`: load the folder exactly as the extension would, run one tiny
// inference, and summarise what the model offers (or throw one clear error).
import { createInProcessHost } from '../host/inProcessHost';

export async function checkModel(dir: string): Promise<string> {
  const host = createInProcessHost();
  try {
    const engine = await host.load(dir);
    const { info } = engine;
    const lines = [
      `${info.name}: usable ${info.kind} model (${info.modelType})`,
      `  layers ${info.layers}${info.kind === 'encoder-decoder' ? ` encoder + ${info.decoderLayers} decoder` : ''}, heads ${info.heads} (${info.kvHeads} key/value), hidden ${info.hiddenSize}, vocabulary ${info.vocabSize}, context ${info.maxPositions}`,
      `  attention outputs: ${info.hasAttentionOutputs ? 'yes (the inspector can show every head)' : 'no (generation works; the inspector cannot show attention)'}`,
    ];
    if (info.kind === 'decoder') {
      const result = await engine.generate({ prompt: 'a', maxNewTokens: 2, reusePrefix: false });
      lines.push(`  smoke test: generated ${result.tokens.length} tokens, prefill ${result.prefillMs.toFixed(1)} ms`);
      if (info.fim) lines.push(`  fill-in-the-middle tokens: ${info.fim.prefix} ${info.fim.suffix} ${info.fim.middle}`);
    } else {
      lines.push(`  languages: ${(info.languages ?? []).join(', ') || 'unknown'}`);
      const [from, to] = info.languages ?? [];
      if (from && to) {
        const result = await engine.translate({ text: 'Hello', from, to, maxLengthOffset: 4 });
        lines.push(`  smoke test: translated in ${result.ms.toFixed(1)} ms`);
      }
    }
    return lines.join('\n');
  } finally {
    await host.dispose();
  }
}
