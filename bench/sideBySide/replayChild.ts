// The keystroke replay (replay.ts) in a process of its own:
//   node --import tsx bench/sideBySide/replayChild.ts OPTIONS.json OUT.json
// transformers.js must not share a process with onnxruntime-web: both packages register with the
// one onnxruntime-common, and transformers.js then points the WebAssembly backend at its CDN.
import { readFileSync, writeFileSync } from 'node:fs';
import { replayKeystrokes, type ReplayOptions } from './replay';

async function main(optionsFile: string, outFile: string): Promise<void> {
  const options = JSON.parse(readFileSync(optionsFile, 'utf8')) as Omit<ReplayOptions, 'log'>;
  const figures = await replayKeystrokes({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  writeFileSync(outFile, JSON.stringify(figures));
}

const [optionsFile, outFile] = process.argv.slice(2);
if (!optionsFile || !outFile) throw new Error('usage: replayChild.ts OPTIONS.json OUT.json');
main(optionsFile, outFile).then(
  // The engine's worker would keep the process alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
