// Lets queued events (an abort message, a UI event) run between decode steps. Awaiting an
// already-resolved ORT promise only drains microtasks, so without this a worker would not see an
// abort notification until the whole generation had finished.

type Scheduler = (callback: () => void) => void;

/** The part of the DOM MessageChannel used here (the engine is typed without DOM). */
interface BrowserChannel {
  readonly port1: { onmessage: (() => void) | null };
  readonly port2: { postMessage(message: null): void };
}

/** The globals a scheduler may be built on: Node has setImmediate, browsers MessageChannel. */
export interface SchedulerGlobals {
  readonly setImmediate?: (callback: () => void) => unknown;
  readonly MessageChannel?: new () => BrowserChannel;
}

/** The cheapest macrotask the environment offers (exported for tests, which pass each environment). */
export function pickScheduler(scope: SchedulerGlobals = globalThis as unknown as SchedulerGlobals): Scheduler {
  const immediate = scope.setImmediate;
  if (typeof immediate === 'function') return (callback) => void immediate(callback);
  const Channel = scope.MessageChannel;
  if (typeof Channel === 'function') {
    // Browsers: a message round-trip is a macrotask without setTimeout's clamping.
    const channel = new Channel();
    const queue: (() => void)[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (callback) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void setTimeout(callback, 0);
}

let scheduler: Scheduler | undefined;

export function yieldToEventLoop(): Promise<void> {
  scheduler ??= pickScheduler();
  const schedule = scheduler;
  return new Promise((resolve) => schedule(resolve));
}
