// One model's prefill-chunks figures (bench/prefillChunks.ts) in a fresh process, so that a 0.5B
// model gets a WebAssembly heap of its own:
//   node --import tsx bench/prefillChunksChild.ts '{"modelDir":…,"tokens":…,"rounds":…,"threads":…}'
// Prints the BenchSection as JSON on the last line of stdout.
import { configureOrt } from '../src/host/inProcessHost';
import { benchPrefillChunks, type PrefillChunkOptions } from './prefillChunks';

interface Job extends PrefillChunkOptions {
  readonly modelDir: string;
  readonly threads: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  configureOrt(job.threads);
  const section = await benchPrefillChunks(job.modelDir, job);
  process.stdout.write(`${JSON.stringify(section)}\n`);
}

void main();
