// onnxruntime-node, loaded when the native backend is first asked for and only then. The addon is
// native code that may be absent (the universal VSIX, a platform without a build) or refused (an
// Electron or Node that will not load it): loading it is the only test that tells, so a failure
// becomes one sentence for the output channel, never an exception at activation.
import type { InferenceSession } from 'onnxruntime-common';
import type { Ort, OrtSession } from '../engine/onnx';
import { setAddonFolder } from './nativeAddonFolder';
import { errorText } from '../util/unknown';

export interface NativeRuntimeParts {
  readonly ort: Ort;
  /** Sessions on onnxruntime-node's own backend (see openSession below). */
  readonly openSession: (bytes: Uint8Array, options: InferenceSession.SessionOptions) => Promise<OrtSession>;
}

export type NativeOrt = ({ readonly ok: true } & NativeRuntimeParts) | { readonly ok: false; readonly reason: string };

let loaded: Promise<NativeOrt> | undefined;

/**
 * onnxruntime-node for this thread, loaded once (a module whose first evaluation failed is not
 * evaluated again, so the first answer stands). `addonFolder` replaces the bundle's
 * `native/{platform}-{arch}/` folder; it counts only in the bundles (ortNodeBinding.ts).
 */
export function loadNativeOrt(options: { readonly addonFolder?: string } = {}): Promise<NativeOrt> {
  loaded ??= load(options.addonFolder);
  return loaded;
}

async function load(addonFolder: string | undefined): Promise<NativeOrt> {
  setAddonFolder(addonFolder);
  try {
    // require, not import(): the bundles inline it (evaluated here, on first use), and under tsx
    // it resolves from any module format.
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const { onnxruntimeBackend } = require('onnxruntime-node/dist/backend') as typeof import('onnxruntime-node/dist/backend');
    if (!ort.listSupportedBackends().some((b) => b.name === 'cpu')) {
      return { ok: false, reason: 'onnxruntime-node loaded but offers no CPU execution provider' };
    }
    // Both packages register a backend named 'cpu' with the one onnxruntime-common they share,
    // and its registry keeps the first one registered under a name (a higher priority reorders
    // its list but does not replace the entry): InferenceSession.create({executionProviders:
    // ['cpu']}) may open an onnxruntime-web session. The native session is therefore built from
    // onnxruntime-node's backend directly, wrapped in onnxruntime-common's InferenceSession as
    // InferenceSession.create does.
    const Session = ort.InferenceSession as unknown as new (handler: unknown) => OrtSession;
    const openSession = async (bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<OrtSession> =>
      new Session(await onnxruntimeBackend.createInferenceSessionHandler(bytes, options));
    return { ok: true, ort: ort as Ort, openSession };
  } catch (error) {
    return { ok: false, reason: `onnxruntime-node could not be loaded on ${process.platform}-${process.arch}: ${firstLine(error)}` };
  }
}

function firstLine(error: unknown): string {
  const message = errorText(error);
  return message.split('\n')[0] ?? message;
}
