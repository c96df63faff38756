// Where the bundles look for onnxruntime-node's addon (onnxruntime_binding.node and the
// onnxruntime library beside it). Packaging puts one platform's binaries in
// `native/{platform}-{arch}/` beside the bundles (scripts/build.mjs); the engine worker may be told
// another folder (a test hook points it at one without the addon). Read once, when the addon loads.
import * as path from 'node:path';

let folder: string | undefined;

/** `{platform}-{arch}` as VS Code names its platform-specific targets (linux-x64, darwin-arm64, …). */
export function nativeTarget(platform: string = process.platform, arch: string = process.arch): string {
  return `${platform}-${arch}`;
}

/** The default folder: `native/{platform}-{arch}/` beside `bundleDir`. */
export function defaultAddonFolder(bundleDir: string): string {
  return path.join(bundleDir, 'native', nativeTarget());
}

export function setAddonFolder(value: string | undefined): void {
  folder = value;
}

export function addonFolder(bundleDir: string): string {
  return folder ?? defaultAddonFolder(bundleDir);
}
