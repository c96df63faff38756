// One memory measurement of bench/memory.ts in a fresh process, so that its RSS is the
// measurement's alone; writes a MemoryResult as JSON.
//   node --expose-gc --import tsx bench/memoryChild.ts JOB.json
// `host`: the extension's arrangement — this process is the extension host; completions run in
// the engine process, inspections in the inspector's own engine process, through the host-side
// session with the shared view cache (the shown document's views only); then the panel "closed"
// (views dropped, the inspector's process ended) and a wait. The engine processes' RSS is
// reported beside the host's.
// `inspect`: a model opened for the inspector only, one inspection (its first paint), peak RSS.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Engine, EnginePurpose } from '../src/engine/types';
import { inspectText, type InspectorSession } from '../src/inspector/session';
import { createViewCache, keepOnlyDocument } from '../src/inspector/viewCache';
import { processMb } from './realModel';

export type MemoryJob =
  | {
      readonly kind: 'host';
      readonly dir: string;
      readonly threads: number;
      readonly inspections: number;
      readonly completionsPerInspection: number;
      readonly inspectTokens: number;
      readonly closeWaitMs: number;
      readonly resultPath: string;
    }
  | {
      readonly kind: 'inspect';
      readonly dir: string;
      readonly dtype: string;
      readonly purpose: EnginePurpose;
      readonly threads: number;
      readonly inspectTokens: number;
      readonly resultPath: string;
    };

export interface MemoryResult {
  readonly rssStartMb: number;
  readonly rssLoadedMb: number;
  /** After warm-up completions, before any inspection. */
  readonly rssBeforeMb?: number;
  readonly rssAfterInspectionsMb?: number;
  readonly rssAfterCloseMb?: number;
  /** The completion engine's process: after warm-up, after the inspections, after the close. */
  readonly engineRssBeforeMb?: number;
  readonly engineRssAfterInspectionsMb?: number;
  readonly engineRssAfterCloseMb?: number;
  /** The inspector's engine process after the inspections, and its peak. */
  readonly inspectorRssAfterInspectionsMb?: number;
  readonly inspectorHwmMb?: number;
  /** Peak RSS (VmHWM) after loading, and after the inspection. */
  readonly hwmLoadedMb: number;
  readonly hwmEndMb: number;
  readonly inspectedTokens: number;
  readonly firstPaintMs?: number;
}

const ROOT = path.resolve(__dirname, '..');

/** What a settled process holds: garbage collected, then a moment for the allocator to give pages back. */
async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc?.();
  return processMb('self');
}

