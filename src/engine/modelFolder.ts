// Reads a model folder in the transformers.js / Optimum layout through a ModelFiles source (Node fs
// in the worker and CLI, posted bytes in a webview), validating everything before use.
import { ModelError } from './errors';
import { type JsonObject, type ModelConfig, parseJsonObject, parseModelConfig } from './modelConfig';
import { checkExternalData, type OnnxSummary, summarizeOnnx } from './onnxProto';
import { ModelTokenizer } from './tokenizer';

/** Read access to one model folder. Implementations must refuse paths escaping the folder and symlinks. */
export interface ModelFiles {
  /** Human-readable location for messages (a path or a name). */
  readonly location: string;
  exists(relativePath: string): Promise<boolean>;
  /** Throws a ModelError when the file is larger than maxBytes. */
  readBytes(relativePath: string, maxBytes: number): Promise<Uint8Array>;
}

export const FILE_LIMITS = {
  json: 64 * 1024 * 1024,
  /** onnxruntime-web's WASM heap is 32-bit: a single model or data file cannot exceed ~2 GiB. */
  onnx: 2 * 1024 * 1024 * 1024 - 1,
} as const;

export const ONNX_FILES = {
  decoder: ['onnx/model.onnx', 'onnx/decoder_model_merged.onnx'],
  encoder: ['onnx/encoder_model.onnx'],
  seq2seqDecoder: ['onnx/decoder_model_merged.onnx'],
} as const;

export interface OnnxFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly summary: OnnxSummary;
  /** Validated external data, relative to the folder, to hand to onnxruntime. */
  readonly externalData: readonly { readonly path: string; readonly data: Uint8Array }[];
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

export async function findOnnxFile(files: ModelFiles, candidates: readonly string[]): Promise<string> {
  for (const candidate of candidates) {
    if (await files.exists(candidate)) return candidate;
  }
  throw new ModelError(`${files.location} has no ${candidates.join(' or ')}`);
}

export async function readOnnxFile(files: ModelFiles, path: string): Promise<OnnxFile> {
  const bytes = await files.readBytes(path, FILE_LIMITS.onnx);
  const summary = summarizeOnnx(bytes);
  const directory = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const externalData = [];
  for (const location of checkExternalData(summary, path)) {
    externalData.push({ path: location, data: await files.readBytes(directory + location, FILE_LIMITS.onnx) });
  }
  return { path, bytes, summary, externalData };
}
