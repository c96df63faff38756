// Which models an e2e run (or `npm start`) uses: the bundled defaults when they exist, else the
// test fixtures, else none (the suites that need that model are skipped and say so). Environment
// variables override: TEALEAF_E2E_COMPLETION_MODEL, TEALEAF_E2E_TRANSLATE_MODEL (folders).
// Non-bundled choices are written into the workspace copy's .vscode/settings.json as
// tealeaf.completion.model / tealeaf.translate.model, exactly as a user would set them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './paths.mjs';

const ROLES = {
  completion: {
    setting: 'tealeaf.completion.model',
    env: 'TEALEAF_E2E_COMPLETION_MODEL',
    bundled: 'models/tealeaf-code',
    fixtures: ['test/fixtures/models/tiny-llama', 'test/fixtures/models/tiny-gpt2'],
  },
  translation: {
    setting: 'tealeaf.translate.model',
    env: 'TEALEAF_E2E_TRANSLATE_MODEL',
    bundled: 'models/tealeaf-translate',
    fixtures: ['test/fixtures/models/tiny-marian'],
  },
};

function readConfig(dir) {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
}

/** Layers × heads as the inspector shows them (decoder-only config keys of common families). */
function shapeOf(dir) {
  const config = readConfig(dir);
  const layers = config.num_hidden_layers ?? config.n_layer ?? config.num_layers;
  const heads = config.num_attention_heads ?? config.n_head ?? config.num_heads;
  if (!Number.isInteger(layers) || !Number.isInteger(heads)) throw new Error(`${dir}/config.json: no layer/head counts`);
  return { layers, heads };
}

/**
 * @returns {{ completion?: { dir: string, bundled: boolean, layers: number, heads: number },
 *             translation?: { dir: string, bundled: boolean } }}
 */
export function chooseModels(env = process.env) {
  const chosen = {};
  for (const [role, spec] of Object.entries(ROLES)) {
    const candidates = [
      ...(env[spec.env] ? [{ dir: resolve(env[spec.env]), bundled: false }] : []),
      { dir: join(REPO_ROOT, spec.bundled), bundled: true },
      ...spec.fixtures.map((f) => ({ dir: join(REPO_ROOT, f), bundled: false })),
    ];
    const found = candidates.find((c) => existsSync(join(c.dir, 'config.json')));
    if (!found) continue;
    chosen[role] = role === 'completion' ? { ...found, ...shapeOf(found.dir) } : found;
  }
  return chosen;
}

export function describeModels(models) {
  return Object.entries(ROLES)
    .map(([role]) => {
      const m = models[role];
      return `${role}: ${m ? `${m.dir}${m.bundled ? ' (bundled)' : ''}` : 'none'}`;
    })
    .join('; ');
}

/** Strips // line comments (this workspace's settings use them) and trailing commas. */
function parseJsonc(text) {
  const withoutComments = text.replace(/^\s*\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  return JSON.parse(withoutComments.replace(/,(\s*[}\]])/g, '$1'));
}

/** Writes the non-bundled model folders into `<workspace>/.vscode/settings.json`. */
export function applyModelSettings(workspace, models) {
  const file = join(workspace, '.vscode', 'settings.json');
  const settings = existsSync(file) ? parseJsonc(readFileSync(file, 'utf8')) : {};
  for (const [role, spec] of Object.entries(ROLES)) {
    const m = models[role];
    if (m && !m.bundled) settings[spec.setting] = m.dir;
  }
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}