/** Real source, repeated: `tokens` tokens of it exactly (the inspector's maxTokens cuts the rest). */
async function sourceText(engine: Engine, tokens: number): Promise<string> {
  let text = ['src/engine/localEngine.ts', 'src/engine/generate.ts', 'src/engine/decoderModel.ts'].map((f) => readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
  while ((await engine.tokenize(text)).length < tokens + 8) text += text;
  return text;
}

async function hostJob(job: Extract<MemoryJob, { kind: 'host' }>): Promise<MemoryResult> {
  const rssStartMb = await settledRss();
  const { WorkerHost } = await import('../src/host/workerHost');
  const workerPath = path.join(ROOT, 'dist', 'worker.mjs');
  const host = new WorkerHost({ workerPath, threads: job.threads, isolation: 'process' });
  const inspectorHost = new WorkerHost({ workerPath, threads: job.threads, isolation: 'process' });
  try {
    const engine = await host.load(job.dir, { threads: job.threads });
    const rssLoadedMb = await settledRss();
    const hwmLoadedMb = processMb('self', 'VmHWM');
    const text = await sourceText(engine, job.inspectTokens);
    const lines = text.split('\n');
    // Completions at varying cursor positions of the same file, as typing through it would ask.
    let cursor = 40;
    const complete = async () => {
      cursor = (cursor + 7) % (lines.length - 1) || 40;
      await engine.generate({ prompt: lines.slice(Math.max(0, cursor - 60), cursor).join('\n'), maxNewTokens: 16 });
    };
    for (let i = 0; i < 20; i++) await complete();
    const rssBeforeMb = await settledRss();
    const engineRssBeforeMb = processMb(host.enginePid);
    // The inspector's engine, as ModelManager opens it: the same folder, for its attention only.
    const inspector = await inspectorHost.load(job.dir, { threads: job.threads, purpose: 'inspector' });
    const views = createViewCache();
    let session: InspectorSession | undefined;
    let firstPaintMs = 0;
    for (let i = 0; i < job.inspections; i++) {
      const started = performance.now();
      session = await inspectText(inspector, { text, maxTokens: job.inspectTokens, views }, { docId: i + 1, title: 'memory', modelName: inspector.info.name });
      firstPaintMs = performance.now() - started;
      keepOnlyDocument(views, session.docId); // as the panel does when it shows a new document
      // a user looks at a layer and a head of it
      await session.section('self').quantized({ kind: 'layer', layer: i % inspector.info.layers });
      await session.section('self').quantized({ kind: 'head', layer: 0, head: i % inspector.info.heads });
      for (let c = 0; c < job.completionsPerInspection; c++) await complete();
    }
    const inspectedTokens = session?.document.sections[0]?.queryTokens.length ?? 0;
    const rssAfterInspectionsMb = await settledRss();
    const engineRssAfterInspectionsMb = processMb(host.enginePid);
    const inspectorRssAfterInspectionsMb = processMb(inspectorHost.enginePid);
    const inspectorHwmMb = processMb(inspectorHost.enginePid, 'VmHWM');
    // The panel closes: its sessions and views go, and the inspector's engine process ends.
    session = undefined;
    views.clear();
    await inspectorHost.stop('the inspector panel closed');
    await new Promise((resolve) => setTimeout(resolve, job.closeWaitMs));
    const rssAfterCloseMb = await settledRss();
    const engineRssAfterCloseMb = processMb(host.enginePid);
    return {
      rssStartMb,
      rssLoadedMb,
      rssBeforeMb,
      rssAfterInspectionsMb,
      rssAfterCloseMb,
      engineRssBeforeMb,
      engineRssAfterInspectionsMb,
      engineRssAfterCloseMb,
      inspectorRssAfterInspectionsMb,
      inspectorHwmMb,
      hwmLoadedMb,
      hwmEndMb: processMb('self', 'VmHWM'),
      inspectedTokens,
      firstPaintMs,
    };
  } finally {
    await Promise.all([host.dispose(), inspectorHost.dispose()]);
  }
}

async function inspectJob(job: Extract<MemoryJob, { kind: 'inspect' }>): Promise<MemoryResult> {
  const rssStartMb = await settledRss();
  const { createInProcessHost } = await import('../src/host/inProcessHost');
  const host = createInProcessHost();
  try {
    const engine = await host.load(job.dir, { threads: job.threads, dtype: job.dtype as 'q8', purpose: job.purpose });
    const rssLoadedMb = processMb('self');
    const hwmLoadedMb = processMb('self', 'VmHWM');
    const text = await sourceText(engine, job.inspectTokens);
    const started = performance.now();
    const session = await inspectText(engine, { text, maxTokens: job.inspectTokens }, { docId: 1, title: 'memory', modelName: engine.info.name });
    const firstPaintMs = performance.now() - started;
    return { rssStartMb, rssLoadedMb, hwmLoadedMb, hwmEndMb: processMb('self', 'VmHWM'), inspectedTokens: session.document.sections[0]?.queryTokens.length ?? 0, firstPaintMs };
  } finally {
    await host.dispose();
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as MemoryJob;
  const result = job.kind === 'host' ? await hostJob(job) : await inspectJob(job);
  writeFileSync(job.resultPath, JSON.stringify(result));
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
