// `tealeaf translate` runs the palette command's pipeline: a 120-line file comes back as 120
// lines (sentence by sentence, not one input too long for the model), standard input works, code
// keeps everything but its comments and strings, and the JSON keeps its keys.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { placeholderStrings } from '../../fixtures/placeholders/heldoutStrings';
import { FIXTURES, ROOT } from '../engine/helpers';

const CLI = path.join(ROOT, 'bin', 'tealeaf.mjs');
const BUILT = path.join(ROOT, 'dist', 'cli.mjs');

function cli(args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, ...(input !== undefined ? { input } : {}) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface TranslateJson {
  readonly source: string;
  readonly target: string;
  readonly tokens: readonly number[];
  readonly ms: number;
  readonly file: string;
  readonly dtype: string;
  readonly units: number;
  readonly repairs: readonly unknown[];
}

describe('tealeaf translate', { skip: !existsSync(BUILT) && 'run `npm run build` first (npm test does)' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-translate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--file with 120 lines returns 120 lines in target, each line’s indentation kept', () => {
    // Held-out messages: 1,200 tokens and more in all, far past the model's 256-token window.
    const lines = placeholderStrings('en-de', 120).map(({ text }, i) => `${i % 3 === 0 ? '  ' : ''}${text.replace(/\s+/g, ' ').trim()}`);
    const file = path.join(dir, 'messages.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const run = cli(['translate', '--from', 'en', '--to', 'de', '--json', '--file', file]);
    assert.equal(run.status, 0, run.stderr);
    const output = JSON.parse(run.stdout) as TranslateJson;
    const target = output.target.split('\n');
    assert.equal(target.pop(), '', 'the file’s final newline is kept');
    assert.equal(target.length, 120);
    target.forEach((line, i) => assert.equal(/^\s*/.exec(line)?.[0], i % 3 === 0 ? '  ' : '', `line ${i + 1}: ${line}`));
    assert.notDeepEqual(target, lines, 'nothing was translated');
    assert.deepEqual(Object.keys(output).slice(0, 6), ['source', 'target', 'tokens', 'ms', 'file', 'dtype']);
    assert.ok(output.units >= 100 && output.tokens.length > output.units, `${output.units} units, ${output.tokens.length} tokens`);
    assert.match(output.file, /encoder_model\.onnx/);
  });

  it('reads standard input and prints no progress when stderr is no terminal', () => {
    const run = cli(['translate', '--model', path.join(FIXTURES, 'tiny-marian'), '--from', 'en', '--to', 'de'], 'Open the file.\nClose it.\n');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.split('\n').length, 3, JSON.stringify(run.stdout));
    assert.doesNotMatch(run.stderr, /translating|%/);
  });

  it('--language translates only comments and strings of code', () => {
    const code = 'const total = count + 1; // Add one to the count.\nexport function f(): string {\n  return "Open the file.";\n}\n';
    const file = path.join(dir, 'code.ts');
    writeFileSync(file, code);
    const run = cli(['translate', '--model', path.join(FIXTURES, 'tiny-marian'), '--from', 'en', '--to', 'de', '--language', 'typescript', '--json', '--file', file]);
    assert.equal(run.status, 0, run.stderr);
    const { target } = JSON.parse(run.stdout) as TranslateJson;
    const lines = target.split('\n');
    assert.ok(lines[0]?.startsWith('const total = count + 1; // '), lines[0]);
    assert.notEqual(lines[0], code.split('\n')[0], 'the comment was not translated');
    assert.equal(lines[1], 'export function f(): string {');
    assert.match(lines[2] ?? '', /^ {2}return ".*";$/);
    assert.equal(lines[3], '}');
  });

  it('refuses TEXT and --file together, in one line', () => {
    const run = cli(['translate', '--from', 'en', '--to', 'de', '--file', 'x.txt', 'Hello']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^tealeaf: translate takes TEXT or --file F, not both\n/);
  });
});
