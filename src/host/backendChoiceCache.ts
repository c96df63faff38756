// Where `auto` remembers what it measured, per model and machine: a JSON file (the extension's
// global storage, or the CLI's cache folder). A model's files changing (size or time), another
// dtype, thread count, CPU or onnxruntime version make a new key, so the probe runs again. An
// unreadable or unwritable file only means measuring again.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Backend } from '../engine/types';

export interface BackendMeasurement {
  readonly ms: number;
  readonly prefillMs?: number;
  readonly decodeMsPerToken?: number;
}

export interface BackendChoice {
  readonly backend: Backend;
  /** The dtype both backends ran (auto compares them on the same file), and why it was chosen. */
  readonly dtype: string;
  readonly dtypeReason: string;
  readonly measured: Readonly<Partial<Record<Backend, BackendMeasurement>>>;
  /** Why, in one sentence (as first said). */
  readonly reason: string;
}

interface CacheFile {
  readonly version: 1;
  readonly choices: Record<string, BackendChoice>;
}

/** At most this many entries are kept (the newest). */
const MAX_ENTRIES = 64;

/**
 * The key of a model folder on this machine: its real path, the requested dtype, the size and
 * modification time of config.json and of every file in onnx/, the threads, and the machine.
 */
export async function choiceKey(modelDir: string, facts: { readonly dtype: string; readonly threads: number; readonly runtimes: string }): Promise<string> {
  const root = await fs.realpath(modelDir);
  const stamp = async (file: string) => {
    const stat = await fs.stat(path.join(root, file)).catch(() => undefined);
    return stat ? `${file}:${stat.size}:${Math.round(stat.mtimeMs)}` : `${file}:-`;
  };
  const onnx = (await fs.readdir(path.join(root, 'onnx')).catch(() => [] as string[])).sort();
  const files = await Promise.all(['config.json', ...onnx.map((f) => `onnx/${f}`)].map(stamp));
  const machine = [process.platform, process.arch, os.cpus()[0]?.model ?? '', os.availableParallelism()].join('|');
  return createHash('sha256')
    .update(JSON.stringify({ root, files, dtype: facts.dtype, threads: facts.threads, runtimes: facts.runtimes, machine }))
    .digest('hex');
}

export class BackendChoiceCache {
  constructor(private readonly file: string | undefined) {}

  async get(key: string): Promise<BackendChoice | undefined> {
    const choice = (await this.read()).choices[key];
    // The file is ours, but anything may have written it: only a well-formed entry counts.
    const wellFormed = choice !== undefined && (choice.backend === 'wasm' || choice.backend === 'native') && typeof choice.dtype === 'string' && typeof choice.dtypeReason === 'string' && typeof choice.reason === 'string';
    return wellFormed ? choice : undefined;
  }

  async set(key: string, choice: BackendChoice): Promise<void> {
    if (this.file === undefined) return;
    const { choices } = await this.read();
    delete choices[key];
    choices[key] = choice;
    const kept = Object.entries(choices).slice(-MAX_ENTRIES);
    const next: CacheFile = { version: 1, choices: Object.fromEntries(kept) };
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      // Written aside and renamed: two windows writing at once never leave half a file.
      const temporary = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(temporary, JSON.stringify(next));
      await fs.rename(temporary, this.file);
    } catch {
      // Not remembered: the next load measures again.
    }
  }

  private async read(): Promise<CacheFile> {
    if (this.file === undefined) return { version: 1, choices: {} };
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<CacheFile>;
      if (parsed.version === 1 && typeof parsed.choices === 'object' && parsed.choices !== null) return { version: 1, choices: { ...parsed.choices } };
    } catch {
      // Missing or unreadable: nothing measured yet.
    }
    return { version: 1, choices: {} };
  }
}
