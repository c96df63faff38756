// Which files of a repository one dtype needs: the JSON files the engine reads, the ONNX graph(s)
// of that dtype and their external data. The choice is the engine's own (modelFolder.ts), run on
// the repository's file listing instead of a folder, so a download holds exactly what a load opens.
import type { Dtype, DtypeChoice } from '../engine/dtype';
import { ModelError } from '../engine/errors';
import { chooseDtypeFiles, listDtypeFiles, type ModelFiles, ONNX_BASES, onnxRoles } from '../engine/modelFolder';
import { HubError } from './errors';
import type { RepoFile } from './hubApi';

/** What readModelFolder opens besides the graphs: two required, two optional. */
export const REQUIRED_JSON = ['config.json', 'tokenizer.json'] as const;
export const OPTIONAL_JSON = ['generation_config.json', 'tokenizer_config.json'] as const;

export interface FilePlan {
  readonly dtype: Dtype;
  readonly kind: 'decoder' | 'encoder-decoder';
  readonly files: readonly RepoFile[];
  readonly bytes: number;
}

/** A repository listing seen as a model folder that can tell sizes but never read. */
function listingFiles(repo: string, listing: readonly RepoFile[]): ModelFiles {
  const sizes = new Map(listing.map((f) => [f.path, f.size]));
  return {
    location: repo,
    exists: async (p) => sizes.has(p),
    size: async (p) => sizes.get(p),
    readBytes: async (p) => {
      throw new ModelError(`${repo}/${p} is not downloaded yet`);
    },
  };
}

function kindOf(listing: readonly RepoFile[]): FilePlan['kind'] {
  return listing.some((f) => f.path.startsWith(`onnx/${ONNX_BASES.encoder[0]}`)) ? 'encoder-decoder' : 'decoder';
}

/** Sizes of every complete dtype the repository offers (for the dtype pick). */
export async function dtypeSizes(repo: string, listing: readonly RepoFile[]): Promise<{ dtype: Dtype; bytes: number }[]> {
  const present = await listDtypeFiles(listingFiles(repo, listing), onnxRoles(kindOf(listing)));
  const json = listing.filter((f) => (REQUIRED_JSON as readonly string[]).includes(f.path) || (OPTIONAL_JSON as readonly string[]).includes(f.path));
  const jsonBytes = json.reduce((sum, f) => sum + f.size, 0);
  return present.map((p) => ({ dtype: p.dtype, bytes: p.bytes + jsonBytes }));
}

export async function planFiles(repo: string, listing: readonly RepoFile[], requested: DtypeChoice): Promise<FilePlan> {
  const files = listingFiles(repo, listing);
  const kind = kindOf(listing);
  const roles = onnxRoles(kind);
  const present = await listDtypeFiles(files, roles);
  if (present.length === 0) {
    throw new HubError(`${repo} has no ONNX model in the transformers.js layout (onnx/model.onnx or a dtype variant): look for an onnx-community or Xenova export of it`);
  }
  let chosen;
  try {
    chosen = await chooseDtypeFiles(files, roles, requested, 'wasm');
  } catch (error) {
    throw error instanceof ModelError ? new HubError(error.message) : error;
  }
  const missing = REQUIRED_JSON.filter((p) => !listing.some((f) => f.path === p));
  if (missing.length > 0) throw new HubError(`${repo} has no ${missing.join(' or ')}, which Tealeaf needs beside the ONNX files`);
  const dtypeFiles = present.find((p) => p.dtype === chosen.file.dtype);
  const wanted = new Set<string>([...REQUIRED_JSON, ...OPTIONAL_JSON, ...(dtypeFiles?.entries.map((e) => e.path) ?? [])]);
  const planned = listing.filter((f) => wanted.has(f.path));
  return { dtype: chosen.file.dtype, kind, files: planned, bytes: planned.reduce((sum, f) => sum + f.size, 0) };
}
