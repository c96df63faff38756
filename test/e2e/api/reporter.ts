// A mocha reporter that appends each result line to a file (the extension host's console is
// not visible to the test runner), so the runner can print it and count passes and failures.
import { appendFileSync, writeFileSync } from 'node:fs';
import Mocha from 'mocha';

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING } = Mocha.Runner.constants;

export class FileReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
    super(runner, options);
    const file = (options.reporterOptions as { file?: unknown } | undefined)?.file;
    if (typeof file !== 'string') throw new Error('FileReporter needs reporterOptions.file');
    writeFileSync(file, '');
    const write = (line: string): void => {
      appendFileSync(file, `${line}\n`);
      console.log(line);
    };
    let depth = 0;
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.root) return;
      depth = suite.titlePath().length;
      write(`${'  '.repeat(depth)}${suite.title}`);
    });
    runner.on(EVENT_TEST_PASS, (test) => write(`${'  '.repeat(depth + 1)}✔ ${test.title} (${test.duration ?? 0} ms)`));
    runner.on(EVENT_TEST_PENDING, (test) => write(`${'  '.repeat(depth + 1)}- ${test.title} (skipped)`));
    runner.on(EVENT_TEST_FAIL, (test, error: Error) => {
      write(`${'  '.repeat(depth + 1)}✘ ${test.title}`);
      for (const line of (error.stack ?? String(error)).split('\n')) write(`${'  '.repeat(depth + 3)}${line}`);
    });
    runner.once(EVENT_RUN_END, () => {
      const stats = runner.stats;
      write(`RESULT ${stats?.passes ?? 0} passed, ${stats?.failures ?? 0} failed, ${stats?.pending ?? 0} skipped`);
    });
  }
}
