// Tensors that onnxruntime created on the GPU (outputs asked for as 'gpu-buffer'): their buffers
// belong to whoever holds the tensor until it calls dispose(), and the garbage collector never
// frees them, so every one the engine keeps has exactly one owner that releases it once.
import type { OrtTensor } from './onnx';

export function onGpu(tensor: OrtTensor): boolean {
  return tensor.location === 'gpu-buffer';
}

/** Releases the GPU buffers among `tensors` (CPU tensors need nothing); returns how many. */
export function disposeGpuTensors(tensors: Iterable<OrtTensor | undefined>): number {
  let count = 0;
  for (const tensor of tensors) {
    if (tensor && onGpu(tensor)) {
      tensor.dispose();
      count++;
    }
  }
  return count;
}

/**
 * The GPU outputs of a run that no one took: e.g. present.* of a pass that failed after running.
 * `kept`: the tensors handed on (to a KV cache), which stay alive.
 */
export function disposeUnkept(outputs: Record<string, OrtTensor>, kept: readonly OrtTensor[]): number {
  const keep = new Set(kept);
  return disposeGpuTensors(Object.values(outputs).filter((t) => !keep.has(t)));
}

/** A float tensor's elements wherever they live: a GPU tensor is downloaded (one copy, awaited). */
export async function readTensor(tensor: OrtTensor): Promise<OrtTensor['data']> {
  return onGpu(tensor) ? tensor.getData() : tensor.data;
}
