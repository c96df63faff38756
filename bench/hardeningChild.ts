// One measurement of bench/hardening.ts in a fresh process (its timers and its RSS its own); writes
// StormFigures or SoakFigures as JSON to RESULT.json.
//   node --expose-gc --import tsx bench/hardeningChild.ts '{"kind":"storm",…}' RESULT.json
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CompletionService, type CompletionRequest } from '../src/completions/service';
import { type CompletionSettings, DEFAULT_SETTINGS } from '../src/completions/settings';
import { seededRandom } from '../src/engine/sampling';
import type { Engine, GenerateCallOptions, GenerateRequest, GenerateResult } from '../src/engine/types';
import { inspectText, type InspectorSession } from '../src/inspector/session';
import { createViewCache, keepOnlyDocument } from '../src/inspector/viewCache';
import { WorkerHost } from '../src/host/workerHost';
import { readReplay } from './editReplay';
import { keystrokeWalk } from './hardening';
import { processMb } from './realModel';
import { median } from './types';

const ROOT = path.resolve(__dirname, '..');

interface JobBase {
  readonly dir: string;
  readonly threads: number;
}

export type HardeningJob =
  | (JobBase & { readonly kind: 'storm'; readonly keystrokes: number; readonly intervalMs: number; readonly fileTokens: number })
  | (JobBase & { readonly kind: 'soak'; readonly completions: number; readonly inspections: number; readonly inspectTokens: number; readonly warmupShare: number });

/** One storm at one debounce. */
export interface StormRun {
  readonly debounceMs: number;
  /** Most engine.generate calls unsettled at once (the worker proxy answers only when the worker has). */
  readonly maxGenerationsInFlight: number;
  /** Suggestions answered for a keystroke after a newer keystroke had been typed. */
  readonly staleSuggestionsShown: number;
  readonly suggestionsShown: number;
  readonly generationsStarted: number;
  /** How late the most belated keystroke was typed against its 5 ms schedule. */
  readonly keystrokeLateMaxMs: number;
  /** Last keystroke → the final request's answer, and → the first token of its generation. */
  readonly finalSuggestionMs: number;
  readonly finalFirstTokenMs: number;
  readonly finalShown: boolean;
  readonly finalPrefillMs: number;
  readonly finalReusedTokens: number;
  readonly finalDecodeMsPerToken: number;
}

export interface StormFigures {
  readonly defaultDebounceMs: number;
  readonly fileTokens: number;
  readonly finalPromptTokens: number;
  /** The final prompt prefilled from nothing (median of three), for the bound. */
  readonly coldPrefillMs: number;
  readonly runs: readonly StormRun[];
}

/** Resident MB of each process: the host (this one), the completion engine's, the inspector's. */
export interface ResidentSplit {
  readonly hostMb: number;
  readonly workerMb: number;
  readonly inspectorMb: number;
}

/** The engine processes whose memory is measured. */
interface EnginePids {
  readonly engine: number | undefined;
  readonly inspector: number | undefined;
}

export interface SoakFigures {
  readonly completions: number;
  readonly generations: number;
  readonly inspections: number;
  readonly warmupInspections: number;
  /** After warm-up, at the end (panel open), and once its views are dropped (panel closed). */
  readonly base: ResidentSplit;
  readonly end: ResidentSplit;
  readonly afterClose: ResidentSplit;
  /** Every tenth of the soak. */
  readonly trace: readonly (ResidentSplit & { readonly inspections: number })[];
  /** The panel's view cache after warm-up and at the end (bounded by tealeaf.inspector.memoryBudgetMB). */
  readonly viewCacheBaseMb: number;
  readonly viewCacheMb: number;
  readonly inspectedTokensMin: number;
  readonly minutes: number;
}

/** The Engine with its generate calls watched: how many run at once, when each saw its first token. */
class WatchedEngine implements Engine {
  inFlight = 0;
  maxInFlight = 0;
  readonly calls: { readonly startedAt: number; firstTokenAt?: number }[] = [];

  constructor(private readonly inner: Engine) {}

  get info() {
    return this.inner.info;
  }

