// StrykerJS: mutation testing of the engine, translation, completions, models and host code
// against the unit tests (`npm run mutation`, scripts/mutation/run.mjs). Each mutant runs only the
// test files that reached its code in the initial run (the tap runner's per-file coverage), and
// incremental mode reuses every result whose code and tests did not change since the last report.
// MUTATE (comma-separated globs) narrows the code mutated, TESTS (comma-separated folders or files
// under test/unit) the tests run, e.g. MUTATE='src/translate/**/*.ts' TESTS='test/unit/translate/'
// (scripts/mutation/run.mjs sets both from the folders it is given).
import { filesEnding, FOLDERS, NOT_MUTATED } from './scripts/mutation/scope.mjs';

// REPORT_DIR: where the reports and the incremental file go (default reports/mutation; a run over
// some folders keeps its own, so it neither replaces nor feeds on the full run's).
const REPORT_DIR = process.env.REPORT_DIR ?? 'reports/mutation';
const mutate = [
  ...(process.env.MUTATE ? process.env.MUTATE.split(',').filter((glob) => glob !== '') : FOLDERS.map((folder) => `${folder}/**/*.ts`)),
  ...NOT_MUTATED.map((file) => `!${file}`),
];

/**
 * Integration tests of `npm test` that a mutant does not run: each takes 20 s to 2 min (the CLI in
 * child processes, hundreds of model translations, hostile folders, agreement with transformers.js,
 * real-model benchmarks), and every mutant they reach would run them again. The unit tests of the
 * same code do run.
 */
const TOO_SLOW_PER_MUTANT = [
  'test/unit/cli/',
  'test/unit/hostile/fuzz.test.ts',
  'test/unit/hostile/hostileFolders.test.ts',
  'test/unit/hub/cli.test.ts',
  'test/unit/translate/heldoutPlaceholders.test.ts',
  'test/unit/host/workerLifecycle.test.ts',
  'test/unit/host/nativeBackend.test.ts',
  'test/unit/host/nativeWorker.test.ts',
  'test/unit/benchRealModel.test.ts',
  'test/unit/default-models.test.ts',
  'test/unit/transformersjs-compat.test.ts',
  'test/unit/hub-fixtures-transformersjs.test.ts',
];

/** `src/translate/lexers/markup.ts` → `markup`. */
const stem = (file) => file.slice(file.lastIndexOf('/') + 1).replace(/(\.test)?\.ts$/, '');
const mutatedStems = new Set(
  mutate
    .filter((glob) => !glob.startsWith('!'))
    .flatMap((glob) => (glob.endsWith('/**/*.ts') ? filesEnding('.', glob.slice(0, -'/**/*.ts'.length), '.ts') : [glob]))
    .map(stem),
);

const wanted = process.env.TESTS ? process.env.TESTS.split(',').filter((t) => t !== '') : ['test/unit/'];
// A mutant runs the test files that reach it in this order and stops at the first that fails: the
// tests named after a mutated file (its own unit tests, quick) go first, so that a mutant they
// kill never waits for the integration tests that also reach it (engines, workers, models).
const ownTestsFirst = (a, b) => Number(!mutatedStems.has(stem(a))) - Number(!mutatedStems.has(stem(b))) || a.localeCompare(b);
const testFiles = filesEnding('.', 'test/unit', '.test.ts')
  .filter((file) => wanted.some((w) => (w.endsWith('/') ? file.startsWith(w) : file === w)))
  .filter((file) => !TOO_SLOW_PER_MUTANT.some((slow) => (slow.endsWith('/') ? file.startsWith(slow) : file === slow)))
  .sort(ownTestsFirst);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    testFiles,
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // The worker, the CLI and the webview are bundles: built again from the mutated sources, so the
  // tests that start a worker or the CLI run the mutant too (the active mutant is an environment
  // variable, which worker threads and child processes inherit).
  buildCommand: 'node scripts/mutation/sandboxBuild.mjs',
  symlinkNodeModules: false,
  coverageAnalysis: 'perTest',
  // Mutants in module-level code run while a file is imported, before any test: every test would
  // have to run for each of them. They are left out (reported as Ignored).
  ignoreStatic: true,
  mutate,
  ignorePatterns: ['reports', 'dist', 'out', '.e2e', 'models/recipes/work', 'bench/results', 'test/e2e/artifacts', '*.vsix'],
  incremental: true,
  incrementalFile: `${REPORT_DIR}/stryker-incremental.json`,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `${REPORT_DIR}/mutation.html` },
  jsonReporter: { fileName: `${REPORT_DIR}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Two cores, shared: one test process at a time unless CONCURRENCY says otherwise. Stryker gives
  // half of these processes (rounded up) to the TypeScript checker: 4 makes two test processes.
  concurrency: Number(process.env.CONCURRENCY ?? 1),
  // A mutant's tests may take twice their time in the initial run plus this before it counts as
  // a timeout (killed): their own time already allows for the tests that load models, and each
  // mutant that loops forever costs this much, so it is kept short.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // The initial run is every test file once, with coverage: tens of minutes on two busy cores.
  dryRunTimeoutMinutes: 180,
};
