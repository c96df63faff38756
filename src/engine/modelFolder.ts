// Reads a model folder in the transformers.js / Optimum layout through a ModelFiles source (Node's
// file system in the worker and the CLI, bytes in memory in tests), validating everything before use.
import type { GpuAdapterFacts } from './webgpuDevice';
import { type Dtype, type DtypeChoice, type DtypeSelection, DTYPES, dtypeFileName, selectDtypeFile } from './dtype';
import { ModelError } from './errors';
import { missingOnnxSentence } from './missingOnnx';
import { type JsonObject, type ModelConfig, parseJsonObject, parseModelConfig } from './modelConfig';
import { externalizeInitializers } from './onnxExternalize';
import { checkExternalData, checkExternalExtents, type OnnxSummary, summarizeOnnx } from './onnxProto';
import { unreadableOnnx, vetOnnxBytes } from './onnxVet';
import { ModelTokenizer } from './tokenizer';
import type { Backend } from './types';

/** Read access to one model folder. Implementations must refuse paths escaping the folder and symlinks. */
export interface ModelFiles {
  /** Human-readable location for messages (a path or a name). */
  readonly location: string;
  exists(relativePath: string): Promise<boolean>;
  /** Size in bytes of a file, or undefined when there is none. */
  size(relativePath: string): Promise<number | undefined>;
  /** Throws a ModelError when the file is larger than maxBytes. */
  readBytes(relativePath: string, maxBytes: number): Promise<Uint8Array>;
  /**
   * A view of a (large) file that reads the ranges asked for when they are asked for, where the
   * platform can (Node). onnxruntime-web copies external data into its heap range by range, so
   * weights read this way pass through memory once instead of twice, and may pass 2 GiB.
   */
  openLazily?(relativePath: string): Promise<LazyBytes>;
  /** Bytes [offset, offset + length) of a file, where the platform can read ranges. */
  readRange?(relativePath: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * The folder's real path on disk, where it has one (Node): a native runtime reads validated
   * external data from there itself instead of through JavaScript.
   */
  readonly diskPath?: string;
}

/** Bytes read on demand; `close()` releases the file once onnxruntime has copied what it needs. */
export interface LazyBytes extends Uint8Array {
  close(): void;
}

export const FILE_LIMITS = {
  json: 64 * 1024 * 1024,
  /** A file read whole into one buffer (Node's fs cannot read more than 2 GiB at once). */
  onnx: 2 * 1024 * 1024 * 1024 - 1,
} as const;

/**
 * Base names of each graph a job opens, as transformers.js names them (`onnx/{base}{suffix}.onnx`).
 * A decoder-only model is `model`; older Optimum exports call it `decoder_model_merged`.
 */
export const ONNX_BASES = {
  decoder: ['model', 'decoder_model_merged'],
  encoder: ['encoder_model'],
  seq2seqDecoder: ['decoder_model_merged'],
} as const;

/** The graphs a model of this kind opens together: its decoder, or its encoder and decoder. */
export function onnxRoles(kind: ModelConfig['kind']): readonly (readonly string[])[] {
  return kind === 'encoder-decoder' ? [ONNX_BASES.encoder, ONNX_BASES.seq2seqDecoder] : [ONNX_BASES.decoder];
}

/** The graphs of one dtype that a job opens together (a decoder; or an encoder and a decoder). */
export interface DtypeFiles {
  readonly dtype: Dtype;
  /** Relative paths, one per graph, in the order of the roles asked for. */
  readonly paths: readonly string[];
  /** All of them with their external data, in bytes. */
  readonly bytes: number;
  /** Each ONNX file and each external-data file beside it, with its size. */
  readonly entries: readonly { readonly path: string; readonly bytes: number }[];
}

/** External data under the names it conventionally takes beside `file`: `{file}_data`, `{file}_data_1`, … */
async function conventionalData(files: ModelFiles, file: string): Promise<{ path: string; bytes: number }[]> {
  const found = [];
  for (let i = 0; ; i++) {
    const path = i === 0 ? `${file}_data` : `${file}_data_${i}`;
    const bytes = await files.size(path);
    if (bytes === undefined) return found;
    found.push({ path, bytes });
  }
}

/** For every dtype, the files of each role (first base name present), when every role has one. */
export async function listDtypeFiles(files: ModelFiles, roles: readonly (readonly string[])[]): Promise<DtypeFiles[]> {
  const found: DtypeFiles[] = [];
  for (const dtype of DTYPES) {
    const paths: string[] = [];
    const entries: { path: string; bytes: number }[] = [];
    for (const bases of roles) {
      for (const base of bases) {
        const path = dtypeFileName(base, dtype);
        const size = await files.size(path);
        if (size === undefined) continue;
        paths.push(path);
        entries.push({ path, bytes: size }, ...(await conventionalData(files, path)));
        break;
      }
    }
    const bytes = entries.reduce((sum, e) => sum + e.bytes, 0);
    if (paths.length === roles.length) found.push({ dtype, paths, bytes, entries });
  }
  return found;
}

export interface ChosenFiles extends DtypeSelection {
  readonly paths: readonly string[];
  /** Every dtype the folder has complete files for (the choice was made among them). */
  readonly dtypes: readonly Dtype[];
}

/** Chooses the dtype files of a job and says why; one clear ModelError when nothing fits. */
export async function chooseDtypeFiles(
  files: ModelFiles,
  roles: readonly (readonly string[])[],
  requested: DtypeChoice,
  backend: Backend,
  gpu?: GpuAdapterFacts,
): Promise<ChosenFiles> {
  const present = await listDtypeFiles(files, roles);
  if (present.length === 0) throw new ModelError(await missingOnnxSentence(files, roles));
  const byDtype = new Map(present.map((p) => [p.dtype, p]));
  const what = files.location;
  const selection = selectDtypeFile(
    present.map((p) => ({ dtype: p.dtype, path: p.paths.join(' + '), bytes: p.bytes })),
    requested,
    backend,
    what,
    gpu,
  );
  const chosen = byDtype.get(selection.file.dtype) as DtypeFiles;
  return { ...selection, paths: chosen.paths, dtypes: present.map((p) => p.dtype) };
}

export interface OnnxFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly summary: OnnxSummary;
  /** Validated external data, relative to the folder, to hand to onnxruntime (release after the session is built). */
  readonly externalData: readonly { readonly path: string; readonly data: Uint8Array | LazyBytes }[];
  /** Where on disk the external-data locations are relative to (the ONNX file's folder), when the files have a disk path. */
  readonly externalDataFolder?: string;
}

