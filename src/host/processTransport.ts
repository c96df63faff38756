// The engine in a child process as a transport (transport.ts): dist/worker.mjs forked with Node's
// IPC channel, serving the engine protocol with an EngineService (worker.ts).
//
// Why a process and not a thread: the extension host is one process that every extension shares,
// and what an engine allocates there stays there. WebAssembly memory never shrinks, and glibc keeps
// what a worker thread freed in that thread's malloc arena (measured on the default code model:
// loading it raised the host by about 345 MB, of which about 190 MB stayed after the worker was
// terminated and came back only with malloc_trim). A process gives every byte back when it ends,
// and a crash inside native code (onnxruntime-node) ends it alone, never the extension host.
import { type ChildProcess, fork } from 'node:child_process';
import type { ClientMessage, WorkerStop } from '../protocol/engine';
import { errorText } from '../util/unknown';
import { BulkReceiver } from './bulkPieces';
import type { EngineTransport, TransportExit } from './transport';
import type { EngineWorkerData } from './workerTransport';

/** How long a process asked to stop has to exit by itself before it is killed. */
const STOP_GRACE_MS = 5_000;
/** The last lines of the process's standard error, for the reason of an exit nobody asked for. */
const STDERR_LINES_KEPT = 5;

/**
 * glibc's settings for the engine process: allocations over 128 KiB (model bytes, logits, KV
 * slices, attention blocks) mapped on their own and unmapped when freed, instead of the default
 * threshold that grows to 32 MiB after the first large free and leaves those blocks in the heap;
 * and few arenas, so the freed memory of one thread is reused by another. Other C libraries
 * ignore them.
 */
const ENGINE_PROCESS_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_ARENA_MAX: '2',
};

/** The worker's start data travels as the process's one argument (worker.ts reads it back). */
export const ENGINE_PROCESS_DATA_FLAG = '--tealeaf-engine-data=';

export class ProcessTransport implements EngineTransport {
  readonly label = 'the engine process';
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitListener: ((exit: TransportExit) => void) | undefined;
  private exit: TransportExit | undefined;
  private readonly stderrTail: string[] = [];

  constructor(workerPath: string, data: EngineWorkerData) {
    this.child = fork(workerPath, [`${ENGINE_PROCESS_DATA_FLAG}${JSON.stringify(data)}`], {
      // The extension host's own flags (an inspector port, Electron's) are not the engine's.
      execArgv: [],
      // In VS Code process.execPath is Electron: this makes it the Node it carries.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...ENGINE_PROCESS_MALLOC_ENV },
      // Structured clone over the channel: typed arrays arrive as typed arrays.
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.stderrTail.push(line.trim());
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_LINES_KEPT));
    });
    this.exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    // 'error' without 'exit' (no pid): the process could not be started at all. A started process
    // also reports 'error' when a message cannot be sent to it while it ends (EPIPE): its 'exit'
    // follows and says why it ended.
    this.child.on('error', (error) => {
      if (this.child.pid === undefined) this.ended({ reason: `it could not start: ${error.message}` });
    });
    this.child.on('exit', (code, signal) => this.ended({ reason: this.exitReason(code, signal) }));
  }

  /** The engine process's id while it runs (its memory is read from the system). */
  get pid(): number | undefined {
    return this.exit ? undefined : this.child.pid;
  }

  post(message: ClientMessage): void {
    // Buffers cannot move between processes: they are copied, and `transfer` has nothing to do.
    if (this.exit || !this.child.connected) return; // the exit is being reported to the client
    this.child.send(message);
  }

  onMessage(listener: (message: unknown) => void): void {
    const bulk = new BulkReceiver();
    let outOfStep = false;
    this.child.on('message', (message: unknown) => {
      if (outOfStep) return;
      let whole: { readonly message: unknown } | undefined;
      try {
        whole = bulk.accept(message);
      } catch (error) {
        // A channel out of step cannot be trusted with another answer: end the engine as a crash.
        outOfStep = true;
        this.ended({ reason: `it sent a message out of order (${errorText(error)})` });
        this.child.kill('SIGKILL');
        return;
      }
      if (whole) listener(whole.message);
    });
  }

  onExit(listener: (exit: TransportExit) => void): void {
    this.exitListener = listener;
    if (this.exit) listener(this.exit);
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `it was ended by ${signal}` : `it exited with code ${code}`;
    const said = this.stderrTail.at(-1);
    return said ? `${how} (${said})` : how;
  }

  private ended(exit: TransportExit): void {
    if (this.exit) return;
    this.exit = exit;
    this.exitListener?.(exit);
  }

  /**
   * Ends the process. Code 0 asks it to exit at its next turn and kills it if it has not after
   * STOP_GRACE_MS; any other code kills it at once, as a crash would. Either is safe in the middle
   * of a native run: only the engine process goes.
   */
  async terminate(code: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    if (code === 0 && this.child.connected) {
      this.child.send({ kind: 'stop', code } satisfies WorkerStop);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
      return;
    }
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
