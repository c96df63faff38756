// `npm run mutation [-- FOLDER_OR_FILE… [--force] [--tests=TEST_FILES]]`: StrykerJS over src/engine, src/translate,
// src/completions, src/models and src/host (stryker.config.mjs), at low CPU priority, then the
// mutation score per folder against its target. Incremental: results whose code and tests did
// not change since the last run (reports/mutation/stryker-incremental.json) are reused, so a run
// after a small change tests only the mutants of the changed code; --force tests every mutant.
// Given folders or files, only their code is mutated and only the unit tests that concern them
// run (TESTS_FOR below), with reports and incremental file of their own (reports/mutation/src-translate/
// for `src/translate`); with none, the whole of the five folders against every unit test.
// Every run records its files' counts in the ledger (reports/mutation/ledger.json, ledger.mjs) and
// prints the whole folders' scores from it; `npm run mutation -- --scores` only prints those.
// Exit code 1 when a folder measured by this run is below its target.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLedgerScores, ledgerScores, recordRun } from './ledger.mjs';
import { mutatedSources } from './scope.mjs';
import { folderScores, formatScores } from './scores.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The unit tests that exercise each folder's code (a mutant runs only those that reach it): a
 * folder or a file under test/unit (stryker.config.mjs leaves out the slowest integration tests).
 */
const TESTS_FOR = {
  'src/engine': [
    'test/unit/engine/',
    'test/unit/seq2seq.test.ts',
    'test/unit/headStats.test.ts',
    'test/unit/aggregate.test.ts',
    'test/unit/inspectorEngine.test.ts',
    'test/unit/quantize.test.ts',
    'test/unit/hostile/regexRisk.test.ts',
  ],
  'src/translate': ['test/unit/translate/'],
  'src/completions': ['test/unit/completions/'],
  'src/models': ['test/unit/models/', 'test/unit/host/lifecycleText.test.ts'],
  'src/host': ['test/unit/host/'],
};

const LEDGER = join(ROOT, 'reports', 'mutation', 'ledger.json');
const readLedger = () => (existsSync(LEDGER) ? JSON.parse(readFileSync(LEDGER, 'utf8')) : {});
const printLedgerScores = (ledger) => {
  console.log('\nWhole folders, from the ledger (each file as measured by its latest run on its current code):');
  console.log(formatLedgerScores(ledgerScores(ledger, mutatedSources(ROOT))));
};

const args = process.argv.slice(2);
if (args.includes('--scores')) {
  printLedgerScores(readLedger());
  process.exit(0);
}
const targets = args.filter((a) => !a.startsWith('--')).map((a) => a.replace(/\/+$/, ''));
// --tests=A,B (test files or folders under test/unit): only those run against the mutants, for a
// file that nearly every test reaches (onnxProto.ts). Fewer tests can only lower the score.
const testsArg = args.find((a) => a.startsWith('--tests='));
const passThrough = args.filter((a) => a.startsWith('--') && a !== testsArg);

const env = { ...process.env };
if (targets.length > 0) {
  const folders = Object.keys(TESTS_FOR);
  for (const target of targets) {
    if (!folders.some((folder) => target === folder || target.startsWith(`${folder}/`))) {
      console.error(`mutation: ${target} is not in ${folders.join(', ')}`);
      process.exit(2);
    }
  }
  env.MUTATE = targets.map((t) => (t.endsWith('.ts') ? t : `${t}/**/*.ts`)).join(',');
  const tests = new Set(targets.flatMap((t) => TESTS_FOR[Object.keys(TESTS_FOR).find((f) => t === f || t.startsWith(`${f}/`))]));
  env.TESTS = testsArg ? testsArg.slice('--tests='.length) : [...tests].join(',');
  // Its own reports and incremental file: reports/mutation/src-translate/, …; a long list of files
  // is named by its first and a hash of all (a file name has at most 255 bytes).
  const names = targets.map((t) => t.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-'));
  const joined = names.join('+');
  const dirName = joined.length <= 120 ? joined : `${names[0]}+${names.length - 1}-more-${createHash('sha256').update(joined).digest('hex').slice(0, 8)}`;
  env.REPORT_DIR = `reports/mutation/${dirName}`;
}
const reportDir = env.REPORT_DIR ?? 'reports/mutation';
const report = join(ROOT, reportDir, 'mutation.json');

// Two shared cores: the mutants wait for everyone else (children inherit the priority).
setPriority(10);
const started = Date.now();
const stryker = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', 'stryker.config.mjs', ...passThrough], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
});
const minutes = (Date.now() - started) / 60_000;
if (!existsSync(report)) process.exit(stryker.status ?? 1);
const reportJson = JSON.parse(readFileSync(report, 'utf8'));
const scores = folderScores(reportJson);
console.log(`\nMutation score per folder (${minutes.toFixed(1)} min; report: ${reportDir}/mutation.html):`);
console.log(formatScores(scores));
if (stryker.status === 0) {
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const ledger = recordRun(readLedger(), reportJson, { measured: new Date().toISOString().slice(0, 10), commit }, mutatedSources(ROOT, targets.length > 0 ? targets : undefined));
  writeFileSync(LEDGER, `${JSON.stringify(ledger, null, 1)}\n`);
  printLedgerScores(ledger);
}
process.exit(stryker.status !== 0 ? (stryker.status ?? 1) : scores.some((s) => s.score !== undefined && s.score < s.target) ? 1 : 0);
