// `tealeaf` command line: the same engine as the extension, headless, for scripts and benchmarks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { blockToNested } from '../engine/attention';
import { type DtypeChoice, parseDtype } from '../engine/dtype';
import { ModelError } from '../engine/errors';
import type { Engine, EngineHost, LoadOptions, Speculation } from '../engine/types';
import { benchBackends, describeBackends } from './benchBackends';
import { backendOption, cliEngineHost } from './engineHost';
import { renderModelViewSvg } from '../inspector/svg';
import { translateDocument } from '../translate/document';
import { describeReport } from '../translate/unitGuarantee';
import { checkModel } from './checkModel';
import { downloadCommand, modelsCommand, resolveHubModelArgs } from './hubCommands';
import { errorText } from '../util/unknown';
import { BUNDLED_CODE_MODEL, BUNDLED_TRANSLATE_MODEL } from '../bundledModels';

const USAGE = `Usage:
  tealeaf generate [--model DIR] [--dtype D] [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]
                   [--repetition-penalty R] [--seed S] [--no-kv-cache] [--threads N] [--backend B]
                   [--speculate prompt-lookup|draft [--draft-model DIR] [--draft-dtype D] [--draft-length K]] [--json] PROMPT
  tealeaf attention [--model DIR] [--dtype D] [--max-tokens N] [--backend B] [--svg FILE] [--json] TEXT
  tealeaf translate [--model DIR] [--dtype D] --from en|de --to de|en [--beams N] [--language ID] [--backend B] [--json] [--file F | TEXT]
  tealeaf bench --backends [--model DIR] [--dtype D] [--threads N] [--json]
  tealeaf check-model [--dtype D] [--json] DIR
  tealeaf download [--revision R] [--dtype D] [--json] OWNER/NAME
  tealeaf models [--json]

Without --model, the bundled default model for the job is used (models/tealeaf-code for
generate and attention, models/tealeaf-translate for translate). --dtype picks the weight file
as transformers.js names them: auto (default), fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4.
--model also takes a Hub repository, OWNER/NAME[@REVISION], from the Hugging Face cache
(HF_HUB_CACHE); add --download to fetch it when it is not there. --backend B runs the model on
wasm (onnxruntime-web), native (onnxruntime-node, where it loads) or auto (default: the faster of
the two that gives WASM's tokens on a short probe, measured once per model and machine).
--speculate drafts as many tokens per pass as the measured acceptance and cost of a row say pay;
--draft-length K feeds K every pass instead.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The package root: dist/cli.mjs lives one level below it (src/cli/main.ts two, under tsx). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const DEFAULT_MODELS = { code: BUNDLED_CODE_MODEL, translate: BUNDLED_TRANSLATE_MODEL } as const;

function modelDir(option: string | undefined, job: keyof typeof DEFAULT_MODELS): string {
  if (option) return path.resolve(option);
  const bundled = path.join(packageRoot(), DEFAULT_MODELS[job]);
  if (!existsSync(bundled)) throw new ModelError(`the bundled default model ${DEFAULT_MODELS[job]} is missing; pass --model DIR`);
  return bundled;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got ${value}`);
  return n;
}

