// Entry point VS Code's extension host loads as `extensionTestsPath` (bundled by esbuild into
// .e2e/out/api/index.js, with mocha resolved from .e2e/node_modules). VS Code awaits run():
// resolving reports exit code 0 through codeAutomationExit, rejecting reports 1.
import Mocha from 'mocha';
import { registerActivationTests } from './activation.test';
import { registerCommandTests } from './commands.test';
import { registerCompletionTests } from './completion.test';
import { registerEngineRestartTests } from './engineRestart.test';
import { registerInspectorTests } from './inspector.test';
import { registerInspectorTokenTests } from './inspectorTokens.test';
import { registerNativeBackendTests } from './nativeBackend.test';
import { FileReporter } from './reporter';
import { registerTranslationTests } from './translation.test';
import { registerWebviewBackendTests } from './webviewBackend.test';

export async function run(): Promise<void> {
  const reportFile = process.env['TEALEAF_E2E_REPORT'];
  if (!reportFile) throw new Error('TEALEAF_E2E_REPORT is not set: run the API tests through npm run test:e2e');
  const grep = process.env['TEALEAF_E2E_GREP'];
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, ...(grep ? { grep } : {}) });
  mocha.reporter(FileReporter, { file: reportFile });
  // Defines describe/it/before… on globalThis (what `mocha` the CLI does per test file); the
  // suites are registered by calling them, since esbuild has already bundled the files.
  mocha.suite.emit('pre-require', globalThis, 'api', mocha);
  registerActivationTests();
  registerCommandTests();
  registerCompletionTests();
  registerTranslationTests();
  registerInspectorTests();
  registerInspectorTokenTests();
  registerNativeBackendTests();
  registerWebviewBackendTests();
  // Last: it kills the engine worker, which every other suite uses.
  registerEngineRestartTests();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} API test(s) failed`);
}
