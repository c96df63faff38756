// `tealeaf download`, `tealeaf models` and `--model owner/name[@rev]` through the built CLI, against
// the mock Hub (the CLI runs as a child process; the mock answers from this one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_REPOS, type MockHub, startMockHub } from './mockHub';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'tealeaf.mjs');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI without blocking this process's event loop (the mock Hub lives in it). */
function cli(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: env['HOME'] ?? tmpdir(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('tealeaf download / models / --model owner/name', () => {
  let hub: MockHub;
  let cacheDir: string;
  let env: Record<string, string>;
  before(async () => {
    hub = await startMockHub({ repos: FIXTURE_REPOS });
    cacheDir = mkdtempSync(path.join(tmpdir(), 'tealeaf-cli-hub-'));
    env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir, HOME: cacheDir };
  });
  after(async () => {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('--model owner/name is refused while the cache lacks it, with the command that fetches it', async () => {
    const run = await cli(env, 'generate', '--model', 'Xenova/gpt2', '--max-new-tokens', '2', 'hello');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^tealeaf: Xenova\/gpt2@main is not in the cache .*: run "tealeaf download Xenova\/gpt2" or add --download\n/);
  });

  it('download --json ends with the documented keys, and a second run downloads nothing', async () => {
    const first = await cli(env, 'download', 'Xenova/gpt2', '--dtype', 'q8', '--json');
    assert.equal(first.status, 0, first.stderr);
    const result = JSON.parse(first.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    assert.deepEqual(Object.keys(result), ['repo', 'revision', 'commit', 'dtype', 'path', 'files', 'downloadedBytes', 'ms']);
    assert.equal(result['repo'], 'Xenova/gpt2');
    assert.equal(result['revision'], 'main');
    assert.equal(result['commit'], hub.commitOf('Xenova/gpt2'));
    assert.equal(result['dtype'], 'q8');
    assert.equal(result['path'], path.join(cacheDir, 'models--Xenova--gpt2', 'snapshots', hub.commitOf('Xenova/gpt2')));
    const files = result['files'] as { path: string; bytes: number; sha256: string }[];
    assert.deepEqual(Object.keys(files[0] ?? {}), ['path', 'bytes', 'sha256']);
    const onnx = files.find((f) => f.path === 'onnx/decoder_model_merged_quantized.onnx');
    assert.equal(onnx?.sha256, hub.file('Xenova/gpt2', 'onnx/decoder_model_merged_quantized.onnx').sha256);
    assert.equal(result['downloadedBytes'], files.reduce((s, f) => s + f.bytes, 0));

    const second = await cli(env, 'download', 'Xenova/gpt2@main', '--dtype', 'q8', '--json');
    assert.equal((JSON.parse(second.stdout) as { downloadedBytes: number }).downloadedBytes, 0);
  });

  it('models --json lists the cached snapshot with its dtype files and refs', async () => {
    const run = await cli(env, 'models', '--json');
    assert.equal(run.status, 0, run.stderr);
    const listing = JSON.parse(run.stdout) as { cacheDir: string; models: { repo: string; commit: string; refs: string[]; dtypes: string[] }[] };
    assert.equal(listing.cacheDir, cacheDir);
    assert.deepEqual(
      listing.models.map((m) => ({ repo: m.repo, commit: m.commit, refs: m.refs, dtypes: m.dtypes })),
      [{ repo: 'Xenova/gpt2', commit: hub.commitOf('Xenova/gpt2'), refs: ['main'], dtypes: ['q8'] }],
    );
  });

  it('generate --model owner/name runs the cached model; --download fetches a missing one first', async () => {
    const cached = await cli(env, 'generate', '--model', 'Xenova/gpt2', '--max-new-tokens', '3', '--json', 'The');
    assert.equal(cached.status, 0, cached.stderr);
    const output = JSON.parse(cached.stdout) as { model: string; file: string; tokens: number[] };
    assert.equal(output.file, 'onnx/decoder_model_merged_quantized.onnx');
    assert.equal(output.tokens.length, 3);

    const fetched = await cli(env, 'generate', '--model=HuggingFaceTB/SmolLM2-135M-Instruct', '--dtype', 'q4', '--download', '--max-new-tokens', '2', '--json', 'Hi');
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.equal((JSON.parse(fetched.stdout) as { file: string }).file, 'onnx/model_q4.onnx');
  });

  it('bench --backends --model owner/name measures the cached model', async () => {
    const run = await cli(env, 'bench', '--backends', '--model', 'Xenova/gpt2', '--json');
    assert.equal(run.status, 0, run.stderr);
    const { backends } = JSON.parse(run.stdout) as { backends: { name: string; available: boolean }[] };
    assert.ok(backends.some((b) => b.available), run.stdout);
  });

  it('an unknown repository is one line on stderr and exit status 1', async () => {
    const run = await cli(env, 'download', 'nobody/nothing');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^tealeaf: nobody\/nothing was not found on http:\/\/127\.0\.0\.1:\d+, or it is private: check the name, or run "Tealeaf: Sign In to Hugging Face…" or set HF_TOKEN\n$/);
  });
});