  async generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    const call: { startedAt: number; firstTokenAt?: number } = { startedAt: performance.now() };
    this.calls.push(call);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      return await this.inner.generate(request, {
        ...options,
        onToken: (token) => {
          call.firstTokenAt ??= performance.now();
          options.onToken?.(token);
        },
      });
    } finally {
      this.inFlight--;
    }
  }

  tokenize: Engine['tokenize'] = (text) => this.inner.tokenize(text);
  attention: Engine['attention'] = (request, options) => this.inner.attention(request, options);
  generationAttention: Engine['generationAttention'] = (id) => this.inner.generationAttention(id);
  translate: Engine['translate'] = (request, options) => this.inner.translate(request, options);
  translationAttention: Engine['translationAttention'] = (id) => this.inner.translationAttention(id);
  dispose: Engine['dispose'] = () => this.inner.dispose();
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------------
// Storm
// ------------------------------------------------------------------------------------------------

/**
 * Real source that does not change as the repository does (the files of bench/data's edit replay,
 * as their commits found them): the storm's file and what the soak types through.
 */
const SOURCES = readReplay().sessions.map((s) => ({ file: s.file, text: s.before }));

/** The first replay file of at least `tokens` tokens, cut at the first line end after them. */
async function fileOfTokens(engine: Engine, tokens: number): Promise<{ text: string; tokens: number }> {
  const { text: source, spans } = await firstLongEnough(engine, tokens);
  const cut = source.indexOf('\n', spans[tokens - 1]!.start);
  const text = source.slice(0, cut + 1);
  return { text, tokens: (await engine.tokenize(text)).length };
}

async function firstLongEnough(engine: Engine, tokens: number): Promise<{ text: string; spans: readonly { readonly start: number }[] }> {
  for (const { text } of SOURCES) {
    const spans = await engine.tokenize(text);
    if (spans.length > tokens) return { text, spans };
  }
  throw new Error(`no file of the edit replay has ${tokens} tokens`);
}

/**
 * Where the storm's typing ends: in the last lines of the file, part way into a line (the rest of
 * that line not yet written, as when typing new code), at the first such place where the model has
 * something to suggest, so that the final suggestion is there to be timed.
 */
async function stormEnd(engine: Engine, file: string, typed: number): Promise<{ end: number; after: string }> {
  const probe = new CompletionService({ engine: () => engine, settings: () => ({ ...DEFAULT_SETTINGS, debounceMs: 0 }), useCache: false, captureAttention: false });
  let lineEnd = file.lastIndexOf('\n', file.length - 2);
  for (let tries = 0; tries < 40 && lineEnd > typed; tries++) {
    const lineStart = file.lastIndexOf('\n', lineEnd - 1) + 1;
    const content = /^(\s*)(.*)$/.exec(file.slice(lineStart, lineEnd))!;
    const end = lineStart + content[1]!.length + Math.ceil(content[2]!.length / 3);
    const after = file.slice(lineEnd);
    if (content[2]!.length >= 6 && end > typed) {
      const suggestion = await probe.complete({ documentKey: 'probe', windowStart: 0, before: file.slice(0, end), after });
      if (suggestion) return { end, after };
    }
    lineEnd = lineStart - 1;
  }
  throw new Error('the model suggests nothing at any of the last 40 lines of the storm file');
}

async function storm(
  engine: Engine,
  typing: { readonly file: string; readonly start: number; readonly after: string; readonly walk: readonly number[]; readonly intervalMs: number },
  settings: CompletionSettings,
): Promise<{ run: StormRun; finalPrompt: string | undefined }> {
  const watched = new WatchedEngine(engine);
  const service = new CompletionService({ engine: () => watched, settings: () => settings });
  const request = (cursor: number, signal?: AbortSignal): CompletionRequest => ({
    documentKey: 'storm.ts',
    windowStart: 0,
    before: typing.file.slice(0, cursor),
    after: typing.after,
    ...(signal ? { signal } : {}),
  });
  // The user paused where the storm starts: that suggestion came, the engine holds its prompt.
  await service.complete(request(typing.start));
  const callsBefore = watched.calls.length;

  let latest = -1;
  let stale = 0;
  let shown = 0;
  let lateMax = 0;
  let lastKeystrokeAt = Number.NaN;
  let finalSettledAt = Number.NaN;
  let finalShown = false;
  let token: AbortController | undefined;
  const settled: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < typing.walk.length; i++) {
    const due = t0 + i * typing.intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await delay(wait);
    const at = performance.now();
    lateMax = Math.max(lateMax, at - due);
    // VS Code cancels the previous request's token when it asks again.
    token?.abort();
    token = new AbortController();
    latest = i;
    lastKeystrokeAt = at;
    const last = i === typing.walk.length - 1;
    settled.push(
      service.complete(request(typing.start + typing.walk[i]!, token.signal)).then((suggestion) => {
        if (last) finalSettledAt = performance.now();
        if (!suggestion) return;
        shown++;
        if (latest !== i) stale++;
        if (last) finalShown = true;
      }),
    );
  }
  await Promise.all(settled);
  const finalCall = watched.calls.length > callsBefore ? watched.calls.at(-1) : undefined;
  const finalIsLast = finalCall !== undefined && finalCall.startedAt >= lastKeystrokeAt;
  const stats = service.lastGeneration;
  service.dispose();
  return {
    run: {
      debounceMs: settings.debounceMs,
      maxGenerationsInFlight: watched.maxInFlight,
      staleSuggestionsShown: stale,
      suggestionsShown: shown,
      generationsStarted: watched.calls.length - callsBefore,
      keystrokeLateMaxMs: lateMax,
      finalSuggestionMs: finalSettledAt - lastKeystrokeAt,
      finalFirstTokenMs: finalIsLast ? (finalCall.firstTokenAt ?? Number.NaN) - lastKeystrokeAt : Number.NaN,
      finalShown,
      finalPrefillMs: stats?.prefillMs ?? Number.NaN,
      finalReusedTokens: stats?.reusedTokens ?? Number.NaN,
      finalDecodeMsPerToken: stats?.decodeMsPerToken ?? Number.NaN,
    },
    finalPrompt: service.lastGenerationInput?.prompt,
  };
}

