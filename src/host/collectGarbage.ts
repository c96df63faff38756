// V8's collector on demand, for the moments when a large buffer has just become garbage and the
// process is about to grow for good (onnxruntime's WebAssembly heap never shrinks): without it,
// the buffer lives on until V8 decides to collect, and the process's peak holds both. The
// collector is taken from a fresh context with --expose-gc set for that moment only, so the
// process needs no flag of its own (the engine process runs under Electron's Node in VS Code).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | null | undefined;

/** Runs a full collection where V8 allows it; otherwise does nothing. */
export function collectGarbage(): void {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collector = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collector = null;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  collector?.();
}
