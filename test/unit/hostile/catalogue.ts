// Hostile and broken model folders, each made at test time from a valid fixture (a copy in a temp
// folder, then one damage), with the one sentence Tealeaf must answer with. They are generated
// rather than committed: most are a small edit of a 0.5 MB fixture, and symbolic links, a FIFO and
// a 10 GB sparse file cannot live in the repository.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../engine/helpers';
import { nestedSubgraphs, withExternalLocation, withInitializerDims, withInputShape, withRenamedInput } from './onnxEdits';

/** The valid folder a case starts from. */
export type Base = 'tiny-gpt2' | 'qwen-external' | 'tiny-marian';

export interface HostileCase {
  /** Folder name, and the test's title. */
  readonly name: string;
  readonly base: Base;
  /** Damages the copy in `dir`; `outside` is a sibling folder outside the model (links point there). */
  readonly damage: (dir: string, outside: string) => void;
  /** The whole error sentence, as a pattern (the folder's location varies). */
  readonly error: RegExp;
}

const TEN_GB = 10 * 1024 ** 3;

/** The files of each base that a copy takes: Qwen's layout keeps only fp32, whose weights are external. */
const BASE_FILES: Readonly<Record<Base, { readonly fixture: string; readonly files?: readonly string[] }>> = {
  'tiny-gpt2': { fixture: 'tiny-gpt2' },
  'qwen-external': {
    fixture: 'hub-qwen2.5-coder',
    files: ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data'],
  },
  'tiny-marian': { fixture: 'tiny-marian' },
};

/** A valid copy of a base fixture at `dir`. */
export function copyBase(base: Base, dir: string): void {
  const { fixture, files } = BASE_FILES[base];
  const from = path.join(FIXTURES, fixture);
  if (!files) {
    cpSync(from, dir, { recursive: true });
    return;
  }
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(from, file), path.join(dir, file));
  }
}

const MODEL = 'onnx/model.onnx';
const DATA = 'onnx/model.onnx_data';

function edit(dir: string, file: string, change: (bytes: Uint8Array) => Uint8Array): void {
  const at = path.join(dir, file);
  writeFileSync(at, change(new Uint8Array(readFileSync(at))));
}

function editJson(dir: string, file: string, change: (json: Record<string, unknown>) => void): void {
  const at = path.join(dir, file);
  const json = JSON.parse(readFileSync(at, 'utf8')) as Record<string, unknown>;
  change(json);
  writeFileSync(at, JSON.stringify(json));
}

/** Replaces a file by a folder of the same name. */
function folderInstead(dir: string, file: string): void {
  rmSync(path.join(dir, file));
  mkdirSync(path.join(dir, file));
}

/** Replaces a file by a symbolic link to a copy of it outside the model folder. */
function linkOutside(dir: string, outside: string, file: string): void {
  const target = path.join(outside, path.basename(file));
  cpSync(path.join(dir, file), target);
  rmSync(path.join(dir, file));
  symlinkSync(target, path.join(dir, file));
}

