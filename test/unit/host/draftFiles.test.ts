// draftOption: the draft model a load names, opened from disk with the file type asked for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { draftOption } from '../../../src/host/draftFiles';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { modelDir } from '../engine/helpers';

describe('draftOption', () => {
  it('is empty when the load names no draft model', async () => {
    assert.deepEqual(await draftOption({}), {});
    assert.deepEqual(await draftOption({ draftModel: '', draftDtype: 'q8' }), {});
  });

  it('opens the draft folder, and passes its dtype only when one is named', async () => {
    const folder = modelDir('tiny-llama');
    const plain = await draftOption({ draftModel: folder });
    assert.ok(plain.draft?.files instanceof NodeModelFiles);
    assert.equal(await plain.draft.files.size('config.json'), await (await NodeModelFiles.open(folder)).size('config.json'));
    assert.equal('dtype' in plain.draft, false);
    assert.equal((await draftOption({ draftModel: folder, draftDtype: 'fp32' })).draft?.dtype, 'fp32');
  });

  it('fails as opening the folder fails', async () => {
    await assert.rejects(draftOption({ draftModel: '/no/such/draft' }), /model folder \/no\/such\/draft does not exist/);
  });
});
