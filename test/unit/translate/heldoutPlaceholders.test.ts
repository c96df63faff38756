// The placeholder guarantee on the bundled translation model: held-out strings with placeholders
// (gettext messages the model never saw, and held-out messages with the other placeholder
// families inserted), both directions, greedy and beam 4; every output holds exactly the
// source's placeholders. A sample of 100 strings per direction here; `npm run bench` (section
// placeholders) runs 1,000 per direction.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine, EngineHost } from '../../../src/engine/types';
import { createInProcessHost } from '../../../src/host/inProcessHost';
import { engineTranslator } from '../../../src/translate/engineTranslator';
import { translateRegions } from '../../../src/translate/pipeline';
import { placeholderMultiset, type UnitReport } from '../../../src/translate/unitGuarantee';
import { type Direction, placeholderStrings } from '../../fixtures/placeholders/heldoutStrings';
import { ROOT } from '../engine/helpers';

const MODEL = path.join(ROOT, 'models', 'tealeaf-translate');
const SAMPLE = 100;

async function translateProse(engine: Engine, text: string, direction: Direction, beams: number, reports: UnitReport[]): Promise<string> {
  const [from, to] = direction.split('-') as [string, string];
  return translateRegions(text, [{ start: 0, end: text.length, protected: [], context: { kind: 'prose' } }], engineTranslator(engine, { pair: { from, to }, beams }), {
    onRepair: (report) => reports.push(report),
  });
}

describe('placeholders survive the bundled model', { skip: !existsSync(path.join(MODEL, 'config.json')) && 'models/tealeaf-translate is missing' }, () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost({ threads: 1 });
    engine = await host.load(MODEL);
  });
  after(async () => host.dispose());

  it('keeps the placeholders of the strings the issue found broken', async () => {
    for (const text of ['Delete %s files from {0}?', 'Could not open %s: {0}']) {
      const out = await translateProse(engine, text, 'en-de', 4, []);
      assert.deepEqual(placeholderMultiset(out), placeholderMultiset(text), `${text} → ${out}`);
    }
  });

  for (const direction of ['en-de', 'de-en'] as const) {
    for (const beams of [1, 4]) {
      it(`${direction}, ${beams === 1 ? 'greedy' : `beam ${beams}`}: ${SAMPLE} held-out strings keep exactly their placeholders`, async () => {
        const reports: UnitReport[] = [];
        const failures: string[] = [];
        const strings = placeholderStrings(direction, SAMPLE);
        for (const { text } of strings) {
          const out = await translateProse(engine, text, direction, beams, reports);
          if (JSON.stringify(placeholderMultiset(out)) !== JSON.stringify(placeholderMultiset(text))) failures.push(`${JSON.stringify(text)} → ${JSON.stringify(out)}`);
        }
        assert.equal(strings.length, SAMPLE);
        assert.deepEqual(failures, []);
        const repaired = reports.filter((r) => r.fallback === undefined && r.repairs.length > 0).length;
        const fallbacks = reports.filter((r) => r.fallback !== undefined).length;
        console.log(`    ${direction} beams ${beams}: ${repaired} sentences repaired by attention, ${fallbacks} by a fallback`);
      });
    }
  }
});
