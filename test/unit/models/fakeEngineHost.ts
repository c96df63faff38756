// Fakes for the vscode-side registration of the engine hosts (engineLifecycle, engineBackend): a
// ManagedEngineHost that records what it is asked and emits lifecycle events on demand, and a log
// channel that keeps its lines with their level.
import type { HostBackend } from '../../../src/host/hostBackend';
import type { EngineLifecycleEvent, ManagedEngineHost, StartCause } from '../../../src/host/lifecycle';

export interface FakeEngineHost {
  readonly host: ManagedEngineHost;
  /** What the host was asked, in order: `setBackend wasm`, `restart retry`, … */
  readonly calls: string[];
  emit(event: EngineLifecycleEvent): void;
}

/** A running host, or a stopped one (`stopped`). */
export function fakeEngineHost(stopped = false): FakeEngineHost {
  const calls: string[] = [];
  const listeners = new Set<(event: EngineLifecycleEvent) => void>();
  const host = {
    hostState: stopped ? { state: 'stopped', reason: 'crashed three times' } : { state: 'running' },
    setBackend: (backend: HostBackend) => {
      calls.push(`setBackend ${backend}`);
      return Promise.resolve();
    },
    restart: (cause: StartCause) => {
      calls.push(`restart ${cause}`);
      return Promise.resolve();
    },
    onDidChangeLifecycle: (listener: (event: EngineLifecycleEvent) => void) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  } as unknown as ManagedEngineHost;
  return { host, calls, emit: (event) => listeners.forEach((l) => l(event)) };
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

/** A log (vscode.LogOutputChannel as the registrations use it) and the lines written to it. */
export function fakeLog<Log>(): { log: Log; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (text: string) => lines.push({ level, text });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') } as unknown as Log, lines };
}