async function stormJob(job: Extract<HardeningJob, { kind: 'storm' }>, engine: Engine): Promise<StormFigures> {
  const file = await fileOfTokens(engine, job.fileTokens);
  const walk = keystrokeWalk(job.keystrokes, 0.1, 16);
  const typed = walk.at(-1)!;
  // Finding the end runs cold prefills of the whole file: the warm-up of WebAssembly's tiers too.
  const { end, after } = await stormEnd(engine, file.text, typed);
  const typing = { file: file.text, start: end - typed, after, walk, intervalMs: job.intervalMs };
  const runs: StormRun[] = [];
  let finalPrompt: string | undefined;
  for (const debounceMs of [DEFAULT_SETTINGS.debounceMs, 0]) {
    const { run, finalPrompt: prompt } = await storm(engine, typing, { ...DEFAULT_SETTINGS, debounceMs });
    process.stderr.write(`hardening: storm at debounce ${debounceMs} ms: ${JSON.stringify(run)}\n`);
    runs.push(run);
    if (debounceMs === DEFAULT_SETTINGS.debounceMs) finalPrompt = prompt;
  }
  if (finalPrompt === undefined) throw new Error('the storm generated nothing for its final text');
  const cold: number[] = [];
  let finalPromptTokens = Number.NaN;
  for (let i = 0; i < 3; i++) {
    const result = await engine.generate({ prompt: finalPrompt, maxNewTokens: 1, reusePrefix: false });
    cold.push(result.prefillMs);
    finalPromptTokens = result.promptTokens;
  }
  return { defaultDebounceMs: DEFAULT_SETTINGS.debounceMs, fileTokens: file.tokens, finalPromptTokens, coldPrefillMs: median(cold), runs };
}

// ------------------------------------------------------------------------------------------------
// Soak
// ------------------------------------------------------------------------------------------------

/** Characters of text before the cursor the editor adapter hands over (src/completions/provider.ts). */
const WINDOW_CHARS = DEFAULT_SETTINGS.contextTokens * 6;
const AFTER_CHARS = 4096;
/** Characters handed to an inspection; the inspector's maxTokens keeps their last tokens. */
const INSPECT_CHARS = 4000;

/** What settled processes hold: this one garbage collected, then a moment for the allocators to give pages back. */
async function residentSplit(pids: () => EnginePids): Promise<ResidentSplit> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  await delay(500);
  gc();
  const { engine, inspector } = pids();
  return { hostMb: processMb('self'), workerMb: processMb(engine), inspectorMb: processMb(inspector) };
}

/** Typing through the replay's files, a few characters between completions, as an editor asks. */
class Typist {
  private readonly files = SOURCES.map((s) => s.text);
  private readonly random = seededRandom(7);
  private fileIndex = 0;
  private cursor = WINDOW_CHARS / 4;

  get text(): string {
    return this.files[this.fileIndex]!;
  }

  next(): CompletionRequest {
    this.cursor += 1 + Math.floor(this.random() * 8);
    if (this.cursor > this.text.length - 200) {
      this.fileIndex = (this.fileIndex + 1) % this.files.length;
      this.cursor = WINDOW_CHARS / 4;
    }
    const windowStart = this.text.lastIndexOf('\n', Math.max(0, this.cursor - WINDOW_CHARS)) + 1;
    return {
      documentKey: `file${this.fileIndex}.ts`,
      windowStart,
      before: this.text.slice(windowStart, this.cursor),
      after: this.text.slice(this.cursor, this.cursor + AFTER_CHARS),
    };
  }

