// Reading a transport in a test: its messages one at a time, in order, and its exit.
import type { EngineTransport, TransportExit } from '../../../src/host/transport';

/** From now on, every message the transport receives; next() waits for the next one. */
export function inbox(transport: Pick<EngineTransport, 'onMessage'>): { next: () => Promise<unknown> } {
  const queue: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  transport.onMessage((message) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  return { next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))) };
}

export const exitOf = (transport: Pick<EngineTransport, 'onExit'>) => new Promise<TransportExit>((resolve) => transport.onExit(resolve));
