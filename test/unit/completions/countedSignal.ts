// An AbortSignal that counts its abort listeners: a test's way to see that code lets go of a signal.

/** An AbortSignal that counts the abort listeners it holds. */
export function countedSignal(): { controller: AbortController; signal: AbortSignal; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    if (args[0] === 'abort') count++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    if (args[0] === 'abort') count--;
    remove(...args);
  }) as typeof signal.removeEventListener;
  return { controller, signal, listeners: () => count };
}