function singleText(positionals: readonly string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`);
  return positionals.join(' ');
}

function dtypeOption(value: string | undefined): DtypeChoice {
  return value === undefined ? 'auto' : parseDtype(value);
}

async function withEngine<T>(dir: string, threads: number | undefined, dtype: DtypeChoice, use: (engine: Engine) => Promise<T>, more: LoadOptions = {}): Promise<T> {
  const host: EngineHost = cliEngineHost();
  try {
    const engine = await host.load(dir, { ...more, dtype, ...(threads ? { threads } : {}) });
    return await use(engine);
  } finally {
    await host.dispose();
  }
}

async function generate(args: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      dtype: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      'no-kv-cache': { type: 'boolean' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      speculate: { type: 'string' },
      'draft-model': { type: 'string' },
      'draft-dtype': { type: 'string' },
      'draft-length': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const prompt = singleText(positionals, 'PROMPT');
  const dtype = dtypeOption(values.dtype);
  const dir = modelDir(values.model, 'code');
  const speculation = speculateOption(values.speculate, values['draft-model'], values['draft-dtype']);
  const draftLength = integer(values['draft-length'], 'draft-length');
  if (draftLength !== undefined && speculation === 'off') throw new UsageError('--draft-length goes with --speculate');
  const draft: LoadOptions = values['draft-model'] ? { draftModel: path.resolve(values['draft-model']), draftDtype: dtypeOption(values['draft-dtype']) } : {};
  const backend = backendOption(values.backend);
  await withEngine(dir, integer(values.threads, 'threads'), dtype, async (engine) => {
    if (speculation !== 'off' && engine.info.speculationUnavailable) process.stderr.write(`tealeaf: ${engine.info.speculationUnavailable}\n`);
    let printed = 0;
    const result = await engine.generate(
      {
        prompt,
        maxNewTokens: integer(values['max-new-tokens'], 'max-new-tokens'),
        useKvCache: !values['no-kv-cache'],
        speculation,
        ...(draftLength === undefined ? {} : { draftLength }),
        sampling: {
          temperature: number(values.temperature, 'temperature'),
          topK: integer(values['top-k'], 'top-k'),
          topP: number(values['top-p'], 'top-p'),
          repetitionPenalty: number(values['repetition-penalty'], 'repetition-penalty'),
          seed: integer(values.seed, 'seed'),
        },
      },
      {
        onToken: values.json
          ? undefined
          : (token) => {
              process.stdout.write(token.textSoFar.slice(printed));
              printed = token.textSoFar.length;
            },
      },
    );
    if (values.json) {
      const output = {
        model: engine.info.id,
        backend: engine.info.backend,
        file: engine.info.onnxFiles.join(' + '),
        dtype: engine.info.dtype,
        promptTokens: result.promptTokens,
        tokens: result.tokens,
        text: result.text,
        prefillMs: round(result.prefillMs),
        decodeMsPerToken: round(result.decodeMsPerToken),
        speculation,
        ...(engine.info.draftModel ? { draftModel: engine.info.draftModel } : {}),
        accepted: result.accepted ?? 0,
        drafted: result.drafted ?? 0,
        forwardPasses: result.forwardPasses ?? 0,
      };
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } else {
      process.stdout.write(`${result.text.slice(printed)}\n`);
      process.stderr.write(
        `[${result.tokens.length} tokens, ${result.finishReason}; ${engine.info.backend}; prefill ${round(result.prefillMs)} ms, decode ${round(result.decodeMsPerToken)} ms/token; ${result.forwardPasses ?? 0} forward passes${speculation === 'off' ? '' : `, ${result.accepted ?? 0} of ${result.drafted ?? 0} drafted tokens accepted`}]\n`,
      );
    }
  }, { ...draft, backend });
}

/** --speculate prompt-lookup|draft (a draft needs --draft-model, which nothing else uses). */
function speculateOption(value: string | undefined, draftModel: string | undefined, draftDtype: string | undefined): Speculation {
  const speculation = value === undefined ? 'off' : value === 'prompt-lookup' ? 'prompt-lookup' : value === 'draft' ? 'draft-model' : undefined;
  if (speculation === undefined) throw new UsageError(`--speculate must be prompt-lookup or draft, got ${value}`);
  if (speculation === 'draft-model' && !draftModel) throw new UsageError('--speculate draft needs --draft-model DIR: a smaller model with the same tokenizer');
  if (speculation !== 'draft-model' && (draftModel !== undefined || draftDtype !== undefined)) throw new UsageError('--draft-model and --draft-dtype go with --speculate draft');
  return speculation;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

async function attention(args: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      dtype: { type: 'string' },
      'max-tokens': { type: 'string' },
      svg: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const text = singleText(positionals, 'TEXT');
  const dtype = dtypeOption(values.dtype);
  const dir = modelDir(values.model, 'code');
  await withEngine(dir, integer(values.threads, 'threads'), dtype, async (engine) => {
    const result = await engine.attention({ text, maxTokens: integer(values['max-tokens'], 'max-tokens') });
    if (values.svg) {
      writeFileSync(values.svg, renderModelViewSvg(result));
      if (!values.json) process.stderr.write(`wrote ${values.svg}\n`);
    }
    if (values.json) {
      const output = {
        tokens: result.tokens.map((t) => ({ text: t.text, start: t.start, end: t.end })),
        layers: result.totalLayers,
        heads: result.totalHeads,
        attention: blockToNested(result.attention),
        stats: result.stats,
        // The attention above is of every layer but these (a fused operator not reproduced).
        ...(result.hiddenLayers ? { shownLayers: result.attention.layers, hiddenLayers: result.hiddenLayers } : {}),
      };
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } else if (!values.svg) {
      process.stdout.write(`${result.tokens.length} tokens, ${result.totalLayers} layers × ${result.totalHeads} heads\n`);
      if (result.hiddenLayers) process.stdout.write(`layers ${result.hiddenLayers.layers.join(', ')} not shown: ${result.hiddenLayers.why}\n`);
      for (const s of result.stats) {
        process.stdout.write(
          `L${s.layer} H${s.head}  ${s.label.padEnd(14)} entropy ${s.entropy.toFixed(2)}  distance ${s.meanDistance.toFixed(2)}  prev ${s.previousToken.toFixed(2)}  first ${s.firstToken.toFixed(2)}  self ${s.selfToken.toFixed(2)}\n`,
        );
      }
    }
  }, { backend: backendOption(values.backend) });
}

async function translate(args: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      dtype: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      beams: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      language: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.from || !values.to) throw new UsageError('translate needs --from and --to (e.g. --from en --to de)');
  const text = await translateInput(positionals, values.file);
  const dtype = dtypeOption(values.dtype);
  const dir = modelDir(values.model, 'translate');
  const pair = { from: values.from, to: values.to };
  await withEngine(dir, integer(values.threads, 'threads'), dtype, async (engine) => {
    const progress = terminalProgress(`translating ${pair.from} → ${pair.to}`);
    const result = await translateDocument(engine, text, {
      pair,
      beams: integer(values.beams, 'beams') ?? 1,
      ...(values.language ? { languageId: values.language } : {}),
      onProgress: progress.update,
      onRepair: (report) => {
        progress.clear();
        process.stderr.write(`tealeaf: ${describeReport(report)}\n`);
      },
    });
    progress.clear();
    if (values.json) {
      const output = {
        source: text,
        target: result.target,
        tokens: result.tokens,
        ms: round(result.ms),
        file: engine.info.onnxFiles.join(' + '),
        dtype: engine.info.dtype,
        units: result.units,
        repairs: result.repairs,
      };
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } else {
      process.stdout.write(result.target.endsWith('\n') ? result.target : `${result.target}\n`);
    }
  }, { backend: backendOption(values.backend) });
}

/** The text to translate: TEXT, the file, or standard input (exactly one of them). */
async function translateInput(positionals: readonly string[], file: string | undefined): Promise<string> {
  if (file !== undefined && positionals.length > 0) throw new UsageError('translate takes TEXT or --file F, not both');
  if (file !== undefined) return readFileSync(file === '-' ? 0 : file, 'utf8');
  if (positionals.length > 0) return positionals.join(' ');
  if (process.stdin.isTTY) throw new UsageError('missing TEXT (or --file F, or text on standard input)');
  return readFileSync(0, 'utf8');
}

/** A progress line on stderr, redrawn in place; nothing at all when stderr is not a terminal. */
function terminalProgress(label: string): { update: (p: { doneChars: number; totalChars: number; doneUnits: number; totalUnits: number }) => void; clear: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  let shown = false;
  return {
    update: ({ doneChars, totalChars, doneUnits, totalUnits }) => {
      const percent = totalChars === 0 ? 100 : Math.round((100 * doneChars) / totalChars);
      process.stderr.write(`\r\x1b[K${label}: ${percent}% (${doneUnits} of ${totalUnits} sentences)`);
      shown = true;
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

async function checkModelCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { dtype: { type: 'string' }, json: { type: 'boolean' } } });
  if (!positionals[0]) throw new UsageError('check-model needs a model folder');
  try {
    const report = await checkModel(path.resolve(positionals[0]), dtypeOption(values.dtype));
    process.stdout.write(`${values.json ? JSON.stringify(report.facts) : report.text}\n`);
    return 0;
  } catch (error) {
    if (!values.json) throw error;
    // With --json the answer stays machine-readable: one line, and the exit status says it failed.
    const message = errorText(error);
    process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
    process.stderr.write(`tealeaf: ${message}\n`);
    return 1;
  }
}

async function benchCommand(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: { backends: { type: 'boolean' }, model: { type: 'string' }, dtype: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (!values.backends) throw new UsageError('bench needs --backends (the full benchmark is `npm run bench`)');
  const backends = await benchBackends(modelDir(values.model, 'code'), dtypeOption(values.dtype), integer(values.threads, 'threads'), {
    webviewDist: path.join(packageRoot(), 'dist', 'webview'),
  });
  process.stdout.write(`${values.json ? JSON.stringify({ backends }) : describeBackends(backends)}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...given] = argv;
  try {
    const rest = command === 'generate' || command === 'attention' || command === 'translate' || command === 'bench' ? await resolveHubModelArgs(given) : given;
    switch (command) {
      case 'generate':
        await generate(rest);
        return 0;
      case 'attention':
        await attention(rest);
        return 0;
      case 'translate':
        await translate(rest);
        return 0;
      case 'check-model':
        return await checkModelCommand(rest);
      case 'download':
        await downloadCommand(rest);
        return 0;
      case 'models':
        await modelsCommand(rest);
        return 0;
      case 'bench':
        await benchCommand(rest);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    const message = errorText(error);
    process.stderr.write(`tealeaf: ${message}\n`);
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) process.stderr.write(`${USAGE}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