  /** What the user selects to inspect: the text before the cursor. */
  selection(): string {
    const from = Math.max(0, this.cursor - INSPECT_CHARS);
    return this.text.slice(from, from + INSPECT_CHARS);
  }
}

async function soakJob(job: Extract<HardeningJob, { kind: 'soak' }>, engine: Engine, inspector: Engine, pids: () => EnginePids): Promise<SoakFigures> {
  const started = performance.now();
  const service = new CompletionService({ engine: () => engine, settings: () => ({ ...DEFAULT_SETTINGS, debounceMs: 0 }) });
  let generations = 0;
  service.onDidGenerate(() => generations++);
  const typist = new Typist();
  // The panel's views, of the document it shows (src/inspector/index.ts).
  const views = createViewCache();
  let current: InspectorSession | undefined;
  let inspectedTokensMin = Number.POSITIVE_INFINITY;
  const perInspection = Math.round(job.completions / job.inspections);
  const warmupInspections = Math.round(job.inspections * job.warmupShare);
  const traceEvery = Math.max(1, Math.round(job.inspections / 10));
  const trace: (ResidentSplit & { inspections: number })[] = [];
  let base: ResidentSplit | undefined;
  let viewCacheBaseMb = Number.NaN;
  for (let i = 1; i <= job.inspections; i++) {
    for (let c = 0; c < perInspection; c++) await service.complete(typist.next());
    current = await inspectText(inspector, { text: typist.selection(), maxTokens: job.inspectTokens, views }, { docId: i, title: 'soak', modelName: inspector.info.name });
    // What the controller does when the panel shows a new document (src/inspector/index.ts).
    keepOnlyDocument(views, i);
    const self = current.section(current.document.sections[0]!.id);
    inspectedTokensMin = Math.min(inspectedTokensMin, self.summary.queryTokens.length);
    // The user looks at a layer and at a head of it.
    await self.settled();
    await self.quantized({ kind: 'layer', layer: i % engine.info.layers });
    await self.quantized({ kind: 'head', layer: i % engine.info.layers, head: i % engine.info.heads });
    if (i === warmupInspections) {
      base = await residentSplit(pids);
      viewCacheBaseMb = views.weight / 2 ** 20;
    }
    if (i % traceEvery === 0) {
      const split = await residentSplit(pids);
      trace.push({ ...split, inspections: i });
      process.stderr.write(
        `hardening: soak after ${i} inspections: host ${split.hostMb.toFixed(1)} MB, engine ${split.workerMb.toFixed(1)} MB, inspector ${split.inspectorMb.toFixed(1)} MB, views ${(views.weight / 2 ** 20).toFixed(1)} MB\n`,
      );
    }
  }
  const end = await residentSplit(pids);
  const viewCacheMb = views.weight / 2 ** 20;
  // The panel closes: its session and views go.
  current = undefined;
  views.clear();
  const afterClose = await residentSplit(pids);
  service.dispose();
  return {
    completions: perInspection * job.inspections,
    generations,
    inspections: job.inspections,
    warmupInspections,
    base: base ?? end,
    end,
    afterClose,
    trace,
    viewCacheBaseMb,
    viewCacheMb,
    inspectedTokensMin,
    minutes: (performance.now() - started) / 60_000,
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as HardeningJob;
  const resultPath = process.argv[3]!;
  // The extension's arrangement: completions in the engine process, inspections in the inspector's.
  const workerPath = path.join(ROOT, 'dist', 'worker.mjs');
  const host = new WorkerHost({ workerPath, threads: job.threads, isolation: 'process' });
  const inspectorHost = new WorkerHost({ workerPath, threads: job.threads, isolation: 'process' });
  try {
    const engine = await host.load(job.dir, { threads: job.threads });
    const pids = () => ({ engine: host.enginePid, inspector: inspectorHost.enginePid });
    const result =
      job.kind === 'storm'
        ? await stormJob(job, engine)
        : await soakJob(job, engine, await inspectorHost.load(job.dir, { threads: job.threads, purpose: 'inspector' }), pids);
    writeFileSync(resultPath, JSON.stringify(result));
  } finally {
    await Promise.all([host.dispose(), inspectorHost.dispose()]);
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
