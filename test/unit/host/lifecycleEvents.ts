// Waiting for a worker host's lifecycle events in tests.
import type { EngineLifecycleEvent } from '../../../src/host/lifecycle';
import type { WorkerHost } from '../../../src/host/workerHost';

/** Resolves with the first lifecycle event that `match` accepts. */
export function nextEvent(host: WorkerHost, match: (event: EngineLifecycleEvent) => boolean): Promise<EngineLifecycleEvent> {
  return new Promise((resolve) => {
    const subscription = host.onDidChangeLifecycle((event) => {
      if (!match(event)) return;
      subscription.dispose();
      resolve(event);
    });
  });
}
