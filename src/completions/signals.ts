// AbortSignal helpers shared by the scheduler and the service. Pure: no vscode.
/** A signal that aborts when any input aborts; `dispose` unhooks the listeners (no leak per keystroke). */
export function anySignal(signals: readonly (AbortSignal | undefined)[]): {
  readonly signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const unhook: (() => void)[] = [];
  for (const input of signals) {
    if (!input) continue;
    if (input.aborted) {
      controller.abort(input.reason);
      break;
    }
    const onAbort = (): void => controller.abort(input.reason);
    input.addEventListener('abort', onAbort, { once: true });
    unhook.push(() => input.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const fn of unhook) fn();
      unhook.length = 0;
    },
  };
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

