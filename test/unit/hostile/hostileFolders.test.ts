// Hostile and broken model folders (catalogue.ts): each one is refused with its one-sentence
// ModelError by `tealeaf check-model`, by `tealeaf generate --model --backend wasm` and by the
// extension's engine host (the worker, WASM too), within 2 s; the worker never crashes and still serves a good model after all
// of them; and no file of any folder is written.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelError } from '../../../src/engine/errors';
import type { EngineLifecycleEvent } from '../../../src/host/lifecycle';
import { WorkerHost } from '../../../src/host/workerHost';
import { modelDir, ROOT } from '../engine/helpers';
import { HOSTILE_CASES, makeHostileFolders } from './catalogue';
import { type FolderSnapshot, snapshotFolder } from './folderSnapshot';

const CLI = path.join(ROOT, 'bin', 'tealeaf.mjs');
const WORKER = path.join(ROOT, 'dist', 'worker.mjs');

/** The bound on the answer to a hostile folder. */
const ANSWER_WITHIN_MS = 2000;

/** One sentence: a single line, no second sentence after a full stop. */
function assertOneSentence(message: string, where: string): void {
  assert.doesNotMatch(message, /\n/, `${where}: more than one line: ${message}`);
  assert.doesNotMatch(message, /\.\s+[A-Z]/, `${where}: more than one sentence: ${message}`);
}

/**
 * Runs the built CLI and times it; the process must end by itself (no hang, no crash). Its cache
 * folder is the test's own: nothing a user's `auto` remembered changes an answer.
 */
function cli(args: readonly string[], cacheHome: string): Promise<{ status: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env }, (error, _stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status, stderr, ms: performance.now() - started });
    });
  });
}

describe('hostile model folders', () => {
  let root: string;
  let folders: Map<string, string>;
  const before_ = new Map<string, FolderSnapshot>();
  let host: WorkerHost;
  const lifecycle: EngineLifecycleEvent[] = [];

  before(async () => {
    assert.ok(existsSync(path.join(ROOT, 'dist', 'cli.mjs')) && existsSync(WORKER), 'run `npm run build` first (npm test does)');
    root = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-hostile-'));
    folders = makeHostileFolders(root);
    for (const hostile of HOSTILE_CASES) before_.set(hostile.name, snapshotFolder(path.join(root, hostile.name)));
    host = new WorkerHost({ workerPath: WORKER, threads: 1 });
    host.onDidChangeLifecycle((event) => lifecycle.push(event));
    // Starting the worker and onnxruntime once, and reading the CLI's bundle from disk the first
    // time after a build, are no part of any answer.
    await host.load(modelDir('tiny-gpt2'));
    await cli(['check-model', modelDir('tiny-gpt2')], path.join(root, 'cache'));
  });

  after(async () => {
    await host?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('has at least 25 cases, each with its own folder', () => {
    assert.ok(HOSTILE_CASES.length >= 25, `${HOSTILE_CASES.length} cases`);
    assert.equal(new Set(HOSTILE_CASES.map((c) => c.name)).size, HOSTILE_CASES.length);
  });

  for (const hostile of HOSTILE_CASES) {
    it(`${hostile.name}: the same sentence from check-model, generate --model and the engine worker, within 2 s`, async () => {
      const dir = folders.get(hostile.name) as string;
      // The limits the catalogue names are WebAssembly's: auto opens a folder over them on native
      // (test/unit/cli/backend.test.ts), so generate is asked for WASM, as the worker is.
      const commands = [['check-model', dir], ['generate', '--model', dir, '--backend', 'wasm', '--max-new-tokens', '2', 'a']];
      const results = await Promise.all(commands.map((args) => cli(args, path.join(root, 'cache'))));
      results.forEach((result, i) => {
        const where = `tealeaf ${commands[i]?.[0]}`;
        assert.equal(result.status, 1, `${where}: ${result.stderr}`);
        const message = result.stderr.replace(/^tealeaf: /, '').trimEnd();
        assertOneSentence(message, where);
        assert.match(message, hostile.error, where);
        assert.ok(result.ms < ANSWER_WITHIN_MS, `${where} answered in ${result.ms.toFixed(0)} ms`);
      });
      const started = performance.now();
      const error = await host.load(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      const ms = performance.now() - started;
      assert.ok(error instanceof ModelError, `the worker: ${String(error)}`);
      assertOneSentence(error.message, 'the worker');
      assert.match(error.message, hostile.error, 'the worker');
      assert.ok(ms < ANSWER_WITHIN_MS, `the worker answered in ${ms.toFixed(0)} ms`);
      assert.deepEqual(snapshotFolder(path.join(root, hostile.name)), before_.get(hostile.name), 'a file of the folder changed');
    });
  }

  it('the worker never crashed, and still generates with a good model', async () => {
    assert.deepEqual(lifecycle.filter((e) => e.kind === 'crashed'), []);
    const engine = await host.load(modelDir('tiny-llama'));
    const result = await engine.generate({ prompt: 'def f(x):', maxNewTokens: 3, reusePrefix: false });
    assert.equal(result.tokens.length, 3);
  });
});
