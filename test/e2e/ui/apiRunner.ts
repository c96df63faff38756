// Runs the mocha API tests inside VS Code's extension host: the workbench URL's `payload` makes
// the window an extension development host with `extensionTestsPath`; when the tests end,
// VS Code (web) reports the exit code by calling window.codeAutomationExit.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';

export interface ApiRunOptions {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly folder: string;
  /** The installed extension's folder (so the tests exercise exactly what the VSIX holds). */
  readonly extensionDir: string;
  /** The bundled API tests (.e2e/out/api/index.js). */
  readonly testsPath: string;
  /** Where the in-host reporter writes (TEALEAF_E2E_REPORT in code-server's environment). */
  readonly reportFile: string;
  readonly artifactsDir: string;
  readonly logsDir: string;
  readonly timeoutMs: number;
}

export interface SuiteResult {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export class ApiRunError extends Error {
  override readonly name = 'ApiRunError';
}

export async function runApiTests(browser: Browser, options: ApiRunOptions): Promise<SuiteResult & { exitCode: number }> {
  const remote = (p: string): string => `vscode-remote://${new URL(options.url).host}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(options.extensionDir)],
    ['extensionTestsPath', remote(options.testsPath)],
  ];
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.message}`));
  let reportExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (reportExit = resolve));
  await page.exposeFunction('codeAutomationExit', (code: unknown) => reportExit(typeof code === 'number' ? code : 1));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiRunError(`the API tests did not finish within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
  });
  try {
    await page.goto(`${options.url}/?folder=${encodeURIComponent(options.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const exitCode = await Promise.race([exited, timeout]);
    const counts = readCounts(options.reportFile);
    if (exitCode !== 0 && counts.failed === 0) {
      // The host failed before or outside mocha (e.g. the test bundle did not load).
      return { ...counts, failed: 1, exitCode };
    }
    return { ...counts, exitCode };
  } finally {
    clearTimeout(timer);
    await page.screenshot({ path: path.join(options.artifactsDir, 'api-tests-final.png') }).catch(() => undefined);
    writeFileSync(path.join(options.logsDir, 'api-browser-console.log'), `${consoleLines.join('\n')}\n`);
    await context.close();
  }
}

function readCounts(reportFile: string): SuiteResult {
  if (!existsSync(reportFile)) return { passed: 0, failed: 0, skipped: 0 };
  const match = /^RESULT (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(readFileSync(reportFile, 'utf8'));
  return match ? { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3]) } : { passed: 0, failed: 0, skipped: 0 };
}
