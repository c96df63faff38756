// Entry point of the browser side of the e2e run (bundled into .e2e/out/ui/index.js and called
// by scripts/e2e/run.mjs): one Chromium, first the API tests inside VS Code's extension host,
// then the Playwright UI suites under mocha. Returns the counts; the runner sets the exit code.
import Mocha from 'mocha';
import type { Browser } from 'playwright-core';
import { runApiTests, type SuiteResult } from './apiRunner';
import { launchChromium } from './browser';
import type { ModelShape, UntrustedWorkspace } from './context';
import { registerGhostTextTests } from './ghostText.test';
import { registerHubDownloadTests } from './hubDownload.test';
import { registerInspectorUiTests } from './inspector.test';
import { registerTranslationUiTests } from './translation.test';
import { registerWorkspaceTrustTests } from './workspaceTrust.test';

export interface BrowserRunOptions {
  readonly url: string;
  readonly apiFolder: string;
  readonly uiFolder: string;
  readonly extensionDir: string;
  readonly apiTestsPath: string;
  readonly apiReportFile: string;
  readonly artifactsDir: string;
  readonly logsDir: string;
  readonly models: { readonly completion?: ModelShape; readonly translation?: { readonly dir: string } };
  /** HF_HUB_CACHE of code-server, served by the runner's mock Hub. */
  readonly hubCache: string;
  /** Starts the Workspace Trust suite's own code-server (trust on, a workspace naming a model). */
  readonly startUntrustedWorkspace: () => Promise<UntrustedWorkspace>;
  readonly grep?: string;
  readonly skipApi?: boolean;
  readonly skipUi?: boolean;
}

export interface BrowserRunResult {
  readonly api: SuiteResult;
  readonly ui: SuiteResult;
}

const NONE: SuiteResult = { passed: 0, failed: 0, skipped: 0 };

export async function runBrowserTests(options: BrowserRunOptions): Promise<BrowserRunResult> {
  const browser = await launchChromium();
  try {
    const api = options.skipApi
      ? NONE
      : await runApiTests(browser, {
          url: options.url,
          folder: options.apiFolder,
          extensionDir: options.extensionDir,
          testsPath: options.apiTestsPath,
          reportFile: options.apiReportFile,
          artifactsDir: options.artifactsDir,
          logsDir: options.logsDir,
          timeoutMs: 10 * 60_000,
        });
    const ui = options.skipUi ? NONE : await runUiSuites(browser, options);
    return { api, ui };
  } finally {
    await browser.close();
  }
}

async function runUiSuites(browser: Browser, options: BrowserRunOptions): Promise<SuiteResult> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 240_000, reporter: 'spec', color: false, ...(options.grep ? { grep: options.grep } : {}) });
  mocha.suite.emit('pre-require', globalThis, 'ui', mocha);
  const ctx = {
    url: options.url,
    folder: options.uiFolder,
    artifactsDir: options.artifactsDir,
    models: options.models,
    hubCache: options.hubCache,
    browser: () => browser,
    startUntrustedWorkspace: options.startUntrustedWorkspace,
  };
  registerGhostTextTests(ctx);
  registerInspectorUiTests(ctx);
  registerTranslationUiTests(ctx);
  registerWorkspaceTrustTests(ctx);
  // Last: it points the completion model at the download (and puts the setting back afterwards).
  registerHubDownloadTests(ctx);
  return new Promise<SuiteResult>((resolve) => {
    const runner = mocha.run(() => {
      const stats = runner.stats;
      resolve({ passed: stats?.passes ?? 0, failed: stats?.failures ?? 0, skipped: stats?.pending ?? 0 });
    });
  });
}
