// One system's round of the side-by-side benchmark in a fresh process, so that its load time and
// peak RSS are its own:  node --import tsx bench/sideBySide/nodeChild.ts JOB.json OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parseVmHwmMb } from '../realModel';
import { type CpuProfile, summarizeProfile } from './cpuProfile';
import { runDecodeJob } from './decodeJob';
import { openNodeSystem } from './nodeSystems';
import type { DecodeJob, DecodeRun, NodeSystem } from './types';

export interface NodeChildJob {
  readonly system: NodeSystem;
  readonly job: DecodeJob;
  /** Profile the measured runs with V8's sampling profiler (summarized: cpuProfile.ts). */
  readonly profile?: boolean;
}

/** V8's profiler through the inspector protocol, on this thread. */
function profiler(): { start(): Promise<void>; stop(): Promise<void>; result(): CpuProfile | undefined } {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  let profile: CpuProfile | undefined;
  return {
    async start() {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
    },
    async stop() {
      profile = (await post<{ profile: CpuProfile }>('Profiler.stop')).profile;
      session.disconnect();
    },
    result: () => profile,
  };
}

async function main(jobFile: string, outFile: string): Promise<void> {
  const { system, job, profile } = JSON.parse(readFileSync(jobFile, 'utf8')) as NodeChildJob;
  const sampler = profile ? profiler() : undefined;
  const run = await runDecodeJob(system, job, () => openNodeSystem(system, job.model, job.threads), sampler);
  const samples = sampler?.result();
  const measured: DecodeRun = {
    ...run,
    peakRssMb: parseVmHwmMb(readFileSync('/proc/self/status', 'utf8')),
    ...(samples ? { profile: summarizeProfile(samples) } : {}),
  };
  writeFileSync(outFile, JSON.stringify(measured));
}

const [jobFile, outFile] = process.argv.slice(2);
if (!jobFile || !outFile) throw new Error('usage: nodeChild.ts JOB.json OUT.json');
main(jobFile, outFile).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
