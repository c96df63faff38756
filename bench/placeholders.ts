// The placeholder guarantee at full size: 1,000 held-out strings with placeholders per direction
// (gettext messages the model never saw, and held-out messages with the other placeholder
// families inserted), greedy and beam 4, through the palette command's pipeline; the share that
// keeps exactly the source's placeholders (the unit test checks a 100-string sample of the same).
import type { EngineHost } from '../src/engine/types';
import { type Direction, placeholderStrings } from '../test/fixtures/placeholders/heldoutStrings';
import { checkPlaceholders } from '../test/fixtures/placeholders/placeholderCheck';
import type { BenchRow, BenchSection } from './types';

const STRINGS = 1000;

export async function benchPlaceholders(host: EngineHost, modelDir: string, threads: number): Promise<BenchSection> {
  const engine = await host.load(modelDir, { threads });
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  let kept = 0;
  let total = 0;
  try {
    for (const direction of ['en-de', 'de-en'] as Direction[]) {
      for (const beams of [1, 4]) {
        const check = await checkPlaceholders(engine, direction, beams, placeholderStrings(direction, STRINGS));
        const label = `${direction} ${beams === 1 ? 'greedy' : `beam ${beams}`}`;
        const keptPct = (100 * (check.strings - check.failures.length)) / check.strings;
        kept += check.strings - check.failures.length;
        total += check.strings;
        const row = (metric: string, value: number, unit: string) => results.push({ system: `tealeaf ${label}`, model: engine.info.name, metric, value, unit });
        row('placeholders kept exactly', keptPct, '%');
        row('repaired by cross-attention', (100 * check.repairedByAttention) / check.strings, '%');
        row('fallback between placeholders', (100 * check.fallbackBetweenPlaceholders) / check.strings, '%');
        row('fallback source kept', (100 * check.fallbackSourceKept) / check.strings, '%');
        row('time per string', check.msPerString, 'ms');
        metrics[`placeholder_kept_pct_${direction.replace('-', '_')}_beams${beams}`] = keptPct;
        for (const failure of check.failures.slice(0, 5)) console.log(`  placeholder lost (${label}): ${failure}`);
      }
    }
  } finally {
    await engine.dispose();
  }
  metrics.placeholder_strings = total;
  metrics.placeholder_kept_pct = (100 * kept) / Math.max(1, total);
  return { results, metrics };
}
