// StrykerJS: mutation testing of the engine, translation, completions, models and host code
// against the unit tests (`npm run mutation`, scripts/mutation/run.mjs). Each mutant runs only the
// test files that reached its code in the initial run (the tap runner's per-file coverage), and
// incremental mode reuses every result whose code and tests did not change since the last report.
// MUTATE and TESTS (comma-separated globs) narrow the code mutated and the unit tests run, e.g.
// MUTATE='src/translate/**/*.ts' TESTS='test/unit/translate/**/*.test.ts' (scripts/mutation/run.mjs
// sets both from the folders it is given).
// REPORT_DIR: where the reports and the incremental file go (default reports/mutation; a run over
// some folders keeps its own, so it neither replaces nor feeds on the full run's).
const REPORT_DIR = process.env.REPORT_DIR ?? 'reports/mutation';
const FOLDERS = ['src/engine', 'src/translate', 'src/completions', 'src/models', 'src/host'];

const mutate = process.env.MUTATE
  ? process.env.MUTATE.split(',').filter((glob) => glob !== '')
  : [
      ...FOLDERS.map((folder) => `${folder}/**/*.ts`),
      // Entry point of the worker thread: it only wires the port to EngineService.
      '!src/host/worker.ts',
      // The require() shim esbuild puts in place of onnxruntime-node's binding (no logic).
      '!src/host/ortNodeBinding.ts',
    ];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    testFiles: process.env.TESTS ? process.env.TESTS.split(',').filter((glob) => glob !== '') : ['test/unit/**/*.test.ts'],
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
  // Two cores, shared: one test process at a time unless CONCURRENCY says otherwise.
  concurrency: Number(process.env.CONCURRENCY ?? 1),
  // Tests that load models take seconds; a mutant that makes one loop forever is a timeout (killed).
  timeoutMS: 60_000,
  timeoutFactor: 2,
  // The initial run is every unit test once, with coverage: tens of minutes on two busy cores.
  dryRunTimeoutMinutes: 180,
};
