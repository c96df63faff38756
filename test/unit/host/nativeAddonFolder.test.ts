// addonFolder: where the bundles look for onnxruntime-node's addon.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { addonFolder, setAddonFolder } from '../../../src/host/nativeAddonFolder';

describe('addonFolder', () => {
  afterEach(() => setAddonFolder(undefined));

  it('is native/{platform}-{arch}/ beside the bundle unless a folder was set', () => {
    assert.equal(addonFolder('/ext/dist'), path.join('/ext/dist', 'native', `${process.platform}-${process.arch}`));
    setAddonFolder('/elsewhere');
    assert.equal(addonFolder('/ext/dist'), '/elsewhere');
    setAddonFolder(undefined);
    assert.equal(addonFolder('/ext/dist'), path.join('/ext/dist', 'native', `${process.platform}-${process.arch}`));
  });
});
