// The draft model a load names (LoadOptions.draftModel), opened from disk for LocalEngine.load.
import type { DraftFiles } from '../engine/modelDrafter';
import type { LoadOptions } from '../engine/types';
import { NodeModelFiles } from './nodeModelFiles';

export async function draftOption(options: LoadOptions): Promise<{ readonly draft?: DraftFiles }> {
  if (!options.draftModel) return {};
  return { draft: { files: await NodeModelFiles.open(options.draftModel), ...(options.draftDtype ? { dtype: options.draftDtype } : {}) } };
}
