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
import { placeholderMultiset } from '../../../src/translate/unitGuarantee';
import { placeholderStrings } from '../../fixtures/placeholders/heldoutStrings';
import { checkPlaceholders } from '../../fixtures/placeholders/placeholderCheck';
import { ROOT } from '../engine/helpers';

const MODEL = path.join(ROOT, 'models', 'tealeaf-translate');
const SAMPLE = 100;

describe('placeholders survive the bundled model', { skip: !existsSync(path.join(MODEL, 'config.json')) && 'models/tealeaf-translate is missing' }, () => {
  let host: EngineHost;
  let engine: Engine;
  before(async () => {
    host = createInProcessHost({ threads: 1 });
    engine = await host.load(MODEL);
  });
  after(async () => host.dispose());

  it('keeps the placeholders of the strings the issue found broken', async () => {
    const translate = engineTranslator(engine, { pair: { from: 'en', to: 'de' }, beams: 4 });
    for (const text of ['Delete %s files from {0}?', 'Could not open %s: {0}']) {
      const out = await translateRegions(text, [{ start: 0, end: text.length, protected: [], context: { kind: 'prose' } }], translate);
      assert.deepEqual(placeholderMultiset(out), placeholderMultiset(text), `${text} → ${out}`);
    }
  });

  for (const direction of ['en-de', 'de-en'] as const) {
    for (const beams of [1, 4]) {
      it(`${direction}, ${beams === 1 ? 'greedy' : `beam ${beams}`}: ${SAMPLE} held-out strings keep exactly their placeholders`, async () => {
        const check = await checkPlaceholders(engine, direction, beams, placeholderStrings(direction, SAMPLE));
        assert.equal(check.strings, SAMPLE);
        assert.deepEqual(check.failures, []);
        console.log(
          `    ${direction} beams ${beams}: ${check.repairedByAttention} sentences repaired by attention, ` +
            `${check.fallbackBetweenPlaceholders} between placeholders, ${check.fallbackSourceKept} kept as source; ${check.msPerString.toFixed(0)} ms/string`,
        );
      });
    }
  }
});
