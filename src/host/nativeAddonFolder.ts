// Where the bundles look for onnxruntime-node's addon (onnxruntime_binding.node and the
// onnxruntime library beside it). Packaging puts one platform's binaries in
// `native/{platform}-{arch}/` beside the bundles (scripts/build.mjs); the engine worker may be told
// another folder (a test hook points it at one without the addon). Read once, when the addon loads.
import * as path from 'node:path';

let folder: string | undefined;

export function setAddonFolder(value: string | undefined): void {
  folder = value;
}

/** The folder set, else `native/{platform}-{arch}/` beside `bundleDir` (as VS Code names its targets). */
export function addonFolder(bundleDir: string): string {
  return folder ?? path.join(bundleDir, 'native', `${process.platform}-${process.arch}`);
}