/** Deterministic bytes (a linear congruential generator): garbage that is the same on every run. */
function garbage(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const encoder = new TextEncoder();
const FOLDER = '\\S+';

export const HOSTILE_CASES: readonly HostileCase[] = [
  // The ONNX file itself.
  {
    name: 'onnx-empty-file',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, MODEL), ''),
    error: /^onnx\/model\.onnx is empty \(0 bytes\): download or export it again$/,
  },
  {
    name: 'onnx-truncated',
    base: 'tiny-gpt2',
    damage: (dir) => edit(dir, MODEL, (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2))),
    error: /^onnx\/model\.onnx is not a readable ONNX file \(truncated protobuf\): download or export it again$/,
  },
  {
    name: 'onnx-garbage',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, MODEL), garbage(4096, 7)),
    error: /^onnx\/model\.onnx is not a readable ONNX file \([a-z0-9 ]+\): download or export it again$/,
  },
  {
    name: 'onnx-html-page',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, MODEL), '<!DOCTYPE html><html><body>Sign in to download this file</body></html>\n'),
    error: /^onnx\/model\.onnx is not a readable ONNX file \(unsupported protobuf wire type \d\): download or export it again$/,
  },
  {
    name: 'onnx-git-lfs-pointer',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, MODEL), `version https://git-lfs.github.com/spec/v1\noid sha256:${'ab'.repeat(32)}\nsize 458761\n`),
    error: /^onnx\/model\.onnx is a Git LFS pointer, not the model: fetch the file itself \(git lfs pull\)$/,
  },
  {
    name: 'onnx-without-graph',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, MODEL), Uint8Array.of(0x08, 0x08)),
    error: /^onnx\/model\.onnx holds no ONNX graph: download or export it again$/,
  },
  {
    name: 'onnx-nested-subgraphs',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, MODEL), nestedSubgraphs(20_000)),
    error: /^onnx\/model\.onnx is not a readable ONNX file \(subgraphs nested deeper than 64 levels\): download or export it again$/,
  },
  {
    name: 'onnx-declared-dimension-2^40',
    base: 'tiny-gpt2',
    damage: (dir) => edit(dir, MODEL, (bytes) => withInitializerDims(bytes, [2 ** 40])),
    error: /^onnx\/model\.onnx declares the tensor \S+ with 1099511627776 elements, more than onnxruntime-web's 4 GB memory holds: refused$/,
  },
  {
    name: 'onnx-input-dimension-2^40',
    base: 'tiny-gpt2',
    damage: (dir) => edit(dir, MODEL, (bytes) => withInputShape(bytes, 'input_ids', [1, 2 ** 40])),
    error: /^onnx\/model\.onnx declares input_ids with a dimension of 1099511627776, more than onnxruntime-web's 4 GB memory holds: refused$/,
  },
  {
    name: 'onnx-renamed-input-ids',
    base: 'tiny-gpt2',
    damage: (dir) => edit(dir, MODEL, (bytes) => withRenamedInput(bytes, 'input_ids', 'tokens')),
    error: /^onnx\/model\.onnx has no input_ids input$/,
  },
  {
    name: 'onnx-renamed-past-inputs',
    base: 'tiny-gpt2',
    damage: (dir) =>
      edit(dir, MODEL, (bytes) =>
        ['0.key', '0.value', '1.key', '1.value'].reduce((model, name) => withRenamedInput(model, `past_key_values.${name}`, `cache.${name}`), bytes),
      ),
    error: /^onnx\/model\.onnx has no past_key_values\.\* inputs: export it with KV cache \(a merged decoder\)$/,
  },
  {
    name: 'onnx-folder-instead-of-file',
    base: 'tiny-gpt2',
    damage: (dir) => folderInstead(dir, MODEL),
    error: /^onnx\/model\.onnx is a folder where a file should be$/,
  },
  {
    name: 'onnx-10-GB-sparse',
    base: 'tiny-gpt2',
    damage: (dir) => truncateSync(path.join(dir, MODEL), TEN_GB),
    error: new RegExp(`^${FOLDER}: even its smallest file \\(onnx/model\\.onnx, 10240 MB\\) is over the 3072 MB that wasm can hold$`),
  },
  // External data.
  {
    name: 'external-data-dotdot',
    base: 'qwen-external',
    damage: (dir) => edit(dir, MODEL, (bytes) => withExternalLocation(bytes, '../../secret.bin')),
    error: /^onnx\/model\.onnx uses an external-data path outside the model folder \(\.\.\/\.\.\/secret\.bin\): refused$/,
  },
  {
    name: 'external-data-absolute',
    base: 'qwen-external',
    damage: (dir) => edit(dir, MODEL, (bytes) => withExternalLocation(bytes, '/etc/passwd')),
    error: /^onnx\/model\.onnx uses an absolute external-data path \(\/etc\/passwd\): refused$/,
  },
  {
    name: 'external-data-ort-mem-addr',
    base: 'qwen-external',
    damage: (dir) => edit(dir, MODEL, (bytes) => withExternalLocation(bytes, '*/_ORT_MEM_ADDR_/*')),
    error: /^onnx\/model\.onnx points external data at process memory \(_ORT_MEM_ADDR_\): refused$/,
  },
  {
    name: 'external-data-missing',
    base: 'qwen-external',
    damage: (dir) => rmSync(path.join(dir, DATA)),
    error: /^onnx\/model\.onnx keeps its weights in onnx\/model\.onnx_data, which is missing: download it too$/,
  },
  {
    name: 'external-data-truncated',
    base: 'qwen-external',
    damage: (dir) => truncateSync(path.join(dir, DATA), 1000),
    error: /^model\.onnx_data is truncated or incomplete: it has 1000 bytes, but the graph reads up to byte \d+; download it again$/,
  },
  {
    name: 'external-data-symlink-outside',
    base: 'qwen-external',
    damage: (dir, outside) => linkOutside(dir, outside, DATA),
    error: /^refused onnx\/model\.onnx_data: symbolic links are not followed in model folders$/,
  },
  {
    name: 'external-data-folder-instead-of-file',
    base: 'qwen-external',
    damage: (dir) => folderInstead(dir, DATA),
    error: /^onnx\/model\.onnx_data is a folder where a file should be$/,
  },
  {
    name: 'external-data-10-GB-sparse',
    base: 'qwen-external',
    damage: (dir) => truncateSync(path.join(dir, DATA), TEN_GB),
    error: new RegExp(`^${FOLDER}: even its smallest file \\(onnx/model\\.onnx, 10240 MB\\) is over the 3072 MB that wasm can hold$`),
  },
  {
    name: 'onnx-folder-symlink-outside',
    base: 'tiny-gpt2',
    damage: (dir, outside) => {
      cpSync(path.join(dir, 'onnx'), path.join(outside, 'onnx'), { recursive: true });
      rmSync(path.join(dir, 'onnx'), { recursive: true });
      symlinkSync(path.join(outside, 'onnx'), path.join(dir, 'onnx'));
    },
    error: /^refused onnx\/model\.onnx: symbolic links are not followed in model folders$/,
  },
  // config.json
  {
    name: 'config-missing',
    base: 'tiny-gpt2',
    damage: (dir) => rmSync(path.join(dir, 'config.json')),
    error: new RegExp(`^${FOLDER} has no config\\.json$`),
  },
  {
    name: 'config-malformed',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, 'config.json'), '{"model_type": "gpt2", "n_layer": 2,'),
    error: /^config\.json is not valid JSON: .+$/,
  },
  {
    name: 'config-symlink-outside',
    base: 'tiny-gpt2',
    damage: (dir, outside) => linkOutside(dir, outside, 'config.json'),
    error: /^refused config\.json: symbolic links are not followed in model folders$/,
  },
  {
    name: 'config-folder-instead-of-file',
    base: 'tiny-gpt2',
    damage: (dir) => folderInstead(dir, 'config.json'),
    error: /^config\.json is a folder where a file should be$/,
  },
  {
    name: 'config-fifo-instead-of-file',
    base: 'tiny-gpt2',
    damage: (dir) => {
      rmSync(path.join(dir, 'config.json'));
      const made = spawnSync('mkfifo', [path.join(dir, 'config.json')]);
      if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
    },
    error: /^config\.json is not a regular file$/,
  },
  {
    name: 'config-layers-2^40',
    base: 'tiny-gpt2',
    damage: (dir) => editJson(dir, 'config.json', (config) => (config.n_layer = 2 ** 40)),
    error: /^config\.json declares the number of layers = 1099511627776, outside 1\.\.256$/,
  },
  {
    name: 'config-layers-disagree-with-graph',
    base: 'tiny-gpt2',
    damage: (dir) => editJson(dir, 'config.json', (config) => (config.n_layer = 3)),
    error: /^onnx\/model\.onnx has 2 cached layers but config\.json declares 3$/,
  },
  {
    name: 'config-heads-not-multiple-of-kv-heads',
    base: 'tiny-gpt2',
    damage: (dir) => editJson(dir, 'config.json', (config) => (config.num_key_value_heads = 3)),
    error: /^config\.json: 4 attention heads are not a multiple of 3 key\/value heads$/,
  },
  {
    name: 'config-claims-encoder-decoder',
    base: 'tiny-gpt2',
    damage: (dir) => editJson(dir, 'config.json', (config) => (config.is_encoder_decoder = true)),
    error: /^config\.json declares neither decoder_start_token_id nor pad_token_id$/,
  },
  // tokenizer.json
  {
    name: 'tokenizer-missing',
    base: 'tiny-gpt2',
    damage: (dir) => rmSync(path.join(dir, 'tokenizer.json')),
    error: new RegExp(`^${FOLDER} has no tokenizer\\.json$`),
  },
  {
    name: 'tokenizer-malformed',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, 'tokenizer.json'), encoder.encode('{"version": "1.0", "model": {"type": "BPE", "vocab": {')),
    error: /^tokenizer\.json is not valid JSON: .+$/,
  },
  {
    name: 'tokenizer-without-model',
    base: 'tiny-gpt2',
    damage: (dir) => writeFileSync(path.join(dir, 'tokenizer.json'), '{"version": "1.0", "added_tokens": []}'),
    error: /^tokenizer\.json could not be loaded: .+$/,
  },
  {
    name: 'tokenizer-catastrophic-regex',
    base: 'tiny-gpt2',
    damage: (dir) =>
      editJson(dir, 'tokenizer.json', (tokenizer) => {
        tokenizer.pre_tokenizer = {
          type: 'Sequence',
          pretokenizers: [{ type: 'Split', pattern: { Regex: '(\\w+\\s?)+$' }, behavior: 'Isolated', invert: false }, tokenizer.pre_tokenizer],
        };
      }),
    error: /^tokenizer\.json: the pattern \(\\w\+\\s\?\)\+\$ repeats a group that itself repeats, which can take exponential time on some texts: refused$/,
  },
  {
    name: 'tokenizer-10-GB-sparse',
    base: 'tiny-gpt2',
    damage: (dir) => truncateSync(path.join(dir, 'tokenizer.json'), TEN_GB),
    error: /^tokenizer\.json is 10737418240 bytes, over the 67108864-byte limit$/,
  },
  // Folders without a usable model.
  {
    name: 'pickle-only',
    base: 'tiny-gpt2',
    damage: (dir) => {
      rmSync(path.join(dir, 'onnx'), { recursive: true });
      // The opening bytes of a pickle (protocol 2): Tealeaf must name the file, never open it.
      writeFileSync(path.join(dir, 'pytorch_model.bin'), Uint8Array.of(0x80, 0x02, 0x63, 0x6f, 0x73, 0x0a));
    },
    error: new RegExp(`^${FOLDER} has only PyTorch weights \\(pytorch_model\\.bin\\), which can run code when loaded and are never opened: export the model to ONNX \\(onnx/model\\.onnx\\)$`),
  },
  {
    name: 'seq2seq-decoder-missing',
    base: 'tiny-marian',
    damage: (dir) => rmSync(path.join(dir, 'onnx', 'decoder_model_merged.onnx')),
    error: new RegExp(`^${FOLDER} has no ONNX files for an encoder-decoder model: it needs onnx/encoder_model\\.onnx and onnx/decoder_model_merged\\.onnx \\(or one of their dtype variants\\)$`),
  },
];

/** Makes every case's folder under `root`: `root/<name>/model` (the model) and `root/<name>/outside`. */
export function makeHostileFolders(root: string, cases: readonly HostileCase[] = HOSTILE_CASES): Map<string, string> {
  const made = new Map<string, string>();
  for (const hostile of cases) {
    const dir = path.join(root, hostile.name, 'model');
    const outside = path.join(root, hostile.name, 'outside');
    mkdirSync(outside, { recursive: true });
    copyBase(hostile.base, dir);
    hostile.damage(dir, outside);
    made.set(hostile.name, dir);
  }
  return made;
}
