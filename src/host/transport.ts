// The channel between the engine client (RemoteEngineHost: request matching, proxies, restarts)
// and an EngineService serving it: a worker_threads worker (workerTransport.ts) or the Tealeaf
// Engine webview (webviewTransport.ts). The client knows nothing else about where the engine runs.
import type { ClientMessage } from '../protocol/engine';

/** How a transport ended, in words for errors and the log. */
export interface TransportExit {
  /** "it exited with code 1", "the Tealeaf Engine panel was closed". */
  readonly reason: string;
  /**
   * The user closed it (the engine panel): not a crash. Requests in flight fail with an
   * EngineClosedError, nothing restarts now, and the next request starts a new one.
   */
  readonly closedByUser?: boolean;
}

export interface EngineTransport {
  /** Names the place in messages: "the engine worker", "the Tealeaf Engine panel". */
  readonly label: string;
  /** Sends a message; buffers in `transfer` are moved, not copied, where the channel can. */
  post(message: ClientMessage, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the other side is gone, whatever the cause (terminate() included). */
  onExit(listener: (exit: TransportExit) => void): void;
  /**
   * Ends it; resolves once it is gone. `code` 0 is an ordinary stop; any other code ends it the
   * way a crash would (a test hook: the client then sees an exit it did not ask for).
   */
  terminate(code: number): Promise<void>;
}
