// The cache seen as a list of models (what `tealeaf models` and Manage Models show), deleting one
// repository (and nothing outside the cache), and a token checked with the Hub's whoami.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteCachedRepo, listCachedModels } from '../../../src/hub/cachedModels';
import { downloadModel } from '../../../src/hub/downloadModel';
import { hubEnvironment } from '../../../src/hub/environment';
import { checkToken } from '../../../src/hub/hubApi';
import { FIXTURE_REPOS, type MockHub, startMockHub } from './mockHub';

describe('the cache as a list of models', () => {
  let hub: MockHub;
  let cacheDir: string;
  before(async () => {
    hub = await startMockHub({ repos: FIXTURE_REPOS, token: 'hf_ok' });
    cacheDir = mkdtempSync(path.join(tmpdir(), 'tealeaf-cache-'));
  });
  after(async () => {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('lists each snapshot with its refs, complete dtypes and kind; deletes one repository only', async () => {
    const env = hubEnvironment({ cacheDir }, { HF_ENDPOINT: hub.endpoint });
    await downloadModel(env, { repo: 'Xenova/opus-mt-en-de', revision: 'main', dtype: 'q8' });
    await downloadModel(env, { repo: 'Xenova/gpt2', revision: 'main', dtype: 'fp16' });
    await downloadModel(env, { repo: 'Xenova/gpt2', revision: 'main', dtype: 'q4' });
    // A dataset beside them is not a model.
    mkdirSync(path.join(cacheDir, 'datasets--someone--data', 'snapshots', 'b'.repeat(40)), { recursive: true });
    const models = await listCachedModels(cacheDir);
    assert.deepEqual(
      models.map((m) => ({ repo: m.repo, commit: m.commit, refs: m.refs, dtypes: m.dtypes, kind: m.kind })),
      [
        { repo: 'Xenova/gpt2', commit: hub.commitOf('Xenova/gpt2'), refs: ['main'], dtypes: ['fp16', 'q4'], kind: 'decoder' },
        { repo: 'Xenova/opus-mt-en-de', commit: hub.commitOf('Xenova/opus-mt-en-de'), refs: ['main'], dtypes: ['q8'], kind: 'encoder-decoder' },
      ],
    );
    assert.ok((models[0]?.bytes ?? 0) > hub.file('Xenova/gpt2', 'onnx/model_fp16.onnx').bytes.length);

    await deleteCachedRepo(cacheDir, 'Xenova/gpt2');
    assert.deepEqual((await listCachedModels(cacheDir)).map((m) => m.repo), ['Xenova/opus-mt-en-de']);
    assert.ok(existsSync(path.join(cacheDir, 'datasets--someone--data')));
    await assert.rejects(deleteCachedRepo(cacheDir, 'Xenova/gpt2'), /Xenova\/gpt2 is not in the cache/);
  });

  it('refuses to delete through a repository folder that is a link out of the cache', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'tealeaf-outside-'));
    writeFileSync(path.join(outside, 'precious.txt'), 'keep');
    symlinkSync(outside, path.join(cacheDir, 'models--evil--link'));
    await assert.rejects(deleteCachedRepo(cacheDir, 'evil/link'), /refused to delete .*models--evil--link: it is not a model folder of the cache/);
    assert.ok(existsSync(path.join(outside, 'precious.txt')));
    rmSync(outside, { recursive: true, force: true });
  });

  it('checks a token with whoami', async () => {
    const env = hubEnvironment({ cacheDir }, { HF_ENDPOINT: hub.endpoint });
    assert.equal(await checkToken(env, 'hf_ok'), 'tealeaf-tests');
    await assert.rejects(checkToken(env, 'hf_wrong'), /^HubAuthError: http:\/\/127\.0\.0\.1:\d+ does not know this token$/);
  });
});