/** Closes lazily read external data once a session holds its own copy. */
export function releaseExternalData(file: Pick<OnnxFile, 'externalData'>): void {
  for (const { data } of file.externalData) if ('close' in data && typeof data.close === 'function') data.close();
}

export interface ModelFolder {
  readonly files: ModelFiles;
  readonly config: ModelConfig;
  readonly rawConfig: JsonObject;
  readonly tokenizerJson: JsonObject;
  readonly tokenizerConfig: JsonObject;
  readonly tokenizer: ModelTokenizer;
}

const decoder = new TextDecoder();

async function readJson(files: ModelFiles, path: string): Promise<JsonObject> {
  if (!(await files.exists(path))) throw new ModelError(`${files.location} has no ${path}`);
  return parseJsonObject(decoder.decode(await files.readBytes(path, FILE_LIMITS.json)), path);
}

async function readOptionalJson(files: ModelFiles, path: string): Promise<JsonObject | undefined> {
  return (await files.exists(path)) ? readJson(files, path) : undefined;
}

export async function readModelFolder(files: ModelFiles): Promise<ModelFolder> {
  const rawConfig = await readJson(files, 'config.json');
  const generationConfig = await readOptionalJson(files, 'generation_config.json');
  const tokenizerJson = await readJson(files, 'tokenizer.json');
  const tokenizerConfig = (await readOptionalJson(files, 'tokenizer_config.json')) ?? {};
  const config = parseModelConfig(rawConfig, generationConfig);
  const tokenizer = new ModelTokenizer(tokenizerJson, tokenizerConfig);
  return { files, config, rawConfig, tokenizerJson, tokenizerConfig, tokenizer };
}

/**
 * ONNX files larger than this whose weights are inline are read as a small graph plus their own
 * bytes as external data (onnxExternalize.ts), where the platform reads ranges.
 */
export const EXTERNALIZE_ABOVE_BYTES = 64 * 1024 * 1024;

/**
 * Initializers of at least this size leave the graph for external data when it is externalized.
 * Not only the large weights: a q4 0.5B model keeps 65 MB of scales in sub-megabyte tensors, and
 * whatever stays inline onnxruntime-web copies into its heap and parses into copies of its own
 * (the 0.5B q4 file's peak RSS through the engine's load went from 1,739 to 1,389 MB at 4 KiB
 * instead of 1 MiB).
 * Below this size are the shape constants that graph optimizations fold.
 */
export const EXTERNAL_TENSOR_MIN_BYTES = 4096;

/** The graph of an ONNX file: all of it, or (large inline weights, Node) the graph with the weights left on disk. */
async function readGraph(files: ModelFiles, path: string, externalizeAbove: number): Promise<Uint8Array> {
  const size = await files.size(path);
  const { readRange, openLazily } = files;
  if (size !== undefined && size > externalizeAbove && readRange && openLazily) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const externalized = await externalizeInitializers((offset, length) => readRange.call(files, path, offset, length), size, name, EXTERNAL_TENSOR_MIN_BYTES).catch((error: unknown) => {
      throw unreadableOnnx(path, error);
    });
    if (externalized) return externalized.bytes;
  }
  return files.readBytes(path, FILE_LIMITS.onnx);
}

/** Reads an ONNX file and its external data once each, validated (locations, extents) before onnxruntime sees them. */
export async function readOnnxFile(files: ModelFiles, path: string, externalizeAbove = EXTERNALIZE_ABOVE_BYTES): Promise<OnnxFile> {
  const bytes = await readGraph(files, path, externalizeAbove);
  // Before any recursive reader walks it: a damaged or hostile file is refused in one sentence.
  vetOnnxBytes(path, bytes);
  const summary = summarizeOnnx(bytes);
  const directory = path.slice(0, path.lastIndexOf('/') + 1); // '' for a file at the top (lastIndexOf is -1)
  const externalData = [];
  for (const location of checkExternalData(summary, path)) {
    const size = await files.size(directory + location);
    if (size === undefined) throw new ModelError(`${path} keeps its weights in ${directory + location}, which is missing: download it too`);
    checkExternalExtents(summary, location, size);
    const data = files.openLazily ? await files.openLazily(directory + location) : await files.readBytes(directory + location, FILE_LIMITS.onnx);
    externalData.push({ path: location, data });
  }
  const externalDataFolder = files.diskPath === undefined ? undefined : `${files.diskPath}/${directory}`;
  return { path, bytes, summary, externalData, ...(externalDataFolder !== undefined ? { externalDataFolder } : {}) };
}
