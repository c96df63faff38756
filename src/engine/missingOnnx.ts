// What to tell a user whose model folder has none of the ONNX files a job opens: the files each
// role needs, or that the folder holds only PyTorch weights (a pickle may run code when loaded, so
// Tealeaf never opens one, and safetensors need an export first).
import { dtypeFileName } from './dtype';
import type { ModelFiles } from './modelFolder';

/** Weight files of a checkpoint that was never exported to ONNX, most common first. */
const NOT_EXPORTED = [
  { file: 'pytorch_model.bin', what: 'PyTorch weights', why: ', which can run code when loaded and are never opened' },
  { file: 'model.safetensors', what: 'safetensors weights', why: '' },
] as const;

/** One sentence: why `files` has nothing to load for `roles` (each role's base names, as onnxRoles gives them). */
export async function missingOnnxSentence(files: ModelFiles, roles: readonly (readonly string[])[]): Promise<string> {
  for (const { file, what, why } of NOT_EXPORTED) {
    if (await files.exists(file)) {
      return `${files.location} has only ${what} (${file})${why}: export the model to ONNX (${roles.map((bases) => dtypeFileName(bases[0] as string, 'fp32')).join(' and ')})`;
    }
  }
  const needed = roles.map((bases) => dtypeFileName(bases[0] as string, 'fp32'));
  if (needed.length === 1) return `${files.location} has no ONNX file (${needed[0]} or one of its dtype variants)`;
  return `${files.location} has no ONNX files for an encoder-decoder model: it needs ${needed.join(' and ')} (or one of their dtype variants)`;
}
