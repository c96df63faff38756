// Where a system's time goes, from a V8 CPU profile (`node --cpu-prof`) of one Node child: self
// time in WebAssembly (onnxruntime's kernels), in JavaScript (split by package), in the garbage
// collector and in native code, and the JavaScript functions that cost the most.

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds between samples. */
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Milliseconds of self time per category (idle and program excluded from the total). */
  readonly ms: Readonly<Record<string, number>>;
  readonly totalMs: number;
  /** The costliest JavaScript functions, `name (file:line)`, with their self milliseconds. */
  readonly topJs: readonly (readonly [string, number])[];
}

/** The category a frame's self time counts under. */
export function categoryOf(frame: CallFrame): string | undefined {
  if (frame.functionName === '(idle)' || frame.functionName === '(program)' || frame.functionName === '(root)') return undefined;
  if (frame.functionName === '(garbage collector)') return 'gc';
  if (frame.url.startsWith('wasm://') || /^\$?wasm-function\[/.test(frame.functionName)) return 'wasm';
  if (frame.url === '') return 'native';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (pkg) return `js:${pkg[1]}`;
  if (frame.url.startsWith('node:')) return 'js:node';
  return 'js:own';
}

export function summarizeProfile(profile: CpuProfile, top = 8): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const ms: Record<string, number> = {};
  const js = new Map<string, number>();
  profile.samples.forEach((id, k) => {
    const frame = byId.get(id);
    const delta = (profile.timeDeltas[k] ?? 0) / 1000;
    if (!frame) return;
    const category = categoryOf(frame);
    if (!category) return;
    ms[category] = (ms[category] ?? 0) + delta;
    if (category.startsWith('js:')) {
      const name = `${frame.functionName || '(anonymous)'} (${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1})`;
      js.set(name, (js.get(name) ?? 0) + delta);
    }
  });
  const totalMs = Object.values(ms).reduce((a, b) => a + b, 0);
  const topJs = [...js].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { ms, totalMs, topJs };
}
