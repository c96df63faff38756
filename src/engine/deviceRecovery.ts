// A request on the WebGPU backend survives one device loss: the sessions are reopened on a new
// device (their weights uploaded again, the KV cache starting empty) and the request runs again
// from the start. A second loss within the same request is a DeviceLostError, which a host catches
// to move the model to WebAssembly rather than reopen forever on a GPU that keeps failing.
import { DeviceLostError } from './errors';
import { errorText } from '../util/unknown';
import { isDeviceLostMessage, type WebGpu } from './webgpuDevice';

/** The request's attempt: 0 first, 1 the replay after a loss. */
export type Attempt = 0 | 1;

/**
 * Runs `task` on the current device. A device found lost before it starts (lost between requests:
 * a hidden webview, a driver reset) is replaced first, which is no replay. A task that fails while
 * or because the device is lost is run once more after `reopen` (which releases the old sessions,
 * drops the device and opens new ones); failing so again, it throws DeviceLostError.
 */
export async function withDeviceRecovery<T>(gpu: WebGpu | undefined, reopen: () => Promise<void>, task: (attempt: Attempt) => Promise<T>): Promise<T> {
  if (!gpu) return task(0);
  if (gpu.lost) await reopen();
  try {
    return await task(0);
  } catch (error) {
    if (!lostBy(gpu, error)) throw error;
    await reopen();
    try {
      return await task(1);
    } catch (again) {
      if (!lostBy(gpu, again)) throw again;
      await reopen().catch(() => undefined); // leave sessions that work for the host's next move
      throw new DeviceLostError(`the GPU device was lost twice in one request, the second time after the engine had reopened it (${errorText(again)})`);
    }
  }
}

/** A failure caused by the device's loss: the device says so, or the run's error does. */
function lostBy(gpu: WebGpu, error: unknown): boolean {
  return gpu.lost || isDeviceLostMessage(errorText(error));
}
