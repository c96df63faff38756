// One system's round of the side-by-side benchmark in a fresh process, so that its load time and
// peak RSS are its own:  node --import tsx bench/sideBySide/nodeChild.ts JOB.json OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { parseVmHwmMb } from '../realModel';
import { runDecodeJob } from './decodeJob';
import { openNodeSystem } from './nodeSystems';
import type { DecodeJob, DecodeRun, NodeSystem } from './types';

export interface NodeChildJob {
  readonly system: NodeSystem;
  readonly job: DecodeJob;
}

async function main(jobFile: string, outFile: string): Promise<void> {
  const { system, job } = JSON.parse(readFileSync(jobFile, 'utf8')) as NodeChildJob;
  const run = await runDecodeJob(system, job, () => openNodeSystem(system, job.model, job.threads));
  const measured: DecodeRun = { ...run, peakRssMb: parseVmHwmMb(readFileSync('/proc/self/status', 'utf8')) };
  writeFileSync(outFile, JSON.stringify(measured));
}

const [jobFile, outFile] = process.argv.slice(2);
if (!jobFile || !outFile) throw new Error('usage: nodeChild.ts JOB.json OUT.json');
main(jobFile, outFile).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
