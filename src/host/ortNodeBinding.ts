// Stands in for onnxruntime-node's dist/binding.js inside Tealeaf's bundles (scripts/build.mjs
// swaps it in). The original requires its addon by a path relative to itself in node_modules,
// which a bundle does not have; this one requires it from the folder nativeAddonFolder.ts names,
// and otherwise does what the original of onnxruntime-node 1.30.0 does. Under tsx (tests, bench)
// the original runs and the addon comes from node_modules.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { env, Tensor } from 'onnxruntime-common';
import type { binding as OriginalBinding } from 'onnxruntime-node/dist/binding';
import { addonFolder } from './nativeAddonFolder';

const bundleDir = path.dirname(fileURLToPath(import.meta.url));
const addon = path.join(addonFolder(bundleDir), 'onnxruntime_binding.node');

export const binding = createRequire(import.meta.url)(addon) as typeof OriginalBinding;

const LOG_LEVELS: Readonly<Record<string, number>> = { verbose: 0, info: 1, warning: 2, error: 3, fatal: 4 };

let initialized = false;

export function initOrt(): void {
  if (initialized) return;
  initialized = true;
  const level = env.logLevel ? LOG_LEVELS[env.logLevel] : 2;
  if (level === undefined) throw new Error(`Unsupported log level: ${env.logLevel}`);
  binding.initOrtOnce(level, Tensor, isMainThread);
}
